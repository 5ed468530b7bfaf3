"""A request sent again with its idempotency key returns what it first recorded, even
after a coordinator corrected the entry in between: the key names the request as it was
sent, not the entry as it is now. (Found by the state machine's random run: a member's
group entry, corrected, then the same request sent again, was refused as a conflict.)"""

from __future__ import annotations

import pytest

from tests.factories import CoordinatorFactory, MembershipFactory, TimeBankFactory, bank_today
from tests.ledger.support import assert_refused, ledger_state
from timebank.community import memberships
from timebank.ledger import errors
from timebank.ledger.corrections import correct_pending_transfer
from timebank.ledger.database import run_in_transaction
from timebank.ledger.group import record_group_exchange
from timebank.ledger.transfers import record_transfer

TODAY = bank_today()


@pytest.fixture
def bank(session):
    return TimeBankFactory(
        floor_minutes=-600, cap_minutes=600, requires_confirmation=True, requires_approval=True
    )


@pytest.fixture
def people(bank):
    return [MembershipFactory(bank=bank) for _ in range(3)]


def exchange(session, actor, giver, receiver, minutes):
    return record_transfer(
        session,
        actor=actor,
        giver=giver.account,
        receiver=receiver.account,
        minutes=minutes,
        service_date=TODAY,
        idempotency_key="form-1",
    )


def group(session, actor, hub, participants):
    return record_group_exchange(
        session,
        actor=actor,
        hub=hub.account,
        hub_gives=False,
        participants=[(m.account, minutes) for m, minutes in participants],
        service_date=TODAY,
        idempotency_key="group-1",
    )


def correct(session, coordinator, transfer_id, minutes):
    correct_pending_transfer(
        session,
        actor=coordinator,
        transfer_id=transfer_id,
        minutes=minutes,
        reason="Two hours, not one",
    )
    session.commit()


def test_an_exchange_sent_again_after_a_correction_returns_the_entry(session, coordinator, people):
    alice, bob, _ = people
    first = exchange(session, alice, alice, bob, 60)
    session.commit()
    correct(session, coordinator, first.id, 120)
    state = ledger_state(session)

    again = run_in_transaction(session, lambda: exchange(session, alice, alice, bob, 60))

    assert again.id == first.id
    assert again.minutes == 120  # the entry as it is now
    assert ledger_state(session) == state


def test_an_exchange_sent_with_the_corrected_time_is_a_different_request(
    session, coordinator, people
):
    alice, bob, _ = people
    first = exchange(session, alice, alice, bob, 60)
    session.commit()
    correct(session, coordinator, first.id, 120)

    assert_refused(
        session,
        errors.IdempotencyConflictError,
        lambda: exchange(session, alice, alice, bob, 120),
    )


def test_a_group_sent_again_after_a_correction_returns_the_batch(session, coordinator, people):
    hub, carol, dan = people
    first = group(session, hub, hub, [(carol, 60), (dan, 15)])
    session.commit()
    correct(session, coordinator, first[1].id, 60)
    state = ledger_state(session)

    again = run_in_transaction(session, lambda: group(session, hub, hub, [(carol, 60), (dan, 15)]))

    assert [t.id for t in again] == [t.id for t in first]
    assert ledger_state(session) == state


def test_a_group_sent_with_other_times_is_still_refused_after_a_correction(
    session, coordinator, people
):
    hub, carol, dan = people
    first = group(session, hub, hub, [(carol, 60), (dan, 15)])
    session.commit()
    correct(session, coordinator, first[1].id, 60)

    assert_refused(
        session,
        errors.IdempotencyConflictError,
        lambda: group(session, hub, hub, [(carol, 60), (dan, 60)]),
    )


# A retry after a timeout must learn that its entry was recorded, even if the sender was
# suspended in between (found by the state machine's random run: the replay was refused
# with "Only active members can do this", so a client would think nothing was recorded).


def suspend(session, coordinator, membership):
    memberships.suspend(session, actor=coordinator, membership=membership, reason="A pause")
    session.commit()


def test_an_exchange_sent_again_after_its_sender_was_suspended_returns_the_entry(
    session, coordinator, people
):
    alice, bob, _ = people
    first = exchange(session, alice, alice, bob, 60)
    session.commit()
    suspend(session, coordinator, alice)
    state = ledger_state(session)

    again = run_in_transaction(session, lambda: exchange(session, alice, alice, bob, 60))

    assert again.id == first.id
    assert ledger_state(session) == state


def test_a_group_sent_again_after_its_sender_was_suspended_returns_the_batch(
    session, coordinator, people
):
    hub, carol, dan = people
    first = group(session, hub, hub, [(carol, 60), (dan, 15)])
    session.commit()
    suspend(session, coordinator, hub)

    again = run_in_transaction(session, lambda: group(session, hub, hub, [(carol, 60), (dan, 15)]))

    assert [t.id for t in again] == [t.id for t in first]


def test_a_suspended_member_still_cannot_record_anything_new(session, coordinator, people):
    alice, bob, _ = people
    exchange(session, alice, alice, bob, 60)
    session.commit()
    suspend(session, coordinator, alice)

    assert_refused(
        session,
        errors.NotAllowedError,
        lambda: record_transfer(
            session,
            actor=alice,
            giver=alice.account,
            receiver=bob.account,
            minutes=60,
            service_date=TODAY,
            idempotency_key="form-2",
        ),
    )


def test_a_suspended_coordinator_is_not_handed_someone_elses_entry(session, bank, people):
    alice, bob, _ = people
    other_coordinator = CoordinatorFactory(bank=bank)
    coordinator = CoordinatorFactory(bank=bank)
    exchange(session, alice, alice, bob, 60)
    session.commit()
    suspend(session, coordinator, other_coordinator)

    assert_refused(
        session,
        errors.IdempotencyConflictError,
        lambda: exchange(session, other_coordinator, alice, bob, 60),
    )
