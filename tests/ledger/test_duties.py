"""Separation of duties (issue 10 item 10, issue 11 finding 10): a coordinator's own
exchanges, and pot grants to them, need another coordinator when the bank's setting
says so; by default it does once the bank has two or more coordinators. When it does
not, the coordinator may act and the audit log records that the entry was their own.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.factories import CoordinatorFactory, MembershipFactory, TimeBankFactory, bank_today
from tests.ledger.support import assert_refused
from timebank.ledger import errors
from timebank.ledger.banks import update_policy
from timebank.ledger.duties import OwnEntryError, needs_another_coordinator
from timebank.ledger.models import AuditEntry, MembershipStatus, TransferStatus
from timebank.ledger.pot import donate_to_pot, grant_from_pot
from timebank.ledger.transfers import approve_transfer, confirm_transfer, record_transfer

TODAY = bank_today()


@pytest.fixture
def bank(session):
    return TimeBankFactory(floor_minutes=-600)


@pytest.fixture
def carys(bank):
    return CoordinatorFactory(bank=bank)


def own_exchange(session, coordinator, other):
    """An exchange the coordinator gave time in, confirmed by the other person."""
    transfer = record_transfer(
        session,
        actor=coordinator,
        giver=coordinator.account,
        receiver=other.account,
        minutes=60,
        service_date=TODAY,
    )
    confirm_transfer(session, actor=other, transfer_id=transfer.id)
    assert transfer.needs_approval and transfer.status == TransferStatus.PENDING
    return transfer


def audit_after(session, action, transfer_id):
    entry = session.scalar(
        sa.select(AuditEntry)
        .where(AuditEntry.action == action, AuditEntry.entity_id == transfer_id)
        .order_by(AuditEntry.id.desc())
    )
    return json.loads(entry.after)


def test_with_two_coordinators_another_must_approve(session, bank, carys, alice):
    dewi = CoordinatorFactory(bank=bank)
    transfer = own_exchange(session, carys, alice)
    assert needs_another_coordinator(session, bank)

    error = assert_refused(
        session,
        OwnEntryError,
        lambda: approve_transfer(session, actor=carys, transfer_id=transfer.id),
    )
    assert "another coordinator must approve it" in str(error)
    assert isinstance(error, errors.NotAllowedError)

    approve_transfer(session, actor=dewi, transfer_id=transfer.id)
    assert transfer.status == TransferStatus.POSTED
    assert "own_entry" not in audit_after(session, "transfer.approved", transfer.id)


def test_a_bank_with_one_coordinator_lets_them_approve_and_flags_it(session, bank, carys, alice):
    transfer = own_exchange(session, carys, alice)
    assert not needs_another_coordinator(session, bank)
    approve_transfer(session, actor=carys, transfer_id=transfer.id)
    assert transfer.status == TransferStatus.POSTED
    assert audit_after(session, "transfer.approved", transfer.id)["own_entry"] is True


def test_a_suspended_coordinator_does_not_count(session, bank, carys, alice):
    CoordinatorFactory(bank=bank, status=MembershipStatus.SUSPENDED)
    assert not needs_another_coordinator(session, bank)


def test_the_bank_can_turn_the_rule_off(session, bank, carys, alice):
    CoordinatorFactory(bank=bank)
    update_policy(session, actor=carys, bank=bank, own_exchanges_need_another_coordinator=False)
    transfer = own_exchange(session, carys, alice)
    approve_transfer(session, actor=carys, transfer_id=transfer.id)
    assert transfer.status == TransferStatus.POSTED
    assert audit_after(session, "transfer.approved", transfer.id)["own_entry"] is True


def test_the_bank_can_turn_the_rule_on_with_one_coordinator(session, bank, carys, alice):
    update_policy(session, actor=carys, bank=bank, own_exchanges_need_another_coordinator=True)
    transfer = own_exchange(session, carys, alice)
    assert_refused(
        session,
        OwnEntryError,
        lambda: approve_transfer(session, actor=carys, transfer_id=transfer.id),
    )
    assert transfer.status == TransferStatus.PENDING


def test_exchanges_between_others_are_approved_as_before(session, bank, carys, alice):
    CoordinatorFactory(bank=bank)
    bob = MembershipFactory(bank=bank)
    transfer = record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=30,
        service_date=TODAY,
    )
    confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    approve_transfer(session, actor=carys, transfer_id=transfer.id)
    assert transfer.status == TransferStatus.POSTED


def fill_pot(session, coordinator, alice):
    bob = MembershipFactory(bank=coordinator.time_bank)
    record_transfer(
        session,
        actor=coordinator,
        giver=alice.account,
        receiver=bob.account,
        minutes=120,
        service_date=TODAY,
    )
    donate_to_pot(session, actor=alice, donor=alice.account, minutes=120)


def test_a_grant_to_oneself_needs_another_coordinator(session, bank, carys, alice):
    dewi = CoordinatorFactory(bank=bank)
    fill_pot(session, dewi, alice)

    def grant(actor):
        return grant_from_pot(
            session, actor=actor, recipient=carys.account, minutes=60, reason="Out of hours"
        )

    error = assert_refused(session, OwnEntryError, lambda: grant(carys))
    assert error.field == "recipient"
    transfer = grant(dewi)
    assert "own_entry" not in audit_after(session, "pot.grant", transfer.id)


def test_a_lone_coordinators_grant_to_themselves_is_flagged(session, bank, carys, alice):
    fill_pot(session, carys, alice)
    transfer = grant_from_pot(
        session, actor=carys, recipient=carys.account, minutes=60, reason="Out of hours"
    )
    assert audit_after(session, "pot.grant", transfer.id)["own_entry"] is True


def test_the_setting_takes_only_yes_no_or_the_default(session, bank, carys):
    with pytest.raises(errors.InvalidPolicyError):
        update_policy(session, actor=carys, bank=bank, own_exchanges_need_another_coordinator="yes")
