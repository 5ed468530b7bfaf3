"""A member sees what coordinators did with their exchanges."""

from __future__ import annotations

import sqlalchemy as sa

from tests.factories import TimeBankFactory, bank_today
from tests.web.support import make_member, sign_in
from timebank.community.models import Notification
from timebank.community.notifications import Kind, notify_transfer_outcome
from timebank.ledger.models import Role
from timebank.ledger.transfers import confirm_transfer, record_transfer, reject_transfer


def test_news_lists_outcomes_and_marks_them_read(client, session):
    bank = TimeBankFactory()
    coordinator = make_member(session, email="cora@example.org", bank=bank, role=Role.COORDINATOR)
    alice = make_member(session, email="alice@example.org", name="Alice Ash", bank=bank)
    bob = make_member(session, email="bob@example.org", name="Bob Birch", bank=bank)
    transfer = record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=60,
        service_date=bank_today(),
    )
    confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    rejected = reject_transfer(
        session, actor=coordinator, transfer_id=transfer.id, reason="Recorded twice"
    )
    notify_transfer_outcome(
        session, rejected, kind=Kind.REJECTED, reason="Recorded twice", skip=coordinator
    )
    session.commit()

    sign_in(client, "alice@example.org")
    dashboard = client.get("/members/").get_data(as_text=True)
    assert "News" in dashboard and '1<span class="visually-hidden"> new</span>' in dashboard
    page = client.get("/members/notifications").get_data(as_text=True)
    assert "The 1 h you gave to Bob Birch" in page and "was not accepted" in page
    assert "Reason: Recorded twice" in page
    unread = session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.membership_id == alice.id, Notification.read_at.is_(None))
    )
    assert unread == 0
    assert " new</span>" not in client.get("/members/").get_data(as_text=True)


def test_news_shows_only_my_own(client, session):
    bank = TimeBankFactory()
    make_member(session, email="alice@example.org", bank=bank)
    bob = make_member(session, email="bob@example.org", bank=bank)
    session.add(
        Notification(time_bank_id=bank.id, membership_id=bob.id, kind="x", message="Private to Bob")
    )
    session.commit()
    sign_in(client, "alice@example.org")
    assert "Private to Bob" not in client.get("/members/notifications").get_data(as_text=True)


def test_news_page_reads_the_same_number_of_queries_for_3_and_40_items(client, session):
    from tests.web.test_member_dashboard import queries_for

    bank = TimeBankFactory()
    alice = make_member(session, email="alice@example.org", name="Alice Ash", bank=bank)
    bob = make_member(session, email="bob@example.org", name="Bob Birch", bank=bank)

    def add_outcomes(count):
        for number in range(count):
            # Each way in turn, so nobody reaches the floor.
            giver, receiver = (alice, bob) if number % 2 else (bob, alice)
            transfer = record_transfer(
                session,
                actor=alice,
                giver=giver.account,
                receiver=receiver.account,
                minutes=15,
                service_date=bank_today(),
            )
            notify_transfer_outcome(session, [transfer], kind=Kind.POSTED)
        session.commit()

    sign_in(client, "alice@example.org")
    add_outcomes(3)
    few = queries_for(client, "/members/notifications")
    add_outcomes(38)
    many = queries_for(client, "/members/notifications")
    assert few == many


def test_news_read_before_is_shown_without_a_write(client, session):
    """Opening News marks the unread read in a write transaction; once nothing is
    unread, the page is read as any page is (no write lock taken, nothing written)."""
    from tests.web.test_member_dashboard import counting_queries
    from timebank.extensions import db

    bank = TimeBankFactory()
    alice = make_member(session, email="alice@example.org", bank=bank)
    session.add(Notification(time_bank_id=bank.id, membership_id=alice.id, kind="x", message="Hi"))
    session.commit()
    sign_in(client, "alice@example.org")

    def writes_when_opened() -> list[str]:
        db.session.commit()
        with counting_queries() as statements:
            assert "Hi" in client.get("/members/notifications").get_data(as_text=True)
        return [s for s in statements if s.split()[0].upper() in ("UPDATE", "INSERT")]

    assert writes_when_opened() != []  # the first visit marks it read
    assert session.scalar(sa.select(Notification.read_at)) is not None
    assert writes_when_opened() == []
