"""The coordinators' reads: the approval queue (filters, order, pages, query count), one
entry in full, and the posted exchanges with their reversals."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    TimeBankFactory,
    bank_today,
)
from tests.reports.test_statements import count_queries
from timebank.extensions import db
from timebank.ledger.banks import update_policy
from timebank.ledger.corrections import correct_pending_transfer
from timebank.ledger.models import Transfer
from timebank.ledger.transfers import (
    approve_transfer,
    confirm_transfer,
    record_transfer,
    reverse_transfer,
)
from timebank.reports.keyset import Cursor
from timebank.reports.posted import HistoryFilters, list_posted
from timebank.reports.queue import QueueFilters, count_waiting, list_queue, load_pending_selection
from timebank.reports.statements import list_recent_transfers
from timebank.reports.transfer_detail import transfer_detail

TODAY = bank_today()


@pytest.fixture
def bank(session):
    return TimeBankFactory(floor_minutes=None)


def member(bank, name):
    return MembershipFactory(bank=bank, person=PersonFactory(display_name=name))


@pytest.fixture
def people(bank):
    return {
        "alice": member(bank, "Alice Ashdown"),
        "bob": member(bank, "Bob Brennan"),
        "carol": member(bank, "Carol Cheung"),
        "coordinator": CoordinatorFactory(bank=bank),
    }


def record(session, actor, giver, receiver, minutes, *, at=None, **kw):
    transfer = record_transfer(
        session,
        actor=actor,
        giver=giver.account,
        receiver=receiver.account,
        minutes=minutes,
        service_date=kw.pop("service_date", TODAY),
        **kw,
    )
    if at is not None:
        transfer.recorded_at = at
        session.flush()
    return transfer


def ids(page):
    return [row.id for row in page.rows]


def test_the_queue_lists_what_waits_for_approval_oldest_first(session, bank, people):
    alice, bob, carol, coordinator = people.values()
    now = datetime(2026, 5, 10, 12, 0)  # noqa: DTZ001 (naive UTC, as the database stores it)
    newest = record(session, alice, alice, bob, 60, at=now - timedelta(hours=1))
    oldest = record(session, bob, bob, carol, 30, at=now - timedelta(days=5))
    middle = record(session, carol, carol, alice, 45, at=now - timedelta(days=2))
    confirm_transfer(session, actor=alice, transfer_id=middle.id)
    # Not in the queue: recorded by a coordinator (posts), or already approved.
    record(session, coordinator, alice, bob, 15)
    approved = record(session, alice, alice, carol, 15, at=now - timedelta(days=9))
    approve_transfer(session, actor=coordinator, transfer_id=approved.id)
    session.commit()

    page = list_queue(session, bank.id, now=now)
    assert ids(page) == [oldest.id, middle.id, newest.id]
    assert (page.total, page.total_minutes) == (3, 135)
    rows = {row.id: row for row in page.rows}
    assert (rows[oldest.id].giver, rows[oldest.id].receiver) == ("Bob Brennan", "Carol Cheung")
    assert rows[oldest.id].age_days == 5 and rows[newest.id].age_days == 0
    assert rows[oldest.id].awaiting_confirmation and not rows[middle.id].awaiting_confirmation

    # Waiting for the other person alone: the approved one, unconfirmed. The entries
    # still to be approved are not listed twice, confirmed or not.
    waiting = list_queue(session, bank.id, QueueFilters(stage="confirmation"), now=now)
    assert ids(waiting) == [approved.id]
    assert not set(ids(page)) & set(ids(waiting))
    assert count_waiting(session, bank.id) == {"approval": 3, "confirmation": 1}

    # Another bank's entries never show.
    other_bank = TimeBankFactory()
    x, y = MembershipFactory(bank=other_bank), MembershipFactory(bank=other_bank)
    record(session, x, x, y, 60)
    session.commit()
    assert list_queue(session, bank.id, now=now).total == 3


def test_queue_filters(session, bank, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    council = OrganisationFactory(bank=bank, name="Riverside Council")
    now = datetime(2026, 5, 10, 12, 0)  # noqa: DTZ001 (naive UTC, as the database stores it)
    a = record(session, alice, alice, bob, 60, category="gardening", at=now - timedelta(days=8))
    b = record(session, bob, bob, carol, 180, category="transport", at=now - timedelta(days=1))
    c = record(session, carol, carol, alice, 30, at=now)
    d = record(session, carol, carol, council, 90, at=now - timedelta(days=3))
    session.commit()

    def found(**filters):
        return ids(list_queue(session, bank.id, QueueFilters(**filters), now=now))

    assert found(member="alice") == [a.id, c.id]
    assert found(member="  BRENNAN ") == [a.id, b.id]
    assert found(member="council") == [d.id]
    assert found(member="%") == []  # no wildcards
    assert found(category="gardening") == [a.id]
    assert found(min_minutes=90) == [d.id, b.id]
    assert found(max_minutes=60) == [a.id, c.id]
    assert found(min_minutes=60, max_minutes=90) == [a.id, d.id]
    assert found(min_age_days=3) == [a.id, d.id]
    assert found(kind="exchange") == [a.id, d.id, b.id, c.id]
    assert found(kind="group") == []
    assert found(member="carol", min_age_days=2) == [d.id]


def test_pages_hold_at_most_per_page_rows(session, bank, people):
    alice, bob = people["alice"], people["bob"]
    now = datetime(2026, 5, 10, 12, 0)  # noqa: DTZ001 (naive UTC, as the database stores it)
    made = [
        record(session, alice, alice, bob, 15, at=now - timedelta(minutes=100 - i)).id
        for i in range(7)
    ]
    session.commit()
    first = list_queue(session, bank.id, per_page=3, now=now)
    second = list_queue(
        session, bank.id, cursor=Cursor(after=first.next_after), per_page=3, now=now
    )
    last = list_queue(session, bank.id, cursor=Cursor(after=second.next_after), per_page=3, now=now)
    assert ids(first) == made[:3] and ids(second) == made[3:6] and ids(last) == made[6:]
    assert (first.has_next, first.has_previous) == (True, False)
    assert (last.has_next, last.has_previous, last.total) == (False, True, 7)


def selects(statements):
    """The queries, without the transaction's BEGIN."""
    return [s for s in statements if not s.startswith("BEGIN")]


def _queue_queries(session, bank_id):
    session.expire_all()
    with count_queries(db.engine) as statements:
        page = list_queue(session, bank_id)
        # Everything the page shows.
        shown = [(r.giver, r.receiver, r.category, r.minutes) for r in page.rows]
        assert len(shown) == len(page.rows)
    session.commit()
    return len(selects(statements)), page


def test_the_queue_takes_the_same_number_of_queries_for_10_or_100_entries(session, bank, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    council = OrganisationFactory(bank=bank)
    pairs = [(alice, bob), (bob, carol), (carol, alice)]

    def add(count, start):
        for i in range(start, start + count):
            giver, receiver = pairs[i % 3]
            if i % 5 == 0:
                record(session, giver, giver, council, 15)
            else:
                record(session, giver, giver, receiver, 15, category="gardening")
        session.commit()

    add(10, 0)
    ten, page = _queue_queries(session, bank.id)
    assert page.total == 10
    add(90, 10)
    hundred, page = _queue_queries(session, bank.id)
    assert page.total == 100 and len(page.rows) == 50
    assert ten == hundred == 2


def test_selection_keeps_only_this_banks_entries_waiting_for_approval(session, bank, people):
    alice, bob, coordinator = people["alice"], people["bob"], people["coordinator"]
    waiting = record(session, alice, alice, bob, 30)
    posted = record(session, coordinator, alice, bob, 30)
    other_bank = TimeBankFactory()
    x, y = MembershipFactory(bank=other_bank), MembershipFactory(bank=other_bank)
    foreign = record(session, x, x, y, 60)
    session.commit()
    rows = load_pending_selection(session, bank.id, [foreign.id, posted.id, waiting.id, 12345])
    assert [row.id for row in rows] == [waiting.id]


def test_detail_shows_both_histories_the_effect_and_the_audit_trail(session, bank, people):
    alice, bob, carol, coordinator = people.values()
    record(session, coordinator, bob, carol, 60)  # Bob has given 1 h
    for _ in range(12):
        record(session, coordinator, alice, carol, 15)
    update_policy(session, actor=None, bank=bank, floor_minutes=-120)
    transfer = record(session, alice, alice, bob, 150, description="Moving house")
    correct_pending_transfer(
        session, actor=coordinator, transfer_id=transfer.id, minutes=180, reason="Three hours"
    )
    session.commit()

    detail = transfer_detail(session, bank, session.get(Transfer, transfer.id))
    assert len(detail.giver_history) == 10 and detail.giver_history[0].transfer_id == transfer.id
    assert detail.receiver_history[0].transfer_id == transfer.id
    assert (detail.giver_effect.balance, detail.giver_effect.after) == (180, 360)
    assert (detail.receiver_effect.balance, detail.receiver_effect.after) == (60, -120)
    assert detail.giver_effect.problem is None and detail.receiver_effect.problem is None
    assert not detail.will_post_on_approval  # Bob has not confirmed
    actions = [line.action for line in detail.audit]
    assert actions == ["transfer.recorded", "transfer.corrected"]
    corrected = detail.audit[1]
    assert corrected.reason == "Three hours"
    assert ("Time", "2 h 30 min", "3 h") in corrected.changes

    # A tighter floor now: approving would be refused, and the page can say why.
    update_policy(session, actor=None, bank=bank, floor_minutes=-60)
    session.commit()
    detail = transfer_detail(session, bank, session.get(Transfer, transfer.id))
    assert "limit" in detail.receiver_effect.problem and detail.problems


def test_detail_reads_both_sides_as_their_accounts_and_lines_as_their_statements(
    session, bank, people
):
    """The sides read with the entry's facts hold what the accounts hold, and the lines
    made from the rows read are each holder's own recent entries."""
    alice, bob, carol, coordinator = people.values()
    record(session, coordinator, bob, carol, 60)
    record(session, alice, carol, alice, 45)  # waits for Carol's confirmation
    transfer = record(session, alice, alice, bob, 90, description="Moving house")
    session.commit()

    detail = transfer_detail(session, bank, session.get(Transfer, transfer.id))
    for side, member in ((detail.giver, alice), (detail.receiver, bob)):
        account = member.account
        assert (side.id, side.kind, side.membership_id) == (
            account.id,
            account.kind,
            account.membership_id,
        )
        assert (side.posted_debits, side.posted_credits) == (
            account.posted_debits,
            account.posted_credits,
        )
        assert (side.pending_debits, side.pending_credits) == (
            account.pending_debits,
            account.pending_credits,
        )
        assert side.label == account.label
    assert detail.giver_history == list_recent_transfers(session, alice.account)
    assert detail.receiver_history == list_recent_transfers(session, bob.account)
    assert (detail.giver_label, detail.receiver_label) == ("Alice Ashdown", "Bob Brennan")


def test_the_trail_is_in_the_order_it_was_written(session, bank, people):
    """An entry's history is read without ORDER BY (see AUDIT_LINES) and put in the
    order of the bank's log: corrected twice, then approved."""
    alice, bob, coordinator = people["alice"], people["bob"], people["coordinator"]
    transfer = record(session, alice, alice, bob, 60)
    for minutes, reason in ((90, "Ninety"), (75, "Seventy-five")):
        correct_pending_transfer(
            session, actor=coordinator, transfer_id=transfer.id, minutes=minutes, reason=reason
        )
    session.commit()
    detail = transfer_detail(session, bank, session.get(Transfer, transfer.id))
    assert [(line.action, line.reason) for line in detail.audit] == [
        ("transfer.recorded", None),
        ("transfer.corrected", "Ninety"),
        ("transfer.corrected", "Seventy-five"),
    ]


def test_posted_list_newest_first_with_reversals_and_filters(session, bank, people):
    alice, bob, carol, coordinator = people.values()
    first = record(session, coordinator, alice, bob, 60, service_date=TODAY - timedelta(days=10))
    second = record(session, coordinator, bob, carol, 30, service_date=TODAY - timedelta(days=2))
    record(session, alice, alice, carol, 30)  # pending: not listed
    reversal = reverse_transfer(session, actor=coordinator, transfer_id=first.id, reason="Wrong")
    session.commit()

    page = list_posted(session, bank.id)
    assert ids(page) == [reversal.id, second.id, first.id]
    rows = {row.id: row for row in page.rows}
    assert rows[first.id].reversed_by_id == reversal.id
    assert rows[second.id].reversed_by_id is None
    assert (rows[second.id].giver, rows[second.id].receiver) == ("Bob Brennan", "Carol Cheung")

    def found(**filters):
        return ids(list_posted(session, bank.id, HistoryFilters(**filters)))

    assert found(member="carol") == [second.id]
    assert found(kind="reversal") == [reversal.id]
    assert found(start=TODAY - timedelta(days=5)) == [reversal.id, second.id]
    assert found(end=TODAY - timedelta(days=5)) == [first.id]


def test_posted_list_takes_two_queries(session, bank, people):
    alice, bob, coordinator = people["alice"], people["bob"], people["coordinator"]
    for _ in range(30):
        record(session, coordinator, alice, bob, 15)
    session.commit()
    bank_id = bank.id
    session.expire_all()
    with count_queries(db.engine) as statements:
        page = list_posted(session, bank_id)
        [(row.giver, row.receiver, row.category) for row in page.rows]
    session.commit()
    assert len(page.rows) == 30 and len(selects(statements)) == 2
