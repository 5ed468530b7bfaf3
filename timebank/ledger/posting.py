"""The mechanics every money-moving service shares: locking rows in a fixed order,
moving minutes between the pending and posted counters, and the audit snapshot.

Lock order, always: transfers by id, then accounts by id, then the audit chain head.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from timebank.ledger import errors
from timebank.ledger.audit import append_audit
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
    """The time bank, from the session or the database. (The account and transfer locks
    read the settings the services need with their rows: ``BankSettings``.)"""
    bank = session.get(TimeBank, time_bank_id)
    if bank is None:
        raise errors.NotFoundError("That time bank does not exist.")
    return bank


@dataclass(eq=False)
class LockedAccount:
    """An account as its row lock read it: plain values, not an ORM object (loading
    ``Account`` objects was most of the lock's cost). The services check the rules on
    these counters, change them, and ``write_counters`` writes the ones that changed."""

    id: int
    kind: AccountKind
    membership_id: int | None
    organisation_id: int | None
    posted_debits: int
    posted_credits: int
    pending_debits: int
    pending_credits: int
    session: Session = field(repr=False)
    read: tuple[int, int, int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.read = self.counters()

    def counters(self) -> tuple[int, int, int, int]:
        return (self.posted_debits, self.posted_credits, self.pending_debits, self.pending_credits)

    @property
    def changed(self) -> bool:
        return self.counters() != self.read

    @property
    def label(self) -> str:
        """The holder's name, for messages only (it costs queries)."""
        account = self.session.get(Account, self.id)
        return account.label if account is not None else ""


@dataclass(frozen=True)
class BankSettings:
    """What the services need of a time bank, read (not locked) by the row lock that
    runs anyway: the accounts' (``lock_accounts_and_bank``) or the transfers'. Named as
    ``TimeBank``'s columns, so either serves ``rules.Policy.of``, the steps and
    ``duties``."""

    id: int
    timezone: str
    floor_minutes: int | None
    cap_minutes: int | None
    max_minutes_per_transfer: int
    max_backdate_days: int
    minute_step: int
    requires_confirmation: bool
    requires_approval: bool
    auto_approve_max_minutes: int
    own_exchanges_need_another_coordinator: bool | None


TIME_BANK = cast(sa.Table, TimeBank.__table__)
TRANSFER = cast(sa.Table, Transfer.__table__)
MEMBERSHIP = cast(sa.Table, Membership.__table__)
ORGANISATION = cast(sa.Table, Organisation.__table__)
_ACCOUNT_COLUMNS = ("id", "kind", "membership_id", "organisation_id", *COUNTERS)
_BANK_COLUMNS = tuple(f.name for f in fields(BankSettings))


def _bank_columns() -> list[sa.ColumnElement[Any]]:
    return [TIME_BANK.c[name].label(f"bank_{name}") for name in _BANK_COLUMNS]


def _ids_in(column: sa.ColumnElement[Any], count: int) -> sa.ColumnElement[bool]:
    """``column IN (:id_0, ..., :id_<count-1>)``: a statement built once per number of
    ids. (An expanding ``IN`` is rewritten for its values at every execution, which cost
    about a third of a lock's time in the client.)"""
    return column.in_([sa.bindparam(f"id_{k}", type_=sa.Integer) for k in range(count)])


def _id_params(ids: list[int]) -> dict[str, int]:
    return {f"id_{k}": value for k, value in enumerate(ids)}


@functools.cache
def _account_lock(with_bank: bool, count: int) -> sa.Select:
    """``SELECT <account columns> [, <its bank's columns>] FROM account [JOIN time_bank]
    WHERE id IN (<count> ids) ORDER BY id FOR NO KEY UPDATE [OF account]``, built once
    per number of accounts."""
    columns: list[sa.ColumnElement[Any]] = [ACCOUNT.c[name] for name in _ACCOUNT_COLUMNS]
    if not with_bank:
        return (
            sa.select(*columns)
            .where(_ids_in(ACCOUNT.c.id, count))
            .order_by(ACCOUNT.c.id)
            .with_for_update(key_share=True)
        )
    columns += _bank_columns()
    return (
        sa.select(*columns)
        .join_from(ACCOUNT, TIME_BANK, ACCOUNT.c.time_bank_id == TIME_BANK.c.id)
        .where(_ids_in(ACCOUNT.c.id, count))
        .order_by(ACCOUNT.c.id)
        .with_for_update(key_share=True, of=ACCOUNT)
    )


def lock_accounts(
    session: Session, ids: Iterable[int], *, active: Iterable[int] = ()
) -> dict[int, LockedAccount]:
    """Lock the accounts (id order, so two writers never wait on each other in a cycle)
    and read their counters from the database, as plain values.

    The accounts in ``active`` must have an active holder (a member whose membership is
    active, an organisation still active). Their holders' rows are locked too, after the
    accounts and again in id order, and their status is read from the locked rows: a
    suspension or deactivation takes the same row lock, so it either commits before
    this reads (and is seen) or waits until this transaction ends.

    ``FOR NO KEY UPDATE``: exclusive between writers, yet it does not block the foreign
    key checks of rows that other transactions insert (transfers, audit entries)."""
    accounts, _ = _lock_accounts(session, ids, active, with_bank=False)
    return accounts


def lock_accounts_and_bank(
    session: Session, ids: Iterable[int], *, active: Iterable[int] = ()
) -> tuple[dict[int, LockedAccount], BankSettings]:
    """``lock_accounts``, reading the accounts' time bank (not locking it) in the same
    statement: its policy costs no statement of its own, and is as it is at the lock."""
    accounts, bank = _lock_accounts(session, ids, active, with_bank=True)
    return accounts, cast(BankSettings, bank)  # read whenever an account is found


def _lock_accounts(
    session: Session, ids: Iterable[int], active: Iterable[int], *, with_bank: bool
) -> tuple[dict[int, LockedAccount], BankSettings | None]:
    wanted = sorted(set(ids))
    if session.autoflush:
        session.flush()  # as an ORM query would (nothing to do in the services' own use)
    # On the session's connection (same transaction), past the ORM: plain rows.
    rows = (
        session.connection()
        .execute(_account_lock(with_bank, len(wanted)), _id_params(wanted))
        .all()
    )
    found = {
        row.id: LockedAccount(*row[: len(_ACCOUNT_COLUMNS)], session=session)  # type: ignore[misc]
        for row in rows
    }
    if any(i not in found for i in wanted):
        raise errors.NotFoundError("That account does not exist.")
    bank = BankSettings(*rows[0][len(_ACCOUNT_COLUMNS) :]) if with_bank else None
    _require_active_holders_locked(session, [found[i] for i in sorted(set(active))])
    return found, bank


def _require_active_holders_locked(session: Session, accounts: list[LockedAccount]) -> None:
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
    connection = session.connection()
    statuses: dict[int, tuple[MembershipStatus, Role]] = {}
    if member_ids:
        statuses = {
            row.id: (row.status, row.role)
            for row in connection.execute(
                _holders_lock(MEMBERSHIP, len(member_ids)), _id_params(member_ids)
            )
        }
    active_organisations: dict[int, bool] = {}
    if organisation_ids:
        active_organisations = {
            row.id: row.active
            for row in connection.execute(
                _holders_lock(ORGANISATION, len(organisation_ids)), _id_params(organisation_ids)
            )
        }
    for account in sorted(accounts, key=lambda a: a.id):
        status, role = statuses.get(account.membership_id or 0, (None, None))
        _require_active(
            account, status, active_organisations.get(account.organisation_id or 0), role
        )


@functools.cache
def _holders_lock(table: sa.Table, count: int) -> sa.Select:
    """Lock ``count`` memberships (id, status, role) or organisations (id, active), in
    id order, ``FOR NO KEY UPDATE``: built once per table and number of rows."""
    columns = ("status", "role") if table is MEMBERSHIP else ("active",)
    return (
        sa.select(table.c.id, *(table.c[name] for name in columns))
        .where(_ids_in(table.c.id, count))
        .order_by(table.c.id)
        .with_for_update(key_share=True)
    )


@functools.cache
def _transfer_lock(with_batch: bool, count: int = 1) -> sa.Select:
    """``SELECT <transfer>, <its bank's settings> FROM transfer JOIN time_bank WHERE ...
    ORDER BY id FOR UPDATE OF transfer``: the ``count`` transfers ``:id_0``, ..., or the
    transfer ``:id`` and every transfer of its group (a transfer's group never changes,
    so reading it inside the statement is safe). Built once per shape and count."""
    if with_batch:
        batch_of = (
            sa.select(Transfer.batch_id).where(Transfer.id == sa.bindparam("id")).scalar_subquery()
        )
        where = sa.or_(Transfer.id == sa.bindparam("id"), Transfer.batch_id == batch_of)
    else:
        where = _ids_in(TRANSFER.c.id, count)
    return (
        sa.select(Transfer, *_bank_columns())
        .join_from(Transfer, TIME_BANK, Transfer.time_bank_id == TIME_BANK.c.id)
        .where(where)
        .order_by(Transfer.id)
        .with_for_update(of=Transfer)
        .execution_options(populate_existing=True)
    )


def _locked_with_bank(
    session: Session, statement: sa.Select, params: dict[str, Any]
) -> tuple[list[Transfer], BankSettings | None]:
    """Lock the transfers the statement selects, in id order, reading their time bank
    (not locked) in the same statement, as plain values; None when none is found."""
    rows = session.execute(statement, params).all()
    bank = BankSettings(*rows[0][1:]) if rows else None
    return [row[0] for row in rows], bank


def lock_transfers(
    session: Session, ids: Iterable[int]
) -> tuple[list[Transfer], BankSettings | None]:
    wanted = sorted(set(ids))
    return _locked_with_bank(session, _transfer_lock(False, len(wanted)), _id_params(wanted))


def lock_transfer_and_batch(
    session: Session, transfer_id: int
) -> tuple[list[Transfer], BankSettings]:
    """Lock a transfer and, if it belongs to a group, every transfer of its group (one
    statement)."""
    found, bank = _locked_with_bank(session, _transfer_lock(True), {"id": transfer_id})
    if bank is None:
        raise errors.NotFoundError("That exchange does not exist.")
    return found, bank


def _require_active(
    account: LockedAccount,
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


def _label_of(account: LockedAccount) -> Callable[[], str]:
    return lambda: account.label


def check_limits(
    accounts: dict[int, LockedAccount], flows: Iterable[tuple[int, int, int]], policy: Policy
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


def add_pending(accounts: dict[int, LockedAccount], transfer: Transfer) -> None:
    accounts[transfer.debit_account_id].pending_debits += transfer.minutes
    accounts[transfer.credit_account_id].pending_credits += transfer.minutes


def add_posted(accounts: dict[int, LockedAccount], transfer: Transfer) -> None:
    accounts[transfer.debit_account_id].posted_debits += transfer.minutes
    accounts[transfer.credit_account_id].posted_credits += transfer.minutes


def release_pending(accounts: dict[int, LockedAccount], transfer: Transfer) -> None:
    accounts[transfer.debit_account_id].pending_debits -= transfer.minutes
    accounts[transfer.credit_account_id].pending_credits -= transfer.minutes


def post_pending(accounts: dict[int, LockedAccount], transfer: Transfer) -> None:
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


def write_counters(session: Session, accounts: dict[int, LockedAccount]) -> None:
    """Write the counters of these locked accounts that changed, in one UPDATE.

    The values written are absolute: the rows are locked and their counters were read
    under the lock (``lock_accounts``), so no other writer can have moved them. An
    ``Account`` object of the same row already in the session (the caller's) is given
    the new counters as its database values, so that it does not show the old ones
    until the commit."""
    changed = [account for account in accounts.values() if account.changed]
    if not changed:
        return
    params: dict[str, int] = {}
    for k, account in enumerate(changed):
        params[f"id_{k}"] = account.id
        for name in COUNTERS:
            params[f"{name}_{k}"] = getattr(account, name)
    session.connection().execute(_counters_update(len(changed)), params)
    for account in changed:
        account.read = account.counters()
        loaded = session.identity_map.get(identity_key(Account, account.id))
        if loaded is not None:
            for name in COUNTERS:
                set_committed_value(loaded, name, getattr(account, name))


def write_new_transfer(
    session: Session,
    accounts: dict[int, LockedAccount],
    transfer: Transfer,
    *,
    actor: Membership,
    action: str,
    noted: dict[str, Any] | None = None,
) -> Transfer:
    """Write a new transfer the one way every service writes one: its minutes onto both
    locked accounts' counters (posted or pending, as its status says), its row, then its
    audit entry (its snapshot, with anything ``noted`` beside it), which takes the
    chain head last."""
    if transfer.status == TransferStatus.POSTED:
        add_posted(accounts, transfer)
    else:
        add_pending(accounts, transfer)
    write_counters(session, accounts)
    session.add(transfer)
    session.flush()
    append_audit(
        session,
        time_bank_id=transfer.time_bank_id,
        actor=actor,
        action=action,
        entity_type="transfer",
        entity_id=transfer.id,
        after={**snapshot(transfer), **noted} if noted else snapshot(transfer),
    )
    return transfer


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
