"""Group exchanges: one giver to many receivers (a workshop) or many givers to one
receiver (a working party). The transfers share a batch id and post, or are rejected,
together; if any one breaks a rule, none is written."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger import errors, rules
from timebank.ledger.audit import append_audit
from timebank.ledger.banks import get_category
from timebank.ledger.clock import today_in, utcnow
from timebank.ledger.models import (
    Account,
    AccountKind,
    Membership,
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
    require_active_actor,
    require_active_holders,
    snapshot,
)
from timebank.ledger.transfers import find_by_idempotency_key

MAX_GROUP_SIZE = 500


def record_group_exchange(
    session: Session,
    *,
    actor: Membership,
    hub: Account,
    hub_gives: bool,
    participants: list[tuple[Account, int]],
    service_date: date,
    description: str = "",
    category: str | None = None,
    idempotency_key: str | None = None,
    today: date | None = None,
) -> list[Transfer]:
    """Record one transfer between ``hub`` and each participant, all or nothing.

    ``hub_gives``: the hub gave time to every participant (a workshop); otherwise every
    participant gave time to the hub (a working party). Each participant carries their
    own minutes. A coordinator's group exchange posts at once. A member's waits for a
    coordinator whenever the time bank asks for approval *or* confirmation: the
    participants cannot each confirm a group entry, so a coordinator vouches for it.
    """
    require_active_actor(actor)
    bank = get_bank(session, actor.time_bank_id)
    if idempotency_key:
        existing = find_by_idempotency_key(session, bank.id, idempotency_key)
        if existing is not None:
            batch = (
                list(
                    session.scalars(
                        sa.select(Transfer)
                        .where(Transfer.batch_id == existing.batch_id)
                        .order_by(Transfer.id)
                    )
                )
                if existing.batch_id is not None
                else []
            )
            asked = sorted(
                (account.id, hub.id, minutes) if hub_gives else (hub.id, account.id, minutes)
                for account, minutes in participants
            )
            recorded = sorted((t.debit_account_id, t.credit_account_id, t.minutes) for t in batch)
            same_sender = bool(batch) and (
                batch[0].recorded_by_id == actor.id or actor.is_coordinator
            )
            if not batch or asked != recorded or not same_sender:
                raise errors.IdempotencyConflictError(
                    "This request key was already used for a different entry."
                )
            return batch
    if not actor.is_coordinator and (actor.account is None or actor.account.id != hub.id):
        raise errors.NotAllowedError(
            "Only a coordinator, or the person at the centre of it, can record a group exchange."
        )
    if not participants:
        raise errors.InvalidTransferError(
            "Add at least one person to the group.", field="participants"
        )
    if len(participants) > MAX_GROUP_SIZE:
        raise errors.InvalidTransferError(
            "A group exchange can include at most %(most)s people.",
            field="participants",
            most=MAX_GROUP_SIZE,
        )
    seen: set[int] = set()
    policy = rules.Policy.of(bank)
    for account in [hub] + [account for account, _ in participants]:
        if account.time_bank_id != bank.id:
            raise errors.CrossBankTransferError("Everyone must belong to this time bank.")
        if account.kind not in (AccountKind.MEMBER, AccountKind.ORGANISATION):
            raise errors.InvalidTransferError(
                "Use a donation or a grant for the community pot.", field="participants"
            )
    require_active_holders(session, [hub] + [account for account, _ in participants])
    for account, minutes in participants:
        if account.id == hub.id:
            raise errors.SelfTransferError(
                "%(name)s is at the centre of the exchange and cannot also be in the group.",
                field="participants",
                name=account.label,
            )
        if account.id in seen:
            raise errors.InvalidTransferError(
                "%(name)s is in the group twice.", field="participants", name=account.label
            )
        seen.add(account.id)
        rules.validate_minutes(minutes, policy)
    rules.validate_service_date(service_date, today or today_in(bank.timezone), policy)
    category_row = get_category(session, bank.id, category) if category else None

    flows = [
        (account.id, hub.id, minutes) if hub_gives else (hub.id, account.id, minutes)
        for account, minutes in participants
    ]
    accounts = lock_accounts(session, [hub.id, *seen])
    check_limits(accounts, flows, policy)

    needs_approval = not actor.is_coordinator and (
        bank.requires_approval or bank.requires_confirmation
    )
    now = utcnow()
    batch_id = str(uuid.uuid4())
    transfers = []
    for index, (debit_id, credit_id, minutes) in enumerate(flows):
        transfer = Transfer(
            time_bank_id=bank.id,
            debit_account_id=debit_id,
            credit_account_id=credit_id,
            minutes=minutes,
            service_date=service_date,
            description=(description or "").strip(),
            category_id=category_row.id if category_row else None,
            kind=TransferKind.GROUP,
            status=TransferStatus.PENDING,
            needs_confirmation=False,
            needs_approval=needs_approval,
            recorded_by_id=actor.id,
            recorded_at=now,
            batch_id=batch_id,
            idempotency_key=(idempotency_key or None) if index == 0 else None,
        )
        if actor.is_coordinator:
            transfer.approved_by_id, transfer.approved_at = actor.id, now
        if needs_approval:
            add_pending(accounts, transfer)
        else:
            transfer.status, transfer.posted_at = TransferStatus.POSTED, now
            add_posted(accounts, transfer)
        session.add(transfer)
        transfers.append(transfer)
    session.flush()
    for transfer in transfers:
        append_audit(
            session,
            time_bank_id=bank.id,
            actor=actor,
            action="transfer.recorded",
            entity_type="transfer",
            entity_id=transfer.id,
            after=snapshot(transfer),
        )
    return transfers
