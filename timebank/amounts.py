"""Hours and minutes chosen in two lists, read back from a form.

Each part must be ASCII digits (``int()`` would also read Arabic-Indic digits and a
minus sign) and the minutes under 60: ``hours=-1&minutes=75`` once recorded 15 minutes.
"""

from __future__ import annotations


def _part(value: object, most: int) -> int | None:
    if value is None or value == "":
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= most else None
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        return None
    number = int(text)
    return number if number <= most else None


def minutes_from_parts(hours: object, minutes: object) -> int | None:
    """The time in minutes, or None when either part is not a number from its list."""
    whole_hours = _part(hours, 100_000)
    extra = _part(minutes, 59)
    if whole_hours is None or extra is None:
        return None
    return whole_hours * 60 + extra
