"""A column chart's repeated parts as HTML: its marks (a column, a marker where the
value is not shown, the axis labels) and its table's rows, one of each for every month
or quarter. The report page has six charts of twelve or more slots and the network view
five: drawn by the macro, these per-slot lines were a fifth of the page's first view
(``kept_body``). The rest of the chart (its title, axis, summary and table heading) is
still drawn by ``column_chart`` in report_views/_macros.html, at the same indentation.
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

from timebank.report_views.charts import ColumnChart
from timebank.reports.reciprocity import Unit
from timebank.reports.reciprocity.model import Value

# Each slot's lines in the SVG, at the indentation of the macro's loop.
_MARKS = "\n    "
_COLUMN = '<rect class="column" x="{x}" y="{y}" width="{width}" height="{height}"/>'
# A suppressed slot is marked with a multiplication sign (U+00D7).
_HIDDEN = '<text class="column-hidden" x="{x}" y="{y}" text-anchor="middle">\u00d7</text>'
_AXIS = '<text class="axis-label" x="{x}" y="{y}" text-anchor="middle">{text}</text>'
# Each slot's row in the table, at the table body's indentation.
_ROWS = "\n        "
_TABLE_END = "\n      "  # before </tbody>
_ROW = (
    '<tr role="row"><th scope="row" role="rowheader">{when}</th>'
    '<td role="cell" data-label="{label}">{value}</td></tr>'
)


def column_marks(chart: ColumnChart, when_format: Callable[..., str]) -> Markup:
    """The SVG's marks, slot by slot, with the same blank lines as the macro's loop."""
    html = [_MARKS]
    for bar in chart.bars:
        middle = bar.x + bar.width / 2
        html += (
            _MARKS,
            _COLUMN.format(x=bar.x, y=bar.y, width=bar.width, height=bar.height)
            if bar.height
            else "",
            _MARKS,
            _HIDDEN.format(x=middle, y=chart.base - 8) if bar.hidden else "",
            _MARKS,
            _AXIS.format(x=middle, y=chart.base + 24, text=escape(when_format(bar.when)))
            if bar.label
            else "",
            _MARKS,
            _AXIS.format(x=middle, y=chart.base + 52, text=bar.when.year) if bar.year else "",
            _MARKS,
        )
    html.append(_MARKS)
    return Markup("".join(html))  # noqa: S704 - numbers, and the words escaped above


def column_rows(
    chart: ColumnChart,
    when_format: Callable[..., str],
    label: str,
    show: Callable[[Value, Unit], Markup],
    unit: Unit,
) -> Markup:
    """The table's rows, slot by slot: when (in full) and the value, or why it is not
    shown."""
    data_label = escape(label)
    html = [_ROWS]
    for bar in chart.bars:
        html += (
            _ROWS,
            _ROW.format(
                when=escape(when_format(bar.when, long=True)),
                label=data_label,
                value=escape(show(bar.value, unit)),
            ),
            _ROWS,
        )
    html.append(_TABLE_END)
    return Markup("".join(html))  # noqa: S704 - every value escaped above
