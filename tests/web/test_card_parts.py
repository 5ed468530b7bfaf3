"""The figure cards and bar chart's bars as HTML (report_views/card_parts.py) are what
the ``figure_card`` macro and ``bar_chart``'s loop drew, byte for byte, in English and
Welsh: values not shown, changes or none, a consenting-only figure marked, words
escaped."""

from __future__ import annotations

from flask import g, render_template_string

from timebank.report_views import words
from timebank.report_views.card_parts import bar_items, figure_cards
from timebank.report_views.charts import Bar
from timebank.reports.reciprocity.model import (
    Figure,
    Scope,
    Suppressed,
    SuppressionReason,
    Unit,
)

# The cards macro's loop and the figure_card macro before card_parts
# (report_views/_macros.html).
CARDS_TEMPLATE = """{% macro figure_card(figure, change=none, mark_scope=false) %}
<li class="card figure-card">
  <h3 class="figure-label">{{ tr(figure.label) }}{% if mark_scope and figure.scope == 'consenting' %}<span aria-hidden="true"> *</span><span class="visually-hidden"> ({{ _("members who agreed to reporting") }})</span>{% endif %}</h3>
  <p class="figure{% if is_suppressed(figure.value) %} figure-suppressed{% endif %}">{{ show(figure.value, figure.unit) }}</p>
  {% if change %}<p class="change change-{{ change.direction }}">{{ change.words }}</p>{% endif %}
  <p class="meaning">{{ tr(figure.meaning) }}</p>
</li>
{% endmacro %}<ul class="figure-cards">
  {% for figure in figures %}{{ figure_card(figure, changes[loop.index0] if changes else none, mark_scope=mixed) }}{% endfor %}
</ul>"""  # noqa: E501
# bar_chart's loop before card_parts.
BARS_TEMPLATE = """<ul class="bars">
    {% for bar in bars %}
    <li>
      <span class="bar-label">{{ bar.label }}</span>
      <span class="bar-track">{% if bar.fraction is not none and bar.fraction > 0 %}<svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false"><rect class="bar bar-{{ loop.index0 % 2 }}" x="0" y="0" width="{{ (bar.fraction * 100)|round(2) }}" height="10"/></svg>{% endif %}</span>
      <span class="bar-value">{{ show(bar.value, unit) }}</span>
    </li>
    {% endfor %}
  </ul>"""  # noqa: E501

HIDDEN = Suppressed(SuppressionReason.SMALL)


def _figures() -> list[Figure]:
    return [
        Figure("hours", "Hours exchanged", "Time given <and> received", Unit.MINUTES, 750, 600),
        Figure("rate", "Two-way", 'Share "both ways" & more', Unit.SHARE, 0.25, None),
        Figure("people", "People", "How many", Unit.PEOPLE, HIDDEN, 4, Scope.CONSENTING),
        Figure("none", "Ratio", "Not defined", Unit.RATIO, None, None, Scope.CONSENTING),
        Figure("money", "Value", "Pounds", Unit.PENCE, 123456, 100000),
    ]


def test_the_cards_are_the_macros_in_each_language(app):
    figures = _figures()
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):
            show, tr = words.shower(5), words.translator()
            changes = [words.change(figure, 5) for figure in figures]
            changes[1] = None
            for chosen_changes in (None, changes, []):
                for mixed in (False, True, [], [figures[2]]):
                    wanted = render_template_string(
                        CARDS_TEMPLATE,
                        figures=figures,
                        changes=chosen_changes,
                        mixed=mixed,
                        tr=tr,
                        show=show,
                        is_suppressed=lambda value: isinstance(value, Suppressed),
                    )
                    drawn = figure_cards(figures, chosen_changes, bool(mixed), tr, show)
                    assert wanted == f'<ul class="figure-cards">\n  {drawn}\n</ul>'
            drawn = figure_cards(figures, changes, True, tr, show)
            assert drawn.count(" *</span>") == 2
            assert "Time given &lt;and&gt; received" in drawn
            assert "figure-suppressed" in drawn
            assert ("Hours exchanged" in drawn) == (language == "en")


def test_the_bars_are_the_loops_in_each_language(app):
    bars = [
        Bar("a", "Gardening & <b>DIY</b>", 120, 1.0),
        Bar("b", "Lifts", HIDDEN, None),
        Bar("c", 'Tŷ "ni"', 0, 0.0),
        Bar("d", "Shopping", 45.5, 0.37915),
        Bar("e", "None", None, None),
        Bar("f", "Reading", 1, 0.001),
    ]
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):
            show = words.shower(5)
            for chosen in (bars, bars[1:], []):
                for unit in (Unit.MINUTES, Unit.SHARE):
                    wanted = render_template_string(
                        BARS_TEMPLATE, bars=chosen, unit=unit, show=show
                    )
                    assert wanted == f'<ul class="bars">{bar_items(chosen, unit, show)}</ul>'
            assert "Gardening &amp; &lt;b&gt;DIY&lt;/b&gt;" in bar_items(bars, Unit.MINUTES, show)


# The cards macro and its scope note before card_parts.figure_group
# (report_views/_macros.html).
GROUP_TEMPLATE = (
    """{% macro cards(figures, changes=none) %}
{% set consenting = figures|selectattr('scope', 'equalto', 'consenting')|list if report.audience == 'partner' else [] %}
{% set mixed = report.audience == 'partner' and consenting and consenting|length < figures|length %}
<ul class="figure-cards">
  {{ figure_cards(figures, changes, mixed, tr, show) }}
</ul>
{{ section_scope(figures) }}
{% endmacro %}{% macro section_scope(figures) %}
{% if report.audience == 'partner' and figures|selectattr('scope', 'equalto', 'consenting')|list %}<p class="scope-note">{% if figures|selectattr('scope', 'equalto', 'whole')|list %}{{ _("Figures marked * count only members who agreed to partner reporting; the others count every member.") }}{% else %}{{ _("These figures count only members who agreed to partner reporting.") }}{% endif %}</p>{% endif %}
{% endmacro %}"""  # noqa: E501
    "{{ cards(figures, changes) }}"
)


def test_a_group_of_cards_is_the_macros_for_partners_and_coordinators(app):
    """card_parts.figure_group draws what the cards macro drew: for a partner, figures
    counting only consenting members marked where some count every member, and the
    note below; for a coordinator, neither."""
    from functools import partial
    from types import SimpleNamespace

    from timebank.quick_gettext import page_words
    from timebank.report_views.card_parts import figure_cards, figure_group

    figures = _figures()
    whole = [f for f in figures if f.scope == Scope.WHOLE]
    consenting = [f for f in figures if f.scope == Scope.CONSENTING]
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):
            show, tr, words_here = words.shower(5), words.translator(), page_words()
            changes = [words.change(figure, 5) for figure in figures]
            for audience in ("partner", "coordinator"):
                group = partial(
                    figure_group,
                    partner=audience == "partner",
                    tr=tr,
                    show=show,
                    words=words_here,
                )
                for chosen, chosen_changes in (
                    (figures, changes),
                    (figures, None),
                    (whole, None),
                    (consenting, None),
                    ([], None),
                ):
                    wanted = render_template_string(
                        GROUP_TEMPLATE,
                        figures=chosen,
                        changes=chosen_changes,
                        report=SimpleNamespace(audience=audience),
                        figure_cards=figure_cards,
                        tr=tr,
                        show=show,
                        _=words_here,
                    )
                    assert group(chosen, chosen_changes) == wanted
            partners = figure_group(figures, partner=True, tr=tr, show=show, words=words_here)
            assert partners.count(" *</span>") == 2
            assert 'class="scope-note"' in partners


# The bar_chart macro (with scope_note, and data_table as it calls table_rows) before
# card_parts.bar_chart (report_views/_macros.html).
BAR_CHART_TEMPLATE = (
    """{% macro scope_note(scope) %}
{% if scope == 'consenting' and report.audience == 'partner' %}<p class="scope-note">{{ _("Counts only members who agreed to partner reporting.") }}</p>{% endif %}
{% endmacro %}{% macro data_table(table, id, first_heading) %}{{ data_table_html(table, id, first_heading) }}{% endmacro %}"""  # noqa: E501
    + """{% macro bar_chart(bars, table, column, id, first_heading) %}
<figure class="bar-chart" aria-labelledby="{{ id }}-title">
  <figcaption id="{{ id }}-title" class="chart-title">{{ tr(table.label) }}</figcaption>
  <ul class="bars">{# Each bar: report_views/card_parts.py. #}{{ bar_items(bars, table.columns[column].unit, show) }}</ul>
  <details class="chart-table">
    <summary>{{ _("Show as a table") }}<span class="visually-hidden">: {{ tr(table.label) }}</span></summary>
    {{ data_table(table, id ~ '-table', first_heading) }}
  </details>
</figure>
<p class="meaning">{{ tr(table.meaning) }}</p>
{{ scope_note(table.scope) }}
{% endmacro %}"""  # noqa: E501
    "{{ bar_chart(bars, table, 0, 'offers', first_heading) }}"
)


def test_a_whole_bar_chart_is_the_macros_for_partners_and_coordinators(app):
    """card_parts.bar_chart draws what the bar_chart macro drew: the bars, the table,
    the meaning, and for a partner a breakdown of consenting members said to be one."""
    from functools import partial
    from types import SimpleNamespace

    from timebank.quick_gettext import page_words
    from timebank.report_views.card_parts import bar_chart, bar_items
    from timebank.report_views.charts import bars
    from timebank.report_views.table_rows import data_table
    from timebank.report_views.words import row_label
    from timebank.reports.reciprocity.model import Column, Row, Table

    columns = (Column("hours", "Hours <given>", Unit.MINUTES),)
    rows = (
        Row("a", 'Gardening & <b>"DIY"</b>', False, (120,)),
        Row("b", "Lifts", False, (HIDDEN,)),
        Row("none", "None", True, (0,)),
    )
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):
            show, tr, words_here = words.shower(5), words.translator(), page_words()
            table_here = partial(data_table, tr=tr, show=show)
            for scope in (Scope.CONSENTING, Scope.WHOLE):
                table = Table("offers", "Kinds of <help>", "What & why", scope, columns, rows, None)
                drawn_bars = bars(table, 0, row_label)
                for audience in ("partner", "coordinator"):
                    wanted = render_template_string(
                        BAR_CHART_TEMPLATE,
                        bars=drawn_bars,
                        table=table,
                        first_heading="Kind of <help>",
                        report=SimpleNamespace(audience=audience),
                        bar_items=bar_items,
                        data_table_html=table_here,
                        tr=tr,
                        show=show,
                        _=words_here,
                    )
                    drawn = bar_chart(
                        drawn_bars,
                        table,
                        0,
                        "offers",
                        "Kind of <help>",
                        partner=audience == "partner",
                        tr=tr,
                        show=show,
                        words=words_here,
                        data_table=table_here,
                    )
                    assert drawn == wanted
                    assert ('class="scope-note"' in drawn) == (
                        audience == "partner" and scope == Scope.CONSENTING
                    )
