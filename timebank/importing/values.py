"""Reading one value of an import row: a moment, a decimal, an amount in whole minutes.
Each raises :class:`BadValue` with words a person can act on."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from timebank.importing.words import Text, _l

# The largest single amount accepted (minutes): far above any real exchange, well
# inside the database's integer column.
MAX_MINUTES = 1_000_000


class BadValue(ValueError):
    """A cell that cannot be read; ``text`` says why, to be shown to a person."""

    def __init__(self, text: Text) -> None:
        super().__init__(str(text))
        self.text = text


def parse_moment(text: str, what: Text | None = None) -> datetime:
    """A date or date-time as written by TimeOverflow, a spreadsheet or ISO 8601.

    Returns the moment as written (aware if the text has an offset)."""
    what = what or _l("date")
    value = (text or "").strip()
    if not value:
        raise BadValue(_l("the %(what)s is missing", what=what))
    if value.endswith(" UTC"):
        value = value[:-4] + "+00:00"
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.strptime(value, "%d/%m/%Y")  # noqa: DTZ007 (a date: no time, no zone)
    except ValueError:
        raise BadValue(
            _l(
                "the %(what)s %(value)s is not a date (write it as 2024-03-31)",
                what=what,
                value=repr(text.strip()),
            )
        ) from None


def to_utc_naive(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def parse_decimal(text: str, what: Text) -> Decimal:
    value = (text or "").strip()
    if not value:
        raise BadValue(_l("the %(what)s is missing", what=what))
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise BadValue(
            _l("the %(what)s %(value)s is not a number", what=what, value=repr(value))
        ) from None
    if not number.is_finite():
        raise BadValue(_l("the %(what)s %(value)s is not a number", what=what, value=repr(value)))
    return number


def whole_minutes(minutes: Decimal, written: str, unit: Text) -> tuple[int, Text | None]:
    """Round to the minute (half up); say so when it was not already whole."""
    rounded = int(minutes.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if rounded == minutes:
        return rounded, None
    return rounded, _l(
        "%(written)s %(unit)s is not a whole number of minutes: imported as %(minutes)s minutes",
        written=written,
        unit=unit,
        minutes=rounded,
    )


def check_amount(minutes: int, written: str, unit: Text) -> Text | None:
    if minutes <= 0:
        if Decimal(written) > 0:
            return _l(
                "the amount %(written)s %(unit)s is less than half a minute",
                written=written,
                unit=unit,
            )
        return _l(
            "the amount must be more than zero (it is %(written)s %(unit)s)",
            written=written,
            unit=unit,
        )
    if minutes > MAX_MINUTES:
        return _l("the amount %(written)s %(unit)s is too large", written=written, unit=unit)
    return None
