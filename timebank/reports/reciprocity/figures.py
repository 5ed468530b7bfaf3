"""The numbers of one report, read once, with the people each describes: what the
partners' suppression decides over and what the report is assembled from."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from timebank.reports.reciprocity import facts
from timebank.reports.reciprocity import members as members_facts
from timebank.reports.reciprocity.period import Period

ROLES = ("participant", "professional", "organisation")
FLOW_ROLES = (*ROLES, "pot")
BIN_KEYS = (
    "bin:mostly_received",
    "bin:received_more",
    "bin:balanced",
    "bin:gave_more",
    "bin:mostly_gave",
)


@dataclass(frozen=True)
class Mix:
    """Active people by how they took part, from (given, received) per person."""

    active: int
    two_way: int
    only_give: int
    only_receive: int
    bins: tuple[int, ...]  # people in each of BIN_KEYS
    gini: float | None
    givers: int

    @classmethod
    def of(cls, pairs: list[tuple[int, int]]) -> Mix:
        active = [(g, r) for g, r in pairs if g + r > 0]
        bins = [0] * 5
        for g, r in active:
            bins[balance_bin(g, r)] += 1
        return cls(
            active=len(active),
            two_way=sum(1 for g, r in active if g > 0 and r > 0),
            only_give=sum(1 for g, r in active if g > 0 and r == 0),
            only_receive=sum(1 for g, r in active if g == 0 and r > 0),
            bins=tuple(bins),
            gini=gini([g for g, _ in active]),
            givers=sum(1 for g, _ in active if g > 0),
        )


def balance_bin(given: int, received: int) -> int:
    """The bin of b = (g - r) / (g + r), in whole numbers so no rounding moves a person:
    b < -0.6, -0.6 <= b < -0.2, -0.2 <= b <= 0.2, 0.2 < b <= 0.6, b > 0.6."""
    d, s = given - received, given + received
    if 5 * d < -3 * s:
        return 0
    if 5 * d < -s:
        return 1
    if 5 * d <= s:
        return 2
    if 5 * d <= 3 * s:
        return 3
    return 4


def gini(values: list[int]) -> float | None:
    """Gini index: sum over i, j of |x_i - x_j| / (2 n^2 mean), by the sorted form
    2 sum(i x_(i)) / (n sum x) - (n + 1) / n. None when nobody gave."""
    total = sum(values)
    n = len(values)
    if n == 0 or total == 0:
        return None
    ranked = sum(i * x for i, x in enumerate(sorted(values), start=1))
    return 2 * ranked / (n * total) - (n + 1) / n


@dataclass(frozen=True)
class Whole:
    """Whole-bank headline figures of one period."""

    totals: facts.Totals
    registered: int
    active: int


@dataclass(frozen=True)
class Numbers:
    period: Period
    previous: Period
    months: tuple[Period, ...]
    consenting: bool  # breakdowns count consenting members only (partners)
    people: dict[int, facts.PersonTime]
    members: list[members_facts.MemberFacts]
    now: Whole
    before: Whole
    month_totals: list[facts.MonthTotals]
    month_registered: list[int]
    mix: Mix  # the breakdown population (consenting or all)
    withheld_people: int  # people active through a membership without consent
    flows: dict[tuple[str, str], facts.FlowCell]
    pot: facts.PotTotals
    categories: dict[str, facts.CategoryInfo]
    category_hours: dict[str, facts.FlowCell]
    offers: dict[str, int]
    participants: members_facts.Participants
    first_gift_days: list[int]
    first_gift_people: int


def read_numbers(
    session: Session, bank_ids: tuple[int, ...], period: Period, *, consenting: bool
) -> Numbers:
    previous = period.previous()
    months = period.months()
    before, now = facts.periods_time(session, bank_ids, [previous, period])
    members = members_facts.member_facts(session, bank_ids, period.end)
    registered = members_facts.registered_at(
        members, [previous.end, *(m.end for m in months)], consenting=False
    )
    categories = facts.categories(session, bank_ids)
    sensitive = sorted(slug for slug, c in categories.items() if c.sensitive)
    people = now.people
    if consenting:
        pairs = [(p.consenting_given, p.consenting_received) for p in people.values()]
    else:
        pairs = [(p.counted_given, p.counted_received) for p in people.values()]
    days, days_people = members_facts.days_to_first_gift(members, period, consenting=consenting)
    offers = facts.offers(session, bank_ids, period.end, sensitive)
    return Numbers(
        period=period,
        previous=previous,
        months=months,
        consenting=consenting,
        people=people,
        members=members,
        now=Whole(now.totals, registered[-1], active_people(people)),
        before=Whole(before.totals, registered[0], active_people(before.people)),
        month_totals=facts.month_totals(session, bank_ids, period),
        month_registered=registered[1:],
        mix=Mix.of(pairs),
        withheld_people=sum(1 for p in people.values() if p.any_withheld),
        flows=facts.flows(session, bank_ids, period, consenting=consenting),
        pot=facts.pot_totals(session, bank_ids, period),
        categories=categories,
        category_hours=facts.category_hours(
            session, bank_ids, period, sensitive, consenting=consenting
        ),
        offers=members_facts.offering(members, offers, period.end, consenting=consenting),
        participants=members_facts.participants_who_gave(
            members, period.end, consenting=consenting
        ),
        first_gift_days=days,
        first_gift_people=days_people,
    )


def active_people(people: dict[int, facts.PersonTime]) -> int:
    """Counted members who gave or received time."""
    return sum(1 for p in people.values() if p.counted_given + p.counted_received > 0)


def median(values: list[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def replacement_pence(minutes: int, rate_pence: int) -> int:
    """minutes x rate per hour, in whole pence (halves rounded up)."""
    return (minutes * rate_pence * 2 + 60) // 120
