"""The reciprocity report as CSV: the same figures and the same suppression as the
page, with the banks, the period, the definitions and the date on it.

One file in blocks, each block a title line, a header line and its rows, blank lines
between. Minutes are written as hours with two decimals, pence as pounds, shares as
proportions (0.25) with four decimals; a suppressed number is written as words saying
why, never as 0 or a blank; a blank is a number that is not defined (nothing to divide
by). Cells go through ``exports.safe_cell``, so nothing can run as a spreadsheet formula.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from timebank.reports.audit_wording import ENGLISH, Wording
from timebank.reports.exports import BOM, _csv, hours
from timebank.reports.reciprocity.model import (
    Figure,
    Graph,
    NamedMember,
    ReciprocityReport,
    Suppressed,
    Table,
    Unit,
    Value,
)
from timebank.reports.reciprocity.wording import (
    FIGURES,
    NODE_KINDS,
    NOTES,
    SUPPRESSED_WORDS,
    _l,
)

SCOPE_WORDS = {
    "whole": _l("Every member"),
    "consenting": _l("Members who agreed to reporting"),
}
UNIT_WORDS = {
    Unit.MINUTES: _l("hours"),
    Unit.EXCHANGES: _l("exchanges"),
    Unit.PEOPLE: _l("people"),
    Unit.SHARE: _l("share (0 to 1)"),
    Unit.RATIO: _l("ratio"),
    Unit.INDEX: _l("index"),
    Unit.PENCE: _l("pounds"),
    Unit.DAYS: _l("days"),
    Unit.NUMBER: _l("number"),
}
AUDIENCE_WORDS = {"partner": _l("Partner"), "coordinator": _l("Coordinator")}


def cell(value: Value, unit: Unit, w: Wording) -> Any:
    """One number as the CSV shows it."""
    if isinstance(value, Suppressed):
        return w.gettext(SUPPRESSED_WORDS[str(value.reason)])
    if value is None:
        return ""
    if unit == Unit.MINUTES:
        return (Decimal(str(value)) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if unit == Unit.PENCE:
        return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))
    if isinstance(value, float):
        return round(value, 4)
    return value


def report_csv(report: ReciprocityReport, *, w: Wording = ENGLISH) -> Iterator[str]:
    """Yield the report as pieces of CSV text (UTF-8 with a byte-order mark first):
    a heading block (title, banks, period, previous period, audience, threshold, date
    made, notes), then one block per section with a header row, each figure's meaning,
    and words in place of any number a partner may not see. ``w`` translates the
    msgids; numbers stay numbers."""
    yield BOM + _csv(_heading(report, w))
    sections = [
        (_l("Headline"), _figures(report.headline, w, compared=True)),
        (_l("Mutuality"), _figures(report.mutuality, w)),
        (None, _table(report.mutuality.groups, w)),
        (None, _table(report.mutuality.balance_index, w)),
        (_l("Shared roles"), _figures(report.shared_roles, w)),
        (None, _table(report.shared_roles.flows, w)),
        (_l("Assets"), _figures(report.assets, w)),
        (None, _table(report.assets.offers, w)),
        (_l("Core economy"), _figures(report.core_economy, w)),
        (None, _table(report.core_economy.by_category, w)),
        (_l("Community pot"), _figures(report.pot, w)),
        (_l("Month by month"), _trends(report, w)),
        (_l("Network"), _figures(report.network.measures, w)),
        (_l("Network by quarter"), _quarters(report, w)),
        (_l("Network picture as a table"), _graph_rows(report.network.graph, w)),
    ]
    if report.coordinator is not None:
        lists = report.coordinator
        sections += [
            (_l("Only received in the period"), _named(lists.only_received, w)),
            (_l("Never given time"), _named(lists.never_given, w)),
            (_l("Quiet for three months"), _named(lists.quiet, w)),
            (_l("Brokers in the network"), _named(lists.brokers, w)),
        ]
    for title, rows in sections:
        block: list[Sequence[Any]] = [[]]
        if title is not None:
            block.append([w.gettext(title)])
        block.extend(rows)
        yield _csv(block)


def _heading(report: ReciprocityReport, w: Wording) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [w.gettext("Reciprocity report")],
        [w.gettext("Time banks"), "; ".join(b.name for b in report.banks)],
        [w.gettext("Period"), report.period.start, report.period.end],
        [w.gettext("Compared with"), report.previous_period.start, report.previous_period.end],
        [w.gettext("Prepared for"), w.gettext(AUDIENCE_WORDS[str(report.audience)])],
        [w.gettext("Small-number threshold (people)"), report.threshold],
        [w.gettext("Made (UTC)"), report.generated_at.replace(microsecond=0)],
        [
            w.gettext("Replacement cost rate (pounds per hour)"),
            cell(report.core_economy.rate_pence, Unit.PENCE, w),
        ],
    ]
    rows += [[w.gettext("Note"), w.gettext(note)] for note in report.notes]
    return rows


def _figures(section: object, w: Wording, *, compared: bool = False) -> list[list[Any]]:
    header = [w.gettext("Figure"), w.gettext("This period")]
    if compared:
        header += [w.gettext("Previous period"), w.gettext("Change")]
    header += [w.gettext("Unit"), w.gettext("Counts"), w.gettext("What it means")]
    rows: list[list[Any]] = [header]
    for value in vars(section).values():
        if not isinstance(value, Figure):
            continue
        row = [w.gettext(value.label), cell(value.value, value.unit, w)]
        if compared:
            row += [cell(value.previous, value.unit, w), cell(value.change, value.unit, w)]
        row += [
            w.gettext(UNIT_WORDS[value.unit]),
            w.gettext(SCOPE_WORDS[str(value.scope)]),
            w.gettext(value.meaning),
        ]
        rows.append(row)
    return rows


def _table(table: Table, w: Wording) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [w.gettext(table.label)],
        [w.gettext(table.meaning)],
        [w.gettext("Counts"), w.gettext(SCOPE_WORDS[str(table.scope)])],
        ["", *(_column_heading(c.label, c.unit, w) for c in table.columns)],
    ]
    for row in (*table.rows, *((table.total,) if table.total else ())):
        label = w.gettext(row.label) if row.translate else row.label
        rows.append(
            [label, *(cell(v, c.unit, w) for v, c in zip(row.cells, table.columns, strict=True))]
        )
    return rows


def _column_heading(label: str, unit: Unit, w: Wording) -> str:
    """A column's label, with its unit where the label does not say it."""
    text = w.gettext(label)
    unit_text = w.gettext(UNIT_WORDS[unit])
    if unit in (Unit.PEOPLE, Unit.EXCHANGES) or text.lower() == unit_text.lower():
        return text
    return f"{text} ({unit_text})"


TREND_FIGURES = (
    ("hours", Unit.MINUTES),
    ("exchanges", Unit.EXCHANGES),
    ("hours_per_exchange", Unit.MINUTES),
    ("registered", Unit.PEOPLE),
    ("active", Unit.PEOPLE),
    ("active_rate", Unit.SHARE),
)


def _trends(report: ReciprocityReport, w: Wording) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [
            w.gettext("From"),
            w.gettext("To"),
            *(w.gettext(FIGURES[key][0]) for key, _ in TREND_FIGURES),
        ]
    ]
    for point in report.trends:
        rows.append(
            [
                point.month.start,
                point.month.end,
                *(cell(getattr(point, key), unit, w) for key, unit in TREND_FIGURES),
            ]
        )
    return rows


def _quarters(report: ReciprocityReport, w: Wording) -> list[list[Any]]:
    measures = report.network.measures
    keys = [k for k in vars(measures) if k != "people"]
    rows: list[list[Any]] = [
        [
            w.gettext("From"),
            w.gettext("To"),
            w.gettext(measures.people.label),
            *(w.gettext(getattr(measures, k).label) for k in keys),
        ]
    ]
    for point in report.network.by_quarter:
        rows.append(
            [
                point.quarter.start,
                point.quarter.end,
                cell(point.people, Unit.PEOPLE, w),
                *(cell(getattr(point, k), getattr(measures, k).unit, w) for k in keys),
            ]
        )
    return rows


def _graph_rows(graph: Graph | Suppressed, w: Wording) -> list[list[Any]]:
    if isinstance(graph, Suppressed):
        return [[w.gettext(NOTES["graph_too_small"])]]
    header = [w.gettext("From"), w.gettext("Kind")]
    if not graph.pseudonymised:
        header.append(w.gettext("Name"))
    header += [w.gettext("To"), w.gettext("Kind")]
    if not graph.pseudonymised:
        header += [w.gettext("Name"), w.gettext("Hours")]
    else:
        header.append(w.gettext("Hours band (1: under 2, 2: 2-5, 3: 5-10, 4: 10-20, 5: 20+)"))
    header += [w.gettext("Returned"), w.gettext("Time (not credits)")]
    rows: list[list[Any]] = [header]
    yes, no = w.gettext("yes"), w.gettext("no")
    for r in graph.rows():
        row: list[Any] = [r.source, w.gettext(NODE_KINDS[r.source_kind.value])]
        if not graph.pseudonymised:
            row.append(r.source_label or "")
        row += [r.target, w.gettext(NODE_KINDS[r.target_kind.value])]
        if not graph.pseudonymised:
            row += [r.target_label or "", hours(r.minutes or 0)]
        else:
            row.append(int(r.weight))
        row += [yes if r.reciprocated else no, yes if r.time else no]
        rows.append(row)
    return rows


def _named(members: tuple[NamedMember, ...], w: Wording) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [
            w.gettext("Member number"),
            w.gettext("Name"),
            w.gettext("Kind"),
            w.gettext("Hours received"),
            w.gettext("Last exchange"),
            w.gettext("Betweenness"),
        ]
    ]
    for m in members:
        rows.append(
            [
                m.membership_id,
                m.name,
                w.gettext(NODE_KINDS.get(m.kind, m.kind)),
                hours(m.minutes) if m.minutes is not None else "",
                m.last_exchange or "",
                m.score if m.score is not None else "",
            ]
        )
    return rows
