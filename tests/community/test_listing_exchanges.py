"""Exchanges logged in answer to an offer or a request, as services: the link is written
with the exchange (and audited), only a listing of one of the two people in the same time
bank can be linked, a refusal writes nothing at all, a repeated request links once, and a
listing's time is counted and summed in one query whatever the number of exchanges."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import MembershipFactory, TimeBankFactory, bank_today
from tests.ledger.support import assert_refused, ledger_state
from tests.reports.test_statements import count_queries
from timebank.community import listings
from timebank.community.listing_exchanges import (
    ListingAnswerError,
    listing_answered,
    listing_time,
    record_answering,
)
from timebank.community.models import ListingExchange
from timebank.ledger import errors
from timebank.ledger.database import run_in_transaction
from timebank.ledger.models import AuditEntry, TransferStatus
from timebank.ledger.transfers import (
    approve_transfer,
    confirm_transfer,
    reject_transfer,
    reverse_transfer,
)
from timebank.ledger.verify import verify_ledger

TODAY = bank_today()


@pytest.fixture
def alice(bank):
    return MembershipFactory(bank=bank, person__display_name="Alice Ashdown")


@pytest.fixture
def bob(bank):
    return MembershipFactory(bank=bank, person__display_name="Bob Brennan")


@pytest.fixture
def carol(bank):
    return MembershipFactory(bank=bank, person__display_name="Carol Cheung")


def post(session, actor, title="Lifts to the shops", kind="offer"):
    listing = listings.post_listing(session, actor=actor, kind=kind, title=title)
    session.commit()
    return listing


def answer(session, actor, giver, receiver, listing, minutes=60, **kw):
    return record_answering(
        session,
        actor=actor,
        giver=giver.account,
        receiver=receiver.account,
        listing_id=listing.id if listing is not None else None,
        minutes=minutes,
        service_date=kw.pop("service_date", TODAY),
        **kw,
    )


def links(session):
    return session.scalar(sa.select(sa.func.count()).select_from(ListingExchange))


def state(session):
    return {**ledger_state(session), "links": links(session)}


def test_the_link_is_written_with_the_exchange_and_audited(session, alice, bob):
    request = post(session, bob, "Help with my phone", kind="request")
    transfer = answer(session, alice, alice, bob, request, 90)
    session.commit()
    assert transfer.status == TransferStatus.PENDING
    assert listing_answered(session, transfer.id).id == request.id
    entry = session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == "listing.exchange_linked", AuditEntry.entity_id == request.id
        )
    )
    assert entry.entity_type == "listing" and entry.actor_id == alice.id
    assert verify_ledger(session) == []


def test_my_own_listing_can_be_answered_too(session, alice, bob):
    offer = post(session, alice, "Lifts to the shops")
    transfer = answer(session, alice, alice, bob, offer)
    assert listing_answered(session, transfer.id).id == offer.id


def test_a_coordinator_links_a_listing_of_either_person(session, alice, bob, coordinator):
    offer = post(session, bob)
    transfer = answer(session, coordinator, bob, alice, offer)
    assert listing_answered(session, transfer.id).id == offer.id


def test_without_a_listing_nothing_is_linked(session, alice, bob):
    transfer = answer(session, alice, alice, bob, None)
    session.commit()
    assert listing_answered(session, transfer.id) is None
    assert links(session) == 0


@pytest.mark.parametrize("which", ["other-bank", "third-person", "missing"])
def test_a_listing_that_cannot_be_answered_is_refused_and_nothing_is_written(
    session, bank, alice, bob, carol, which
):
    if which == "other-bank":
        stranger = MembershipFactory(bank=TimeBankFactory())
        listing_id = post(session, stranger).id
        words = "We could not find that offer or request in your time bank."
    elif which == "third-person":
        listing_id = post(session, carol).id
        words = "That offer or request was posted by someone else."
    else:
        listing_id = 999_999
        words = "We could not find that offer or request in your time bank."
    before = state(session)

    def work():
        return record_answering(
            session,
            actor=alice,
            giver=alice.account,
            receiver=bob.account,
            listing_id=listing_id,
            minutes=60,
            service_date=TODAY,
            idempotency_key="k-refused",
        )

    error = assert_refused(session, ListingAnswerError, work)
    assert error.field == "listing"
    assert error.message.startswith(words)
    assert state(session) == before


def test_a_refused_exchange_leaves_no_link(session, alice, bob):
    offer = post(session, bob)
    mine = post(session, alice, "Ironing")
    before = state(session)
    assert_refused(
        session,
        errors.AmountTooLargeError,
        lambda: answer(session, alice, alice, bob, offer, 13 * 60),
    )
    assert_refused(
        session,
        errors.SelfTransferError,
        lambda: record_answering(
            session,
            actor=alice,
            giver=alice.account,
            receiver=alice.account,
            listing_id=mine.id,
            minutes=60,
            service_date=TODAY,
        ),
    )
    assert state(session)["links"] == before["links"] == 0
    assert state(session)["transfers"] == before["transfers"]


def test_the_same_request_twice_links_once(session, alice, bob):
    offer = post(session, bob)

    def again(listing):
        return answer(session, alice, alice, bob, listing, 60, idempotency_key="k-1")

    first = run_in_transaction(session, lambda: again(offer))
    second = run_in_transaction(session, lambda: again(offer))
    assert first.id == second.id
    assert links(session) == 1
    # The same key for another listing, or for none, is a different request: refused.
    other = post(session, alice, "Ironing")
    for listing in (other, None):
        assert_refused(
            session, errors.IdempotencyConflictError, lambda listing=listing: again(listing)
        )
    assert links(session) == 1
    assert listing_answered(session, first.id).id == offer.id


def test_listing_time_counts_and_sums_posted_and_waiting_exchanges(
    session, bank, alice, bob, carol, coordinator
):
    request = post(session, bob, "Help with my phone", kind="request")
    done = answer(session, alice, alice, bob, request, 90)
    confirm_transfer(session, actor=bob, transfer_id=done.id)
    approve_transfer(session, actor=coordinator, transfer_id=done.id)
    answer(session, carol, carol, bob, request, 30)  # waiting for Bob
    refused = answer(session, alice, alice, bob, request, 45)
    reject_transfer(session, actor=bob, transfer_id=refused.id, reason="Not me")
    undone = answer(session, coordinator, carol, bob, request, 120)
    reverse_transfer(session, actor=coordinator, transfer_id=undone.id, reason="Wrong person")
    answer(session, alice, alice, bob, None, 15)  # answers nothing
    session.commit()

    time = listing_time(session, bank.id, request.id)
    assert (time.posted_count, time.posted_minutes) == (1, 90)
    assert (time.pending_count, time.pending_minutes) == (1, 30)
    assert (time.count, time.minutes) == (2, 120)
    assert [e.minutes for e in time.exchanges] == [90, 30]
    # Another time bank's id finds nothing.
    assert listing_time(session, TimeBankFactory().id, request.id).count == 0
    assert verify_ledger(session) == []


def test_listing_time_is_one_query_whatever_the_number(session, bank, alice, bob):
    offer = post(session, bob)
    bank_id, offer_id = bank.id, offer.id
    answer(session, alice, bob, alice, offer, 60)
    session.commit()

    def selects(statements):
        return [s for s in statements if s.lstrip().upper().startswith("SELECT")]

    with count_queries(session.get_bind()) as one:
        assert listing_time(session, bank_id, offer_id).count == 1
    for _ in range(5):
        answer(session, alice, bob, alice, offer, 15)
    session.commit()
    with count_queries(session.get_bind()) as six:
        time = listing_time(session, bank_id, offer_id)
    assert (time.count, time.minutes) == (6, 135)
    assert len(selects(six)) == len(selects(one)) == 1


def test_listing_time_of_a_listing_without_exchanges_is_zero(session, bank, alice):
    offer = post(session, alice)
    time = listing_time(session, bank.id, offer.id)
    assert (time.count, time.minutes, time.exchanges) == (0, 0, [])
