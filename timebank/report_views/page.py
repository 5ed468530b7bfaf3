"""What the report's pages show, prepared from a report: the summary a commissioner
reads first, the headline with its changes, the charts, and the network view's data.
Shared by the partners' pages, the coordinators' version and the PDF."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import date
from functools import partial
from typing import Any, TypeVar

from timebank.filters import format_currency, format_date, month_abbr, month_year
from timebank.quick_gettext import gettext as _
from timebank.quick_gettext import page_words
from timebank.report_views import charts, graph, words
from timebank.report_views.card_parts import bar_chart, figure_group
from timebank.report_views.charts import Trend
from timebank.report_views.column_parts import column_charts
from timebank.report_views.flow_parts import flow_parts
from timebank.report_views.people_rows import people_rows_drawer
from timebank.report_views.picture import picture_parts
from timebank.report_views.reading import broker_nodes
from timebank.report_views.table_rows import data_table, quarter_rows
from timebank.reports.reciprocity import Graph, ReciprocityReport, Suppressed, Unit, is_shown

HEADLINE = ("hours", "exchanges", "hours_per_exchange", "registered", "active", "active_rate")
# The measures drawn quarter by quarter (all of them are in the table).
T = TypeVar("T")

QUARTER_CHARTS = ("people", "reciprocity", "cycle_share", "density", "mean_partners")


def report_title(report: ReciprocityReport) -> str:
    if len(report.banks) == 1:
        return report.banks[0].name
    return _("%(count)s time banks combined", count=len(report.banks))


def summary(report: ReciprocityReport) -> list[tuple[str, str]]:
    """The three questions a commissioner asks, each answered in one sentence from the
    report's own figures (or saying that a figure is held back)."""
    t = report.threshold
    m, s, c = report.mutuality, report.shared_roles, report.core_economy
    answers = []
    if is_shown(m.two_way_rate.value):
        mutuality = _(
            "%(rate)s of the active members counted both gave and received time.",
            rate=words.plain(m.two_way_rate.value, Unit.SHARE),
        )
    else:
        mutuality = words.text(m.two_way_rate.value, Unit.SHARE, t)
    answers.append((_("Mutuality"), mutuality))
    if is_shown(s.index.value):
        shared = _(
            "Participants gave professionals and organisations %(index)s hours for every"
            " hour they received from them.",
            index=words.plain(s.index.value, Unit.RATIO),
        )
    else:
        shared = words.text(s.index.value, Unit.RATIO, t)
    answers.append((_("Shared roles"), shared))
    if is_shown(c.hours.value) and is_shown(c.value.value):
        core = _(
            "%(hours)s given, worth %(value)s at %(rate)s an hour: the replacement cost,"
            " not a social return.",
            hours=words.plain(c.hours.value, Unit.MINUTES),
            value=words.plain(c.value.value, Unit.PENCE),
            rate=_money(c.rate_pence),
        )
    else:
        core = words.text(c.value.value, Unit.PENCE, t)
    answers.append((_("Core economy"), core))
    growth = words.change(report.headline.hours, t)
    answers.append((_("Hours exchanged"), growth.words))
    return answers


def _money(pence: int) -> str:
    return format_currency(pence / 100, "GBP")


def report_context(report: ReciprocityReport) -> dict:
    """Everything the report page (and the PDF) draws, besides the report itself."""
    t = report.threshold
    headline = [getattr(report.headline, key) for key in HEADLINE]
    trends = [
        Trend(
            figure=figure,
            chart=charts.columns(
                [(point.month.start, getattr(point, figure.key)) for point in report.trends]
            ),
        )
        for figure in headline
    ]
    return {
        "title": report_title(report),
        "summary": summary(report),
        "headline": [(figure, words.change(figure, t)) for figure in headline],
        "balance_bars": charts.bars(report.mutuality.balance_index, 0, words.row_label),
        "offers_bars": charts.bars(report.assets.offers, 0, words.row_label),
        "core_bars": charts.bars(report.core_economy.by_category, 0, words.row_label),
        "flows_drawn": charts.flows(report.shared_roles.flows, words.row_label),
        "trends": trends,
        "rate": _money(report.core_economy.rate_pence),
        "kind_words": graph.kind_words(),
        **helpers(report),
    }


def month_label(day: date, long: bool = False) -> str:
    return month_year(day) if long else month_abbr(day)


def quarter_label(day: date, long: bool = False) -> str:
    """ "Q2 2026" on the axis; "April to June 2026" in the table."""
    if not long:
        return _("Q%(quarter)s %(year)s", quarter=(day.month - 1) // 3 + 1, year=day.year)
    last = date(day.year, day.month + 2, 1)
    return _(
        "%(first)s to %(last)s",
        first=format_date(day, "LLLL"),
        last=month_year(last),
    )


def _once_per_render(function: Callable[..., T]) -> Callable[..., T]:
    """``function`` worked out once per distinct arguments for one render: the six
    trend charts name the same months (on their axes and in their tables) and a bar
    chart shows each value twice. Made anew for each render, so nothing is kept across
    requests or languages. The arguments' types are part of the key (1 and 1.0 and
    True are shown differently by some units)."""
    done: dict[tuple, T] = {}

    def once(*args: Any, **kwargs: Any) -> T:
        key = (*args, *map(type, args), *sorted(kwargs.items()))
        if key not in done:
            done[key] = function(*args, **kwargs)
        return done[key]

    return once


def helpers(report: ReciprocityReport) -> dict:
    t = report.threshold
    # The body templates' words with the catalogue looked up once (they autoescape), and
    # the values' and the report's words with the locale and catalogue looked up once.
    page_words_here, show, tr = page_words(), words.shower(t), words.translator()
    data_table_here = partial(data_table, tr=tr, show=show)
    partner = report.audience == "partner"
    return {
        "_": page_words_here,
        "month_label": _once_per_render(month_label),
        "quarter_label": _once_per_render(quarter_label),
        "show": show,
        "text": lambda value, unit: words.text(value, unit, t),
        "column_charts": partial(column_charts, tr=tr, show=show, words=page_words_here),
        "figure_group": partial(
            figure_group,
            partner=partner,
            tr=tr,
            show=show,
            words=page_words_here,
        ),
        "flow_parts": flow_parts,
        "bar_chart": partial(
            bar_chart,
            partner=partner,
            tr=tr,
            show=show,
            words=page_words_here,
            data_table=data_table_here,
        ),
        "people_rows": people_rows_drawer(),
        "data_table_html": data_table_here,
        "quarter_rows": quarter_rows,
        "tr": tr,
        "row_label": words.row_label,
        "is_shown": is_shown,
        "is_suppressed": lambda value: isinstance(value, Suppressed),
        "threshold": t,
    }


def network_picture_context(
    report: ReciprocityReport, brokers: dict[str, float] | None = None
) -> dict:
    """The network view's picture: its data and its text alternative (a partner's with
    new pseudonyms on every call). ``brokers``: ``broker_nodes(report)``, when the
    caller has read them already."""
    picture = report.network.graph
    if brokers is None:
        brokers = broker_nodes(report)
    return {
        "title": report_title(report),
        "picture": picture if isinstance(picture, Graph) else None,
        "picture_hidden": picture if isinstance(picture, Suppressed) else None,
        "parts": picture_parts(picture, brokers) if isinstance(picture, Graph) else None,
        "kind_words": graph.kind_words(),
        **helpers(report),
    }


def network_measures_context(report: ReciprocityReport) -> dict:
    """The network view's measures and how they moved quarter by quarter."""
    quarter_fields = [f.name for f in fields(report.network.measures)]
    by_key = {name: getattr(report.network.measures, name) for name in quarter_fields}
    measures = list(by_key.values())
    charts_by_quarter = [
        Trend(
            figure=by_key[key],
            chart=charts.columns(
                [(point.quarter.start, getattr(point, key)) for point in report.network.by_quarter]
            ),
        )
        for key in QUARTER_CHARTS
        if key in by_key
    ]
    return {
        "measures": measures,
        "quarter_fields": quarter_fields,
        "measure_by_key": by_key,
        "quarter_charts": charts_by_quarter,
        **helpers(report),
    }


def network_context(report: ReciprocityReport, brokers: dict[str, float] | None = None) -> dict:
    """The whole network view: its picture and its measures."""
    return {**network_picture_context(report, brokers), **network_measures_context(report)}
