"""Ids in the API's paths: whole numbers from 1 to the largest the database keeps, so
a bigger number is "not found" like any other missing id (never a database error)."""

ID = "int(min=1, max=2147483647)"
