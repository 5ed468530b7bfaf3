"""A report table as HTML: a row for each of the table's rows (its label, then each
cell's value, or why it is not shown, under its column's words) and the total row, with
its caption and headings (``data_table``, called by the ``data_table`` macro in
report_views/_macros.html); and the network view's table of every measure, quarter by
quarter. The report page draws five such tables; drawn by the macro's loops, their
cells were a sixth of the page's first view (``kept_body``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from markupsafe import Markup, escape

from timebank.report_views.words import row_label
from timebank.reports.reciprocity import Table, Unit
from timebank.reports.reciprocity.model import Figure, QuarterPoint, Row, Value


def as_html(value: str) -> Markup:
    """``value`` for HTML: escaped, or as it is when it is markup already (a value that
    ``show`` gave), without making it again."""
    return value if type(value) is Markup else escape(value)


_LINE = "\n    "  # each row on its line at the macro's indentation
_END = "\n  "  # before </tbody>
_CELL = '<td role="cell" data-label="{label}">{value}</td>'


def _row(
    row: Row,
    opening: str,
    labels: list[Markup],
    units: list[Unit],
    show: Callable[[Value, Unit], Markup],
) -> str:
    cells = "".join(
        _CELL.format(label=label, value=as_html(show(value, unit)))
        for label, value, unit in zip(labels, row.cells, units, strict=False)
    )
    return f'{opening}<th scope="row" role="rowheader">{escape(row_label(row))}</th>{cells}</tr>'


def table_body(
    table: Table, column_labels: list[str], show: Callable[[Value, Unit], Markup]
) -> Markup:
    """What goes between ``<tbody role="rowgroup">`` and ``</tbody>``, with the same
    blank lines as the macro's loop. ``column_labels``: each column's words, translated
    once for the table."""
    labels = [escape(label) for label in column_labels]
    units = [column.unit for column in table.columns]
    html = [_LINE]
    for row in table.rows:
        html += (_LINE, _row(row, '<tr role="row">', labels, units, show), _LINE)
    html.append(_LINE)
    if table.total:
        opening = '<tr role="row" class="total-row">'
        html += (_LINE, _row(table.total, opening, labels, units, show), _LINE)
    html.append(_END)
    return Markup("".join(html))  # noqa: S704 - every value escaped above


# The network view's table of every measure, quarter by quarter: each quarter's row at
# the indentation of report_views/_network_measures.html's loop.
_QUARTER_LINE = "\n        "
_QUARTER_END = "\n      "  # before </tbody>


def quarter_rows(
    points: Sequence[QuarterPoint],
    fields: Sequence[str],
    measure_by_field: Mapping[str, Figure],
    when_format: Callable[..., str],
    tr: Callable[[str | None], str],
    show: Callable[[Value, Unit], Markup],
) -> Markup:
    """What goes between ``<tbody role="rowgroup">`` and ``</tbody>``: a row for each
    quarter (its months in full), with a cell for each of ``fields`` (the quarters'
    fields, in the table's column order), under the words of its measure."""
    # Each column's words translated and escaped once, not in every cell.
    cells = [
        (
            field,
            measure_by_field[field].unit,
            f'<td role="cell" data-label="{escape(tr(measure_by_field[field].label))}">',
        )
        for field in fields
    ]
    html = [_QUARTER_LINE]
    for point in points:
        row = "".join(
            f"{opening}{as_html(show(getattr(point, key), unit))}</td>"
            for key, unit, opening in cells
        )
        when = escape(when_format(point.quarter.start, long=True))
        html += (
            _QUARTER_LINE,
            f'<tr role="row"><th scope="row" role="rowheader">{when}</th>{row}</tr>',
            _QUARTER_LINE,
        )
    html.append(_QUARTER_END)
    return Markup("".join(html))  # noqa: S704 - every value escaped above


# A whole report table, as the data_table macro of report_views/_macros.html drew it.
_TABLE = (
    '\n<div class="table-scroll contained" role="region" aria-labelledby="{id}-caption"'
    ' tabindex="0">'
    '\n<table class="stack-table report-table" role="table">'
    '\n  <caption id="{id}-caption">{caption}</caption>'
    '\n  <thead role="rowgroup">'
    '\n    <tr role="row"><th scope="col" role="columnheader">{first}</th>{headings}</tr>'
    "\n  </thead>"
    '\n  <tbody role="rowgroup">{body}</tbody>'
    "\n</table>"
    "\n</div>\n"
)
_HEADING = '<th scope="col" role="columnheader">{}</th>'


def data_table(
    table: Table,
    id: str,
    first_heading: str,
    *,
    tr: Callable[[str | None], str],
    show: Callable[[Value, Unit], Markup],
) -> Markup:
    """The table with its caption, headings and rows (``table_body``), its id
    ``id``-caption; ``tr`` and ``show`` are the render's helpers."""
    column_labels = [tr(column.label) for column in table.columns]
    return Markup(  # noqa: S704 - every value escaped
        _TABLE.format(
            id=escape(id),
            caption=escape(tr(table.label)),
            first=escape(first_heading),
            headings="".join(_HEADING.format(escape(label)) for label in column_labels),
            body=table_body(table, column_labels, show),
        )
    )
