"""Template filters that put ledger values into plain words, in the reader's language:
hours and minutes, dates, months and numbers follow the chosen locale (Flask-Babel);
times are shown in the time bank's time zone.

Babel's formatting parses its pattern and looks up the locale's symbols on every call
(10-20 µs each); a report or a history page formats hundreds of values, most of them
the same few. The formatting itself is a pure function of the value, the pattern and
the locale, so it is kept (``lru_cache``) once per value, pattern and locale.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from babel import Locale, dates, numbers
from babel.support import NullTranslations
from flask import Flask
from flask_babel import get_timezone, to_user_timezone

from timebank import quick_gettext
from timebank.quick_gettext import gettext, translations
from timebank.quick_gettext import lazy_gettext as _l

CACHED_VALUES = 8192


def _locale() -> Locale | None:
    # None outside a request: Babel then formats as the process's default locale, as
    # Flask-Babel's own functions do.
    return quick_gettext.locale()


@lru_cache(maxsize=CACHED_VALUES, typed=True)
def _decimal(value: float | int, pattern: str | None, locale: Locale | None) -> str:
    return numbers.format_decimal(value, format=pattern, locale=locale)


@lru_cache(maxsize=CACHED_VALUES, typed=True)
def _date(value: date, pattern: str, locale: Locale | None) -> str:
    return dates.format_date(value, pattern, locale=locale)


@lru_cache(maxsize=CACHED_VALUES, typed=True)
def _percent(value: float | int, pattern: str | None, locale: Locale | None) -> str:
    return numbers.format_percent(value, format=pattern, locale=locale)


@lru_cache(maxsize=CACHED_VALUES, typed=True)
def _currency(
    value: float | int, currency: str, pattern: str | None, digits: bool, locale: Locale | None
) -> str:
    return numbers.format_currency(
        value, currency, format=pattern, locale=locale, currency_digits=digits
    )


def currency_in(
    value: float | int, currency: str, pattern: str | None, digits: bool, locale: Locale | None
) -> str:
    """``format_currency`` in the given locale (looked up once by the caller)."""
    return _currency(value, currency, pattern, digits, locale)


def percent_in(value: float | int, pattern: str | None, locale: Locale | None) -> str:
    """``format_percent`` in the given locale (looked up once by the caller)."""
    return _percent(value, pattern, locale)


def decimal_in(value: float | int, pattern: str | None, locale: Locale | None) -> str:
    """``format_decimal`` in the given locale (looked up once by the caller)."""
    return _decimal(value, pattern, locale)


def format_currency(
    value: float | int, currency: str, pattern: str | None = None, currency_digits: bool = True
) -> str:
    """Flask-Babel's ``format_currency``: the amount in the reader's locale."""
    return _currency(value, currency, pattern, currency_digits, _locale())


def format_percent(value: float | int, pattern: str | None = None) -> str:
    """Flask-Babel's ``format_percent``: the share in the reader's locale."""
    return _percent(value, pattern, _locale())


def format_decimal(value: float | int, pattern: str | None = None) -> str:
    """Flask-Babel's ``format_decimal``: the number in the reader's locale."""
    return _decimal(value, pattern, _locale())


def format_date(value: date | datetime, pattern: str) -> str:
    """Flask-Babel's ``format_date``: a moment is first put in the reader's time zone."""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    return _date(value, pattern, _locale())


@lru_cache(maxsize=CACHED_VALUES, typed=True)
def _hours(minutes: int, locale: Locale | None, catalogue: NullTranslations) -> str:
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(minutes), 60)
    if whole and rest:
        text = catalogue.ugettext("%(hours)s h %(minutes)s min") % {
            "hours": _decimal(whole, None, locale),
            "minutes": rest,
        }
    elif whole:
        text = catalogue.ugettext("%(hours)s h") % {"hours": _decimal(whole, None, locale)}
    else:
        text = catalogue.ugettext("%(minutes)s min") % {"minutes": rest}
    return sign + text


def hours(minutes: int) -> str:
    """Minutes as hours and minutes: 90 -> '1 h 30 min' (Welsh '1 awr 30 mun')."""
    return _hours(int(minutes), _locale(), translations())


def hours_in(minutes: int, locale: Locale | None, catalogue: NullTranslations) -> str:
    """``hours`` in the given locale and catalogue (looked up once by the caller)."""
    return _hours(int(minutes), locale, catalogue)


def hours_in_this_language() -> Callable[[int], str]:
    """``hours`` with the reader's locale and catalogue looked up once, for a table of
    hundreds of amounts drawn in one go (the network view's ties): each lookup goes
    through Flask's context-local proxies. Use it within the one request only."""
    locale, catalogue = _locale(), translations()
    return lambda minutes: hours_in(minutes, locale, catalogue)


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


@lru_cache(maxsize=CACHED_VALUES, typed=True)
def _wall_time(value: datetime, pattern: str, locale: Locale | None) -> str:
    # A naive time is formatted as it stands (Babel takes it as UTC and moves it nowhere).
    return dates.format_datetime(value, pattern, locale=locale)


_DATE_TIME = "d MMM y, HH:mm"


def date_time(value: datetime) -> str:
    """A moment in the reader's time zone, to the minute. Kept by the time on the
    reader's clock (naive, so that the same instant in two zones is two keys)."""
    return date_time_writer()(value)


def date_time_writer() -> Callable[[datetime], str]:
    """``date_time`` with the reader's time zone and locale found once, for a list of
    many moments (each look-up goes through Flask-Babel's context again): the moment
    moved as Flask-Babel's ``to_user_timezone`` moves it. ``date_time`` is one call of
    it, so the two cannot drift apart."""
    zone, locale = get_timezone(), _locale()

    def write(value: datetime) -> str:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        local = zone.normalize(value.astimezone(zone))
        return _wall_time(local.replace(second=0, microsecond=0, tzinfo=None), _DATE_TIME, locale)

    return write


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
