"""The reciprocity report as frozen dataclasses: what the pages, the charts and the
exports read.

Every number is a :data:`Value`: an ``int`` or ``float``, ``None`` when it is not
defined (nothing to divide by: no exchanges, no active members), or a
:class:`Suppressed` marker where a partner may not see it. Minutes are whole minutes
(the web shows hours); shares are proportions from 0 to 1; money is pence.

Words: ``label`` and ``meaning`` are English msgids (marked for the catalogue in
``timebank.reports.reciprocity.wording``); the web layer passes them through gettext.
A :class:`Row` label is a msgid when ``translate`` is true, otherwise a name from the
time bank's own settings (a category) shown as it is. A partner's report holds no
person's name, no per-person row and nothing a member wrote.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeGuard

from timebank.reports.reciprocity.period import Audience, Period


class Unit(enum.StrEnum):
    MINUTES = "minutes"  # time; hours per exchange is a float number of minutes
    EXCHANGES = "exchanges"  # a count of exchanges (a group exchange counts once per person)
    PEOPLE = "people"  # a count of people: never 1..threshold-1 in a partner's report
    SHARE = "share"  # a proportion, 0 to 1
    RATIO = "ratio"  # a ratio that can pass 1 (the shared-roles index)
    INDEX = "index"  # Gini 0..1, size-corrected reciprocity -1..1, centralisation 0..1
    PENCE = "pence"
    DAYS = "days"
    NUMBER = "number"  # another count or mean (components, partners per member)


class SuppressionReason(enum.StrEnum):
    # Describes between 1 and threshold-1 people.
    SMALL = "small"
    # Could be worked out, with the figures shown beside it, from a figure that is small.
    DERIVABLE = "derivable"


@dataclass(frozen=True)
class Suppressed:
    """In place of a number a partner may not see."""

    reason: SuppressionReason

    def __str__(self) -> str:
        return "suppressed"


SMALL = Suppressed(SuppressionReason.SMALL)
DERIVABLE = Suppressed(SuppressionReason.DERIVABLE)

Value = int | float | Suppressed | None


def is_shown(value: Value) -> TypeGuard[int | float]:
    """Whether a value is a number to show (neither suppressed nor undefined)."""
    return value is not None and not isinstance(value, Suppressed)


class Scope(enum.StrEnum):
    """Whom a figure counts. Whole-bank totals count every member; in a partner's
    report every breakdown, distribution and network view counts only members who
    agreed to partner reporting (``consent_reporting``). A coordinator's report counts
    every member everywhere (all its figures are WHOLE)."""

    WHOLE = "whole"
    CONSENTING = "consenting"


@dataclass(frozen=True)
class Figure:
    """One number with its words. ``previous`` is the same figure for the previous
    period of the same length, where the report compares (the headline); otherwise
    None."""

    key: str
    label: str
    meaning: str
    unit: Unit
    value: Value
    previous: Value = None
    scope: Scope = Scope.WHOLE

    @property
    def change(self) -> Value:
        """``value - previous``: None when either is undefined or there is no previous
        figure, suppressed when either is suppressed."""
        if isinstance(self.value, Suppressed):
            return self.value
        if isinstance(self.previous, Suppressed):
            return self.previous
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: Unit


@dataclass(frozen=True)
class Row:
    """One row of a table, one bar of a chart. ``key`` is stable ("participant",
    "category:gardening", "sensitive", "none", "bin:balanced"); ``cells`` follow the
    table's columns."""

    key: str
    label: str
    translate: bool
    cells: tuple[Value, ...]


@dataclass(frozen=True)
class Table:
    key: str
    label: str
    meaning: str
    scope: Scope
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    total: Row | None = None


@dataclass(frozen=True)
class Headline:
    """Whole-bank figures, each with the previous period's value."""

    hours: Figure  # Unit.MINUTES
    exchanges: Figure  # Unit.EXCHANGES
    hours_per_exchange: Figure  # Unit.MINUTES (float)
    registered: Figure  # Unit.PEOPLE, at the end of the period
    active: Figure  # Unit.PEOPLE, gave or received time in the period
    active_rate: Figure  # Unit.SHARE, active / registered


@dataclass(frozen=True)
class Mutuality:
    people: Figure  # active members these figures count (PEOPLE)
    two_way_rate: Figure  # SHARE: gave and received / active
    only_give: Figure  # SHARE
    only_receive: Figure  # SHARE
    groups: Table  # rows two_way, only_give, only_receive; columns people, share
    balance_index: Table  # rows bin:*; columns people, share
    gini: Figure  # INDEX: Gini of hours given among active members


@dataclass(frozen=True)
class SharedRoles:
    # Rows: who gave (participant, professional, organisation, pot); columns: who
    # received (the same four). Cells in minutes. Cells between people and
    # organisations are time; a cell into the pot is credits donated, a cell out of
    # it credits granted (moves of credits, not time).
    flows: Table
    index: Figure  # RATIO: participants -> professionals+organisations over the reverse


@dataclass(frozen=True)
class Assets:
    offers: Table  # rows categories (+ sensitive, for partners); column people offering
    participants_who_gave: Figure  # SHARE of participants who have ever given time
    median_days_to_first_gift: Figure  # DAYS from joining to first giving time


@dataclass(frozen=True)
class CoreEconomy:
    hours: Figure  # MINUTES, whole bank (the headline hours)
    value: Figure  # PENCE: hours x rate, labelled replacement cost
    rate_pence: int  # the hourly rate used
    # True in a combined report over banks with different rates: the lowest is used.
    lowest_of_several_rates: bool
    by_category: Table  # rows categories (+ sensitive, none); columns minutes, pence


@dataclass(frozen=True)
class Pot:
    inflow: Figure  # MINUTES of credits donated to the community pot
    outflow: Figure  # MINUTES of credits granted from it
    people_helped: Figure  # PEOPLE granted credits
    donors: Figure  # PEOPLE who donated (organisations are not counted as people)


@dataclass(frozen=True)
class TrendPoint:
    """The headline figures for one calendar month (cut to the period)."""

    month: Period
    hours: Value
    exchanges: Value
    hours_per_exchange: Value
    registered: Value
    active: Value
    active_rate: Value


@dataclass(frozen=True)
class NetworkMeasures:
    """The exchange network: people and organisations as nodes, an edge from giver to
    receiver weighted by the hours between them (time only: the pot is not in it)."""

    people: Figure  # PEOPLE in the network
    reciprocity: Figure  # SHARE of directed ties that are returned
    weighted_reciprocity: Figure  # SHARE: sum(min(w_ij, w_ji)) / sum(w_ij)
    size_corrected_reciprocity: Figure  # INDEX: (r - d) / (1 - d)
    cycle_share: Figure  # SHARE of hours on directed cycles of three or more
    strongly_connected_share: Figure  # SHARE of nodes in the largest strongly connected part
    density: Figure  # SHARE: L / (n (n - 1))
    mean_partners: Figure  # NUMBER of distinct people or organisations per member
    components: Figure  # NUMBER of (weakly) connected parts
    giant_share: Figure  # SHARE of nodes in the largest part
    centralisation: Figure  # INDEX: Freeman degree centralisation, 0 to 1


@dataclass(frozen=True)
class QuarterPoint:
    """The network measures for one calendar quarter (values only; the words are the
    NetworkMeasures figures')."""

    quarter: Period
    people: Value
    reciprocity: Value
    weighted_reciprocity: Value
    size_corrected_reciprocity: Value
    cycle_share: Value
    strongly_connected_share: Value
    density: Value
    mean_partners: Value
    components: Value
    giant_share: Value
    centralisation: Value


class NodeKind(enum.StrEnum):
    PARTICIPANT = "participant"
    PROFESSIONAL = "professional"
    # A person whose kind is not shown: in a partner's graph when there are fewer
    # people of one kind than the threshold, every person is shown as "member".
    MEMBER = "member"
    ORGANISATION = "organisation"
    POT = "pot"


@dataclass(frozen=True)
class Node:
    id: str  # coordinators: "a<account id>"; partners: a pseudonym new in every report
    kind: NodeKind
    label: str | None  # coordinators: the person's or organisation's name; partners: None


@dataclass(frozen=True)
class Edge:
    source: str  # the giver's node id
    target: str  # the receiver's node id
    # For drawing: hours (coordinators) or an hours band 1-5 (partners: under 2 h,
    # 2-5, 5-10, 10-20, 20 or more).
    weight: float
    minutes: int | None  # exact minutes, coordinators only
    reciprocated: bool  # the receiver also gave to the giver in the period
    time: bool  # False for credits donated to or granted from the pot


@dataclass(frozen=True)
class GraphRow:
    """One line of the graph's text alternative: one edge, with its ends' kinds."""

    source: str
    source_kind: NodeKind
    source_label: str | None
    target: str
    target_kind: NodeKind
    target_label: str | None
    weight: float
    minutes: int | None
    reciprocated: bool
    time: bool


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    pseudonymised: bool
    # False when the network was too large to draw whole: then only its heaviest
    # edges, up to graph.MAX_NODES nodes, are here (the measures count everything).
    complete: bool = True

    def rows(self) -> tuple[GraphRow, ...]:
        """The text alternative: every edge, heaviest first."""
        nodes = {n.id: n for n in self.nodes}
        return tuple(
            GraphRow(
                source=e.source,
                source_kind=nodes[e.source].kind,
                source_label=nodes[e.source].label,
                target=e.target,
                target_kind=nodes[e.target].kind,
                target_label=nodes[e.target].label,
                weight=e.weight,
                minutes=e.minutes,
                reciprocated=e.reciprocated,
                time=e.time,
            )
            for e in sorted(self.edges, key=lambda e: (-e.weight, e.source, e.target))
        )


@dataclass(frozen=True)
class Network:
    measures: NetworkMeasures
    by_quarter: tuple[QuarterPoint, ...]  # the eight quarters to the period's end
    graph: Graph | Suppressed


@dataclass(frozen=True)
class NamedMember:
    """A member a coordinator may want to contact (coordinators' report only)."""

    membership_id: int
    name: str
    kind: str  # participant or professional
    minutes: int | None = None  # only_received: minutes received in the period
    last_exchange: date | None = None  # quiet: the last time they gave or received
    score: float | None = None  # brokers: betweenness centrality


@dataclass(frozen=True)
class CoordinatorLists:
    only_received: tuple[NamedMember, ...]  # active in the period, received but gave nothing
    never_given: tuple[NamedMember, ...]  # registered, never gave time up to the period's end
    quiet: tuple[NamedMember, ...]  # no exchange in the 90 days to the period's end
    brokers: tuple[NamedMember, ...]  # highest betweenness in the period's network


@dataclass(frozen=True)
class BankInfo:
    id: int
    name: str
    slug: str
    threshold: int
    replacement_rate_pence: int


@dataclass(frozen=True)
class ReciprocityReport:
    audience: Audience
    banks: tuple[BankInfo, ...]
    period: Period
    previous_period: Period
    # The small-number threshold applied (partners: the strictest of the banks').
    threshold: int
    generated_at: datetime  # naive UTC
    headline: Headline
    mutuality: Mutuality
    shared_roles: SharedRoles
    assets: Assets
    core_economy: CoreEconomy
    pot: Pot
    trends: tuple[TrendPoint, ...]
    network: Network
    coordinator: CoordinatorLists | None = None  # None in a partner's report
    notes: tuple[str, ...] = field(default=())  # msgids of caveats shown with the report
