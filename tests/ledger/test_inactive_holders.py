"""Entries of a holder who is no longer active do not post.

The rule: an exchange posts only while every member in it is an active member and every
organisation in it is active. An entry that was waiting when someone was suspended (or an
organisation deactivated) stays waiting: approving or confirming it is refused with
``InactiveAccountError``, a coordinator can still reject it, and it posts normally once
the holder is active again. A reversal is a correction and stays possible.

Posting locks the holders' membership (and organisation) rows after the accounts, so a
suspension committed while an approval waits is seen by that approval (PostgreSQL test
at the end).
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
    TimeBankFactory,
    bank_today,
)
from timebank.community import memberships, organisations
from timebank.extensions import db
from timebank.ledger import errors
from timebank.ledger.group import record_group_exchange
from timebank.ledger.models import Account, Membership, Transfer, TransferStatus
from timebank.ledger.transfers import (
    approve_transfer,
    confirm_transfer,
    record_transfer,
    reject_transfer,
    reverse_transfer,
)
from timebank.ledger.verify import verify_ledger

TODAY = bank_today()


@pytest.fixture
def bank(session):
    return TimeBankFactory(
        floor_minutes=-600, cap_minutes=None, requires_confirmation=True, requires_approval=True
    )


def alice_gives_bob(session, alice, bob, minutes=60):
    return record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=minutes,
        service_date=TODAY,
    )


def counters(session, *members):
    session.expire_all()
    return [
        (
            m.account.posted_debits,
            m.account.posted_credits,
            m.account.pending_debits,
            m.account.pending_credits,
        )
        for m in members
    ]


def test_approving_a_suspended_members_confirmed_entry_is_refused_until_reactivated(
    session, alice, bob, coordinator
):
    transfer = alice_gives_bob(session, alice, bob)
    confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    memberships.suspend(session, actor=coordinator, membership=alice, reason="Under review")
    session.commit()
    before = counters(session, alice, bob)

    with pytest.raises(errors.InactiveAccountError, match="not an active member"):
        approve_transfer(session, actor=coordinator, transfer_id=transfer.id)
    session.rollback()
    assert session.get(Transfer, transfer.id).status == TransferStatus.PENDING
    assert counters(session, alice, bob) == before

    memberships.reactivate(session, actor=coordinator, membership=alice)
    [posted] = approve_transfer(session, actor=coordinator, transfer_id=transfer.id)
    assert posted.status == TransferStatus.POSTED
    assert verify_ledger(session) == []


def test_a_confirmation_that_would_post_is_refused_when_the_other_side_is_suspended(
    session, alice, bob, coordinator
):
    transfer = alice_gives_bob(session, alice, bob)
    approve_transfer(session, actor=coordinator, transfer_id=transfer.id)
    memberships.suspend(session, actor=coordinator, membership=alice, reason="Under review")
    session.commit()
    with pytest.raises(errors.InactiveAccountError):
        confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    session.rollback()
    assert session.get(Transfer, transfer.id).confirmed_at is None
    # A coordinator can still reject it, which releases the pending minutes.
    reject_transfer(session, actor=coordinator, transfer_id=transfer.id, reason="Left the area")
    assert counters(session, alice, bob) == [(0, 0, 0, 0), (0, 0, 0, 0)]


def test_a_members_group_waiting_for_approval_does_not_post_for_a_suspended_participant(
    session, bank, alice, bob, coordinator
):
    carol = MembershipFactory(bank=bank)
    batch = record_group_exchange(
        session,
        actor=alice,
        hub=alice.account,
        hub_gives=True,
        participants=[(bob.account, 30), (carol.account, 30)],
        service_date=TODAY,
    )
    memberships.suspend(session, actor=coordinator, membership=carol, reason="Under review")
    session.commit()
    with pytest.raises(errors.InactiveAccountError):
        approve_transfer(session, actor=coordinator, transfer_id=batch[0].id)
    session.rollback()
    assert {session.get(Transfer, t.id).status for t in batch} == {TransferStatus.PENDING}


def test_an_entry_with_a_deactivated_organisation_does_not_post(session, bank, alice, coordinator):
    council = OrganisationFactory(bank=bank)
    transfer = record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=council.account,
        minutes=60,
        service_date=TODAY,
    )
    organisations.deactivate_organisation(session, actor=coordinator, organisation=council)
    session.commit()
    with pytest.raises(errors.InactiveAccountError, match="no longer active"):
        approve_transfer(session, actor=coordinator, transfer_id=transfer.id)


def test_a_suspended_members_posted_entry_can_still_be_reversed(session, alice, bob, coordinator):
    transfer = alice_gives_bob(session, alice, bob)
    confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    approve_transfer(session, actor=coordinator, transfer_id=transfer.id)
    memberships.suspend(session, actor=coordinator, membership=bob, reason="Under review")
    reversal = reverse_transfer(
        session, actor=coordinator, transfer_id=transfer.id, reason="Recorded by mistake"
    )
    assert reversal.status == TransferStatus.POSTED
    assert counters(session, alice, bob) == [(60, 60, 0, 0), (60, 60, 0, 0)]


@pytest.mark.postgres_only
def test_an_approval_waiting_on_a_suspension_sees_it(session, alice, bob, coordinator):
    """A coordinator suspends Alice; before that commits, another approves her confirmed
    entry. The approval must wait for the membership row and then refuse: the status it
    checks is the one after the suspension, not the one before."""
    transfer = alice_gives_bob(session, alice, bob)
    confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    second = CoordinatorFactory(bank=alice.time_bank)
    session.commit()
    ids = transfer.id, alice.id, coordinator.id, second.id

    suspender = Session(bind=db.engine)
    approver = Session(bind=db.engine)
    outcome: dict[str, object] = {}
    try:
        memberships.suspend(
            suspender,
            actor=suspender.get(Membership, ids[2]),
            membership=suspender.get(Membership, ids[1]),
            reason="Under review",
        )  # flushed: the membership row is locked and changed, not yet committed

        def approve() -> None:
            try:
                approve_transfer(
                    approver, actor=approver.get(Membership, ids[3]), transfer_id=ids[0]
                )
                approver.commit()
                outcome["result"] = "posted"
            except errors.LedgerError as error:
                approver.rollback()
                outcome["result"] = type(error).__name__

        thread = threading.Thread(target=approve)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), f"the approval did not wait for the suspension: {outcome}"
        suspender.commit()
        thread.join(timeout=30)
        assert not thread.is_alive()
    finally:
        suspender.close()
        approver.close()
    assert outcome["result"] == "InactiveAccountError"
    session.expire_all()
    assert session.get(Transfer, ids[0]).status == TransferStatus.PENDING
    assert session.scalar(sa.select(sa.func.sum(Account.pending_debits))) == 60
