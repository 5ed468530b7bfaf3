"""What a partner's report may show, on random time banks (hypothesis) and on small
ones worked by hand.

For every random bank the partner's report object is walked field by field: no count
of people from 1 to threshold-1, no name, nothing a member wrote, no account or
membership id in the picture; every line with a shown total has none or at least two
hidden parts (so no small figure can be worked out from one line); the whole-bank
totals count everyone and the breakdowns only members who consented.
"""

from __future__ import annotations

import re
import secrets
from datetime import date

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.reports.reciprocity.support import Bank
from tests.reports.reciprocity.walk import every_value, graph_of, small_counts
from timebank.community.profiles import update_profile
from timebank.ledger.models import MemberKind
from timebank.reports.reciprocity import (
    Audience,
    BankSelection,
    Period,
    Suppressed,
    build_report,
    get_report,
    is_shown,
)
from timebank.reports.reciprocity.codec import dumps

PERIOD = Period(date(2026, 1, 1), date(2026, 4, 30))
CATEGORIES = [None, "care", "gardening", "civic", "personal-care", "peer-support", "learning"]


def token() -> str:
    return "Zq" + secrets.token_hex(4)


@st.composite
def banks(draw):
    threshold = draw(st.sampled_from([3, 3, 4, 5, 6]))
    people = draw(
        st.lists(
            st.tuples(
                st.sampled_from(
                    [MemberKind.PARTICIPANT, MemberKind.PARTICIPANT, MemberKind.PROFESSIONAL]
                ),
                st.booleans() | st.just(True),
            ),
            min_size=3,
            max_size=16,
        )
    )
    n = len(people)
    exchanges = draw(
        st.lists(
            st.tuples(
                st.integers(0, n),  # n = the organisation
                st.integers(0, n),
                st.sampled_from([15, 30, 60, 90, 120, 180]),
                st.integers(-40, 119),  # days after 2026-01-01 (before: previous period)
                st.sampled_from(CATEGORIES),
            ),
            min_size=5,
            max_size=60,
        )
    )
    gifts = draw(st.lists(st.tuples(st.integers(0, n - 1), st.booleans()), max_size=4))
    reversed_ = draw(st.lists(st.integers(0, 44), max_size=3))
    return threshold, people, exchanges, gifts, reversed_


def make_bank(session, case):
    from datetime import timedelta

    threshold, people, exchanges, gifts, reversed_ = case
    b = Bank(session, threshold=threshold)
    words = []
    members = []
    for kind, consent in people:
        name = f"{token()} {token()}"
        words += name.split()
        members.append(b.member(name, kind=kind, consent=consent, joined=date(2025, 9, 1)))
    org = b.organisation(f"{token()} Trust")
    parties = [*members, org]
    made = []
    for giver, receiver, minutes, day, category in exchanges:
        if giver == receiver:
            continue
        note = token()
        words.append(note)
        made.append(
            b.give(
                parties[giver],
                parties[receiver],
                minutes,
                date(2026, 1, 1) + timedelta(days=day),
                category,
                description=f"{note} helped",
            )
        )
    for i in sorted(set(reversed_)):
        if i < len(made):
            b.reverse(made[i], date(2026, 3, 1))
    for who, donate in gifts:
        member = members[who]
        balance = member.account.posted_credits - member.account.posted_debits
        if donate and balance >= 15:
            b.donate(member, 15, date(2026, 2, 1))
        elif not donate and b.pot_balance() >= 15:
            b.grant(member, 15, date(2026, 3, 1))
    for member in members:
        text = token()
        words.append(text)
        member.offers_text = f"{text} offers"
    session.flush()
    return b, members, words


def hidden_parts_per_line(report):
    """For every line whose total is shown: how many of its parts are hidden."""
    lines = []
    m = report.mutuality
    groups = [r.cells[0] for r in m.groups.rows]
    bins = [r.cells[0] for r in m.balance_index.rows]
    if is_shown(m.people.value):
        lines.append(("mutuality groups", groups))
        lines.append(("balance bins", bins))
    h = report.headline
    if is_shown(h.hours.value):
        lines.append(("hours by month", [t.hours for t in report.trends]))
    if is_shown(h.exchanges.value):
        lines.append(("exchanges by month", [t.exchanges for t in report.trends]))
    return [(name, sum(isinstance(v, Suppressed) for v in parts)) for name, parts in lines]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=banks())
def test_a_partner_report_never_shows_a_small_count_a_name_or_words(session, case):
    b, _, words = make_bank(session, case)
    threshold = case[0]
    report = build_report(session, BankSelection.one(b.id), PERIOD, Audience.PARTNER)
    assert report.threshold == threshold
    assert small_counts(report, threshold) == []
    assert report.coordinator is None
    text = dumps(report)
    for word in words:
        assert word not in text
    for where, value in every_value(report):
        if isinstance(value, str):
            assert not re.search(r"Zq[0-9a-f]{8}", value), where
    graph = graph_of(report)
    event(f"picture drawn: {graph is not None}")
    event(f"hours shown: {is_shown(report.headline.hours.value)}")
    event(f"two-way rate shown: {is_shown(report.mutuality.two_way_rate.value)}")
    if graph is not None:
        assert graph.pseudonymised
        assert all(n.label is None and re.fullmatch(r"n[0-9a-f]{16}", n.id) for n in graph.nodes)
        assert all(e.minutes is None and e.weight in (1, 2, 3, 4, 5) for e in graph.edges)
        people = [
            n for n in graph.nodes if n.kind.value in ("participant", "professional", "member")
        ]
        assert len(people) >= threshold
        for kind in ("participant", "professional"):
            count = sum(1 for n in people if n.kind.value == kind)
            assert count == 0 or count >= threshold
    # The network's people are active members who consented: the rest of those (who
    # exchanged only with members who did not consent) must not be a small number.
    in_network = report.network.measures.people.value
    if is_shown(in_network) and is_shown(report.mutuality.people.value):
        outside = report.mutuality.people.value - in_network
        assert outside == 0 or outside >= threshold
    if graph is not None:
        assert len(people) == in_network
    for line, hidden in hidden_parts_per_line(report):
        assert hidden != 1, line
    # Whole-bank totals count everyone; the breakdown never counts more people.
    h = report.headline
    if is_shown(h.active.value) and is_shown(report.mutuality.people.value):
        assert report.mutuality.people.value <= h.active.value
        withheld = h.active.value - report.mutuality.people.value
        assert withheld == 0 or withheld >= threshold
    if is_shown(h.registered.value) and is_shown(h.active.value):
        inactive = h.registered.value - h.active.value
        assert inactive == 0 or inactive >= threshold
    coordinators = build_report(session, BankSelection.one(b.id), PERIOD, Audience.COORDINATOR)
    for name in ("hours", "exchanges", "registered", "active"):
        value = getattr(h, name).value
        if is_shown(value):
            assert value == getattr(coordinators.headline, name).value


def test_members_without_consent_count_only_in_whole_bank_totals(session):
    b = Bank(session, threshold=3)
    ann, ben, cat, dan = (b.member(n) for n in ("Ann", "Ben", "Cat", "Dan"))
    eve = b.member("Eve", consent=False)
    for giver, receiver in ((ann, ben), (ben, cat), (cat, dan), (dan, ann), (eve, ann), (ann, eve)):
        b.give(giver, receiver, 60, date(2026, 2, 10), "care")
    b.give(ben, ann, 60, date(2026, 3, 10), "care")
    b.give(cat, ben, 60, date(2026, 4, 10), "care")
    report = build_report(session, BankSelection.one(b.id), PERIOD, Audience.PARTNER)
    # Eight exchanges, 480 minutes, five active: everyone, Eve included.
    assert report.headline.hours.value == 480
    assert report.headline.exchanges.value == 8
    # Ann, Ben, Cat, Dan: Eve left out of the breakdown. Active 5 - 4 = 1 would be a
    # small number worked out from two figures, so "active" is not shown.
    assert report.mutuality.people.value == 4
    assert isinstance(report.headline.active.value, Suppressed)
    graph = report.network.graph
    assert len([n for n in graph.nodes if n.kind.value != "organisation"]) == 4
    # Eve's two hours are in the whole-bank total only; the only category, care, would
    # give them away (480 - 360), so it is hidden.
    rows = {r.key: r.cells for r in report.core_economy.by_category.rows}
    assert isinstance(rows["category:care"][0], Suppressed)


def test_withdrawn_consent_takes_effect_in_the_next_report(session):
    b = Bank(session, threshold=3)
    members = [b.member(n) for n in ("Ann", "Ben", "Cat", "Dan", "Eve", "Fay")]
    for i, giver in enumerate(members):
        for receiver in members[i + 1 :]:
            b.give(giver, receiver, 30, date(2026, 2, 1))
            b.give(receiver, giver, 30, date(2026, 3, 1))
    selection = BankSelection.one(b.id)
    before = get_report(session, selection, PERIOD, Audience.PARTNER)
    assert before.mutuality.people.value == 6
    assert get_report(session, selection, PERIOD, Audience.PARTNER).mutuality == before.mutuality
    fay = members[-1]
    update_profile(
        session,
        actor=fay,
        offers_text="",
        needs_text="",
        availability="",
        area="",
        contact_preference="messages",
        email_notifications=False,
        consent_reporting=False,
        consent_research=False,
    )
    after = get_report(session, selection, PERIOD, Audience.PARTNER)
    # Fay is out of the breakdowns: 5 counted, 1 withheld (so "active" is hidden).
    assert after.mutuality.people.value == 5
    assert after.headline.hours.value == before.headline.hours.value


def test_sensitive_categories_are_one_row(session):
    b = Bank(session, threshold=3)
    members = [b.member(n) for n in ("Ann", "Ben", "Cat", "Dan", "Eve", "Fay")]
    for i, member in enumerate(members):
        other = members[(i + 1) % 6]
        b.give(member, other, 60, date(2026, 2, 1), "personal-care")
        b.give(other, member, 30, date(2026, 3, 1), "peer-support")
        b.give(member, other, 45, date(2026, 4, 1), "gardening")
    report = build_report(session, BankSelection.one(b.id), PERIOD, Audience.PARTNER)
    rows = {r.key: r for r in report.core_economy.by_category.rows}
    assert "category:personal-care" not in rows and "category:peer-support" not in rows
    assert rows["sensitive"].translate and rows["sensitive"].cells[0] == 6 * 90
    assert rows["category:gardening"].cells[0] == 6 * 45
    coordinators = build_report(session, BankSelection.one(b.id), PERIOD, Audience.COORDINATOR)
    rows = {r.key: r for r in coordinators.core_economy.by_category.rows}
    assert rows["category:personal-care"].cells[0] == 360


def test_a_small_month_hides_another(session):
    b = Bank(session, threshold=3)
    ann, ben, cat, dan = (b.member(n) for n in ("Ann", "Ben", "Cat", "Dan"))
    # January: Ann and Ben only (two people); February to April: all four.
    b.give(ann, ben, 60, date(2026, 1, 10))
    for month, minutes in ((2, 30), (3, 45), (4, 90)):
        for giver, receiver in ((ann, ben), (ben, cat), (cat, dan), (dan, ann)):
            b.give(giver, receiver, minutes, date(2026, month, 10))
    report = build_report(session, BankSelection.one(b.id), PERIOD, Audience.PARTNER)
    hours = [t.hours for t in report.trends]
    assert hours[0] == Suppressed(reason="small")
    # The smallest other month (February, 120) goes too; the total stays.
    assert hours[1] == Suppressed(reason="derivable")
    assert hours[2:] == [180, 360]
    assert report.headline.hours.value == 60 + 120 + 180 + 360


def test_no_picture_below_the_threshold_and_kinds_hidden_when_one_is_small(session):
    b = Bank(session, threshold=4)
    ann, ben, cat = (b.member(n) for n in ("Ann", "Ben", "Cat"))
    b.give(ann, ben, 60, date(2026, 2, 1))
    b.give(ben, cat, 60, date(2026, 2, 1))
    report = build_report(session, BankSelection.one(b.id), PERIOD, Audience.PARTNER)
    assert report.network.graph == Suppressed(reason="small")
    assert all(isinstance(q.people, Suppressed) or q.people == 0 for q in report.network.by_quarter)
    assert isinstance(report.network.measures.reciprocity.value, Suppressed)
    pat = b.member("Pat", kind=MemberKind.PROFESSIONAL)
    dan = b.member("Dan")
    b.give(pat, dan, 60, date(2026, 3, 1))
    b.give(dan, ann, 60, date(2026, 3, 1))
    report = build_report(session, BankSelection.one(b.id), PERIOD, Audience.PARTNER)
    kinds = {n.kind.value for n in report.network.graph.nodes}
    assert kinds == {"member"}  # one professional is too few to show as one


def test_pseudonyms_change_from_report_to_report(session):
    b = Bank(session, threshold=3)
    members = [b.member(n) for n in ("Ann", "Ben", "Cat", "Dan")]
    for giver, receiver in zip(members, members[1:] + members[:1], strict=True):
        b.give(giver, receiver, 60, date(2026, 2, 1))
    selection = BankSelection.one(b.id)
    first = get_report(session, selection, PERIOD, Audience.PARTNER)
    second = get_report(session, selection, PERIOD, Audience.PARTNER)
    ids = {n.id for n in first.network.graph.nodes}
    assert ids.isdisjoint({n.id for n in second.network.graph.nodes})
    assert len(first.network.graph.edges) == len(second.network.graph.edges) == 4


def test_a_combined_report_counts_people_once_with_the_strictest_threshold(session):
    north = Bank(session, threshold=3, name="North")
    south = Bank(session, threshold=4, name="South")
    people = [north.member(n) for n in ("Ann", "Ben", "Cat")]
    twins = [south.member(m.person.display_name, person=m.person) for m in people]
    for bank, group in ((north, people), (south, twins)):
        for giver, receiver in zip(group, group[1:] + group[:1], strict=True):
            bank.give(giver, receiver, 60, date(2026, 2, 1))
    alone = build_report(session, BankSelection.one(north.id), PERIOD, Audience.PARTNER)
    assert alone.threshold == 3 and alone.headline.active.value == Suppressed(reason="derivable")
    both = build_report(session, BankSelection((north.id, south.id)), PERIOD, Audience.PARTNER)
    assert both.threshold == 4
    assert [bank.name for bank in both.banks] == ["North", "South"]
    # Three people (each in both banks) are fewer than four: suppressed.
    assert isinstance(both.headline.active.value, Suppressed)
    assert both.headline.hours.value == Suppressed(reason="small")
    coordinators = build_report(session, BankSelection.one(north.id), PERIOD, Audience.COORDINATOR)
    assert coordinators.headline.active.value == 3


@pytest.mark.parametrize("threshold", [2, 0, -1])
def test_the_threshold_is_at_least_three(session, threshold):
    from timebank.ledger import errors

    b = Bank(session)
    with pytest.raises(errors.InvalidPolicyError):
        b.set_policy(report_threshold=threshold)
