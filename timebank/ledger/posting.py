"""The mechanics every money-moving service shares: locking rows in a fixed order,
moving minutes between the pending and posted counters, and the audit snapshot.

Lock order, always: transfers by id, then accounts by id, then the audit chain head.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger import errors
from timebank.ledger.clock import utcnow
from timebank.ledger.models import (
    Account,
    AccountKind,
    Membership,
    MembershipStatus,
    Organisation,
    TimeBank,
    Transfer,
    TransferStatus,
)
from timebank.ledger.rules import Counters, Policy, check_can_give, check_can_receive


def get_bank(session: Session, time_bank_id: int) -> TimeBank:
    bank = session.get(TimeBank, time_bank_id)
    if bank is None:
        raise errors.NotFoundError("That time bank does not exist.")
    return bank


def lock_accounts(
    session: Session, ids: Iterable[int], *, active: Iterable[int] = ()
) -> dict[int, Account]:
    """Lock the accounts (id order, so two writers never wait on each other in a cycle)
    and reload their counters from the database.

    The accounts in ``active`` must have an active holder (a member whose membership is
    active, an organisation still active): checked in the same statement, as
    ``require_active_holders`` does."""
    wanted = sorted(set(ids))
    must_be_active = set(active)
    rows = session.execute(
        sa.select(Account, Membership.status, Organisation.active)
        .outerjoin(Membership, Membership.id == Account.membership_id)
        .outerjoin(Organisation, Organisation.id == Account.organisation_id)
        .where(Account.id.in_(wanted))
        .order_by(Account.id)
        .with_for_update(of=Account)
        .execution_options(populate_existing=True)
    ).all()
    found = {account.id: account for account, _, _ in rows}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise errors.NotFoundError("That account does not exist.")
    for account, status, organisation_active in rows:
        if account.id in must_be_active:
            _require_active(account, status, organisation_active)
    return found


def lock_transfers(session: Session, ids: Iterable[int]) -> list[Transfer]:
    wanted = sorted(set(ids))
    return list(
        session.scalars(
            sa.select(Transfer)
            .where(Transfer.id.in_(wanted))
            .order_by(Transfer.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    )


def lock_transfer_and_batch(session: Session, transfer_id: int) -> list[Transfer]:
    """Lock a transfer and, if it belongs to a group, every transfer of its group (one
    statement; a transfer's group never changes, so reading it inside is safe)."""
    batch_of = sa.select(Transfer.batch_id).where(Transfer.id == transfer_id).scalar_subquery()
    found = list(
        session.scalars(
            sa.select(Transfer)
            .where(sa.or_(Transfer.id == transfer_id, Transfer.batch_id == batch_of))
            .order_by(Transfer.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    )
    if not found:
        raise errors.NotFoundError("That exchange does not exist.")
    return found


def require_active_holders(session: Session, accounts: Iterable[Account]) -> None:
    """Refuse if a member account's membership or an organisation is not active.

    One query for all the accounts, whatever their number.
    """
    by_id = {account.id: account for account in accounts}
    rows = session.execute(
        sa.select(Account.id, Account.kind, Membership.status, Organisation.active)
        .outerjoin(Membership, Membership.id == Account.membership_id)
        .outerjoin(Organisation, Organisation.id == Account.organisation_id)
        .where(Account.id.in_(sorted(by_id)))
        .order_by(Account.id)
    )
    for account_id, _kind, status, organisation_active in rows:
        _require_active(by_id[account_id], status, organisation_active)


def _require_active(
    account: Account, status: MembershipStatus | None, organisation_active: bool | None
) -> None:
    if account.kind == AccountKind.MEMBER and status != MembershipStatus.ACTIVE:
        raise errors.InactiveAccountError(
            "%(name)s is not an active member of this time bank.", name=account.label
        )
    if account.kind == AccountKind.ORGANISATION and not organisation_active:
        raise errors.InactiveAccountError("%(name)s is no longer active here.", name=account.label)


def require_active_actor(actor: Membership) -> None:
    if actor.status != MembershipStatus.ACTIVE:
        raise errors.NotAllowedError("Only active members can do this.")


def require_coordinator(actor: Membership, time_bank_id: int) -> None:
    if actor.time_bank_id != time_bank_id or not actor.is_coordinator:
        raise errors.NotAllowedError("Only a coordinator of this time bank can do this.")


def _label_of(account: Account) -> Callable[[], str]:
    return lambda: account.label


def check_limits(
    accounts: dict[int, Account], flows: Iterable[tuple[int, int, int]], policy: Policy
) -> None:
    """Check floor and cap for new amounts: flows of (debit_id, credit_id, minutes).

    Amounts already counted as pending are passed as 0 minutes so that the current
    balances are checked against the current policy (approval re-checks this way).
    """
    receiving: dict[int, int] = {}
    giving: dict[int, int] = {}
    for debit_id, credit_id, minutes in flows:
        receiving[debit_id] = receiving.get(debit_id, 0) + minutes
        giving[credit_id] = giving.get(credit_id, 0) + minutes
    for account_id in sorted(receiving):
        account = accounts[account_id]
        check_can_receive(
            Counters.of(account),
            receiving[account_id],
            account.kind,
            policy,
            _label_of(account),
        )
    for account_id in sorted(giving):
        account = accounts[account_id]
        check_can_give(
            Counters.of(account),
            giving[account_id],
            account.kind,
            policy,
            _label_of(account),
        )


def add_pending(accounts: dict[int, Account], transfer: Transfer) -> None:
    accounts[transfer.debit_account_id].pending_debits += transfer.minutes
    accounts[transfer.credit_account_id].pending_credits += transfer.minutes


def add_posted(accounts: dict[int, Account], transfer: Transfer) -> None:
    accounts[transfer.debit_account_id].posted_debits += transfer.minutes
    accounts[transfer.credit_account_id].posted_credits += transfer.minutes


def release_pending(accounts: dict[int, Account], transfer: Transfer) -> None:
    accounts[transfer.debit_account_id].pending_debits -= transfer.minutes
    accounts[transfer.credit_account_id].pending_credits -= transfer.minutes


def post_pending(accounts: dict[int, Account], transfer: Transfer) -> None:
    """Move a pending transfer's minutes into the posted counters and mark it posted."""
    release_pending(accounts, transfer)
    add_posted(accounts, transfer)
    transfer.status = TransferStatus.POSTED
    transfer.posted_at = utcnow()


def snapshot(transfer: Transfer) -> dict[str, Any]:
    """What the audit log keeps of a transfer."""
    return {
        "id": transfer.id,
        "kind": str(transfer.kind),
        "status": str(transfer.status),
        "debit_account_id": transfer.debit_account_id,
        "credit_account_id": transfer.credit_account_id,
        "minutes": transfer.minutes,
        "service_date": transfer.service_date.isoformat(),
        "category_id": transfer.category_id,
        "description": transfer.description,
        "needs_confirmation": transfer.needs_confirmation,
        "needs_approval": transfer.needs_approval,
        "confirmed_by_id": transfer.confirmed_by_id,
        "approved_by_id": transfer.approved_by_id,
        "rejected_by_id": transfer.rejected_by_id,
        "reason": transfer.reason,
        "reverses_id": transfer.reverses_id,
        "batch_id": transfer.batch_id,
    }
