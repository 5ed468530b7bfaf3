"""Column charts as HTML: a figure month by month (the report's trends) or quarter by
quarter (the network view), each with its marks (a column, a marker where the value is
not shown, the axis labels), its words and its table, one row for every month or
quarter. The report page has six charts of twelve or more slots and the network view
five: drawn by a Jinja macro, they were the largest part of each page's first view
(``kept_body``). ``column_charts`` draws them all, as the ``column_chart`` macro of
report_views/_macros.html did, at the same indentation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from timebank import quick_gettext
from timebank.report_views.charts import ColumnChart, Trend
from timebank.report_views.table_rows import as_html
from timebank.reports.reciprocity import Unit
from timebank.reports.reciprocity.model import Value

# Each slot's lines in the SVG, at the indentation of the macro's loop.
_MARKS = "\n    "
_AXIS = '<text class="axis-label" x="{x}" y="{y}" text-anchor="middle">{text}</text>'
# Each slot's row in the table, at the table body's indentation.
_ROWS = "\n        "
_TABLE_END = "\n      "  # before </tbody>


def column_marks(
    chart: ColumnChart, when_format: Callable[..., str], axes: dict | None = None
) -> Markup:
    """The SVG's marks, slot by slot, with the same blank lines as the macro's loop.
    ``axes``: the slots' axis labels drawn so far for charts of the same render (the
    trends name the same months in the same places), added to as they are drawn."""
    if axes is None:
        axes = {}
    html = [_MARKS]
    base = chart.base
    hidden_y = base - 8
    for when, _value, x, width, height, y, label, year, hidden in chart.bars:
        key = (when, x, width, label, year, base, when_format)
        axis = axes.get(key)
        middle = x + width / 2
        if axis is None:
            axis = axes[key] = "".join(
                (
                    _AXIS.format(x=middle, y=base + 24, text=escape(when_format(when)))
                    if label
                    else "",
                    _MARKS,
                    _AXIS.format(x=middle, y=base + 52, text=when.year) if year else "",
                )
            )
        # The column, and a suppressed slot's marker (a multiplication sign, U+00D7), as
        # f-strings (a format string's look-ups cost more than the slot).
        column = (
            f'<rect class="column" x="{x}" y="{y}" width="{width}" height="{height}"/>'
            if height
            else ""
        )
        marker = (
            f'<text class="column-hidden" x="{middle}" y="{hidden_y}"'
            ' text-anchor="middle">\u00d7</text>'
            if hidden
            else ""
        )
        html.append(f"{_MARKS}{column}{_MARKS}{marker}{_MARKS}{axis}{_MARKS}")
    html.append(_MARKS)
    return Markup("".join(html))  # noqa: S704 - numbers, and the words escaped above


def column_rows(
    chart: ColumnChart,
    when_format: Callable[..., str],
    label: str,
    show: Callable[[Value, Unit], Markup],
    unit: Unit,
    headings: dict | None = None,
) -> Markup:
    """The table's rows, slot by slot: when (in full) and the value, or why it is not
    shown. ``headings``: each row's opening drawn so far for charts of the same render,
    by the slot's day, added to as they are drawn."""
    if headings is None:
        headings = {}
    cell = f'</th><td role="cell" data-label="{escape(label)}">'
    html = [_ROWS]
    for bar in chart.bars:
        key = (bar.when, when_format)
        opening = headings.get(key)
        if opening is None:
            when = escape(when_format(bar.when, long=True))
            opening = headings[key] = (
                f'{_ROWS}<tr role="row"><th scope="row" role="rowheader">{when}'
            )
        value = show(bar.value, unit)
        html += (
            opening,
            cell,
            as_html(value),
            "</td></tr>",
            _ROWS,
        )
    html.append(_TABLE_END)
    return Markup("".join(html))  # noqa: S704 - every value escaped above


# A whole column chart, as report_views/_macros.html's column_chart macro drew it.
_CHART = (
    '\n\n\n<figure class="chart column-chart" aria-labelledby="{id}-title">'
    '\n  <figcaption id="{id}-title" class="chart-title">{label}</figcaption>'
    '\n  <svg viewBox="0 0 {width} {height}" width="100%" role="img"'
    ' aria-labelledby="{id}-title {id}-desc" focusable="false">'
    '\n    <desc id="{id}-desc">{desc}</desc>{marks}<line class="axis" x1="10" y1="{base}"'
    ' x2="{x2}" y2="{base}" stroke-width="2"/>'
    "\n  </svg>"
    "\n  {hint}"
    '\n  <details class="chart-table">'
    '\n    <summary>{summary}<span class="visually-hidden">: {label}</span></summary>'
    '\n    <div class="table-scroll contained" role="region" aria-labelledby="{id}-caption"'
    ' tabindex="0">'
    '\n    <table class="stack-table report-table" role="table">'
    '\n      <caption id="{id}-caption">{label}</caption>'
    '\n      <thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">{when}'
    '</th><th scope="col" role="columnheader">{label}</th></tr></thead>'
    '\n      <tbody role="rowgroup">{rows}</tbody>'
    "\n    </table>"
    "\n    </div>"
    "\n  </details>"
    "\n</figure>\n"
)
_HINT = '<p class="hint">{}</p>'


def column_charts(
    trends: Sequence[Trend],
    id_prefix: str,
    when_label: str,
    when_format: Callable[..., str],
    *,
    tr: Callable[[str | None], str],
    show: Callable[[Value, Unit], Markup],
    words: Callable[..., str],
) -> Markup:
    """Each of ``trends`` as a column chart (its id ``id_prefix`` and the figure's key),
    one after the other: the figure's words, the SVG with its marks, and the table.
    ``tr``, ``show`` and ``words`` (the templates' ``_``) are the render's helpers."""
    description = escape(
        words(
            "One column for each %(slot)s. The table below has the same figures.", slot=when_label
        )
    )
    summary = escape(words("Show as a table"))
    when = escape(escape(when_label).capitalize())
    catalogue = quick_gettext.translations()
    # What the charts share: the same months (or quarters) in the same places.
    axes: dict = {}
    headings: dict = {}
    html = []
    for trend in trends:
        chart, figure = trend.chart, trend.figure
        label = escape(tr(figure.label))
        hint = ""
        if chart.hidden:
            marked = catalogue.ungettext(
                "× marks %(num)s column not shown to protect privacy.",  # noqa: RUF001
                "× marks %(num)s columns not shown to protect privacy.",  # noqa: RUF001
                chart.hidden,
            )
            hint = _HINT.format(quick_gettext.fill(marked, {"num": chart.hidden}))
        html.append(
            _CHART.format(
                id=escape(id_prefix + figure.key),
                label=label,
                width=chart.width,
                height=chart.height,
                desc=description,
                marks=column_marks(chart, when_format, axes),
                base=chart.base,
                x2=chart.width - 10,
                hint=hint,
                summary=summary,
                when=when,
                rows=column_rows(chart, when_format, label, show, figure.unit, headings),
            )
        )
    return Markup("".join(html))  # noqa: S704 - every value escaped above
