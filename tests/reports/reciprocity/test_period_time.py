"""The time of several periods read in one query (each account summed before it is
joined to its holder) against the plain sums of the exchanges that were recorded."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest

from tests.reports.reciprocity.support import Bank
from timebank.reports.reciprocity import facts
from timebank.reports.reciprocity.period import Period

PERIODS = [
    Period(date(2026, 1, 1), date(2026, 1, 31)),
    Period(date(2026, 2, 1), date(2026, 3, 31)),
    Period(date(2026, 4, 1), date(2026, 6, 30)),
]


@pytest.fixture
def recorded(session):
    """A bank with members (every fourth without consent) and an organisation, and
    sixty exchanges over the half year, some reversed; the ones that count."""
    bank = Bank(session)
    rng = random.Random(12)
    people = [
        bank.member(f"Member {i}", consent=i % 4 != 0, joined=date(2025, 12, 1)) for i in range(8)
    ]
    parties = [*people, bank.organisation("Library")]
    kept = []
    for _ in range(60):
        giver, receiver = rng.sample(parties, 2)
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(181))
        minutes = rng.choice([30, 60, 90])
        transfer = bank.give(giver, receiver, minutes, day)
        if rng.random() < 0.1:
            bank.reverse(transfer)
        else:
            kept.append((giver, receiver, minutes, day))
    return bank, kept


def _person(party) -> int | None:
    return getattr(party, "person_id", None)


def test_each_period_is_the_plain_sum_of_its_exchanges(session, recorded):
    bank, kept = recorded
    found = facts.periods_time(session, (bank.id,), PERIODS)
    assert found == [facts.period_time(session, (bank.id,), p) for p in PERIODS]
    for period, got in zip(PERIODS, found, strict=True):
        inside = [(g, r, m) for g, r, m, day in kept if period.contains(day)]
        assert got.totals.minutes == sum(m for _, _, m in inside)
        assert got.totals.exchanges == len(inside)
        given, received = Counter(), Counter()
        consenting = {}
        for g, r, m in inside:
            for party, side in ((g, given), (r, received)):
                if _person(party) is not None:
                    side[_person(party)] += m
                    consenting[_person(party)] = party.consent_reporting
        assert got.totals.givers == len(given)
        assert got.totals.receivers == len(received)
        assert {p: (t.given, t.received) for p, t in got.people.items()} == {
            p: (given[p], received[p]) for p in consenting
        }
        for p, t in got.people.items():
            shared = consenting[p]
            assert (t.consenting_given, t.consenting_received) == (
                (given[p], received[p]) if shared else (0, 0)
            )
            assert (t.counted_given, t.counted_received) == (given[p], received[p])
            assert t.any_withheld is not shared


def test_each_month_is_the_plain_sum_of_its_exchanges(session, recorded):
    bank, kept = recorded
    half_year = Period(date(2026, 1, 1), date(2026, 6, 30))
    found = facts.month_totals(session, (bank.id,), half_year)
    for month, got in zip(half_year.months(), found, strict=True):
        inside = [(g, r, m) for g, r, m, day in kept if month.contains(day)]
        givers = {_person(g) for g, _, _ in inside} - {None}
        receivers = {_person(r) for _, r, _ in inside} - {None}
        assert got == facts.MonthTotals(
            minutes=sum(m for _, _, m in inside),
            exchanges=len(inside),
            givers=len(givers),
            receivers=len(receivers),
            active=len(givers | receivers),
        )
