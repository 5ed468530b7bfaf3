"""Services on a real database: record, confirm, approve, reject, reverse."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
    bank_today,
)
from timebank.ledger import errors
from timebank.ledger.banks import update_policy
from timebank.ledger.models import AuditEntry, Transfer, TransferStatus
from timebank.ledger.transfers import (
    approve_transfer,
    confirm_transfer,
    record_transfer,
    reject_transfer,
    reverse_transfer,
)
from timebank.ledger.verify import verify_ledger

TODAY = bank_today()


def give(session, actor, giver, receiver, minutes=60, **kw):
    return record_transfer(
        session,
        actor=actor,
        giver=giver.account,
        receiver=receiver.account,
        minutes=minutes,
        service_date=kw.pop("service_date", TODAY),
        **kw,
    )


def test_recorded_exchange_waits_for_confirmation_then_approval_then_posts(
    session, alice, bob, coordinator
):
    transfer = give(
        session, alice, alice, bob, 90, category="gardening", description="Weeding the front garden"
    )
    assert transfer.status == TransferStatus.PENDING
    assert (transfer.needs_confirmation, transfer.needs_approval) == (True, True)
    assert alice.account.pending_credits == 90 and bob.account.pending_debits == 90
    assert alice.account.balance == 0

    confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    assert transfer.status == TransferStatus.PENDING
    approve_transfer(session, actor=coordinator, transfer_id=transfer.id)
    assert transfer.status == TransferStatus.POSTED
    assert alice.account.balance == 90 and bob.account.balance == -90
    assert alice.account.pending_credits == 0 and bob.account.pending_debits == 0
    assert verify_ledger(session) == []


def test_exchange_posts_at_once_when_the_bank_asks_for_nothing(session, bank, alice, bob):
    update_policy(
        session, actor=None, bank=bank, requires_confirmation=False, requires_approval=False
    )
    transfer = give(session, bob, alice, bob, 60)
    assert transfer.status == TransferStatus.POSTED
    assert alice.account.balance == 60
    assert verify_ledger(session) == []


def test_auto_approve_threshold(session, bank, alice, bob):
    update_policy(
        session,
        actor=None,
        bank=bank,
        requires_confirmation=False,
        auto_approve_max_minutes=60,
        floor_minutes=None,
    )
    small = give(session, alice, alice, bob, 60)
    large = give(session, alice, alice, bob, 75)
    assert small.status == TransferStatus.POSTED
    assert large.status == TransferStatus.PENDING


def test_coordinator_recording_for_others_needs_no_approval_or_confirmation(
    session, alice, bob, coordinator
):
    transfer = give(session, coordinator, alice, bob, 120)
    assert transfer.status == TransferStatus.POSTED
    assert transfer.approved_by_id == coordinator.id


@pytest.mark.parametrize(
    ("minutes", "error"),
    [
        (0, errors.InvalidAmountError),
        (-15, errors.InvalidAmountError),
        (10, errors.InvalidAmountError),
        (13 * 60, errors.AmountTooLargeError),
        (1.5, errors.InvalidAmountError),
        (True, errors.InvalidAmountError),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_written(session, alice, bob, minutes, error):
    before = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    with pytest.raises(error):
        give(session, alice, alice, bob, minutes)
    assert session.scalar(sa.select(sa.func.count()).select_from(Transfer)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before


def test_dates_in_the_future_or_too_old_are_refused(session, alice, bob):
    with pytest.raises(errors.DateInFutureError):
        give(session, alice, alice, bob, service_date=TODAY + timedelta(days=1), today=TODAY)
    with pytest.raises(errors.DateTooOldError):
        give(session, alice, alice, bob, service_date=TODAY - timedelta(days=91), today=TODAY)
    assert give(session, alice, alice, bob, service_date=TODAY - timedelta(days=90), today=TODAY).id


def test_no_transfer_to_oneself_or_across_banks(session, alice):
    with pytest.raises(errors.SelfTransferError):
        give(session, alice, alice, alice)
    stranger = MembershipFactory()  # another time bank
    with pytest.raises(errors.CrossBankTransferError):
        give(session, alice, alice, stranger)


def test_a_member_records_only_their_own_exchanges(session, bank, alice, bob):
    carol = MembershipFactory(bank=bank)
    with pytest.raises(errors.NotAllowedError):
        give(session, carol, alice, bob)


def test_unknown_category_is_refused(session, alice, bob):
    with pytest.raises(errors.UnknownCategoryError):
        give(session, alice, alice, bob, category="astrology")


def test_floor_counts_pending_amounts(session, alice, bob):
    give(session, alice, alice, bob, 120)  # bob receives 2 h: at the -2 h floor, pending
    with pytest.raises(errors.BelowFloorError):
        give(session, alice, alice, bob, 15)


def test_cap_counts_pending_amounts(session, bank, alice, bob):
    update_policy(session, actor=None, bank=bank, floor_minutes=None)
    for _ in range(10):
        give(session, alice, alice, bob, 60)
    with pytest.raises(errors.AboveCapError):
        give(session, alice, alice, bob, 15)


def test_floor_is_checked_again_at_approval(session, bank, alice, bob, coordinator):
    transfer = give(session, alice, alice, bob, 120)
    confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    update_policy(session, actor=coordinator, bank=bank, floor_minutes=-60)
    with pytest.raises(errors.BelowFloorError):
        approve_transfer(session, actor=coordinator, transfer_id=transfer.id)


def test_organisations_have_no_floor(session, bank, alice, coordinator):
    council = OrganisationFactory(bank=bank)
    transfer = record_transfer(
        session,
        actor=coordinator,
        giver=alice.account,
        receiver=council.account,
        minutes=600,
        service_date=TODAY,
    )
    assert transfer.status == TransferStatus.POSTED
    assert council.account.balance == -600


def test_only_the_counterpart_confirms(session, bank, alice, bob):
    transfer = give(session, alice, alice, bob)
    with pytest.raises(errors.NotAllowedError):
        confirm_transfer(session, actor=alice, transfer_id=transfer.id)
    carol = MembershipFactory(bank=bank)
    with pytest.raises(errors.NotAllowedError):
        confirm_transfer(session, actor=carol, transfer_id=transfer.id)


def test_only_coordinators_approve(session, alice, bob):
    transfer = give(session, alice, alice, bob)
    with pytest.raises(errors.NotAllowedError):
        approve_transfer(session, actor=bob, transfer_id=transfer.id)


def test_approving_twice_is_refused(session, alice, bob, coordinator):
    transfer = give(session, alice, alice, bob)
    confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    approve_transfer(session, actor=coordinator, transfer_id=transfer.id)
    with pytest.raises(errors.AlreadyResolvedError):
        approve_transfer(session, actor=coordinator, transfer_id=transfer.id)


def test_a_coordinator_of_another_bank_cannot_see_the_transfer(session, alice, bob):
    outsider = CoordinatorFactory()
    transfer = give(session, alice, alice, bob)
    with pytest.raises(errors.NotFoundError):
        approve_transfer(session, actor=outsider, transfer_id=transfer.id)


def test_reject_releases_pending_amounts_and_needs_a_reason(session, alice, bob, coordinator):
    transfer = give(session, alice, alice, bob, 120)
    with pytest.raises(errors.MissingReasonError):
        reject_transfer(session, actor=coordinator, transfer_id=transfer.id, reason="  ")
    reject_transfer(session, actor=coordinator, transfer_id=transfer.id, reason="Not agreed")
    assert transfer.status == TransferStatus.REJECTED
    assert bob.account.pending_debits == 0 and alice.account.pending_credits == 0
    with pytest.raises(errors.AlreadyResolvedError):
        approve_transfer(session, actor=coordinator, transfer_id=transfer.id)
    assert verify_ledger(session) == []


def test_the_counterpart_can_dispute_by_rejecting(session, alice, bob):
    transfer = give(session, alice, alice, bob)
    reject_transfer(session, actor=bob, transfer_id=transfer.id, reason="This did not happen")
    assert transfer.status == TransferStatus.REJECTED


def test_reversal_mirrors_the_original_once(session, alice, bob, coordinator):
    transfer = give(session, coordinator, alice, bob, 60)
    reversal = reverse_transfer(
        session, actor=coordinator, transfer_id=transfer.id, reason="Entered twice"
    )
    assert (reversal.debit_account_id, reversal.credit_account_id) == (
        transfer.credit_account_id,
        transfer.debit_account_id,
    )
    assert reversal.reverses_id == transfer.id and reversal.status == TransferStatus.POSTED
    assert alice.account.balance == 0 and bob.account.balance == 0
    with pytest.raises(errors.AlreadyReversedError):
        reverse_transfer(session, actor=coordinator, transfer_id=transfer.id, reason="again")
    with pytest.raises(errors.NotReversibleError):
        reverse_transfer(session, actor=coordinator, transfer_id=reversal.id, reason="undo")
    assert verify_ledger(session) == []


def test_pending_transfers_cannot_be_reversed(session, alice, bob, coordinator):
    transfer = give(session, alice, alice, bob)
    with pytest.raises(errors.NotReversibleError):
        reverse_transfer(session, actor=coordinator, transfer_id=transfer.id, reason="x")


def test_idempotency_key_returns_the_first_transfer(session, alice, bob):
    first = give(session, alice, alice, bob, 60, idempotency_key="form-123")
    count = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    again = give(session, alice, alice, bob, 60, idempotency_key="form-123")
    assert again.id == first.id
    assert session.scalar(sa.select(sa.func.count()).select_from(Transfer)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == count
    with pytest.raises(errors.IdempotencyConflictError):
        give(session, alice, alice, bob, 120, idempotency_key="form-123")


def test_database_refuses_to_change_a_posted_transfer(session, alice, bob, coordinator):
    transfer = give(session, coordinator, alice, bob, 60)
    session.commit()
    with pytest.raises((IntegrityError, DBAPIError)):
        session.execute(sa.update(Transfer).where(Transfer.id == transfer.id).values(minutes=600))
    session.rollback()
    with pytest.raises((IntegrityError, DBAPIError)):
        session.execute(sa.delete(Transfer).where(Transfer.id == transfer.id))
    session.rollback()


def test_database_refuses_to_change_the_audit_log(session, alice):
    session.commit()
    with pytest.raises((IntegrityError, DBAPIError)):
        session.execute(sa.update(AuditEntry).values(action="tampered"))
    session.rollback()
    with pytest.raises((IntegrityError, DBAPIError)):
        session.execute(sa.delete(AuditEntry))
    session.rollback()


def test_database_refuses_a_transfer_across_banks(session, alice):
    stranger = MembershipFactory()
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(
            sa.insert(Transfer).values(
                time_bank_id=alice.time_bank_id,
                debit_account_id=stranger.account.id,
                credit_account_id=alice.account.id,
                minutes=60,
                service_date=TODAY,
                description="",
                kind="exchange",
                status="pending",
                needs_confirmation=False,
                needs_approval=False,
                recorded_at=sa.func.current_timestamp(),
            )
        )
    session.rollback()


def test_database_refuses_zero_minutes(session, alice, bob):
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(
            sa.insert(Transfer).values(
                time_bank_id=alice.time_bank_id,
                debit_account_id=bob.account.id,
                credit_account_id=alice.account.id,
                minutes=0,
                service_date=TODAY,
                description="",
                kind="exchange",
                status="pending",
                needs_confirmation=False,
                needs_approval=False,
                recorded_at=sa.func.current_timestamp(),
            )
        )
    session.rollback()


def test_someone_elses_idempotency_key_returns_nothing_of_theirs(session, bank, alice, bob):
    give(session, alice, alice, bob, 60, idempotency_key="alice-form-1")
    with pytest.raises(errors.IdempotencyConflictError):
        give(session, bob, alice, bob, 60, idempotency_key="alice-form-1")


def test_a_coordinator_may_replay_a_members_key(session, alice, bob, coordinator):
    first = give(session, alice, alice, bob, 60, idempotency_key="alice-form-2")
    assert give(session, coordinator, alice, bob, 60, idempotency_key="alice-form-2").id == (
        first.id
    )


def test_an_exchange_with_an_organisation_waits_for_a_coordinator(session, bank, alice):
    # Nobody can confirm for the organisation, so a coordinator must, even under the
    # auto-approve threshold and even when the bank asks only for confirmation.
    council = OrganisationFactory(bank=bank)
    update_policy(
        session, actor=None, bank=bank, requires_approval=False, auto_approve_max_minutes=600
    )
    transfer = record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=council.account,
        minutes=60,
        service_date=TODAY,
    )
    assert transfer.status == TransferStatus.PENDING
    assert (transfer.needs_confirmation, transfer.needs_approval) == (False, True)
    update_policy(session, actor=None, bank=bank, requires_confirmation=False)
    transfer = record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=council.account,
        minutes=60,
        service_date=TODAY,
    )
    assert transfer.status == TransferStatus.POSTED  # the bank asks for nobody's word
