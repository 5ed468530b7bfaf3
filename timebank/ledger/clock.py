"""Time, in one place, so that tests and the demo can reason about it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Now as naive UTC (stored the same way on SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


def today_in(timezone: str) -> date:
    """Today's date where the time bank is."""
    return datetime.now(ZoneInfo(timezone)).date()
