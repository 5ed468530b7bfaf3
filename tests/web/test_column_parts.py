"""The column charts' per-slot HTML (report_views/column_parts.py) is what the
``column_chart`` macro's loops drew, byte for byte, in English and Welsh: with columns
not shown (suppressed or undefined), axis labels on every n-th slot of a long period,
years under each January, and words escaped. The same for a report table's body
(report_views/table_rows.py against the ``data_table`` macro's loop)."""

from __future__ import annotations

from datetime import date

from flask import g, render_template_string

from timebank.report_views import charts
from timebank.report_views.column_parts import column_marks, column_rows
from timebank.report_views.page import month_label, quarter_label, words
from timebank.reports.reciprocity.model import Suppressed, SuppressionReason, Unit

# The macro's loops before column_parts (report_views/_macros.html, ``column_chart``).
MARKS_TEMPLATE = """</desc>
    {% for bar in chart.bars %}
    {% if bar.height %}<rect class="column" x="{{ bar.x }}" y="{{ bar.y }}" width="{{ bar.width }}" height="{{ bar.height }}"/>{% endif %}
    {% if bar.hidden %}<text class="column-hidden" x="{{ bar.x + bar.width / 2 }}" y="{{ chart.base - 8 }}" text-anchor="middle">×</text>{% endif %}
    {% if bar.label %}<text class="axis-label" x="{{ bar.x + bar.width / 2 }}" y="{{ chart.base + 24 }}" text-anchor="middle">{{ when_format(bar.when) }}</text>{% endif %}
    {% if bar.year %}<text class="axis-label" x="{{ bar.x + bar.width / 2 }}" y="{{ chart.base + 52 }}" text-anchor="middle">{{ bar.when.year }}</text>{% endif %}
    {% endfor %}
    <line"""  # noqa: E501, RUF001
ROWS_TEMPLATE = """<tbody role="rowgroup">
        {% for bar in chart.bars %}
        <tr role="row"><th scope="row" role="rowheader">{{ when_format(bar.when, long=true) }}</th><td role="cell" data-label="{{ figure_label }}">{{ show(bar.value, unit) }}</td></tr>
        {% endfor %}
      </tbody>"""  # noqa: E501


def _months(count: int) -> list[date]:
    return [date(2024 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(3, 3 + count)]


HIDDEN = Suppressed(SuppressionReason.SMALL)
VALUES = [120, HIDDEN, None, 0, 45.5, 900, Suppressed(SuppressionReason.DERIVABLE), 60]


def _series(count: int) -> list[tuple[date, object]]:
    return [(day, VALUES[i % len(VALUES)]) for i, day in enumerate(_months(count))]


def test_the_marks_and_rows_are_the_macros_in_each_language(app):
    quarters = [(date(2025, m, 1), v) for m, v in ((1, 3), (4, HIDDEN), (7, 0.25), (10, None))]
    cases = [
        (charts.columns(_series(12)), month_label, Unit.MINUTES),
        (charts.columns(_series(30)), month_label, Unit.MINUTES),  # every third slot named
        (charts.columns(_series(1)), month_label, Unit.PEOPLE),
        (charts.columns([]), month_label, Unit.PEOPLE),
        (charts.columns(quarters), quarter_label, Unit.SHARE),
    ]
    label = 'Hours <b>"given"</b> & taken'
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):

            def show(value, unit):
                return words.show(value, unit, 5)

            for chart, when_format, unit in cases:
                values = {"chart": chart, "when_format": when_format}
                marks = render_template_string(MARKS_TEMPLATE, **values)
                assert f"</desc>{column_marks(chart, when_format)}<line" == marks
                rows = render_template_string(
                    ROWS_TEMPLATE, figure_label=label, show=show, unit=unit, **values
                )
                drawn = column_rows(chart, when_format, label, show, unit)
                assert f'<tbody role="rowgroup">{drawn}</tbody>' == rows
            drawn = column_rows(cases[0][0], month_label, label, show, Unit.MINUTES)
            assert "Hours &lt;b&gt;&#34;given&#34;&lt;/b&gt; &amp; taken" in drawn
            assert ("March 2024" in drawn) == (language == "en")
            assert "column-hidden" in column_marks(cases[0][0], month_label)


def test_a_renders_helpers_give_what_words_give_for_every_value_and_unit(app):
    """``helpers`` works each value out once per render: the same answers, whatever
    was asked before (1 and 1.0, the same number in another unit)."""
    from types import SimpleNamespace

    from timebank.report_views.page import helpers

    with app.test_request_context("/", headers={"Accept-Language": "cy"}):
        drawn = helpers(SimpleNamespace(threshold=5, audience="coordinator"))
        for _ in range(2):
            for unit in Unit:
                for value in (*VALUES, 1, 1.0, 1.5, 0.0):
                    assert drawn["show"](value, unit) == words.show(value, unit, 5)
        for day in _months(14):
            for long in (False, True):
                assert drawn["month_label"](day, long=long) == month_label(day, long=long)
                if day.month % 3 == 1:  # a quarter's first day
                    asked = drawn["quarter_label"](day, long=long)
                    assert asked == quarter_label(day, long=long)


# The data_table macro's body loop before table_rows (report_views/_macros.html).
TABLE_TEMPLATE = """<tbody role="rowgroup">
    {% for row in table.rows %}
    <tr role="row"><th scope="row" role="rowheader">{{ row_label(row) }}</th>{% for column in table.columns %}<td role="cell" data-label="{{ column_labels[loop.index0] }}">{{ show(row.cells[loop.index0], column.unit) }}</td>{% endfor %}</tr>
    {% endfor %}
    {% if table.total %}
    <tr role="row" class="total-row"><th scope="row" role="rowheader">{{ row_label(table.total) }}</th>{% for column in table.columns %}<td role="cell" data-label="{{ column_labels[loop.index0] }}">{{ show(table.total.cells[loop.index0], column.unit) }}</td>{% endfor %}</tr>
    {% endif %}
  </tbody>"""  # noqa: E501


def test_a_tables_body_is_the_macros_in_each_language(app):
    """report_views/table_rows.py draws what data_table's loop drew: the report's own
    words translated, a bank's category names as they are (escaped), values not shown
    with their reason, with and without a total row."""
    from timebank.report_views.table_rows import table_body
    from timebank.report_views.words import row_label
    from timebank.reports.reciprocity.model import Column, Row, Scope, Table

    columns = (
        Column("given", "Hours given", Unit.MINUTES),
        Column("people", "People", Unit.PEOPLE),
        Column("share", "Share", Unit.SHARE),
    )
    rows = (
        Row("participant", "Participants", True, (120, 7, 0.25)),
        Row("category:1", 'Tŷ & <b>"garden"</b>', False, (HIDDEN, None, 0)),
        Row("none", "None", True, (45.5, Suppressed(SuppressionReason.DERIVABLE), 1.0)),
    )
    total = Row("total", "Total", True, (165.5, 12, 1.0))
    column_labels = ["Hours <given>", "Pobl", 'Share "of all"']
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):

            def show(value, unit):
                return words.show(value, unit, 5)

            for table_total in (total, None):
                table = Table("t", "A table", "", Scope.WHOLE, columns, rows, table_total)
                wanted = render_template_string(
                    TABLE_TEMPLATE,
                    table=table,
                    column_labels=column_labels,
                    row_label=row_label,
                    show=show,
                )
                drawn = table_body(table, column_labels, show)
                assert f'<tbody role="rowgroup">{drawn}</tbody>' == wanted
                assert ("total-row" in drawn) == (table_total is not None)
                assert "Tŷ &amp; &lt;b&gt;&#34;garden&#34;&lt;/b&gt;" in drawn


# The network view's quarter table's loop before table_rows.quarter_rows
# (report_views/_network_measures.html).
QUARTERS_TEMPLATE = """<tbody role="rowgroup">{% set measure_labels = {} %}{% for key in quarter_fields %}{% set ignored = measure_labels.update({key: tr(measure_by_key[key].label)}) %}{% endfor %}
        {% for point in points %}
        <tr role="row"><th scope="row" role="rowheader">{{ quarter_label(point.quarter.start, long=true) }}</th>{% for key in quarter_fields %}<td role="cell" data-label="{{ measure_labels[key] }}">{{ show(point[key], measure_by_key[key].unit) }}</td>{% endfor %}</tr>
        {% endfor %}
      </tbody>"""  # noqa: E501


def test_the_quarter_tables_rows_are_the_loops_in_each_language(app):
    """table_rows.quarter_rows draws what the network view's quarter table's loop drew:
    each quarter's months in full, each measure's words (escaped, translated), values
    not shown with their reason."""
    from types import SimpleNamespace

    from timebank.report_views.table_rows import quarter_rows

    fields = ["people", "reciprocity", "density"]
    by_key = {
        "people": SimpleNamespace(label="People", unit=Unit.PEOPLE),
        "reciprocity": SimpleNamespace(label='Ties "returned" & <kept>', unit=Unit.SHARE),
        "density": SimpleNamespace(label="Density {0}", unit=Unit.RATIO),
    }
    values = [
        (12, 0.25, 0.0333),
        (HIDDEN, None, 1),
        (0, 1.0, Suppressed(SuppressionReason.DERIVABLE)),
    ]
    points = [
        SimpleNamespace(
            quarter=SimpleNamespace(start=date(2025, month, 1)), **dict(zip(fields, v, strict=True))
        )
        for month, v in zip((1, 4, 7), values, strict=True)
    ]
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):
            show, tr = words.shower(5), words.translator()
            for chosen in (points, points[:1], []):
                wanted = render_template_string(
                    QUARTERS_TEMPLATE,
                    points=chosen,
                    quarter_fields=fields,
                    measure_by_key=by_key,
                    quarter_label=quarter_label,
                    tr=tr,
                    show=show,
                )
                drawn = quarter_rows(chosen, fields, by_key, quarter_label, tr, show)
                assert wanted == f'<tbody role="rowgroup">{drawn}</tbody>'
            drawn = quarter_rows(points, fields, by_key, quarter_label, tr, show)
            assert "Ties &#34;returned&#34; &amp; &lt;kept&gt;" in drawn
            assert ("January to March 2025" in drawn) == (language == "en")


# The column_chart macro before column_parts.column_charts drew the whole chart
# (report_views/_macros.html), and the loop that called it.
CHART_TEMPLATE = (
    """{% macro column_chart(trend, id, when_label, when_format) %}
{% set chart = trend.chart %}
{% set figure = trend.figure %}{% set figure_label = tr(figure.label) %}
<figure class="chart column-chart" aria-labelledby="{{ id }}-title">
  <figcaption id="{{ id }}-title" class="chart-title">{{ figure_label }}</figcaption>
  <svg viewBox="0 0 {{ chart.width }} {{ chart.height }}" width="100%" role="img" aria-labelledby="{{ id }}-title {{ id }}-desc" focusable="false">
    <desc id="{{ id }}-desc">{{ _("One column for each %(slot)s. The table below has the same figures.", slot=when_label) }}</desc>
    {#- Each slot's column, marker and axis labels (report_views/column_parts.py). #}{{ column_marks(chart, when_format) }}<line class="axis" x1="10" y1="{{ chart.base }}" x2="{{ chart.width - 10 }}" y2="{{ chart.base }}" stroke-width="2"/>
  </svg>
  {% if chart.hidden %}<p class="hint">{{ ngettext("× marks %(num)s column not shown to protect privacy.", "× marks %(num)s columns not shown to protect privacy.", chart.hidden) }}</p>{% endif %}
  <details class="chart-table">
    <summary>{{ _("Show as a table") }}<span class="visually-hidden">: {{ figure_label }}</span></summary>
    <div class="table-scroll contained" role="region" aria-labelledby="{{ id }}-caption" tabindex="0">
    <table class="stack-table report-table" role="table">
      <caption id="{{ id }}-caption">{{ figure_label }}</caption>
      <thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">{{ when_label|capitalize }}</th><th scope="col" role="columnheader">{{ figure_label }}</th></tr></thead>
      <tbody role="rowgroup">{{ column_rows(chart, when_format, figure_label, show, figure.unit) }}</tbody>
    </table>
    </div>
  </details>
</figure>
{% endmacro %}"""  # noqa: E501, RUF001
    "{% for trend in trends %}{{ column_chart(trend, prefix ~ trend.figure.key,"
    " when_label, when_format) }}{% endfor %}"
)


def test_whole_charts_are_the_macros_in_each_language(app):
    """column_parts.column_charts draws what the column_chart macro drew for each
    trend: the figure's words (escaped), the SVG, the note of columns not shown (one or
    more), the table; months and quarters."""
    from timebank.quick_gettext import page_words
    from timebank.report_views.charts import Trend
    from timebank.report_views.column_parts import column_charts
    from timebank.reports.reciprocity.model import Figure

    def figure(key: str, label: str, unit: Unit) -> Figure:
        return Figure(key, label, "", unit, 1)

    quarters = [(date(2025, m, 1), v) for m, v in ((1, 3), (4, HIDDEN), (7, 0.25), (10, None))]
    months = [
        Trend(
            figure("hours", 'Hours <b>"given"</b> & taken', Unit.MINUTES),
            charts.columns(_series(12)),
        ),
        Trend(figure("people", "People", Unit.PEOPLE), charts.columns(_series(30))),
        Trend(figure("none", "Nothing", Unit.PEOPLE), charts.columns([])),
        Trend(
            figure("one", "One hidden", Unit.PEOPLE), charts.columns([(date(2025, 1, 1), HIDDEN)])
        ),
    ]
    by_quarter = [Trend(figure("share", "Share", Unit.SHARE), charts.columns(quarters))]
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):
            show, tr, words_here = words.shower(5), words.translator(), page_words()
            for trends, prefix, when, when_format in (
                (months, "trend-", "month", month_label),
                (by_quarter, "quarter-", "quarter", quarter_label),
                ([], "trend-", "month", month_label),
            ):
                when_label = words_here(when)
                wanted = render_template_string(
                    CHART_TEMPLATE,
                    trends=trends,
                    prefix=prefix,
                    when_label=when_label,
                    when_format=when_format,
                    column_marks=column_marks,
                    column_rows=column_rows,
                    tr=tr,
                    show=show,
                )
                drawn = column_charts(
                    trends, prefix, when_label, when_format, tr=tr, show=show, words=words_here
                )
                assert drawn == wanted
            drawn = column_charts(
                months,
                "trend-",
                words_here("month"),
                month_label,
                tr=tr,
                show=show,
                words=words_here,
            )
            assert "Hours &lt;b&gt;&#34;given&#34;&lt;/b&gt; &amp; taken" in drawn
            assert drawn.count('class="hint"') == 3  # the charts with columns not shown


# The data_table macro before table_rows.data_table drew the whole table
# (report_views/_macros.html).
DATA_TABLE_TEMPLATE = (
    """{% macro data_table(table, id, first_heading) %}{# Each column's words translated once, not in every cell. #}{% set column_labels = [] %}{% for column in table.columns %}{% set ignored = column_labels.append(tr(column.label)) %}{% endfor %}
<div class="table-scroll contained" role="region" aria-labelledby="{{ id }}-caption" tabindex="0">
<table class="stack-table report-table" role="table">
  <caption id="{{ id }}-caption">{{ tr(table.label) }}</caption>
  <thead role="rowgroup">
    <tr role="row"><th scope="col" role="columnheader">{{ first_heading }}</th>{% for column in table.columns %}<th scope="col" role="columnheader">{{ column_labels[loop.index0] }}</th>{% endfor %}</tr>
  </thead>
  <tbody role="rowgroup">{# Each row's cells: report_views/table_rows.py. #}{{ table_body(table, column_labels, show) }}</tbody>
</table>
</div>
{% endmacro %}"""  # noqa: E501
    "{{ data_table(table, id, first_heading) }}"
)


def test_a_whole_table_is_the_macros_in_each_language(app):
    """table_rows.data_table draws what the data_table macro drew: the caption and
    each column's words translated and escaped, the first heading, the rows."""
    from functools import partial

    from timebank.report_views.table_rows import data_table, table_body
    from timebank.reports.reciprocity.model import Column, Row, Scope, Table

    columns = (
        Column("given", "Hours given", Unit.MINUTES),
        Column("people", 'People <b>"all"</b> & more', Unit.PEOPLE),
    )
    rows = (
        Row("participant", "Participants", True, (120, 7)),
        Row("category:1", 'Tŷ & <b>"garden"</b>', False, (HIDDEN, None)),
    )
    total = Row("total", "Total", True, (165.5, 12))
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):
            show, tr = words.shower(5), words.translator()
            for table_total in (total, None):
                for label in ("Groups of members", 'A <table> & "more"'):
                    table = Table("t", label, "", Scope.WHOLE, columns, rows, table_total)
                    for first in ("Members who", "<b>Gave</b> & took"):
                        wanted = render_template_string(
                            DATA_TABLE_TEMPLATE,
                            table=table,
                            id="balance-table",
                            first_heading=first,
                            tr=tr,
                            show=show,
                            table_body=table_body,
                        )
                        drawn = partial(data_table, tr=tr, show=show)(table, "balance-table", first)
                        assert drawn == wanted
