"""Messages between members on a real database: who may write to whom, unread logic,
notifications, and the inbox query staying the same size however many threads."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from tests.factories import MembershipFactory, PersonFactory, TimeBankFactory
from timebank.community.messages import (
    count_unread_threads,
    get_thread,
    list_threads,
    mark_read,
    open_thread,
    reply,
    start_thread,
)
from timebank.community.models import Listing, Message, Notification
from timebank.ledger import errors
from timebank.ledger.models import MembershipStatus


@pytest.fixture
def alice(bank):
    return MembershipFactory(bank=bank, person=PersonFactory(display_name="Alice Ashdown"))


@pytest.fixture
def bob(bank):
    return MembershipFactory(bank=bank, person=PersonFactory(display_name="Bob Brennan"))


def notifications_of(session, membership):
    return session.scalars(
        sa.select(Notification).where(Notification.membership_id == membership.id)
    ).all()


def test_a_thread_reaches_the_other_member_as_unread_and_notifies_them(session, alice, bob):
    thread = start_thread(session, alice, bob, "Garden help", "Could you help on Saturday?")
    session.commit()

    [bobs] = list_threads(session, bob)
    assert (bobs.subject, bobs.other_name, bobs.unread) == ("Garden help", "Alice Ashdown", True)
    [alices] = list_threads(session, alice)
    assert (alices.other_name, alices.unread) == ("Bob Brennan", False)
    assert count_unread_threads(session, bob) == 1
    assert count_unread_threads(session, alice) == 0

    [note] = notifications_of(session, bob)
    assert note.kind == "new_message"
    assert "Alice Ashdown" in note.message
    assert "Saturday" not in note.message  # never the message text
    assert notifications_of(session, alice) == []

    mark_read(session, bob, thread.id)
    session.commit()
    assert list_threads(session, bob)[0].unread is False
    assert count_unread_threads(session, bob) == 0


def test_a_reply_makes_the_thread_unread_for_the_other_person_only(session, alice, bob):
    thread = start_thread(session, alice, bob, "Lift", "Can you drive me to the clinic?")
    mark_read(session, bob, thread.id)
    reply(session, bob, thread.id, "Yes, at ten.")
    session.commit()

    assert list_threads(session, bob)[0].unread is False
    assert list_threads(session, alice)[0].unread is True
    assert [n.kind for n in notifications_of(session, alice)] == ["new_message"]
    _, other, messages = get_thread(session, alice, thread.id)
    assert other == "Bob Brennan"
    assert [(m.sender_name, m.body) for m in messages] == [
        ("Alice Ashdown", "Can you drive me to the clinic?"),
        ("Bob Brennan", "Yes, at ten."),
    ]


def test_opening_a_thread_marks_it_read_until_the_next_message(session, alice, bob):
    thread = start_thread(session, alice, bob, "Tea", "Tea on Sunday?")
    _, other, shown = open_thread(session, bob, thread.id)
    assert other == "Alice Ashdown" and [m.body for m in shown] == ["Tea on Sunday?"]
    assert count_unread_threads(session, bob) == 0
    reply(session, alice, thread.id, "Or Monday?")
    assert count_unread_threads(session, bob) == 1
    assert list_threads(session, bob)[0].unread is True


def test_newest_activity_comes_first(session, alice, bob, bank):
    carol = MembershipFactory(bank=bank, person=PersonFactory(display_name="Carol Cheung"))
    older = start_thread(session, alice, bob, "Older", "first")
    start_thread(session, alice, carol, "Newer", "second")
    assert [t.subject for t in list_threads(session, alice)] == ["Newer", "Older"]
    reply(session, bob, older.id, "back to the top")
    assert [t.subject for t in list_threads(session, alice)] == ["Older", "Newer"]


def test_only_members_of_the_same_bank(session, alice):
    stranger = MembershipFactory(bank=TimeBankFactory())
    with pytest.raises(errors.LedgerError) as caught:
        start_thread(session, alice, stranger, "Hi", "Hello")
    assert caught.value.field == "recipient"
    assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_not_to_yourself(session, alice):
    with pytest.raises(errors.LedgerError, match="yourself") as caught:
        start_thread(session, alice, alice, "Hi", "Hello")
    assert caught.value.field == "recipient"


@pytest.mark.parametrize(
    ("subject", "body", "field"),
    [("", "Hello", "subject"), ("x" * 201, "Hello", "subject"), ("Hi", "  ", "body")],
)
def test_subject_and_body_must_fit(session, alice, bob, subject, body, field):
    with pytest.raises(errors.LedgerError) as caught:
        start_thread(session, alice, bob, subject, body)
    assert caught.value.field == field


def test_limits_are_inclusive(session, alice, bob):
    thread = start_thread(session, alice, bob, "s" * 200, "b" * 5000)
    with pytest.raises(errors.LedgerError):
        reply(session, bob, thread.id, "b" * 5001)
    reply(session, bob, thread.id, "b" * 5000)


def test_suspended_members_cannot_message_or_be_messaged(session, alice, bob):
    thread = start_thread(session, alice, bob, "Hi", "Hello")
    bob.status = MembershipStatus.SUSPENDED
    session.flush()
    with pytest.raises(errors.LedgerError, match="not an active member"):
        start_thread(session, alice, bob, "Again", "Hello")
    with pytest.raises(errors.LedgerError, match="not an active member"):
        reply(session, alice, thread.id, "Still there?")
    with pytest.raises(errors.NotAllowedError):
        reply(session, bob, thread.id, "I am suspended")
    with pytest.raises(errors.NotAllowedError):
        start_thread(session, bob, alice, "New", "I am suspended")


def test_only_participants_can_read_reply_or_mark_read(session, alice, bob, bank):
    carol = MembershipFactory(bank=bank)
    thread = start_thread(session, alice, bob, "Private", "Just us")
    with pytest.raises(errors.NotFoundError):
        reply(session, carol, thread.id, "Me too")
    with pytest.raises(errors.NotFoundError):
        get_thread(session, carol, thread.id)
    with pytest.raises(errors.NotFoundError):
        mark_read(session, carol, thread.id)
    assert list_threads(session, carol) == []


def test_a_thread_about_a_listing_must_be_in_the_same_bank(session, alice, bob):
    other = MembershipFactory(bank=TimeBankFactory())
    foreign = Listing(
        time_bank_id=other.time_bank_id, membership_id=other.id, kind="offer", title="Cakes"
    )
    mine = Listing(time_bank_id=bob.time_bank_id, membership_id=bob.id, kind="offer", title="Bread")
    session.add_all([foreign, mine])
    session.flush()
    with pytest.raises(errors.NotFoundError):
        start_thread(session, alice, bob, "About: Cakes", "Hello", listing=foreign)
    thread = start_thread(session, alice, bob, "About: Bread", "Hello", listing=mine)
    assert thread.listing_id == mine.id


def _queries_for(session, membership) -> int:
    seen = []

    def count(*args):
        seen.append(args[2])

    membership.id  # noqa: B018 - load the (expired) membership before counting
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        list_threads(session, membership)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_inbox_takes_the_same_number_of_queries_for_3_or_30_threads(session, alice, bank):
    others = [MembershipFactory(bank=bank) for _ in range(30)]
    for other in others[:3]:
        start_thread(session, other, alice, "Hello", "Hi Alice")
    session.commit()
    few = _queries_for(session, alice)
    for other in others[3:]:
        start_thread(session, other, alice, "Hello", "Hi Alice")
    session.commit()
    many = _queries_for(session, alice)
    assert len(list_threads(session, alice)) == 30
    assert few == many == 1
