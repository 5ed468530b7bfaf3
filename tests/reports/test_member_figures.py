"""A member's figures on a real database: hours given and received by month and this
year, and the people they exchanged time with. Only posted exchanges that still stand
count as time: a reversed exchange and its reversal net out, and donations and grants
are credits moved to and from the pot, counted apart."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    TimeBankFactory,
)
from timebank.ledger.clock import today_in
from timebank.ledger.pot import donate_to_pot, grant_from_pot
from timebank.ledger.transfers import record_transfer, reject_transfer, reverse_transfer
from timebank.reports.member_figures import (
    PotMoves,
    member_figures,
    month_starts,
    my_network,
    pot_moves,
)

TODAY = date(2026, 3, 15)


@pytest.fixture
def bank(session):
    return TimeBankFactory(
        requires_confirmation=False,
        requires_approval=False,
        max_backdate_days=1000,
        floor_minutes=None,
    )


def give(session, giver, receiver, minutes, on, actor=None, today=TODAY):
    return record_transfer(
        session,
        actor=actor or giver,
        giver=giver.account,
        receiver=receiver.account,
        minutes=minutes,
        service_date=on,
        today=today,
    )


def by_month(figures):
    return {m.month: (m.given, m.received) for m in figures.months}


def test_month_starts_cross_the_year():
    assert month_starts(date(2026, 3, 31)) == [
        date(2025, 4, 1),
        date(2025, 5, 1),
        date(2025, 6, 1),
        date(2025, 7, 1),
        date(2025, 8, 1),
        date(2025, 9, 1),
        date(2025, 10, 1),
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    assert month_starts(date(2026, 12, 1))[0] == date(2026, 1, 1)


def test_exchanges_fold_into_their_months(session, alice, bob):
    give(session, alice, bob, 60, date(2026, 3, 1))
    give(session, alice, bob, 30, date(2026, 3, 14))
    give(session, bob, alice, 45, date(2026, 3, 14))
    give(session, bob, alice, 90, date(2025, 4, 1))  # the first day of the 12 months
    give(session, alice, bob, 120, date(2025, 3, 31))  # 13 months ago: not shown

    figures = member_figures(session, alice.account, today=TODAY)

    months = by_month(figures)
    assert len(months) == 12
    assert months[date(2026, 3, 1)] == (90, 45)
    assert months[date(2025, 4, 1)] == (0, 90)
    assert date(2025, 3, 1) not in months
    assert sum(g for g, _ in months.values()) == 90
    assert figures.busiest == 90
    # Bob sees the same exchanges the other way round.
    assert by_month(member_figures(session, bob.account, today=TODAY))[date(2026, 3, 1)] == (
        45,
        90,
    )


def test_this_year_starts_on_the_first_of_january(session, alice, bob):
    today = date(2026, 1, 10)
    give(session, alice, bob, 60, date(2025, 12, 31), today=today)
    give(session, alice, bob, 15, date(2026, 1, 1), today=today)
    give(session, bob, alice, 30, date(2026, 1, 2), today=today)

    figures = member_figures(session, alice.account, today=today)

    assert figures.year == 2026
    assert (figures.year_given, figures.year_received) == (15, 30)
    assert by_month(figures)[date(2025, 12, 1)] == (60, 0)
    assert by_month(figures)[date(2026, 1, 1)] == (15, 30)


def test_today_is_where_the_time_bank_is(session):
    # Kiritimati is 14 hours ahead of UTC: its date is often tomorrow in London.
    bank = TimeBankFactory(
        timezone="Pacific/Kiritimati", requires_confirmation=False, requires_approval=False
    )
    alice, bob = MembershipFactory(bank=bank), MembershipFactory(bank=bank)
    local_today = today_in("Pacific/Kiritimati")
    assert local_today == datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    give(session, alice, bob, 60, local_today, today=None)

    figures = member_figures(session, alice.account)

    assert figures.today == local_today
    assert figures.months[-1].month == local_today.replace(day=1)
    assert figures.months[-1].given == 60
    assert figures.year_given == 60


def test_only_posted_exchanges_count(session, bank, alice, bob, coordinator):
    give(session, alice, bob, 60, date(2026, 3, 1))
    bank.requires_approval = True
    waiting = give(session, alice, bob, 30, date(2026, 3, 2))
    refused = give(session, bob, alice, 45, date(2026, 3, 3))
    reject_transfer(session, actor=coordinator, transfer_id=refused.id, reason="Not agreed")
    assert str(waiting.status) == "pending"

    figures = member_figures(session, alice.account, today=TODAY)

    assert by_month(figures)[date(2026, 3, 1)] == (60, 0)
    assert (figures.year_given, figures.year_received) == (60, 0)
    [bob_line] = my_network(session, alice.account)
    assert (bob_line.given, bob_line.received, bob_line.exchanges) == (60, 0, 1)


def test_a_reversed_exchange_and_its_reversal_net_out(session, alice, bob, coordinator):
    original = give(session, alice, bob, 60, date(2026, 3, 1))
    give(session, alice, bob, 30, date(2026, 3, 2))
    reverse_transfer(
        session, actor=coordinator, transfer_id=original.id, reason="Logged twice", today=TODAY
    )

    figures = member_figures(session, alice.account, today=TODAY)

    assert (figures.year_given, figures.year_received) == (30, 0)
    assert by_month(figures)[date(2026, 3, 1)] == (30, 0)
    [bob_line] = my_network(session, alice.account)
    assert (bob_line.given, bob_line.received, bob_line.exchanges) == (30, 0, 1)
    [alice_line] = my_network(session, bob.account)
    assert (alice_line.given, alice_line.received) == (0, 30)


def test_network_lists_people_and_organisations_not_the_pot(session, bank, alice, bob, coordinator):
    carol = MembershipFactory(bank=bank)
    health = OrganisationFactory(bank=bank, name="Community Health Team")
    today = today_in(bank.timezone)
    give(session, alice, bob, 90, today, today=today)
    give(session, bob, alice, 30, today, today=today)
    give(session, alice, bob, 15, today, today=today)
    donate_to_pot(session, actor=alice, donor=alice.account, minutes=45)
    give(session, health, alice, 120, today, actor=coordinator, today=today)
    give(session, carol, bob, 300, today, today=today)  # not Alice's

    network = my_network(session, alice.account)

    assert [(c.name, c.kind, c.given, c.received, c.exchanges) for c in network] == [
        (bob.person.display_name, "member", 105, 30, 3),
        ("Community Health Team", "organisation", 0, 120, 1),
    ]
    assert carol.person.display_name not in {c.name for c in network}
    assert pot_moves(session, alice.account) == PotMoves(donated=45, granted=0)


def test_nothing_yet(session, alice):
    figures = member_figures(session, alice.account, today=TODAY)
    assert [m.given + m.received for m in figures.months] == [0] * 12
    assert figures.busiest == 0
    assert my_network(session, alice.account) == []


def test_the_window_is_twelve_months_back_from_today(session, alice, bob):
    start = date(2025, 4, 1)
    give(session, alice, bob, 60, start - timedelta(days=1))
    give(session, alice, bob, 30, start)
    figures = member_figures(session, alice.account, today=TODAY)
    assert figures.months[0] == type(figures.months[0])(start, 30, 0)


def test_donations_and_grants_are_not_time(session, alice, bob, coordinator):
    give(session, alice, bob, 60, TODAY - timedelta(days=1))
    donate_to_pot(session, actor=alice, donor=alice.account, minutes=30, today=TODAY)
    grant_from_pot(
        session, actor=coordinator, recipient=bob.account, minutes=15, reason="Unwell", today=TODAY
    )

    alice_figures = member_figures(session, alice.account, today=TODAY)
    bob_figures = member_figures(session, bob.account, today=TODAY)

    assert (alice_figures.year_given, alice_figures.year_received) == (60, 0)
    assert (bob_figures.year_given, bob_figures.year_received) == (0, 60)
    assert {c.kind for c in my_network(session, alice.account)} == {"member"}
    assert {c.kind for c in my_network(session, bob.account)} == {"member"}
    assert pot_moves(session, alice.account) == PotMoves(donated=30, granted=0)
    assert pot_moves(session, bob.account) == PotMoves(donated=0, granted=15)


def test_a_reversed_donation_nets_out_of_the_pot_moves(session, alice, bob, coordinator):
    give(session, alice, bob, 60, TODAY - timedelta(days=1))
    donation = donate_to_pot(session, actor=alice, donor=alice.account, minutes=30, today=TODAY)
    reverse_transfer(
        session, actor=coordinator, transfer_id=donation.id, reason="By mistake", today=TODAY
    )
    assert pot_moves(session, alice.account) == PotMoves(donated=0, granted=0)
