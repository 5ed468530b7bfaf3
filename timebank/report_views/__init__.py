"""The reciprocity report on the web, shared by the partners' area and the coordinators'
version of the same report: the period chooser, numbers in words, the charts and the
network picture's data, the report read with its audit entry, and the PDF.

The figures themselves (and every privacy rule) come from ``timebank.reports.reciprocity``;
nothing here computes or suppresses a figure.
"""
