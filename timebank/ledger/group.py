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
    snapshot,
    write_counters,
)
from timebank.ledger.transfers import (
    find_by_idempotency_key,
    may_replay,
    minutes_as_first_recorded,
)

MAX_GROUP_SIZE = 500

# How the person at the centre of a workshop (one gives to many) is credited: a time
# bank's setting (``TimeBank.group_credit_rule``).
EACH = "each"  # the leader earns each participant's hours; each participant pays theirs
SESSION = "session"  # the leader earns the session's length once, paid by a funder (the
# community pot or an organisation); the participants pay nothing
CREDIT_RULES = (EACH, SESSION)


def group_flows(
    *,
    rule: str,
    hub_id: int,
    hub_gives: bool,
    participants: list[tuple[int, int]],
    session_minutes: int | None = None,
    funder_id: int | None = None,
) -> list[tuple[int, int, int]]:
    """The transfers a group exchange posts, as (debit account, credit account,
    minutes). ``participants``: (account id, minutes) each.

    A working party (many give to one) always credits each giver with their own time.
    A workshop under the "each" rule debits each participant their time and credits
    the leader with the sum (ten people at a two-hour workshop: the leader earns 20 h).
    Under the "session" rule the leader earns the session's length once (2 h), paid by
    the funder, and the participants pay nothing."""
    if not hub_gives:
        return [(hub_id, account_id, minutes) for account_id, minutes in participants]
    if rule == SESSION:
        if funder_id is None or not session_minutes:
            raise errors.InvalidTransferError("Choose who pays for the session.", field="funder")
        return [(funder_id, hub_id, session_minutes)]
    return [(account_id, hub_id, minutes) for account_id, minutes in participants]


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
    session_minutes: int | None = None,
    funder: Account | None = None,
) -> list[Transfer]:
    """Record one transfer between ``hub`` and each participant, all or nothing (or,
    for a workshop in a bank whose rule is "session", one transfer of
    ``session_minutes`` from ``funder`` to the hub: see :func:`group_flows`).

    ``hub_gives``: the hub gave time to every participant (a workshop); otherwise every
    participant gave time to the hub (a working party). Each participant carries their
    own minutes. A coordinator's group exchange posts at once. A member's waits for a
    coordinator whenever the time bank asks for approval *or* confirmation: the
    participants cannot each confirm a group entry, so a coordinator vouches for it.
    """
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
                group_flows(
                    rule=bank.group_credit_rule,
                    hub_id=hub.id,
                    hub_gives=hub_gives,
                    participants=[(a.id, m) for a, m in participants],
                    session_minutes=session_minutes,
                    funder_id=funder.id if funder is not None else None,
                )
            )
            # As first recorded: a coordinator may have corrected a row since.
            first = minutes_as_first_recorded(session, batch) if batch else {}
            recorded = sorted((t.debit_account_id, t.credit_account_id, first[t.id]) for t in batch)
            same_sender = bool(batch) and may_replay(batch[0].recorded_by_id, actor)
            if not batch or asked != recorded or not same_sender:
                raise errors.IdempotencyConflictError(
                    "This request key was already used for a different entry."
                )
            return batch
    require_active_actor(actor)
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
    by_session = hub_gives and bank.group_credit_rule == SESSION
    if by_session:
        if funder is None:
            raise errors.InvalidTransferError("Choose who pays for the session.", field="funder")
        if funder.id == hub.id:
            raise errors.SelfTransferError(
                "The person at the centre cannot also pay for the session.", field="funder"
            )
        if funder.time_bank_id != bank.id or funder.kind not in (
            AccountKind.POT,
            AccountKind.ORGANISATION,
        ):
            raise errors.InvalidTransferError(
                "The community pot or an organisation pays for the session.", field="funder"
            )
        rules.validate_minutes(session_minutes or 0, policy)
    # Locked here, with every holder checked active (and whoever pays for a session), so
    # an inactive member is the first thing said (as in record_transfer).
    everyone = [hub.id] + [account.id for account, _ in participants]
    if by_session and funder is not None:
        everyone.append(funder.id)
    accounts = lock_accounts(session, everyone, active=everyone)
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
    description = rules.clean_description(description)

    flows = group_flows(
        rule=bank.group_credit_rule,
        hub_id=hub.id,
        hub_gives=hub_gives,
        participants=[(account.id, minutes) for account, minutes in participants],
        session_minutes=session_minutes,
        funder_id=funder.id if funder is not None else None,
    )
    check_limits(accounts, flows, policy)

    steps = rules.steps_needed(
        requires_confirmation=bank.requires_confirmation,
        requires_approval=bank.requires_approval,
        auto_approve_max_minutes=bank.auto_approve_max_minutes,
        minutes=sum(minutes for _, _, minutes in flows),
        group=True,
        by_coordinator=actor.is_coordinator,
        party=actor.account is not None and actor.account.id == hub.id,
        other_side_confirms=False,
    )
    needs_approval = steps.approval
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
            description=description,
            category_id=category_row.id if category_row else None,
            kind=TransferKind.GROUP,
            status=TransferStatus.PENDING,
            needs_confirmation=steps.confirmation,
            needs_approval=needs_approval,
            recorded_by_id=actor.id,
            recorded_at=now,
            batch_id=batch_id,
            idempotency_key=(idempotency_key or None) if index == 0 else None,
        )
        if steps.approved_on_record:
            transfer.approved_by_id, transfer.approved_at = actor.id, now
        if needs_approval:
            add_pending(accounts, transfer)
        else:
            transfer.status, transfer.posted_at = TransferStatus.POSTED, now
            add_posted(accounts, transfer)
        session.add(transfer)
        transfers.append(transfer)
    write_counters(session, accounts)
    session.flush()
    for transfer in transfers:
        after = snapshot(transfer)
        if by_session:
            # Who attended is on record, though only the leader's time is posted.
            after["participants"] = sorted(account.id for account, _ in participants)
        append_audit(
            session,
            time_bank_id=bank.id,
            actor=actor,
            action="transfer.recorded",
            entity_type="transfer",
            entity_id=transfer.id,
            after=after,
        )
    return transfers
