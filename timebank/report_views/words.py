"""The report's numbers and words in the reader's language: a value by its unit (hours,
people, shares, money...), a change from the previous period, a suppressed value in
words (never a zero or a blank), and the report's English msgids through gettext."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale
from babel.support import NullTranslations
from flask_babel import get_locale
from markupsafe import Markup, escape

from timebank import filters, quick_gettext
from timebank.filters import CACHED_VALUES
from timebank.quick_gettext import gettext as _
from timebank.quick_gettext import ngettext, translations
from timebank.reports.reciprocity import Figure, Suppressed, SuppressionReason, Table, Unit
from timebank.reports.reciprocity.model import Row, Value


def translate(msgid: str | None) -> str:
    """A msgid from the report (a label, a meaning, a note) in the reader's language."""
    return _(msgid) if msgid else ""


def row_label(row: Row) -> str:
    """A row's label: translated when it is the report's own word, as it is when it is a
    name from the bank's settings (a category)."""
    return translate(row.label) if row.translate else row.label


def _suppressed_words(value: Suppressed, threshold: int, catalogue: NullTranslations) -> str:
    if value.reason == SuppressionReason.SMALL:
        return catalogue.ugettext(
            "Fewer than %(threshold)s people: not shown to protect privacy"
        ) % {"threshold": threshold}
    return catalogue.ugettext("Not shown: it could reveal a small number")


def suppressed_words(value: Suppressed, threshold: int) -> str:
    return _suppressed_words(value, threshold, translations())


# A value in words is a pure function of the value (and its type: 1 and 1.0 and True
# are shown differently by some units), its unit, the locale and the catalogue: worked
# out once for each (a report shows a few hundred values, most of them again and again
# from one view to the next), as the filters keep theirs.
@lru_cache(maxsize=CACHED_VALUES, typed=True)
def _plain(value: Value, unit: Unit, locale: Locale | None, catalogue: NullTranslations) -> str:
    if value is None:
        return catalogue.ugettext("none")
    if isinstance(value, Suppressed):
        raise TypeError("use show() for a value that may be suppressed")
    if unit == Unit.MINUTES:
        return filters.hours_in(round(value), locale, catalogue)
    if unit == Unit.SHARE:
        return filters.percent_in(value, "#,##0%", locale)
    if unit in (Unit.RATIO, Unit.INDEX):
        return filters.decimal_in(value, "#,##0.00", locale)
    if unit == Unit.PENCE:
        return filters.currency_in(value / 100, "GBP", "¤#,##0", False, locale)
    if unit == Unit.DAYS:
        days = round(value)
        # Flask-Babel fills %(num)s with the count itself.
        return catalogue.ungettext("%(num)s day", "%(num)s days", days) % {"num": days}
    if isinstance(value, float) and not value.is_integer():
        return filters.decimal_in(value, "#,##0.0", locale)
    return filters.decimal_in(value, "#,##0", locale)


def plain(value: Value, unit: Unit) -> str:
    """A number in words by its unit; "none" when it is not defined."""
    return _plain(value, unit, quick_gettext.locale(), translations())


@lru_cache(maxsize=CACHED_VALUES, typed=True)
def _show(
    value: Value, unit: Unit, threshold: int, locale: Locale | None, catalogue: NullTranslations
) -> Markup:
    if isinstance(value, Suppressed):
        return Markup('<span class="suppressed">{}</span>').format(
            _suppressed_words(value, threshold, catalogue)
        )
    return Markup(escape(_plain(value, unit, locale, catalogue)))  # noqa: S704 (escaped first)


def show(value: Value, unit: Unit, threshold: int) -> Markup:
    """A value for a page: the number, or the suppression in words, marked so that it
    stands out (and never reads as zero)."""
    return _show(value, unit, threshold, quick_gettext.locale(), translations())


def shower(threshold: int) -> Callable[[Value, Unit], Markup]:
    """``show`` with the threshold, and the reader's locale and catalogue looked up once,
    for one render (each lookup goes through Flask's context-local proxies)."""
    locale, catalogue = quick_gettext.locale(), translations()

    def show_here(value: Value, unit: Unit) -> Markup:
        return _show(value, unit, threshold, locale, catalogue)

    return show_here


def translator() -> Callable[[str | None], str]:
    """``translate`` with the reader's catalogue looked up once, for one render."""
    words = translations().ugettext

    def translate_here(msgid: str | None) -> str:
        return words(msgid) if msgid else ""

    return translate_here


def text(value: Value, unit: Unit, threshold: int) -> str:
    """A value as plain text (CSV, PDF alt text, chart labels)."""
    if isinstance(value, Suppressed):
        return suppressed_words(value, threshold)
    return plain(value, unit)


@dataclass(frozen=True)
class Change:
    direction: str  # up, down, same, none (no comparison), hidden (suppressed)
    words: str


def change(figure: Figure, threshold: int) -> Change:
    """How a headline figure moved since the previous period of the same length."""
    if figure.previous is None and not isinstance(figure.value, Suppressed):
        return Change("none", _("No figure for the previous period"))
    delta = figure.change
    if isinstance(delta, Suppressed):
        return Change("hidden", _("Change not shown to protect privacy"))
    if delta is None:
        return Change("none", _("No figure for the previous period"))
    previous = plain(figure.previous, figure.unit)
    if figure.unit == Unit.SHARE:
        points = round(delta * 100)
        amount = ngettext("%(num)s percentage point", "%(num)s percentage points", abs(points))
        delta_value: float = points
    else:
        amount = plain(abs(delta), figure.unit)
        delta_value = delta
    if not delta_value:
        return Change(
            "same", _("The same as the previous period (%(previous)s)", previous=previous)
        )
    if delta_value > 0:
        return Change(
            "up",
            _(
                "Up %(amount)s on the previous period (%(previous)s)",
                amount=amount,
                previous=previous,
            ),
        )
    return Change(
        "down",
        _(
            "Down %(amount)s on the previous period (%(previous)s)",
            amount=amount,
            previous=previous,
        ),
    )


def column_values(table: Table, index: int) -> list[Value]:
    return [row.cells[index] for row in table.rows]


def locale_code() -> str:
    return str(get_locale() or "en")
