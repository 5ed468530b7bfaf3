"""Exchanges between two accounts: record, confirm, approve, reject and reverse.

Every service here takes the session and the acting membership, flushes, appends to the
audit log and never commits: the caller owns the transaction (see
``database.run_in_transaction``). When a rule is broken a ``LedgerError`` is raised
before anything is flushed, and the caller's rollback discards any partial work.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger import errors, organisations, rules
from timebank.ledger.audit import append_audit
from timebank.ledger.banks import get_category
from timebank.ledger.clock import today_in, utcnow
from timebank.ledger.models import (
    Account,
    AccountKind,
    Membership,
    TimeBank,
    Transfer,
    TransferKind,
    TransferStatus,
)
from timebank.ledger.posting import (
    add_pending,
    add_posted,
    check_limits,
    get_bank,
    lock_accounts,
    lock_transfer_and_batch,
    lock_transfers,
    post_pending,
    release_pending,
    require_active_actor,
    require_coordinator,
    snapshot,
)

TRADING_KINDS = (AccountKind.MEMBER, AccountKind.ORGANISATION)


def find_by_idempotency_key(session: Session, time_bank_id: int, key: str) -> Transfer | None:
    return session.scalar(
        sa.select(Transfer).where(
            Transfer.time_bank_id == time_bank_id, Transfer.idempotency_key == key
        )
    )


def replay_idempotent(
    existing: Transfer,
    *,
    actor: Membership,
    debit_id: int,
    credit_id: int,
    minutes: int,
    kind: TransferKind,
) -> Transfer:
    """Return the transfer first recorded with this key, if the request is the same and
    comes from the same person (or a coordinator): keys are unique per time bank, so
    someone else's key must not hand back someone else's entry."""
    same_request = (
        existing.debit_account_id,
        existing.credit_account_id,
        existing.minutes,
        existing.kind,
    ) == (debit_id, credit_id, minutes, kind)
    same_sender = existing.recorded_by_id == actor.id or actor.is_coordinator
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
    require_active_actor(actor)
    bank = get_bank(session, actor.time_bank_id)
    if idempotency_key:
        existing = find_by_idempotency_key(session, bank.id, idempotency_key)
        if existing is not None:
            return replay_idempotent(
                existing,
                actor=actor,
                debit_id=receiver.id,
                credit_id=giver.id,
                minutes=minutes,
                kind=TransferKind.EXCHANGE,
            )
    if giver.time_bank_id != bank.id or receiver.time_bank_id != bank.id:
        raise errors.CrossBankTransferError("Both people must belong to the same time bank as you.")
    if giver.id == receiver.id:
        raise errors.SelfTransferError("You cannot record an exchange with yourself.")
    own = _own_account_id(actor)
    # The sides the recorder speaks for: their own account, and the account of any
    # organisation they are staff of (they record for it as a party).
    # (Only organisation accounts can be acted for: no query when neither side is one.)
    acting_for = organisations.accounts_acted_for(
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
    accounts = lock_accounts(session, [giver.id, receiver.id], active=[giver.id, receiver.id])

    policy = rules.Policy.of(bank)
    rules.validate_minutes(minutes, policy)
    rules.validate_service_date(service_date, today or today_in(bank.timezone), policy)
    category_row = get_category(session, bank.id, category) if category else None
    description = (description or "").strip()
    if len(description) > 2000:
        raise errors.InvalidTransferError(
            "Keep the description under 2,000 characters.", field="description"
        )

    check_limits(accounts, [(receiver.id, giver.id, minutes)], policy)

    recorder_is_party = bool(sides)
    counterpart = receiver if giver.id in sides else giver
    needs_confirmation = (
        bank.requires_confirmation
        and recorder_is_party
        and counterpart.id not in sides
        and counterpart.kind == AccountKind.MEMBER
    )
    coordinator_vouches = actor.is_coordinator and not recorder_is_party
    # Nobody independent can confirm when the recorder speaks for both sides or the
    # other side is an organisation: if the bank asks for a second person's word at
    # all, a coordinator gives it, whatever the auto-approve threshold.
    unconfirmable = recorder_is_party and (
        counterpart.id in sides or counterpart.kind != AccountKind.MEMBER
    )
    needs_approval = not coordinator_vouches and (
        (bank.requires_approval and minutes > bank.auto_approve_max_minutes)
        or (unconfirmable and (bank.requires_approval or bank.requires_confirmation))
    )
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
    if coordinator_vouches and bank.requires_approval:
        transfer.approved_by_id, transfer.approved_at = actor.id, now
    if rules.ready_to_post(needs_confirmation, False, needs_approval, False):
        transfer.status, transfer.posted_at = TransferStatus.POSTED, now
        add_posted(accounts, transfer)
    else:
        add_pending(accounts, transfer)
    session.add(transfer)
    session.flush()
    append_audit(
        session,
        time_bank_id=bank.id,
        actor=actor,
        action="transfer.recorded",
        entity_type="transfer",
        entity_id=transfer.id,
        after=snapshot(transfer),
    )
    return transfer


def _already_resolved(transfer: Transfer) -> errors.AlreadyResolvedError:
    if transfer.status == TransferStatus.POSTED:
        return errors.AlreadyResolvedError("This exchange was already posted; nothing was changed.")
    return errors.AlreadyResolvedError("This exchange was already rejected; nothing was changed.")


def _post_if_ready(session: Session, bank: TimeBank, transfers: list[Transfer]) -> bool:
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
    accounts = lock_accounts(session, ids)
    policy = rules.Policy.of(bank)
    # The amounts are already pending: check today's balances against today's policy.
    check_limits(
        accounts, [(t.debit_account_id, t.credit_account_id, 0) for t in transfers], policy
    )
    for transfer in transfers:
        post_pending(accounts, transfer)
    return True


def confirm_transfer(session: Session, *, actor: Membership, transfer_id: int) -> Transfer:
    """The other person in an exchange confirms it happened."""
    require_active_actor(actor)
    found = lock_transfers(session, [transfer_id])
    if not found or found[0].time_bank_id != actor.time_bank_id:
        raise errors.NotFoundError("That exchange does not exist.")
    transfer = found[0]
    if transfer.status != TransferStatus.PENDING:
        raise _already_resolved(transfer)
    if not transfer.needs_confirmation or transfer.confirmed_at is not None:
        raise errors.NotConfirmableError("This exchange is not waiting for a confirmation.")
    # The other person: one of the two sides is their own account, and they did not
    # record it. (An entry that asks for confirmation always has exactly one such
    # member: the recorder's own side, or the organisation the recorder acts for, is the
    # other side.)
    sides = (transfer.debit_account_id, transfer.credit_account_id)
    if _own_account_id(actor) not in sides or actor.id == transfer.recorded_by_id:
        raise errors.NotAllowedError("Only the other person in the exchange can confirm it.")
    before = snapshot(transfer)
    bank = get_bank(session, transfer.time_bank_id)
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


def approve_transfer(session: Session, *, actor: Membership, transfer_id: int) -> list[Transfer]:
    """A coordinator approves a pending transfer (with its whole group, if it has one).

    Two coordinators approving at the same moment: the second waits for the first's row
    lock, then finds it resolved and gets ``AlreadyResolvedError``.
    """
    transfers = lock_transfer_and_batch(session, transfer_id)
    bank_id = transfers[0].time_bank_id
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
    befores = {t.id: snapshot(t) for t in transfers}
    bank = get_bank(session, bank_id)
    now = utcnow()
    with session.no_autoflush:  # one UPDATE per transfer (see confirm_transfer)
        for transfer in transfers:
            transfer.approved_by_id, transfer.approved_at = actor.id, now
        _post_if_ready(session, bank, transfers)
    session.flush()
    for transfer in transfers:
        append_audit(
            session,
            time_bank_id=bank_id,
            actor=actor,
            action="transfer.approved",
            entity_type="transfer",
            entity_id=transfer.id,
            before=befores[transfer.id],
            after=snapshot(transfer),
        )
    return transfers


def reject_transfer(
    session: Session, *, actor: Membership, transfer_id: int, reason: str
) -> list[Transfer]:
    """Reject a pending transfer (and its group): a coordinator, the person who recorded
    it (withdrawing it) or the other person (disputing it)."""
    reason = rules.require_reason(reason)
    require_active_actor(actor)
    transfers = lock_transfer_and_batch(session, transfer_id)
    if not transfers or transfers[0].time_bank_id != actor.time_bank_id:
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
    ids = [i for t in transfers for i in (t.debit_account_id, t.credit_account_id)]
    accounts = lock_accounts(session, ids)
    now = utcnow()
    befores = {t.id: snapshot(t) for t in transfers}
    for transfer in transfers:
        release_pending(accounts, transfer)
        transfer.status = TransferStatus.REJECTED
        transfer.rejected_by_id, transfer.rejected_at = actor.id, now
        transfer.reason = reason
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
    found = lock_transfers(session, [transfer_id])
    if not found or found[0].time_bank_id != actor.time_bank_id:
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
    bank = get_bank(session, original.time_bank_id)
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
    add_posted(accounts, reversal)
    session.add(reversal)
    session.flush()
    append_audit(
        session,
        time_bank_id=original.time_bank_id,
        actor=actor,
        action="transfer.reversed",
        entity_type="transfer",
        entity_id=reversal.id,
        after=snapshot(reversal),
    )
    return reversal
