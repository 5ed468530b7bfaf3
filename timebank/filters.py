"""Template filters that put ledger values into plain words, in the reader's language:
hours and minutes, dates, months and numbers follow the chosen locale (Flask-Babel);
times are shown in the time bank's time zone."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import lazy_gettext as _l

from timebank.quick_gettext import gettext


def hours(minutes: int) -> str:
    """Minutes as hours and minutes: 90 -> '1 h 30 min' (Welsh '1 awr 30 mun')."""
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(int(minutes)), 60)
    if whole and rest:
        text = gettext("%(hours)s h %(minutes)s min", hours=format_decimal(whole), minutes=rest)
    elif whole:
        text = gettext("%(hours)s h", hours=format_decimal(whole))
    else:
        text = gettext("%(minutes)s min", minutes=rest)
    return sign + text


# Names and descriptions the ledger writes itself, in English (it imports no Flask):
# accounts of its own and the descriptions of donations, grants and reversals.
LEDGER_WORDS = {
    "Community pot": _l("Community pot"),
    "Opening balances": _l("Opening balances"),
    "Donation to the pot": _l("Donation to the pot"),
    "Grant from the community pot": _l("Grant from the community pot"),
}
REVERSAL_DESCRIPTION = re.compile(r"Reversal of entry (\d+)")


def ledger_words(text: str | None) -> str | None:
    """A name or description the ledger wrote, in the reader's language; anything
    people wrote themselves is returned as it is."""
    if not text:
        return text
    known = LEDGER_WORDS.get(text)
    if known is not None:
        return str(known)
    reversal = REVERSAL_DESCRIPTION.fullmatch(text)
    if reversal:
        return gettext("Reversal of entry %(number)s", number=reversal.group(1))
    return text


def status_label(status: object) -> str:
    labels = {
        "pending": gettext("Waiting"),
        "posted": gettext("Done"),
        "rejected": gettext("Not accepted"),
    }
    return labels.get(str(status), str(status))


def long_date(value: date | datetime) -> str:
    return format_date(value, "d MMMM y")


def short_date(value: date | datetime) -> str:
    return format_date(value, "d MMM y")


def date_time(value: datetime) -> str:
    return format_datetime(value, "d MMM y, HH:mm")


def month_year(value: date) -> str:
    return format_date(value, "LLLL y")


def month_abbr(value: date) -> str:
    return format_date(value, "LLL")


def number(value: float | int, digits: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, pattern)


def register_filters(app: Flask) -> None:
    filters: dict[str, Callable[..., Any]] = {
        "hours": hours,
        "status_label": status_label,
        "long_date": long_date,
        "short_date": short_date,
        "date_time": date_time,
        "month_year": month_year,
        "month_abbr": month_abbr,
        "number": number,
        "ledger_words": ledger_words,
    }
    for name, function in filters.items():
        app.add_template_filter(function, name)
