"""The networks' measures kept by fingerprint: the same network gives the same
fingerprint whatever order its edges come in, any change that could move a measure
gives another; measures from the cache are the ones worked out afresh; and a report
rebuilt after a posting, taking the unchanged quarters from the cache, is the report
built from nothing."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reports.reciprocity.support import Bank
from timebank.reports.models import ReportCache
from timebank.reports.reciprocity import Audience, BankSelection, Period, get_report, network_cache
from timebank.reports.reciprocity.build import REPORT_WORK_MEM, compute
from timebank.reports.reciprocity.facts import EdgeSet
from timebank.reports.reciprocity.network_cache import (
    fingerprint,
    network_of,
    stored_network_figures,
)

PERIOD = Period(date(2025, 7, 1), date(2026, 6, 30))


def edge_set(minutes: dict[tuple[int, int], int], people: dict[int, int | None]) -> EdgeSet:
    found = EdgeSet(minutes=dict(minutes))
    for account in {a for pair in minutes for a in pair}:
        found.role[account] = "participant" if people.get(account) else "organisation"
        found.person[account] = people.get(account)
        found.membership[account] = people.get(account)
    return found


@st.composite
def networks(draw):
    n = draw(st.integers(2, 10))
    pairs = draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=30)
    )
    minutes = {(u, v): draw(st.sampled_from([15, 30, 60, 120])) for u, v in pairs if u != v}
    # Accounts 0 and 1 are organisations; two accounts may belong to one person.
    people = {a: (None if a < 2 else 100 + a // 2) for a in range(n)}
    return minutes, people


@settings(max_examples=100, deadline=None)
@given(networks(), st.randoms(use_true_random=False))
def test_the_fingerprint_is_the_network_not_the_order_it_was_read_in(case, rng):
    minutes, people = case
    items = list(minutes.items())
    rng.shuffle(items)
    assert fingerprint(edge_set(dict(items), people)) == fingerprint(edge_set(minutes, people))


@settings(max_examples=100, deadline=None)
@given(networks(), st.data())
def test_any_change_a_measure_depends_on_changes_the_fingerprint(case, data):
    minutes, people = case
    if not minutes:
        return
    before = fingerprint(edge_set(minutes, people))
    pair = data.draw(st.sampled_from(sorted(minutes)))
    more = dict(minutes) | {pair: minutes[pair] + 15}
    assert fingerprint(edge_set(more, people)) != before
    fewer = {p: m for p, m in minutes.items() if p != pair}
    assert fingerprint(edge_set(fewer, people)) != before
    account = data.draw(st.sampled_from(sorted({a for p in minutes for a in p})))
    # Another person behind an account (or a person where there was an organisation).
    moved = dict(people) | {account: 999}
    assert fingerprint(edge_set(minutes, moved)) != before


def test_measures_from_the_cache_are_those_worked_out_afresh(session, monkeypatch):
    rng = random.Random(5)
    found = []
    for i in range(6):
        minutes = {}
        for _ in range(40):
            u, v = rng.randrange(15), rng.randrange(15)
            if u != v:
                minutes[(u, v)] = rng.choice([30, 60, 90])
        people = {a: (None if a == 0 else 1000 + a) for a in range(15)}
        found.append((Period.quarter(2025, 1 + i % 4), edge_set(minutes, people)))
    expected = [network_of(edges) for _, edges in found]
    assert stored_network_figures(session, found, "1") == expected
    stored = session.scalar(
        sa.select(sa.func.count())
        .select_from(ReportCache)
        .where(ReportCache.audience == network_cache.AUDIENCE)
    )
    assert stored == 6

    def not_again(_):
        raise AssertionError("worked out again")

    monkeypatch.setattr(network_cache, "network_of", not_again)
    assert stored_network_figures(session, found, "1") == expected
    # A network that changed is worked out again; the others still come from the cache.
    period, changed = found[2]
    changed = edge_set(
        {**changed.minutes, (0, 14): 600}, {a: changed.person[a] for a in changed.role}
    )
    with pytest.raises(AssertionError, match="worked out again"):
        stored_network_figures(session, [found[0], (period, changed)], "1")


@pytest.fixture
def circles(session):
    """Ten members exchanging around a circle and across it over two years."""
    b = Bank(session, threshold=3)
    members = [b.member(f"Member {i}", joined=date(2024, 6, 1)) for i in range(10)]
    rng = random.Random(11)
    for month in range(24):
        day = date(2024 + (6 + month) // 12, (6 + month) % 12 + 1, 10)
        for _ in range(6):
            g = rng.randrange(10)
            r = (g + rng.choice([1, 1, 2, -1, 5])) % 10
            b.give(members[g], members[r], rng.choice([30, 60, 90]), day)
    b.members = members
    return b


@pytest.mark.parametrize("audience", list(Audience))
def test_a_report_rebuilt_after_a_posting_is_the_report_built_afresh(session, circles, audience):
    selection = BankSelection.one(circles.id)
    get_report(session, selection, PERIOD, audience)
    # One more exchange in the last quarter: two networks change (the period's and the
    # quarter's), seven come from the cache.
    circles.give(circles.members[3], circles.members[8], 45, date(2026, 6, 20))
    rebuilt = get_report(session, selection, PERIOD, audience)
    fresh = compute(session, selection, PERIOD, audience, now=rebuilt.generated_at)
    if audience == Audience.PARTNER:
        # The picture's pseudonyms are made afresh for every read.
        fresh = replace(fresh, network=replace(fresh.network, graph=rebuilt.network.graph))
    assert rebuilt == fresh
    assert rebuilt.network.by_quarter[-1].reciprocity is not None


def test_a_network_that_fails_fails_the_report_and_stores_nothing(session, circles, monkeypatch):
    # The networks are worked out in a thread beside the figures' queries (build.py):
    # its failure is the report's.
    def broken(_):
        raise RuntimeError("network failed")

    monkeypatch.setattr(network_cache, "network_of", broken)
    with pytest.raises(RuntimeError, match="network failed"):
        get_report(session, BankSelection.one(circles.id), PERIOD, Audience.PARTNER)
    session.flush()
    assert session.scalar(sa.select(sa.func.count()).select_from(ReportCache)) == 0


@pytest.mark.postgres_only
def test_a_report_built_on_postgresql_sorts_in_memory(session, circles):
    compute(session, BankSelection.one(circles.id), PERIOD, Audience.PARTNER)
    assert session.scalar(sa.text("SHOW work_mem")) == REPORT_WORK_MEM
