"""Exchanges between two accounts: record, confirm, approve, reject and reverse.

Every service here takes the session and the acting membership, flushes, appends to the
audit log and never commits: the caller owns the transaction (see
``database.run_in_transaction``). When a rule is broken a ``LedgerError`` is raised
before anything is flushed, and the caller's rollback discards any partial work.
"""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger import errors, rules, staff
from timebank.ledger.audit import append_audit
from timebank.ledger.banks import get_category
from timebank.ledger.clock import today_in, utcnow
from timebank.ledger.duties import check_own_approval
from timebank.ledger.models import (
    Account,
    AccountKind,
    AuditEntry,
    Membership,
    MembershipStatus,
    Transfer,
    TransferKind,
    TransferStatus,
)
from timebank.ledger.posting import (
    BankSettings,
    check_limits,
    lock_accounts,
    lock_accounts_and_bank,
    lock_transfer_and_batch,
    lock_transfers,
    post_pending,
    release_pending,
    require_active_actor,
    require_coordinator,
    require_version,
    snapshot,
    version_of,
    write_counters,
    write_new_transfer,
)

TRADING_KINDS = (AccountKind.MEMBER, AccountKind.ORGANISATION)


def find_by_idempotency_key(session: Session, time_bank_id: int, key: str) -> Transfer | None:
    return session.scalar(
        sa.select(Transfer).where(
            Transfer.time_bank_id == time_bank_id, Transfer.idempotency_key == key
        )
    )


def minutes_as_first_recorded(session: Session, transfers: list[Transfer]) -> dict[int, int]:
    """The minutes each transfer was first recorded with: what the request that carried
    its idempotency key asked for. A coordinator's correction changes an entry in place,
    so these come from the audit log's record of it (``transfer.recorded``)."""
    recorded = session.execute(
        sa.select(AuditEntry.entity_id, AuditEntry.after).where(
            AuditEntry.time_bank_id == transfers[0].time_bank_id,
            AuditEntry.entity_type == "transfer",
            AuditEntry.action == "transfer.recorded",
            AuditEntry.entity_id.in_([t.id for t in transfers]),
        )
    )
    first = {entity_id: json.loads(after)["minutes"] for entity_id, after in recorded if after}
    return {t.id: first.get(t.id, t.minutes) for t in transfers}


def may_replay(recorded_by_id: int | None, actor: Membership) -> bool:
    """Whether ``actor`` may be handed back an entry recorded by ``recorded_by_id``."""
    return recorded_by_id == actor.id or (
        actor.is_coordinator and actor.status == MembershipStatus.ACTIVE
    )


def replay_idempotent(
    session: Session,
    existing: Transfer,
    *,
    actor: Membership,
    debit_id: int,
    credit_id: int,
    minutes: int,
    kind: TransferKind,
) -> Transfer:
    """Return the transfer first recorded with this key, if the request is the same as
    the one that recorded it (even if a coordinator has corrected the entry since) and
    comes from the same person (or an active coordinator): keys are unique per time
    bank, so someone else's key must not hand back someone else's entry.

    Callers answer a replay before checking that the sender may still record: a retry
    writes nothing, and a person suspended between a timeout and the retry must learn
    that their entry was recorded, not that it was refused."""
    same_request = (
        existing.debit_account_id,
        existing.credit_account_id,
        minutes_as_first_recorded(session, [existing])[existing.id],
        existing.kind,
    ) == (debit_id, credit_id, minutes, kind)
    same_sender = may_replay(existing.recorded_by_id, actor)
    if not (same_request and same_sender):
        raise errors.IdempotencyConflictError(
            "This request key was already used for a different entry."
        )
    return existing


def _own_account_id(actor: Membership) -> int | None:
    return actor.account.id if actor.account is not None else None


def record_transfer(
    session: Session,
    *,
    actor: Membership,
    giver: Account,
    receiver: Account,
    minutes: int,
    service_date: date,
    description: str = "",
    category: str | None = None,
    idempotency_key: str | None = None,
    today: date | None = None,
) -> Transfer:
    """Record that ``giver`` gave ``minutes`` of time to ``receiver``.

    The transfer posts at once when the time bank asks for neither confirmation nor
    approval; otherwise it is pending and its minutes count against both limits until
    it posts or is rejected. Recording again with the same ``idempotency_key`` returns
    the first transfer and writes nothing.
    """
    bank_id = actor.time_bank_id
    if idempotency_key:
        existing = find_by_idempotency_key(session, bank_id, idempotency_key)
        if existing is not None:
            return replay_idempotent(
                session,
                existing,
                actor=actor,
                debit_id=receiver.id,
                credit_id=giver.id,
                minutes=minutes,
                kind=TransferKind.EXCHANGE,
            )
    require_active_actor(actor)
    if giver.time_bank_id != bank_id or receiver.time_bank_id != bank_id:
        raise errors.CrossBankTransferError("Both people must belong to the same time bank as you.")
    if giver.id == receiver.id:
        raise errors.SelfTransferError("You cannot record an exchange with yourself.")
    own = _own_account_id(actor)
    # The sides the recorder speaks for: their own account, and the account of any
    # organisation they are staff of (they record for it as a party).
    # (Only organisation accounts can be acted for: no query when neither side is one.)
    acting_for = staff.accounts_acted_for(
        session, actor, [a.id for a in (giver, receiver) if a.kind == AccountKind.ORGANISATION]
    )
    sides = {i for i in (giver.id, receiver.id) if i == own or i in acting_for}
    if not actor.is_coordinator and not sides:
        raise errors.NotAllowedError("You can only record exchanges you took part in.")
    for account in (giver, receiver):
        if account.kind not in TRADING_KINDS:
            raise errors.InvalidTransferError(
                "Use a donation or a grant for the community pot.", field="counterpart"
            )
    # Locked here (and both holders checked active in the same statement), before the
    # amount and date are checked, so an inactive member is the first thing said.
    accounts, bank = lock_accounts_and_bank(
        session, [giver.id, receiver.id], active=[giver.id, receiver.id]
    )

    policy = rules.Policy.of(bank)
    rules.validate_minutes(minutes, policy)
    rules.validate_service_date(service_date, today or today_in(bank.timezone), policy)
    category_row = get_category(session, bank.id, category) if category else None
    description = rules.clean_description(description)

    check_limits(accounts, [(receiver.id, giver.id, minutes)], policy)

    counterpart = receiver if giver.id in sides else giver
    # Nobody independent can confirm when the recorder speaks for both sides or the
    # other side is an organisation.
    steps = rules.steps_needed(
        requires_confirmation=bank.requires_confirmation,
        requires_approval=bank.requires_approval,
        auto_approve_max_minutes=bank.auto_approve_max_minutes,
        minutes=minutes,
        group=False,
        by_coordinator=actor.is_coordinator,
        party=bool(sides),
        other_side_confirms=counterpart.id not in sides and counterpart.kind == AccountKind.MEMBER,
    )
    needs_confirmation, needs_approval = steps.confirmation, steps.approval
    now = utcnow()
    transfer = Transfer(
        time_bank_id=bank.id,
        debit_account_id=receiver.id,
        credit_account_id=giver.id,
        minutes=minutes,
        service_date=service_date,
        description=description,
        category_id=category_row.id if category_row else None,
        kind=TransferKind.EXCHANGE,
        status=TransferStatus.PENDING,
        needs_confirmation=needs_confirmation,
        needs_approval=needs_approval,
        recorded_by_id=actor.id,
        recorded_at=now,
        idempotency_key=idempotency_key or None,
    )
    if steps.approved_on_record:
        transfer.approved_by_id, transfer.approved_at = actor.id, now
    if rules.ready_to_post(needs_confirmation, False, needs_approval, False):
        transfer.status, transfer.posted_at = TransferStatus.POSTED, now
    return write_new_transfer(session, accounts, transfer, actor=actor, action="transfer.recorded")


def _already_resolved(transfer: Transfer) -> errors.AlreadyResolvedError:
    if transfer.status == TransferStatus.POSTED:
        return errors.AlreadyResolvedError("This exchange was already posted; nothing was changed.")
    return errors.AlreadyResolvedError("This exchange was already rejected; nothing was changed.")


def _post_if_ready(session: Session, bank: BankSettings, transfers: list[Transfer]) -> bool:
    """Post the transfers together if each has every step it needs, re-checking limits."""
    if not all(
        rules.ready_to_post(
            t.needs_confirmation,
            t.confirmed_at is not None,
            t.needs_approval,
            t.approved_at is not None,
        )
        for t in transfers
    ):
        return False
    ids = [i for t in transfers for i in (t.debit_account_id, t.credit_account_id)]
    # Nothing posts for a member who is no longer active (or an organisation): the entry
    # keeps waiting; a coordinator can reject it, or approve it once they are active.
    # The bank was read by the transfers' lock, earlier in this transaction.
    accounts = lock_accounts(session, ids, active=ids)
    policy = rules.Policy.of(bank)
    # The amounts are already pending: check today's balances against today's policy.
    check_limits(
        accounts, [(t.debit_account_id, t.credit_account_id, 0) for t in transfers], policy
    )
    for transfer in transfers:
        post_pending(accounts, transfer)
    write_counters(session, accounts)
    return True


def entry_version(session: Session, transfer_id: int) -> str:
    """The version of an entry (with its group) to carry in a form that acts on it."""
    versions = entry_versions(session, [transfer_id])
    if transfer_id not in versions:
        raise errors.NotFoundError("That exchange does not exist.")
    return versions[transfer_id]


def loaded_entry_version(session: Session, transfer: Transfer) -> str:
    """``entry_version`` of a transfer already loaded in this session, without reading it
    again (``entry_versions``' query would give back the session's own object); its
    group is read if it has one."""
    if transfer.batch_id is None:
        return version_of([transfer])
    return entry_version(session, transfer.id)


def entry_versions(session: Session, transfer_ids: list[int]) -> dict[int, str]:
    """``entry_version`` of each of these entries, in two queries however many there are
    (a page listing entries carries one version per form). Ids that do not exist are
    left out."""
    transfers = list(session.scalars(sa.select(Transfer).where(Transfer.id.in_(transfer_ids))))
    batch_ids = {t.batch_id for t in transfers if t.batch_id is not None}
    batches: dict[str, list[Transfer]] = {}
    if batch_ids:
        for row in session.scalars(sa.select(Transfer).where(Transfer.batch_id.in_(batch_ids))):
            batches.setdefault(row.batch_id or "", []).append(row)
    return {
        t.id: version_of(batches[t.batch_id] if t.batch_id is not None else [t]) for t in transfers
    }


def confirm_transfer(
    session: Session, *, actor: Membership, transfer_id: int, seen_version: str | None = None
) -> Transfer:
    """The other person in an exchange confirms it happened: the entry as they saw it,
    when ``seen_version`` (``entry_version``) is given."""
    require_active_actor(actor)
    found, bank = lock_transfers(session, [transfer_id])
    if bank is None or found[0].time_bank_id != actor.time_bank_id:
        raise errors.NotFoundError("That exchange does not exist.")
    transfer = found[0]
    if transfer.status != TransferStatus.PENDING:
        raise _already_resolved(transfer)
    if not transfer.needs_confirmation or transfer.confirmed_at is not None:
        raise errors.NotConfirmableError("This exchange is not waiting for a confirmation.")
    require_version(found, seen_version)
    # The other person: one of the two sides is their own account, and they did not
    # record it. (An entry that asks for confirmation always has exactly one such
    # member: the recorder's own side, or the organisation the recorder acts for, is the
    # other side.)
    sides = (transfer.debit_account_id, transfer.credit_account_id)
    if _own_account_id(actor) not in sides or actor.id == transfer.recorded_by_id:
        raise errors.NotAllowedError("Only the other person in the exchange can confirm it.")
    before = snapshot(transfer)
    # One UPDATE of the transfer at the flush, not one for the confirmation and another
    # for the posting (the reads in between would flush it early).
    with session.no_autoflush:
        transfer.confirmed_by_id, transfer.confirmed_at = actor.id, utcnow()
        _post_if_ready(session, bank, [transfer])
    session.flush()
    append_audit(
        session,
        time_bank_id=transfer.time_bank_id,
        actor=actor,
        action="transfer.confirmed",
        entity_type="transfer",
        entity_id=transfer.id,
        before=before,
        after=snapshot(transfer),
    )
    return transfer


def approve_transfer(
    session: Session, *, actor: Membership, transfer_id: int, seen_version: str | None = None
) -> list[Transfer]:
    """A coordinator approves a pending transfer (with its whole group, if it has one),
    as they saw it when ``seen_version`` is given.

    Two coordinators approving at the same moment: the second waits for the first's row
    lock, then finds it resolved and gets ``AlreadyResolvedError``.
    """
    transfers, bank = lock_transfer_and_batch(session, transfer_id)
    bank_id = bank.id
    if actor.time_bank_id != bank_id:
        raise errors.NotFoundError("That exchange does not exist.")
    require_coordinator(actor, bank_id)
    for transfer in transfers:
        if transfer.status != TransferStatus.PENDING:
            raise _already_resolved(transfer)
        if not transfer.needs_approval:
            raise errors.NotConfirmableError(
                "This exchange needs no approval; it is waiting for the other person to confirm it."
            )
        if transfer.approved_at is not None:
            raise errors.AlreadyResolvedError(
                "This exchange was already approved; it is waiting for the other person"
                " to confirm it."
            )
    require_version(transfers, seen_version)
    befores = {t.id: snapshot(t) for t in transfers}
    # Separation of duties: refused here when the bank's rule is on, else recorded.
    own_entry = check_own_approval(session, bank, actor, transfers)
    now = utcnow()
    with session.no_autoflush:  # one UPDATE per transfer (see confirm_transfer)
        for transfer in transfers:
            transfer.approved_by_id, transfer.approved_at = actor.id, now
        _post_if_ready(session, bank, transfers)
    session.flush()
    for transfer in transfers:
        after = snapshot(transfer)
        if own_entry:
            after["own_entry"] = True
        append_audit(
            session,
            time_bank_id=bank_id,
            actor=actor,
            action="transfer.approved",
            entity_type="transfer",
            entity_id=transfer.id,
            before=befores[transfer.id],
            after=after,
        )
    return transfers


def reject_transfer(
    session: Session,
    *,
    actor: Membership,
    transfer_id: int,
    reason: str,
    seen_version: str | None = None,
) -> list[Transfer]:
    """Reject a pending transfer (and its group): a coordinator, the person who recorded
    it (withdrawing it) or the other person (disputing it); as they saw it when
    ``seen_version`` is given."""
    reason = rules.require_reason(reason)
    require_active_actor(actor)
    transfers, _bank = lock_transfer_and_batch(session, transfer_id)
    if transfers[0].time_bank_id != actor.time_bank_id:
        raise errors.NotFoundError("That exchange does not exist.")
    bank_id = transfers[0].time_bank_id
    if not actor.is_coordinator:
        own = _own_account_id(actor)
        if len(transfers) > 1 or own not in (
            transfers[0].debit_account_id,
            transfers[0].credit_account_id,
        ):
            raise errors.NotAllowedError(
                "Only a coordinator or someone in the exchange can reject it."
            )
    for transfer in transfers:
        if transfer.status != TransferStatus.PENDING:
            raise _already_resolved(transfer)
    require_version(transfers, seen_version)
    ids = [i for t in transfers for i in (t.debit_account_id, t.credit_account_id)]
    accounts = lock_accounts(session, ids)
    now = utcnow()
    befores = {t.id: snapshot(t) for t in transfers}
    for transfer in transfers:
        release_pending(accounts, transfer)
        transfer.status = TransferStatus.REJECTED
        transfer.rejected_by_id, transfer.rejected_at = actor.id, now
        transfer.reason = reason
    write_counters(session, accounts)
    session.flush()
    for transfer in transfers:
        append_audit(
            session,
            time_bank_id=bank_id,
            actor=actor,
            action="transfer.rejected",
            entity_type="transfer",
            entity_id=transfer.id,
            before=befores[transfer.id],
            after=snapshot(transfer),
        )
    return transfers


def reverse_transfer(
    session: Session, *, actor: Membership, transfer_id: int, reason: str, today: date | None = None
) -> Transfer:
    """Correct a posted transfer with a mirror-image transfer linked to it.

    Nothing is edited or deleted. A reversal is allowed to take a member below the floor
    (a correction must always be possible); the pot still cannot go below zero.
    """
    reason = rules.require_reason(reason)
    found, bank = lock_transfers(session, [transfer_id])
    if bank is None or found[0].time_bank_id != actor.time_bank_id:
        raise errors.NotFoundError("That exchange does not exist.")
    original = found[0]
    require_coordinator(actor, original.time_bank_id)
    if original.status != TransferStatus.POSTED:
        raise errors.NotReversibleError(
            "Only a posted exchange can be reversed; reject a pending one instead."
        )
    if original.kind == TransferKind.REVERSAL:
        raise errors.NotReversibleError(
            "This is already a correction; record a new exchange instead."
        )
    if session.scalar(sa.select(Transfer.id).where(Transfer.reverses_id == original.id)):
        raise errors.AlreadyReversedError("This exchange has already been reversed.")
    accounts = lock_accounts(session, [original.debit_account_id, original.credit_account_id])
    taken_back = accounts[original.credit_account_id]
    if taken_back.kind == AccountKind.POT:
        rules.check_can_receive(
            rules.Counters.of(taken_back),
            original.minutes,
            AccountKind.POT,
            rules.Policy.of(bank),
            taken_back.label,
        )
    now = utcnow()
    reversal = Transfer(
        time_bank_id=original.time_bank_id,
        debit_account_id=original.credit_account_id,
        credit_account_id=original.debit_account_id,
        minutes=original.minutes,
        service_date=today or today_in(bank.timezone),
        description=f"Reversal of entry {original.id}",
        category_id=original.category_id,
        kind=TransferKind.REVERSAL,
        status=TransferStatus.POSTED,
        recorded_by_id=actor.id,
        recorded_at=now,
        approved_by_id=actor.id,
        approved_at=now,
        posted_at=now,
        reason=reason,
        reverses_id=original.id,
    )
    return write_new_transfer(session, accounts, reversal, actor=actor, action="transfer.reversed")
