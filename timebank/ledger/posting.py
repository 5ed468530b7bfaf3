"""The mechanics every money-moving service shares: locking rows in a fixed order,
moving minutes between the pending and posted counters, and the audit snapshot.

Lock order, always: transfers by id, then accounts by id, then the audit chain head.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from timebank.ledger import errors
from timebank.ledger.clock import utcnow
from timebank.ledger.models import (
    Account,
    AccountKind,
    Membership,
    MembershipStatus,
    Organisation,
    Role,
    TimeBank,
    Transfer,
    TransferStatus,
)
from timebank.ledger.rules import Counters, Policy, check_can_give, check_can_receive

ACCOUNT = cast(sa.Table, Account.__table__)
COUNTERS = ("posted_debits", "posted_credits", "pending_debits", "pending_credits")


def get_bank(session: Session, time_bank_id: int) -> TimeBank:
    """The time bank, from the session when a lock of this transaction has just read
    it (``lock_accounts`` and the transfer locks read the bank's row with theirs, so
    the policy costs no statement of its own), else from the database."""
    bank = session.get(TimeBank, time_bank_id)
    if bank is None:
        raise errors.NotFoundError("That time bank does not exist.")
    return bank


def lock_accounts(
    session: Session, ids: Iterable[int], *, active: Iterable[int] = (), with_bank: bool = True
) -> dict[int, Account]:
    """Lock the accounts (id order, so two writers never wait on each other in a cycle)
    and reload their counters from the database.

    The accounts in ``active`` must have an active holder (a member whose membership is
    active, an organisation still active). Their holders' rows are locked too, after the
    accounts and again in id order, and their status is read from the locked rows: a
    suspension or deactivation takes the same row lock, so it either commits before
    this reads (and is seen) or waits until this transaction ends.

    ``FOR NO KEY UPDATE``: exclusive between writers, yet it does not block the foreign
    key checks of rows that other transactions insert (transfers, audit entries).

    The accounts' time bank is read (not locked) in the same statement: ``get_bank``
    then finds it in the session, as it is at this moment. ``with_bank=False`` when a
    lock earlier in this transaction (the transfer's) has just read it."""
    wanted = sorted(set(ids))
    statement = sa.select(Account)
    if with_bank:
        statement = statement.join(Account.time_bank).options(contains_eager(Account.time_bank))
    found = {
        account.id: account
        for account in session.scalars(
            statement.where(Account.id.in_(wanted))
            .order_by(Account.id)
            .with_for_update(key_share=True, of=Account)
            .execution_options(populate_existing=True)
        )
    }
    if any(i not in found for i in wanted):
        raise errors.NotFoundError("That account does not exist.")
    _require_active_holders_locked(session, [found[i] for i in sorted(set(active))])
    return found


def _require_active_holders_locked(session: Session, accounts: list[Account]) -> None:
    """Lock the holders of ``accounts`` (memberships, then organisations, each in id
    order) and refuse if one is not active. No statement when there is no such holder."""
    member_ids = sorted(
        {a.membership_id for a in accounts if a.kind == AccountKind.MEMBER and a.membership_id}
    )
    organisation_ids = sorted(
        {
            a.organisation_id
            for a in accounts
            if a.kind == AccountKind.ORGANISATION and a.organisation_id
        }
    )
    statuses: dict[int, tuple[MembershipStatus, Role]] = {}
    if member_ids:
        statuses = {
            row.id: (row.status, row.role)
            for row in session.execute(
                sa.select(Membership.id, Membership.status, Membership.role)
                .where(Membership.id.in_(member_ids))
                .order_by(Membership.id)
                .with_for_update(key_share=True)
            )
        }
    active_organisations: dict[int, bool] = {}
    if organisation_ids:
        active_organisations = {
            row.id: row.active
            for row in session.execute(
                sa.select(Organisation.id, Organisation.active)
                .where(Organisation.id.in_(organisation_ids))
                .order_by(Organisation.id)
                .with_for_update(key_share=True)
            )
        }
    for account in sorted(accounts, key=lambda a: a.id):
        status, role = statuses.get(account.membership_id or 0, (None, None))
        _require_active(
            account, status, active_organisations.get(account.organisation_id or 0), role
        )


def _locked_with_bank(session: Session, where: sa.ColumnElement[bool]) -> list[Transfer]:
    """Lock the transfers ``where`` selects, in id order, reading their time bank (not
    locked) in the same statement, for ``get_bank``."""
    return list(
        session.scalars(
            sa.select(Transfer)
            .join(Transfer.time_bank)
            .options(contains_eager(Transfer.time_bank))
            .where(where)
            .order_by(Transfer.id)
            .with_for_update(of=Transfer)
            .execution_options(populate_existing=True)
        )
    )


def lock_transfers(session: Session, ids: Iterable[int]) -> list[Transfer]:
    return _locked_with_bank(session, Transfer.id.in_(sorted(set(ids))))


def lock_transfer_and_batch(session: Session, transfer_id: int) -> list[Transfer]:
    """Lock a transfer and, if it belongs to a group, every transfer of its group (one
    statement; a transfer's group never changes, so reading it inside is safe)."""
    batch_of = sa.select(Transfer.batch_id).where(Transfer.id == transfer_id).scalar_subquery()
    found = _locked_with_bank(
        session, sa.or_(Transfer.id == transfer_id, Transfer.batch_id == batch_of)
    )
    if not found:
        raise errors.NotFoundError("That exchange does not exist.")
    return found


def _require_active(
    account: Account,
    status: MembershipStatus | None,
    organisation_active: bool | None,
    role: Role | None = None,
) -> None:
    # A partner membership holds no account; one made before that rule (or kept when a
    # member became a partner) is not a party to exchanges either.
    if account.kind == AccountKind.MEMBER and (
        status != MembershipStatus.ACTIVE or role == Role.PARTNER
    ):
        raise errors.InactiveAccountError(
            "%(name)s is not an active member of this time bank.", name=account.label
        )
    if account.kind == AccountKind.ORGANISATION and not organisation_active:
        raise errors.InactiveAccountError("%(name)s is no longer active here.", name=account.label)


def require_active_actor(actor: Membership) -> None:
    if actor.status != MembershipStatus.ACTIVE or actor.role == Role.PARTNER:
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
    checks = [(account_id, check_can_receive, receiving) for account_id in sorted(receiving)]
    checks += [(account_id, check_can_give, giving) for account_id in sorted(giving)]
    for account_id, check, amounts in checks:
        account = accounts[account_id]
        try:
            check(
                Counters.of(account),
                amounts[account_id],
                account.kind,
                policy,
                _label_of(account),
            )
        except errors.LimitError as error:
            error.account_id = account_id
            raise


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


@functools.cache
def _counters_update(count: int) -> sa.Update:
    """``UPDATE account SET <each counter> = CASE id WHEN :id_k THEN :<counter>_k ...
    END WHERE id IN (:id_0, ...)`` for ``count`` accounts, built once per count."""
    ids = [sa.bindparam(f"id_{k}", type_=sa.Integer) for k in range(count)]
    return (
        sa.update(ACCOUNT)
        .where(ACCOUNT.c.id.in_(ids))
        .values(
            {
                name: sa.case(
                    *[
                        (ACCOUNT.c.id == ids[k], sa.bindparam(f"{name}_{k}", type_=sa.Integer))
                        for k in range(count)
                    ]
                )
                for name in COUNTERS
            }
        )
    )


def write_counters(session: Session, accounts: dict[int, Account]) -> None:
    """Write the counters of these locked accounts that changed, in one UPDATE (the
    unit of work would send one per account, as their changed columns differ), and mark
    them written so the next flush leaves them alone.

    The values written are absolute: the rows are locked and their counters were read
    under the lock (``lock_accounts``), so no other writer can have moved them. Only
    the counters change on a locked account in the services, so "modified" means its
    counters changed (and writing the four of an account whose counters did not change
    would do no harm)."""
    changed = [account for account in accounts.values() if sa.inspect(account).modified]
    if not changed:
        return
    params: dict[str, int] = {}
    for k, account in enumerate(changed):
        params[f"id_{k}"] = account.id
        for name in COUNTERS:
            params[f"{name}_{k}"] = getattr(account, name)
    # On the session's connection, past the unit of work (which would flush the very
    # changes this writes first).
    session.connection().execute(_counters_update(len(changed)), params)
    for account in changed:
        for name in COUNTERS:
            set_committed_value(account, name, getattr(account, name))


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


def version_of(transfers: Iterable[Transfer]) -> str:
    """What a person sees of an entry (with its whole group), as a short fingerprint:
    the amount, date, category, description and sides of each transfer. A correction
    changes it; a confirmation or an approval does not. Forms carry it so that a click
    acts only on the entry as it was shown."""
    digest = hashlib.sha256()
    for t in sorted(transfers, key=lambda t: t.id):
        fields = (
            t.id,
            t.debit_account_id,
            t.credit_account_id,
            t.minutes,
            t.service_date.isoformat(),
            t.category_id,
            t.description,
        )
        digest.update(repr(fields).encode())
    return digest.hexdigest()[:16]


def require_version(transfers: Iterable[Transfer], seen: str | None) -> None:
    """Refuse if the entry changed since it was shown with version ``seen`` (no check
    when ``seen`` is None: a caller that showed nothing, such as the demo builder)."""
    if seen is not None and version_of(transfers) != seen:
        raise errors.EntryChangedError(
            "This entry was changed after you opened it, so nothing was done."
            " Check the details as they are now and try again."
        )
