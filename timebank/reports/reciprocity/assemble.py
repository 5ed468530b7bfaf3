"""From the numbers and the suppression decisions to the report's sections: Figures with
their words, Tables, monthly and quarterly points.

A ratio or share is shown only when every count it is made from is shown; a sum of
cells only when every cell is.
"""

from __future__ import annotations

from dataclasses import dataclass

from timebank.reports.reciprocity import network as net
from timebank.reports.reciprocity.facts import NONE_KEY, SENSITIVE_KEY
from timebank.reports.reciprocity.figures import (
    BIN_KEYS,
    FLOW_ROLES,
    Numbers,
    median,
    replacement_pence,
)
from timebank.reports.reciprocity.model import (
    SMALL,
    Assets,
    Column,
    CoreEconomy,
    Figure,
    Graph,
    Headline,
    Mutuality,
    Network,
    NetworkMeasures,
    Pot,
    QuarterPoint,
    Row,
    Scope,
    SharedRoles,
    Suppressed,
    Table,
    TrendPoint,
    Unit,
    Value,
)
from timebank.reports.reciprocity.period import Period
from timebank.reports.reciprocity.wording import COLUMNS, FIGURES, ROWS, TABLES


@dataclass(frozen=True)
class Words:
    partner: bool
    threshold: int
    decisions: dict

    def value(self, key: tuple, raw: Value) -> Value:
        """``raw`` unless the partners' rules suppress ``key``."""
        decided = self.decisions.get(key)
        return decided if decided is not None else raw

    def small(self, *people: int) -> bool:
        """Whether a figure about these people (one count per side) is small for a
        partner: for figures outside the equations (an index, a median, a network)."""
        return self.partner and any(1 <= n < self.threshold for n in people)

    @property
    def breakdown(self) -> Scope:
        return Scope.CONSENTING if self.partner else Scope.WHOLE

    def figure(
        self,
        key: str,
        unit: Unit,
        value: Value,
        previous: Value = None,
        *,
        breakdown: bool = False,
    ) -> Figure:
        label, meaning = FIGURES[key]
        scope = self.breakdown if breakdown else Scope.WHOLE
        return Figure(key, label, meaning, unit, value, previous, scope)

    def table(self, key: str, columns: list[str], units: list[Unit], rows: list[Row]) -> Table:
        label, meaning = TABLES[key]
        return Table(
            key,
            label,
            meaning,
            self.breakdown,
            tuple(Column(c, COLUMNS[c], u) for c, u in zip(columns, units, strict=True)),
            tuple(rows),
        )


def ratio(numerator: Value, denominator: Value) -> Value:
    """numerator / denominator; suppressed if either is; None if either is None or the
    denominator is 0."""
    if isinstance(numerator, Suppressed):
        return numerator
    if isinstance(denominator, Suppressed):
        return denominator
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def total(*values: Value) -> Value:
    for part in values:
        if isinstance(part, Suppressed):
            return part
    return sum(v for v in values if v is not None and not isinstance(v, Suppressed))


def headline(w: Words, n: Numbers) -> Headline:
    def pair(key: str) -> tuple[Value, Value]:
        now = {
            "hours": n.now.totals.minutes,
            "exchanges": n.now.totals.exchanges,
            "registered": n.now.registered,
            "active": n.now.active,
        }
        before = {
            "hours": n.before.totals.minutes,
            "exchanges": n.before.totals.exchanges,
            "registered": n.before.registered,
            "active": n.before.active,
        }
        return w.value((key,), now[key]), w.value((f"previous_{key}",), before[key])

    hours, exchanges = pair("hours"), pair("exchanges")
    registered, active = pair("registered"), pair("active")
    return Headline(
        hours=w.figure("hours", Unit.MINUTES, *hours),
        exchanges=w.figure("exchanges", Unit.EXCHANGES, *exchanges),
        hours_per_exchange=w.figure(
            "hours_per_exchange",
            Unit.MINUTES,
            ratio(hours[0], exchanges[0]),
            ratio(hours[1], exchanges[1]),
        ),
        registered=w.figure("registered", Unit.PEOPLE, *registered),
        active=w.figure("active", Unit.PEOPLE, *active),
        active_rate=w.figure(
            "active_rate",
            Unit.SHARE,
            ratio(active[0], registered[0]),
            ratio(active[1], registered[1]),
        ),
    )


def _people_share_rows(w: Words, keys: list[str], counts: list[int], base: Value) -> list[Row]:
    rows = []
    for key, count in zip(keys, counts, strict=True):
        people = w.value((key,), count)
        rows.append(Row(key, ROWS[key], True, (people, ratio(people, base))))
    return rows


def mutuality(w: Words, n: Numbers) -> Mutuality:
    mix = n.mix
    people = w.value(("mutuality_people",), mix.active)
    groups = ["two_way", "only_give", "only_receive"]
    counts = [mix.two_way, mix.only_give, mix.only_receive]
    shares = {k: ratio(w.value((k,), c), people) for k, c in zip(groups, counts, strict=True)}
    gini = SMALL if w.small(mix.active, mix.givers) else mix.gini
    return Mutuality(
        people=w.figure("mutuality_people", Unit.PEOPLE, people, breakdown=True),
        two_way_rate=w.figure("two_way_rate", Unit.SHARE, shares["two_way"], breakdown=True),
        only_give=w.figure("only_give", Unit.SHARE, shares["only_give"], breakdown=True),
        only_receive=w.figure("only_receive", Unit.SHARE, shares["only_receive"], breakdown=True),
        groups=w.table(
            "mutuality_groups",
            ["people", "share"],
            [Unit.PEOPLE, Unit.SHARE],
            _people_share_rows(w, groups, counts, people),
        ),
        balance_index=w.table(
            "balance_index",
            ["people", "share"],
            [Unit.PEOPLE, Unit.SHARE],
            _people_share_rows(w, list(BIN_KEYS), list(mix.bins), people),
        ),
        gini=w.figure("gini", Unit.INDEX, gini, breakdown=True),
    )


def _flow(w: Words, n: Numbers, giver: str, receiver: str) -> Value:
    if giver == receiver == "pot":
        return None
    cell = n.flows.get((giver, receiver))
    return w.value(("flow", giver, receiver), cell.minutes if cell else 0)


def shared_roles(w: Words, n: Numbers) -> SharedRoles:
    rows = [
        Row(giver, ROWS[giver], True, tuple(_flow(w, n, giver, r) for r in FLOW_ROLES))
        for giver in FLOW_ROLES
    ]
    to_services = total(
        _flow(w, n, "participant", "professional"), _flow(w, n, "participant", "organisation")
    )
    from_services = total(
        _flow(w, n, "professional", "participant"), _flow(w, n, "organisation", "participant")
    )
    return SharedRoles(
        flows=w.table("flows", list(FLOW_ROLES), [Unit.MINUTES] * 4, rows),
        index=w.figure(
            "shared_roles_index", Unit.RATIO, ratio(to_services, from_services), breakdown=True
        ),
    )


def _category_rows(w: Words, n: Numbers, *, with_none: bool) -> list[tuple[str, str, bool]]:
    """(key, label, translate) of each row of a table by kind of help, by name; for
    partners the sensitive ones are one row, after the others."""
    rows = [
        (c.key, c.name, False)
        for c in sorted(n.categories.values(), key=lambda c: (c.name.lower(), c.key))
        if not (w.partner and c.sensitive)
    ]
    if w.partner and any(c.sensitive for c in n.categories.values()):
        rows.append((SENSITIVE_KEY, ROWS[SENSITIVE_KEY], True))
    if with_none:
        rows.append((NONE_KEY, ROWS[NONE_KEY], True))
    return rows


def assets(w: Words, n: Numbers) -> Assets:
    rows = [
        Row(key, label, translate, (w.value(("offer", key), n.offers.get(key, 0)),))
        for key, label, translate in _category_rows(w, n, with_none=False)
    ]
    p = n.participants
    gave = ratio(
        w.value(("participants_gave",), p.have_given), w.value(("participants",), p.registered)
    )
    days = SMALL if w.small(n.first_gift_people) else median(n.first_gift_days)
    return Assets(
        offers=w.table("offers", ["people"], [Unit.PEOPLE], rows),
        participants_who_gave=w.figure("participants_who_gave", Unit.SHARE, gave, breakdown=True),
        median_days_to_first_gift=w.figure(
            "median_days_to_first_gift", Unit.DAYS, days, breakdown=True
        ),
    )


def _pence(minutes: Value, rate: int) -> Value:
    if isinstance(minutes, Suppressed) or minutes is None:
        return minutes
    return replacement_pence(int(minutes), rate)


def core_economy(w: Words, n: Numbers, rate: int, several_rates: bool) -> CoreEconomy:
    hours = w.value(("hours",), n.now.totals.minutes)
    rows = []
    for key, label, translate in _category_rows(w, n, with_none=True):
        cell = n.category_hours.get(key)
        minutes = w.value(("category", key), cell.minutes if cell else 0)
        rows.append(Row(key, label, translate, (minutes, _pence(minutes, rate))))
    return CoreEconomy(
        hours=w.figure("core_hours", Unit.MINUTES, hours),
        value=w.figure("replacement_cost", Unit.PENCE, _pence(hours, rate)),
        rate_pence=rate,
        lowest_of_several_rates=several_rates,
        by_category=w.table(
            "core_by_category", ["hours", "replacement_cost"], [Unit.MINUTES, Unit.PENCE], rows
        ),
    )


def pot(w: Words, n: Numbers) -> Pot:
    p = n.pot
    return Pot(
        inflow=w.figure("pot_inflow", Unit.MINUTES, w.value(("pot_inflow",), p.inflow)),
        outflow=w.figure("pot_outflow", Unit.MINUTES, w.value(("pot_outflow",), p.outflow)),
        people_helped=w.figure(
            "pot_people_helped", Unit.PEOPLE, w.value(("pot_people_helped",), p.recipients)
        ),
        donors=w.figure("pot_donors", Unit.PEOPLE, w.value(("pot_donors",), p.donors)),
    )


def trends(w: Words, n: Numbers) -> tuple[TrendPoint, ...]:
    points = []
    for i, month in enumerate(n.months):
        m = n.month_totals[i]
        hours = w.value(("month_hours", i), m.minutes)
        exchanges = w.value(("month_exchanges", i), m.exchanges)
        registered = w.value(("month_registered", i), n.month_registered[i])
        active = w.value(("month_active", i), m.active)
        points.append(
            TrendPoint(
                month=month,
                hours=hours,
                exchanges=exchanges,
                hours_per_exchange=ratio(hours, exchanges),
                registered=registered,
                active=active,
                active_rate=ratio(active, registered),
            )
        )
    return tuple(points)


MEASURE_UNITS = {
    "reciprocity": Unit.SHARE,
    "weighted_reciprocity": Unit.SHARE,
    "size_corrected_reciprocity": Unit.INDEX,
    "cycle_share": Unit.SHARE,
    "strongly_connected_share": Unit.SHARE,
    "density": Unit.SHARE,
    "mean_partners": Unit.NUMBER,
    "components": Unit.NUMBER,
    "giant_share": Unit.SHARE,
    "centralisation": Unit.INDEX,
}


def _measure_values(
    w: Words, found: tuple[net.Measures, int], people_key: tuple | None = None
) -> dict[str, Value]:
    measures, people = found
    small = w.small(people)
    values: dict[str, Value] = {
        "people": SMALL if small else w.value(people_key, people) if people_key else people
    }
    for key in MEASURE_UNITS:
        values[key] = SMALL if small else getattr(measures, key)
    return values


def network(
    w: Words,
    period_network: tuple[net.Measures, int],
    quarters: list[tuple[Period, tuple[net.Measures, int]]],
    graph: Graph | Suppressed,
) -> Network:
    values = _measure_values(w, period_network, ("network_people",))
    figures = {
        key: w.figure(key, unit, values[key], breakdown=True) for key, unit in MEASURE_UNITS.items()
    }
    return Network(
        measures=NetworkMeasures(
            people=w.figure("network_people", Unit.PEOPLE, values["people"], breakdown=True),
            **figures,
        ),
        by_quarter=tuple(
            QuarterPoint(quarter=q, **_measure_values(w, found)) for q, found in quarters
        ),
        graph=graph,
    )
