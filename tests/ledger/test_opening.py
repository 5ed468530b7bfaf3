"""Opening balances brought in from other software, against the equity account."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
)
from tests.ledger.support import assert_refused
from timebank.ledger import errors
from timebank.ledger.banks import get_pot_account
from timebank.ledger.models import (
    Account,
    AccountKind,
    AuditEntry,
    TransferKind,
    TransferStatus,
)
from timebank.ledger.opening import record_opening_balance
from timebank.ledger.verify import verify_ledger


def bank_total(session, bank_id):
    return session.scalar(
        sa.select(sa.func.sum(Account.posted_credits - Account.posted_debits)).where(
            Account.time_bank_id == bank_id
        )
    )


def equity_accounts(session, bank_id):
    return session.scalars(
        sa.select(Account).where(
            Account.time_bank_id == bank_id, Account.kind == AccountKind.EQUITY
        )
    ).all()


def opening(session, actor, holder, minutes, **kw):
    return record_opening_balance(
        session, actor=actor, account=holder.account, minutes=minutes, **kw
    )


def test_positive_and_negative_openings_balance_against_equity(
    session, bank, coordinator, alice, bob
):
    credit = opening(session, coordinator, alice, 300, service_date=date(2024, 1, 1))
    debit = opening(session, coordinator, bob, -180)
    (equity,) = equity_accounts(session, bank.id)

    assert credit.kind == TransferKind.OPENING_BALANCE and credit.status == TransferStatus.POSTED
    assert (credit.debit_account_id, credit.credit_account_id) == (equity.id, alice.account.id)
    assert (debit.debit_account_id, debit.credit_account_id) == (bob.account.id, equity.id)
    assert credit.minutes == 300 and debit.minutes == 180
    assert credit.service_date == date(2024, 1, 1)
    assert credit.approved_by_id == coordinator.id
    assert alice.account.balance == 300 and bob.account.balance == -180
    assert equity.balance == -120
    assert bank_total(session, bank.id) == 0
    assert verify_ledger(session) == []


def test_the_equity_account_is_created_once(session, bank, coordinator, alice, bob):
    assert equity_accounts(session, bank.id) == []
    opening(session, coordinator, alice, 60)
    opening(session, coordinator, bob, 60)
    opening(session, coordinator, alice, -15)
    assert len(equity_accounts(session, bank.id)) == 1
    assert alice.account.balance == 45 and bank_total(session, bank.id) == 0


def test_openings_state_history_so_limits_do_not_apply(session, coordinator, alice, bob):
    opening(session, coordinator, alice, 900)  # above the 10 h cap
    opening(session, coordinator, bob, -600)  # below the -2 h floor
    assert alice.account.balance == 900 and bob.account.balance == -600
    assert verify_ledger(session) == []


def test_organisations_can_have_opening_balances(session, bank, coordinator):
    council = OrganisationFactory(bank=bank)
    opening(session, coordinator, council, -1200)
    assert council.account.balance == -1200 and bank_total(session, bank.id) == 0


@pytest.mark.parametrize("minutes", [0, 1.5, "60", True, None])
def test_zero_or_not_whole_minutes_are_refused(session, coordinator, alice, minutes):
    assert_refused(
        session, errors.InvalidAmountError, lambda: opening(session, coordinator, alice, minutes)
    )
    assert equity_accounts(session, alice.time_bank_id) == []


def test_only_coordinators_record_openings(session, alice, bob):
    assert_refused(session, errors.NotAllowedError, lambda: opening(session, alice, alice, 60))
    assert_refused(session, errors.NotAllowedError, lambda: opening(session, alice, bob, 60))
    # A coordinator of another bank acts in their own bank, where alice has no account.
    outsider = CoordinatorFactory()
    assert_refused(
        session, errors.InvalidTransferError, lambda: opening(session, outsider, alice, 60)
    )


def test_openings_are_for_members_and_organisations_of_this_bank(session, bank, coordinator):
    pot = get_pot_account(session, bank.id)
    assert_refused(
        session,
        errors.InvalidTransferError,
        lambda: record_opening_balance(session, actor=coordinator, account=pot, minutes=60),
    )
    stranger = MembershipFactory()
    assert_refused(
        session,
        errors.InvalidTransferError,
        lambda: opening(session, coordinator, stranger, 60),
    )


def test_an_opening_is_in_the_audit_log(session, coordinator, alice):
    transfer = opening(session, coordinator, alice, 120)
    entry = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert (entry.action, entry.entity_id, entry.actor_id) == (
        "transfer.opening_balance",
        transfer.id,
        coordinator.id,
    )
    assert '"minutes":120' in entry.after
