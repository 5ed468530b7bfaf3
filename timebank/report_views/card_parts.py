"""Figure cards and bar charts as HTML: a group of cards (each figure's label, value,
change and meaning, and the group's note on whom it counts) and a whole bar chart (its
bars, its table and its meaning). The report page draws twenty cards in six groups and
three bar charts, the network view eight cards; drawn by the ``cards``, ``figure_card``
and ``bar_chart`` macros (report_views/_macros.html, where they were), these were a
sixth of the report's first view (``kept_body``). The output is the macros', byte for
byte, at the same indentation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from timebank.quick_gettext import gettext as _
from timebank.report_views.charts import Bar
from timebank.report_views.table_rows import as_html
from timebank.report_views.words import Change
from timebank.reports.reciprocity import Scope, Suppressed, Table, Unit
from timebank.reports.reciprocity.model import Figure, Value

# One card, as the figure_card macro drew it (a newline before and after).
_CARD = (
    '\n<li class="card figure-card">'
    '\n  <h3 class="figure-label">{label}{scope}</h3>'
    '\n  <p class="figure{suppressed}">{value}</p>'
    "\n  {change}"
    '\n  <p class="meaning">{meaning}</p>'
    "\n</li>\n"
)
_SCOPE = '<span aria-hidden="true"> *</span><span class="visually-hidden"> ({words})</span>'
_CHANGE = '<p class="change change-{direction}">{words}</p>'


def figure_cards(
    figures: Sequence[Figure],
    changes: Sequence[Change | None] | None,
    mark_scope: bool,
    tr: Callable[[str | None], str],
    show: Callable[[Value, Unit], Markup],
) -> Markup:
    """The cards of ``figures`` (each with its change from ``changes``, where given),
    a consenting-only figure marked with * where ``mark_scope``."""
    # The catalogue's words, trusted as a template's ``_`` trusts them.
    scope = _SCOPE.format(words=_("members who agreed to reporting")) if mark_scope else ""
    html = []
    for index, figure in enumerate(figures):
        change = changes[index] if changes else None
        html.append(
            _CARD.format(
                label=escape(tr(figure.label)),
                scope=scope if scope and figure.scope == Scope.CONSENTING else "",
                suppressed=" figure-suppressed" if isinstance(figure.value, Suppressed) else "",
                value=as_html(show(figure.value, figure.unit)),
                change=_CHANGE.format(
                    direction=escape(change.direction), words=escape(change.words)
                )
                if change
                else "",
                meaning=escape(tr(figure.meaning)),
            )
        )
    return Markup("".join(html))  # noqa: S704 - every value escaped above


# Each bar, at the indentation of bar_chart's loop.
_BAR = (
    "\n    <li>"
    '\n      <span class="bar-label">{label}</span>'
    '\n      <span class="bar-track">{track}</span>'
    '\n      <span class="bar-value">{value}</span>'
    "\n    </li>"
    "\n    "
)
_TRACK = (
    '<svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true"'
    ' focusable="false"><rect class="bar bar-{parity}" x="0" y="0" width="{width}"'
    ' height="10"/></svg>'
)
_BARS_END = "\n  "  # before </ul>


def bar_items(bars: Sequence[Bar], unit: Unit, show: Callable[[Value, Unit], Markup]) -> Markup:
    """What goes between ``<ul class="bars">`` and ``</ul>``: each bar's label, its bar
    (where its value is drawn) and its value, or why it is not shown."""
    html = ["\n    "]
    for index, bar in enumerate(bars):
        fraction = bar.fraction
        html.append(
            _BAR.format(
                label=escape(bar.label),
                track=_TRACK.format(parity=index % 2, width=round(fraction * 100, 2))
                if fraction is not None and fraction > 0
                else "",
                value=as_html(show(bar.value, unit)),
            )
        )
    html.append(_BARS_END)
    return Markup("".join(html))  # noqa: S704 - every value escaped above


# A group of cards, as the cards macro of report_views/_macros.html drew it with its
# note on whom the figures count (section_scope).
_GROUP = '\n\n\n<ul class="figure-cards">\n  {cards}\n</ul>\n\n{note}\n\n'
_NOTE = '<p class="scope-note">{}</p>'


def figure_group(
    figures: Sequence[Figure],
    changes: Sequence[Change | None] | None = None,
    *,
    partner: bool,
    tr: Callable[[str | None], str],
    show: Callable[[Value, Unit], Markup],
    words: Callable[..., str],
) -> Markup:
    """``figures`` as cards (``figure_cards``). In a partner's report, where some count
    only consenting members and some every member, those are marked and the mark
    explained once below; where all count only consenting members, that is said.
    ``partner``, ``tr``, ``show`` and ``words`` (the templates' ``_``) are the
    render's."""
    consenting = [f for f in figures if f.scope == Scope.CONSENTING] if partner else []
    mixed = bool(consenting) and len(consenting) < len(figures)
    note = ""
    if consenting:
        if any(f.scope == Scope.WHOLE for f in figures):
            said = words(
                "Figures marked * count only members who agreed to partner reporting;"
                " the others count every member."
            )
        else:
            said = words("These figures count only members who agreed to partner reporting.")
        note = _NOTE.format(escape(said))
    cards = figure_cards(figures, changes, mixed, tr, show)
    return Markup(_GROUP.format(cards=cards, note=note))  # noqa: S704 - escaped above


# A whole bar chart, as the bar_chart macro of report_views/_macros.html drew it, with
# its note on whom it counts (scope_note).
_BAR_CHART = (
    '\n<figure class="bar-chart" aria-labelledby="{id}-title">'
    '\n  <figcaption id="{id}-title" class="chart-title">{label}</figcaption>'
    '\n  <ul class="bars">{bars}</ul>'
    '\n  <details class="chart-table">'
    '\n    <summary>{summary}<span class="visually-hidden">: {label}</span></summary>'
    "\n    {table}"
    "\n  </details>"
    "\n</figure>"
    '\n<p class="meaning">{meaning}</p>'
    "\n\n{note}\n\n"
)


def bar_chart(
    bars: Sequence[Bar],
    table: Table,
    column: int,
    id: str,
    first_heading: str,
    *,
    partner: bool,
    tr: Callable[[str | None], str],
    show: Callable[[Value, Unit], Markup],
    words: Callable[..., str],
    data_table: Callable[[Table, str, str], Markup],
) -> Markup:
    """``bars`` (one for each row of ``table``, its ``column``) with the table beside
    them, its id ``id``; in a partner's report, a breakdown that counts only consenting
    members says so. The other arguments are the render's helpers."""
    label = escape(tr(table.label))
    note = ""
    if table.scope == Scope.CONSENTING and partner:
        note = _NOTE.format(escape(words("Counts only members who agreed to partner reporting.")))
    return Markup(  # noqa: S704 - every value escaped
        _BAR_CHART.format(
            id=escape(id),
            label=label,
            bars=bar_items(bars, table.columns[column].unit, show),
            summary=escape(words("Show as a table")),
            table=data_table(table, f"{id}-table", first_heading),
            meaning=escape(tr(table.meaning)),
            note=note,
        )
    )
