"""Time, in one place, so that tests and the demo can reason about it.

Every service takes "now" and "today" from here, never from ``datetime.now()`` or
``date.today()`` (ruff's DTZ rules refuse those): today is the date where the time bank
is, not where the server runs. Tests may set the clock with :func:`frozen_at`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_frozen: datetime | None = None


def now() -> datetime:
    """Now, aware, in UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def utcnow() -> datetime:
    """Now as naive UTC (stored the same way on SQLite and PostgreSQL)."""
    return now().replace(tzinfo=None)


def today_in(timezone: str) -> date:
    """Today's date where the time bank is."""
    return now().astimezone(ZoneInfo(timezone)).date()


@contextmanager
def frozen_at(moment: datetime) -> Iterator[datetime]:
    """Stop the clock at ``moment`` (aware) until the block ends (for tests)."""
    global _frozen
    if moment.tzinfo is None:
        raise ValueError("frozen_at needs an aware datetime")
    previous, _frozen = _frozen, moment.astimezone(UTC)
    try:
        yield _frozen
    finally:
        _frozen = previous
