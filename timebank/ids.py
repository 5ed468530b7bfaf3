"""Numbers that name rows or pages, read from URLs and forms.

Every id column is a 32-bit integer on PostgreSQL and SQLite refuses integers past 64
bits, so a larger number must never reach a query: it names nothing (404, or the field's
own "not found" message), instead of a 500. Only ASCII digits count: ``int()`` would
also read Arabic-Indic digits.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, ValidationError

MAX_ID = 2**31 - 1


def parse_id(value: object) -> int | None:
    """The id written in ``value`` (1 to MAX_ID, ASCII digits), else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= MAX_ID else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def id_arg(value: str) -> int:
    """For ``request.args.get(name, type=id_arg)``: a ValueError gives the default."""
    number = parse_id(value)
    if number is None:
        raise ValueError(value)
    return number


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a number past MAX_ID matches no route (404)."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number


# The furthest page a list goes to: past it, offsets would be past any row anyway.
MAX_PAGE = 100_000
