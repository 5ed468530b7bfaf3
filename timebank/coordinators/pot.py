"""Coordinators: pot (being built)."""

from __future__ import annotations

from timebank.coordinators import bp  # noqa: F401
