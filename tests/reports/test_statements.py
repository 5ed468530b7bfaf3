"""Reading an account: statements with running balances, recent entries, query counts."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    TimeBankFactory,
    bank_today,
)
from timebank.extensions import db
from timebank.ledger.banks import get_pot_account
from timebank.ledger.models import Account
from timebank.ledger.pot import donate_to_pot
from timebank.ledger.transfers import record_transfer, reject_transfer
from timebank.reports.statements import get_statement, list_recent_transfers

TODAY = bank_today()


def day(n: int) -> date:
    return TODAY - timedelta(days=n)


@pytest.fixture
def bank(session):
    return TimeBankFactory(floor_minutes=None, cap_minutes=None)


@pytest.fixture
def council(bank):
    return OrganisationFactory(bank=bank, name="Riverside Council Library")


def posted(session, coordinator, giver, receiver, minutes, service_date, **kw):
    return record_transfer(
        session,
        actor=coordinator,
        giver=giver,
        receiver=receiver,
        minutes=minutes,
        service_date=service_date,
        **kw,
    )


def test_statement_over_a_date_range(session, coordinator, alice, bob, council):
    a, b, c = alice.account, bob.account, council.account
    posted(session, coordinator, a, b, 60, day(10))
    posted(session, coordinator, b, a, 30, day(5), category="gardening")
    posted(session, coordinator, a, c, 120, day(3), description="Library volunteering")
    posted(session, coordinator, b, a, 45, day(1))
    # Pending and rejected entries are not on a statement.
    pending = record_transfer(
        session, actor=alice, giver=a, receiver=b, minutes=90, service_date=day(4)
    )
    withdrawn = record_transfer(
        session, actor=alice, giver=a, receiver=b, minutes=15, service_date=day(4)
    )
    reject_transfer(session, actor=alice, transfer_id=withdrawn.id, reason="Typed twice")
    assert pending.status == "pending"

    statement = get_statement(session, a, start=day(6), end=day(2))
    assert statement.opening_balance == 60
    assert [line.minutes for line in statement.lines] == [-30, 120]
    assert [line.running_balance for line in statement.lines] == [30, 150]
    assert statement.closing_balance == 150
    assert [line.counterpart for line in statement.lines] == [
        bob.person.display_name,
        "Riverside Council Library",
    ]
    assert statement.lines[0].category == "Gardening"
    assert statement.lines[1].description == "Library volunteering"
    assert [line.service_date for line in statement.lines] == [day(5), day(3)]

    everything = get_statement(session, a)
    assert everything.opening_balance == 0
    assert [line.running_balance for line in everything.lines] == [60, 30, 150, 105]
    assert everything.closing_balance == a.balance == 105

    # From bob's side the signs are the other way round.
    bobs = get_statement(session, b, start=day(6))
    assert bobs.opening_balance == -60
    assert [line.minutes for line in bobs.lines] == [30, 45]
    assert bobs.closing_balance == b.balance == 15


def test_statement_of_an_empty_range(session, coordinator, alice, bob):
    posted(session, coordinator, alice.account, bob.account, 60, day(10))
    statement = get_statement(session, alice.account, start=day(5), end=day(1))
    assert statement.lines == []
    assert statement.opening_balance == statement.closing_balance == 60


def test_same_day_entries_keep_their_recording_order(session, coordinator, alice, bob):
    a, b = alice.account, bob.account
    first = posted(session, coordinator, a, b, 60, day(2))
    second = posted(session, coordinator, b, a, 15, day(2))
    lines = get_statement(session, a).lines
    assert [line.transfer_id for line in lines] == [first.id, second.id]
    assert [line.running_balance for line in lines] == [60, 45]


def test_recent_transfers_newest_first_with_the_counterparts_name(
    session, bank, coordinator, alice, bob, council
):
    a, b, c = alice.account, bob.account, council.account
    first = posted(session, coordinator, a, b, 60, day(10))
    second = posted(session, coordinator, c, a, 30, day(20))  # older service date
    donation = donate_to_pot(session, actor=alice, donor=a, minutes=15)
    pending = record_transfer(
        session, actor=bob, giver=b, receiver=a, minutes=45, service_date=day(1)
    )
    lines = list_recent_transfers(session, a)
    assert [line.transfer_id for line in lines] == [pending.id, donation.id, second.id, first.id]
    assert [line.counterpart for line in lines] == [
        bob.person.display_name,
        "Community pot",
        "Riverside Council Library",
        bob.person.display_name,
    ]
    assert [line.minutes for line in lines] == [-45, -15, -30, 60]
    assert [line.status for line in lines] == ["pending", "posted", "posted", "posted"]
    assert all(line.running_balance is None for line in lines)
    assert [line.transfer_id for line in list_recent_transfers(session, a, limit=2)] == [
        pending.id,
        donation.id,
    ]
    pot = get_pot_account(session, bank.id)
    (pot_line,) = list_recent_transfers(session, pot)
    assert pot_line.counterpart == alice.person.display_name and pot_line.minutes == 15


@contextmanager
def count_queries(engine):
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)


def add_history(session, coordinator, alice, others, count):
    """``count`` more posted entries on alice's account, with every kind of counterpart."""
    for i in range(count):
        other = others[i % len(others)]
        if other is None:
            donate_to_pot(session, actor=coordinator, donor=alice, minutes=15)
        elif i % 2:
            posted(session, coordinator, alice, other, 30, day(i % 60), category="care")
        else:
            posted(session, coordinator, other, alice, 15, day(i % 60))
    session.commit()


def measure(session, account_id):
    session.expire_all()
    account = session.get(Account, account_id)
    assert account.id == account_id
    with count_queries(db.engine) as recent_queries:
        recent = list_recent_transfers(session, account, limit=10)
    with count_queries(db.engine) as statement_queries:
        statement = get_statement(session, account, start=day(30), end=TODAY)
    with count_queries(db.engine) as full_queries:
        full = get_statement(session, account)
    session.commit()
    return (len(recent_queries), len(statement_queries), len(full_queries)), recent, statement, full


def test_reads_take_the_same_number_of_queries_however_long_the_history(
    session, bank, coordinator, alice, bob, council
):
    carol = MembershipFactory(bank=bank)
    others = [bob.account, council.account, None, carol.account, bob.account]
    add_history(session, coordinator, alice.account, others, 10)
    small, recent, _, full = measure(session, alice.account.id)
    assert len(recent) == 10 and len(full.lines) == 10

    add_history(session, coordinator, alice.account, others, 190)
    large, recent, statement, full = measure(session, alice.account.id)
    assert len(recent) == 10 and len(full.lines) == 200
    assert statement.opening_balance + sum(line.minutes for line in statement.lines) == (
        statement.closing_balance
    )
    assert full.closing_balance == session.get(Account, alice.account.id).balance

    assert small == large, f"queries for 10 entries {small}, for 200 entries {large}"
    assert max(large) <= 3
