"""The partners' suppression of one report: every additive figure as a cell of one
:class:`~.disclosure.Disclosure`, with the equations that tie them together.

Cell keys are tuples: ("hours",), ("month_hours", i), ("flow", giver_role,
receiver_role), ("category", key), ("network_people",) ... Hidden cells (never shown,
but part of the sums): the registered members who were not active, the active members
and the hours of members who did not consent, the pot's credits to and from them, and
the consenting members who exchanged only with members who did not consent.
"""

from __future__ import annotations

from timebank.reports.reciprocity.disclosure import Disclosure, Key
from timebank.reports.reciprocity.figures import BIN_KEYS, ROLES, Numbers
from timebank.reports.reciprocity.model import Suppressed


def decide(numbers: Numbers, threshold: int, network_people: int) -> dict[Key, Suppressed | None]:
    """``network_people``: the people in the period's network (and its picture)."""
    d = Disclosure(threshold)
    _headline(d, numbers)
    _mutuality(d, numbers)
    # Everyone in the network is an active member who consented: the difference (those
    # who exchanged only with members who did not consent) must not be small either.
    d.cell(("network_people",), network_people, network_people)
    outside = numbers.mix.active - network_people
    d.cell(("network_outside",), outside, max(0, outside), hidden=True)
    d.equation(("mutuality_people",), [("network_people",), ("network_outside",)])
    _flows_and_categories(d, numbers)
    _pot(d, numbers)
    _assets(d, numbers)
    return d.decide()


def _whole(d: Disclosure, prefix: str, totals, registered: int, active: int) -> None:
    d.cell((f"{prefix}hours",), totals.minutes, (totals.givers, totals.receivers))
    d.cell((f"{prefix}exchanges",), totals.exchanges, (totals.givers, totals.receivers))
    d.cell((f"{prefix}registered",), registered, registered)
    d.cell((f"{prefix}active",), active, active)
    d.cell((f"{prefix}inactive",), registered - active, max(0, registered - active), hidden=True)
    d.equation((f"{prefix}registered",), [(f"{prefix}active",), (f"{prefix}inactive",)])


def _headline(d: Disclosure, n: Numbers) -> None:
    _whole(d, "", n.now.totals, n.now.registered, n.now.active)
    _whole(d, "previous_", n.before.totals, n.before.registered, n.before.active)
    for i, (month, registered) in enumerate(zip(n.month_totals, n.month_registered, strict=True)):
        people = (month.givers, month.receivers)
        d.cell(("month_hours", i), month.minutes, people)
        d.cell(("month_exchanges", i), month.exchanges, people)
        d.cell(("month_registered", i), registered, registered)
        d.cell(("month_active", i), month.active, month.active)
        inactive = registered - month.active
        d.cell(("month_inactive", i), inactive, max(0, inactive), hidden=True)
        d.equation(("month_registered", i), [("month_active", i), ("month_inactive", i)])
    count = len(n.month_totals)
    d.equation(("hours",), [("month_hours", i) for i in range(count)])
    d.equation(("exchanges",), [("month_exchanges", i) for i in range(count)])
    d.equation(("registered",), [("month_registered", count - 1)])


def _mutuality(d: Disclosure, n: Numbers) -> None:
    mix = n.mix
    d.cell(("mutuality_people",), mix.active, mix.active)
    withheld = n.now.active - mix.active
    d.cell(("withheld_active",), withheld, max(0, withheld), hidden=True)
    d.equation(("active",), [("mutuality_people",), ("withheld_active",)])
    for key, value in (
        ("two_way", mix.two_way),
        ("only_give", mix.only_give),
        ("only_receive", mix.only_receive),
    ):
        d.cell((key,), value, value)
    d.equation(("mutuality_people",), [("two_way",), ("only_give",), ("only_receive",)])
    for key, value in zip(BIN_KEYS, mix.bins, strict=True):
        d.cell((key,), value, value)
    d.equation(("mutuality_people",), [(key,) for key in BIN_KEYS])


def _flows_and_categories(d: Disclosure, n: Numbers) -> None:
    time_cells = []
    for giver in ROLES:
        for receiver in ROLES:
            cell = n.flows.get((giver, receiver))
            minutes, people = (cell.minutes, (cell.givers, cell.receivers)) if cell else (0, ())
            d.cell(("flow", giver, receiver), minutes, people)
            time_cells.append(("flow", giver, receiver))
    shown_time = sum(n.flows[k[1:]].minutes for k in time_cells if k[1:] in n.flows)
    withheld = n.now.totals.minutes - shown_time
    d.cell(("withheld_hours",), withheld, n.withheld_people, hidden=True)
    d.equation(("hours",), [*time_cells, ("withheld_hours",)])
    category_cells = []
    for key, cell in n.category_hours.items():
        d.cell(("category", key), cell.minutes, (cell.givers, cell.receivers))
        category_cells.append(("category", key))
    d.equation(("hours",), [*category_cells, ("withheld_hours",)])


def _pot(d: Disclosure, n: Numbers) -> None:
    pot = n.pot
    d.cell(("pot_inflow",), pot.inflow, pot.donors)
    d.cell(("pot_outflow",), pot.outflow, pot.recipients)
    d.cell(("pot_people_helped",), pot.recipients, pot.recipients)
    d.cell(("pot_donors",), pot.donors, pot.donors)
    into, out_of = [], []
    for role in ROLES:
        cell = n.flows.get((role, "pot"))
        d.cell(("flow", role, "pot"), cell.minutes if cell else 0, (cell.givers,) if cell else ())
        into.append(("flow", role, "pot"))
        cell = n.flows.get(("pot", role))
        d.cell(
            ("flow", "pot", role), cell.minutes if cell else 0, (cell.receivers,) if cell else ()
        )
        out_of.append(("flow", "pot", role))
    d.cell(("flow", "pot", "pot"), 0)
    shown_in = sum(n.flows[k[1:]].minutes for k in into if k[1:] in n.flows)
    shown_out = sum(n.flows[k[1:]].minutes for k in out_of if k[1:] in n.flows)
    d.cell(("withheld_pot_inflow",), pot.inflow - shown_in, pot.withheld_donors, hidden=True)
    d.cell(("withheld_pot_outflow",), pot.outflow - shown_out, pot.withheld_recipients, hidden=True)
    d.equation(("pot_inflow",), [*into, ("withheld_pot_inflow",)])
    d.equation(("pot_outflow",), [*out_of, ("withheld_pot_outflow",)])


def _assets(d: Disclosure, n: Numbers) -> None:
    for key, people in n.offers.items():
        d.cell(("offer", key), people, people)
    p = n.participants
    d.cell(("participants",), p.registered, p.registered)
    d.cell(("participants_gave",), p.have_given, p.have_given)
    not_given = p.registered - p.have_given
    d.cell(("participants_not_given",), not_given, not_given)
    d.equation(("participants",), [("participants_gave",), ("participants_not_given",)])
