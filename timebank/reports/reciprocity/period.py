"""What a reciprocity report is about: a period of service dates, the time banks it
covers, and who reads it.

Dates are service dates, which are already the time bank's own local dates; a period
includes both its first and its last day.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from timebank.ledger.errors import LedgerError

# Longer periods make monthly series and quarterly networks expensive and say little.
MAX_PERIOD_DAYS = 10 * 366


class InvalidPeriodError(LedgerError):
    code = "invalid_period"
    field = "period"


class InvalidSelectionError(LedgerError):
    code = "invalid_selection"
    field = "banks"


class Audience(enum.StrEnum):
    """Who reads the report. Partners see aggregates only, with consent and small-number
    rules applied; a bank's coordinators see the same figures for their own bank,
    unsuppressed, plus names where that helps their work."""

    PARTNER = "partner"
    COORDINATOR = "coordinator"


@dataclass(frozen=True, order=True)
class Period:
    """The service dates ``start`` to ``end``, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if not isinstance(self.start, date) or not isinstance(self.end, date):
            raise InvalidPeriodError("Choose a start date and an end date.")
        if self.end < self.start:
            raise InvalidPeriodError("The end date must not be before the start date.")
        if self.days > MAX_PERIOD_DAYS:
            raise InvalidPeriodError("Choose a period of at most ten years.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same number of days that ends the day before this starts."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> tuple[Period, ...]:
        """The calendar months this period touches, each cut to the period: together
        they cover it exactly, so monthly figures add up to the period's."""
        return self._split(_next_month)

    def quarters(self) -> tuple[Period, ...]:
        """The calendar quarters this period touches, each cut to the period."""
        return self._split(_next_quarter)

    def _split(self, step) -> tuple[Period, ...]:
        parts = []
        start = self.start
        while start <= self.end:
            after = step(start)
            parts.append(Period(start, min(self.end, after - timedelta(days=1))))
            start = after
        return tuple(parts)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = date(year, month, 1)
        return cls(start, _next_month(start) - timedelta(days=1))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if quarter not in (1, 2, 3, 4):
            raise InvalidPeriodError("A quarter is 1, 2, 3 or 4.")
        start = date(year, 3 * quarter - 2, 1)
        return cls(start, _next_quarter(start) - timedelta(days=1))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def last_months(cls, today: date, count: int = 12) -> Period:
        """The ``count`` whole calendar months ending with today's month (the current
        month included, so far as it has gone)."""
        index = today.year * 12 + today.month - 1 - (count - 1)
        return cls(date(index // 12, index % 12 + 1, 1), today)

    def trailing_quarters(self, count: int = 8) -> tuple[Period, ...]:
        """The ``count`` calendar quarters ending with the one that holds this period's
        end (whole quarters, the last cut at the period's end): the network over time."""
        first = _quarter_start(self.end)
        for _ in range(count - 1):
            first = _quarter_start(first - timedelta(days=1))
        return Period(first, self.end).quarters()

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _next_quarter(day: date) -> date:
    start = _quarter_start(day)
    index = start.year * 12 + start.month - 1 + 3
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class BankSelection:
    """The time banks a report covers: one, or several (a partner's combined report).
    Ids are kept sorted and unique, so two selections of the same banks are equal and
    share a cache entry."""

    bank_ids: tuple[int, ...]

    def __post_init__(self) -> None:
        ids = tuple(sorted(set(self.bank_ids)))
        if not ids:
            raise InvalidSelectionError("Choose at least one time bank.")
        object.__setattr__(self, "bank_ids", ids)

    @classmethod
    def one(cls, bank_id: int) -> BankSelection:
        return cls((bank_id,))

    @property
    def is_combined(self) -> bool:
        return len(self.bank_ids) > 1

    @property
    def key(self) -> str:
        """A short text key, e.g. "3,5,9" (the cache's)."""
        return ",".join(str(i) for i in self.bank_ids)
