"""The community pot on a real database: donations, grants and the pot's floor of zero."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
    bank_today,
)
from tests.ledger.support import assert_refused, ledger_state
from timebank.ledger import errors
from timebank.ledger.banks import get_pot_account
from timebank.ledger.database import run_in_transaction
from timebank.ledger.models import (
    Account,
    MembershipStatus,
    TransferKind,
    TransferStatus,
)
from timebank.ledger.pot import donate_to_pot, grant_from_pot
from timebank.ledger.transfers import record_transfer, reverse_transfer
from timebank.ledger.verify import verify_ledger

TODAY = bank_today()


@pytest.fixture
def pot(session, bank):
    return get_pot_account(session, bank.id)


def exchange(session, coordinator, giver, receiver, minutes):
    """A posted exchange recorded by a coordinator."""
    return record_transfer(
        session,
        actor=coordinator,
        giver=giver.account,
        receiver=receiver.account,
        minutes=minutes,
        service_date=TODAY,
    )


def donate(session, actor, donor, minutes, **kw):
    return donate_to_pot(session, actor=actor, donor=donor.account, minutes=minutes, **kw)


def grant(session, actor, recipient, minutes, reason="Unwell this winter"):
    return grant_from_pot(
        session, actor=actor, recipient=recipient.account, minutes=minutes, reason=reason
    )


def test_a_member_donates_hours_they_earned(session, coordinator, alice, bob, pot):
    exchange(session, coordinator, alice, bob, 120)
    transfer = donate(session, alice, alice, 60, description="For the winter fund")
    assert transfer.kind == TransferKind.DONATION and transfer.status == TransferStatus.POSTED
    assert (transfer.debit_account_id, transfer.credit_account_id) == (alice.account.id, pot.id)
    assert transfer.description == "For the winter fund"
    assert alice.account.balance == 60 and pot.balance == 60
    assert verify_ledger(session) == []


def test_a_member_cannot_donate_from_a_negative_balance(session, coordinator, alice, bob):
    exchange(session, coordinator, alice, bob, 120)  # bob is at -2 h
    error = assert_refused(session, errors.BelowFloorError, lambda: donate(session, bob, bob, 15))
    assert "only hours you have earned" in str(error)


def test_a_member_cannot_donate_more_than_they_have(session, coordinator, alice, bob):
    exchange(session, coordinator, alice, bob, 60)
    assert_refused(session, errors.BelowFloorError, lambda: donate(session, alice, alice, 75))


def test_hours_promised_to_a_pending_exchange_cannot_be_donated(
    session, coordinator, alice, bob, pot
):
    exchange(session, coordinator, alice, bob, 120)  # alice has 2 h
    # bob records that he gave alice 1 h: pending until confirmed and approved.
    pending = record_transfer(
        session,
        actor=bob,
        giver=bob.account,
        receiver=alice.account,
        minutes=60,
        service_date=TODAY,
    )
    assert pending.status == TransferStatus.PENDING and alice.account.pending_debits == 60
    assert_refused(session, errors.BelowFloorError, lambda: donate(session, alice, alice, 75))
    donate(session, alice, alice, 60)
    assert pot.balance == 60


def test_pending_hours_coming_in_cannot_be_donated(session, coordinator, alice, bob):
    # alice records that she gave bob 2 h: pending, so not hers yet.
    record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=120,
        service_date=TODAY,
    )
    assert alice.account.pending_credits == 120
    assert_refused(session, errors.BelowFloorError, lambda: donate(session, alice, alice, 15))


def test_a_member_donates_only_their_own_hours(session, bank, coordinator, alice, bob):
    exchange(session, coordinator, alice, bob, 120)
    assert_refused(session, errors.NotAllowedError, lambda: donate(session, bob, alice, 60))
    council = OrganisationFactory(bank=bank)
    assert_refused(session, errors.NotAllowedError, lambda: donate(session, bob, council, 60))


def test_a_coordinator_donates_for_an_organisation(session, bank, coordinator, pot):
    council = OrganisationFactory(bank=bank)
    transfer = donate(session, coordinator, council, 600, description="Staff volunteering")
    assert transfer.approved_by_id == coordinator.id
    assert council.account.balance == -600 and pot.balance == 600
    assert verify_ledger(session) == []


def test_a_coordinator_donating_for_a_member_is_held_to_the_members_hours(
    session, coordinator, alice, bob
):
    exchange(session, coordinator, alice, bob, 60)
    assert_refused(session, errors.BelowFloorError, lambda: donate(session, coordinator, bob, 15))
    donate(session, coordinator, alice, 60)
    assert alice.account.balance == 0


def test_donations_refuse_bad_amounts_other_banks_and_inactive_donors(
    session, bank, coordinator, alice, bob
):
    exchange(session, coordinator, alice, bob, 120)
    for minutes, error in [
        (0, errors.InvalidAmountError),
        (10, errors.InvalidAmountError),
        (-60, errors.InvalidAmountError),
    ]:
        assert_refused(session, error, lambda m=minutes: donate(session, alice, alice, m))
    stranger = MembershipFactory()
    assert_refused(
        session, errors.CrossBankTransferError, lambda: donate(session, coordinator, stranger, 15)
    )
    alice.status = MembershipStatus.SUSPENDED
    session.commit()
    assert_refused(
        session, errors.InactiveAccountError, lambda: donate(session, coordinator, alice, 15)
    )


def test_donation_idempotency_key(session, coordinator, alice, bob, pot):
    exchange(session, coordinator, alice, bob, 120)
    first = donate(session, alice, alice, 60, idempotency_key="don-1")
    session.commit()
    state = ledger_state(session)
    again = run_in_transaction(
        session, lambda: donate(session, alice, alice, 60, idempotency_key="don-1")
    )
    assert again.id == first.id and ledger_state(session) == state
    assert_refused(
        session,
        errors.IdempotencyConflictError,
        lambda: donate(session, alice, alice, 30, idempotency_key="don-1"),
    )


def test_a_coordinator_grants_from_the_pot_with_a_reason(session, bank, coordinator, bob, pot):
    council = OrganisationFactory(bank=bank)
    donate(session, coordinator, council, 240)
    transfer = grant(session, coordinator, bob, 120, reason="  Recovering from surgery ")
    assert transfer.kind == TransferKind.GRANT and transfer.status == TransferStatus.POSTED
    assert transfer.reason == "Recovering from surgery"
    assert (transfer.debit_account_id, transfer.credit_account_id) == (pot.id, bob.account.id)
    assert pot.balance == 120 and bob.account.balance == 120
    assert verify_ledger(session) == []


def test_only_a_coordinator_grants(session, bank, coordinator, alice, bob):
    donate(session, coordinator, OrganisationFactory(bank=bank), 240)
    assert_refused(session, errors.NotAllowedError, lambda: grant(session, alice, bob, 60))
    # A coordinator of another time bank acts in their own bank, where bob is not a member.
    outsider = CoordinatorFactory()
    assert_refused(
        session, errors.CrossBankTransferError, lambda: grant(session, outsider, bob, 60)
    )


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 2001])
def test_a_grant_needs_a_reason(session, bank, coordinator, bob, reason):
    donate(session, coordinator, OrganisationFactory(bank=bank), 240)
    assert_refused(
        session, errors.MissingReasonError, lambda: grant(session, coordinator, bob, 60, reason)
    )


def test_a_grant_cannot_exceed_the_pot(session, bank, coordinator, alice, bob, pot):
    donate(session, coordinator, OrganisationFactory(bank=bank), 90)
    error = assert_refused(
        session, errors.InsufficientPotError, lambda: grant(session, coordinator, bob, 120)
    )
    assert "1 h 30 min" in str(error)
    grant(session, coordinator, bob, 90)
    assert pot.balance == 0
    assert_refused(
        session, errors.InsufficientPotError, lambda: grant(session, coordinator, alice, 15)
    )


def test_a_grant_counts_only_posted_hours_in_the_pot(session, bank, coordinator, bob, pot):
    donate(session, coordinator, OrganisationFactory(bank=bank), 60)
    # Hours on their way into the pot (pending credits) are not the pot's to grant.
    session.execute(sa.update(Account).where(Account.id == pot.id).values(pending_credits=600))
    assert_refused(
        session, errors.InsufficientPotError, lambda: grant(session, coordinator, bob, 120)
    )


def test_a_grant_respects_the_recipients_cap(session, bank, coordinator, alice, bob, pot):
    council = OrganisationFactory(bank=bank)
    donate(session, coordinator, council, 240)
    exchange(session, coordinator, alice, council, 600)  # alice at the 10 h cap
    assert_refused(session, errors.AboveCapError, lambda: grant(session, coordinator, alice, 15))
    assert pot.balance == 240


def test_grants_go_only_to_active_members_of_this_bank(session, bank, coordinator, alice):
    council = OrganisationFactory(bank=bank)
    donate(session, coordinator, council, 240)
    assert_refused(
        session,
        errors.InvalidTransferError,
        lambda: grant_from_pot(
            session, actor=coordinator, recipient=council.account, minutes=60, reason="x"
        ),
    )
    assert_refused(
        session,
        errors.CrossBankTransferError,
        lambda: grant(session, coordinator, MembershipFactory(), 60),
    )
    alice.status = MembershipStatus.LEFT
    session.commit()
    assert_refused(
        session, errors.InactiveAccountError, lambda: grant(session, coordinator, alice, 60)
    )


def test_reversing_a_donation_the_pot_already_granted_is_refused_cleanly(
    session, coordinator, alice, bob, pot
):
    exchange(session, coordinator, alice, bob, 120)
    donation = donate(session, alice, alice, 120)
    grant(session, coordinator, bob, 90)
    error = assert_refused(
        session,
        errors.InsufficientPotError,
        lambda: reverse_transfer(
            session, actor=coordinator, transfer_id=donation.id, reason="Donated by mistake"
        ),
    )
    assert "30 min" in str(error)
    assert pot.balance == 30 and alice.account.balance == 0
    assert verify_ledger(session) == []


def test_reversing_a_donation_still_in_the_pot_gives_the_hours_back(
    session, coordinator, alice, bob, pot
):
    exchange(session, coordinator, alice, bob, 120)
    donation = donate(session, alice, alice, 120)
    reverse_transfer(session, actor=coordinator, transfer_id=donation.id, reason="Mistake")
    assert pot.balance == 0 and alice.account.balance == 120
    assert verify_ledger(session) == []


def test_reversing_a_grant_returns_the_hours_to_the_pot(session, bank, coordinator, bob, pot):
    donate(session, coordinator, OrganisationFactory(bank=bank), 120)
    granted = grant(session, coordinator, bob, 120)
    reverse_transfer(session, actor=coordinator, transfer_id=granted.id, reason="Wrong person")
    assert pot.balance == 120 and bob.account.balance == 0
    assert verify_ledger(session) == []


def test_the_database_refuses_to_take_the_pot_below_zero(session, bank, coordinator, pot):
    donate(session, coordinator, OrganisationFactory(bank=bank), 60)
    session.commit()
    with pytest.raises(IntegrityError) as caught:
        session.execute(sa.update(Account).where(Account.id == pot.id).values(posted_debits=75))
    session.rollback()
    assert "ck_account_pot_not_negative" in str(caught.value)
    with pytest.raises(IntegrityError) as caught:
        session.execute(sa.update(Account).where(Account.id == pot.id).values(pending_debits=75))
    session.rollback()
    assert "ck_account_pot_not_negative" in str(caught.value)
    assert session.get(Account, pot.id).balance == 60
