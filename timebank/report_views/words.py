"""The report's numbers and words in the reader's language: a value by its unit (hours,
people, shares, money...), a change from the previous period, a suppressed value in
words (never a zero or a blank), and the report's English msgids through gettext."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_currency, get_locale
from markupsafe import Markup, escape

from timebank.filters import format_decimal, format_percent, hours
from timebank.quick_gettext import gettext as _
from timebank.quick_gettext import ngettext
from timebank.reports.reciprocity import Figure, Suppressed, SuppressionReason, Table, Unit
from timebank.reports.reciprocity.model import Row, Value


def translate(msgid: str | None) -> str:
    """A msgid from the report (a label, a meaning, a note) in the reader's language."""
    return _(msgid) if msgid else ""


def row_label(row: Row) -> str:
    """A row's label: translated when it is the report's own word, as it is when it is a
    name from the bank's settings (a category)."""
    return translate(row.label) if row.translate else row.label


def suppressed_words(value: Suppressed, threshold: int) -> str:
    if value.reason == SuppressionReason.SMALL:
        return _(
            "Fewer than %(threshold)s people: not shown to protect privacy", threshold=threshold
        )
    return _("Not shown: it could reveal a small number")


def plain(value: Value, unit: Unit) -> str:
    """A number in words by its unit; "none" when it is not defined."""
    if value is None:
        return _("none")
    if isinstance(value, Suppressed):
        raise TypeError("use show() for a value that may be suppressed")
    if unit == Unit.MINUTES:
        return hours(round(value))
    if unit == Unit.SHARE:
        return format_percent(value, "#,##0%")
    if unit in (Unit.RATIO, Unit.INDEX):
        return format_decimal(value, "#,##0.00")
    if unit == Unit.PENCE:
        return format_currency(value / 100, "GBP", "¤#,##0", currency_digits=False)
    if unit == Unit.DAYS:
        days = round(value)
        # Flask-Babel fills %(num)s with the count itself.
        return ngettext("%(num)s day", "%(num)s days", days)
    if isinstance(value, float) and not value.is_integer():
        return format_decimal(value, "#,##0.0")
    return format_decimal(value, "#,##0")


def show(value: Value, unit: Unit, threshold: int) -> Markup:
    """A value for a page: the number, or the suppression in words, marked so that it
    stands out (and never reads as zero)."""
    if isinstance(value, Suppressed):
        return Markup('<span class="suppressed">{}</span>').format(
            suppressed_words(value, threshold)
        )
    return Markup(escape(plain(value, unit)))  # noqa: S704 (escaped first)


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
