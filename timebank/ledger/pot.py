"""The community pot: members and organisations donate hours into it; coordinators
grant them to people who cannot earn (illness, disability). The pot never goes below
zero (a rule here and a CHECK constraint in the database)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from timebank.ledger import errors, rules
from timebank.ledger.banks import get_pot_account
from timebank.ledger.clock import today_in, utcnow
from timebank.ledger.duties import check_own_grant
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
    get_bank,
    lock_accounts,
    require_active_actor,
    require_coordinator,
    write_new_transfer,
)
from timebank.ledger.transfers import find_by_idempotency_key, replay_idempotent


def _posted(
    bank: TimeBank,
    actor: Membership,
    *,
    debit: Account,
    credit: Account,
    minutes: int,
    kind: TransferKind,
    description: str,
    reason: str | None,
    service_date: date,
) -> Transfer:
    now = utcnow()
    return Transfer(
        time_bank_id=bank.id,
        debit_account_id=debit.id,
        credit_account_id=credit.id,
        minutes=minutes,
        service_date=service_date,
        description=description,
        kind=kind,
        status=TransferStatus.POSTED,
        recorded_by_id=actor.id,
        recorded_at=now,
        approved_by_id=actor.id if actor.is_coordinator else None,
        approved_at=now if actor.is_coordinator else None,
        posted_at=now,
        reason=reason,
    )


def donate_to_pot(
    session: Session,
    *,
    actor: Membership,
    donor: Account,
    minutes: int,
    description: str = "",
    idempotency_key: str | None = None,
    today: date | None = None,
) -> Transfer:
    """Give hours from ``donor`` (one's own account, or any for a coordinator) to the pot.

    A member can donate only hours they have earned and not already promised.
    """
    bank = get_bank(session, actor.time_bank_id)
    pot = get_pot_account(session, bank.id)
    if idempotency_key:
        existing = find_by_idempotency_key(session, bank.id, idempotency_key)
        if existing is not None:
            return replay_idempotent(
                session,
                existing,
                actor=actor,
                debit_id=donor.id,
                credit_id=pot.id,
                minutes=minutes,
                kind=TransferKind.DONATION,
            )
    require_active_actor(actor)
    if donor.time_bank_id != bank.id:
        raise errors.CrossBankTransferError("You can donate only within your time bank.")
    own = actor.account.id if actor.account is not None else None
    if donor.id != own and not actor.is_coordinator:
        raise errors.NotAllowedError("You can donate only your own hours.")
    if donor.kind not in (AccountKind.MEMBER, AccountKind.ORGANISATION):
        raise errors.InvalidTransferError("Only members and organisations donate to the pot.")
    accounts = lock_accounts(session, [donor.id, pot.id], active=[donor.id])
    policy = rules.Policy.of(bank)
    rules.validate_minutes(minutes, policy)
    service_date = today or today_in(bank.timezone)
    if donor.kind == AccountKind.MEMBER:
        rules.check_can_donate(rules.Counters.of(accounts[donor.id]), minutes)
    transfer = _posted(
        bank,
        actor,
        debit=donor,
        credit=pot,
        minutes=minutes,
        kind=TransferKind.DONATION,
        description=rules.clean_description(description) or "Donation to the pot",
        reason=None,
        service_date=service_date,
    )
    transfer.idempotency_key = idempotency_key or None
    return write_new_transfer(session, accounts, transfer, actor=actor, action="pot.donation")


def grant_from_pot(
    session: Session,
    *,
    actor: Membership,
    recipient: Account,
    minutes: int,
    reason: str,
    idempotency_key: str | None = None,
    today: date | None = None,
) -> Transfer:
    """A coordinator grants hours from the pot to a member, with a reason. Granting
    again with the same ``idempotency_key`` returns the first grant."""
    reason = rules.require_reason(reason)
    bank = get_bank(session, actor.time_bank_id)
    if idempotency_key:
        existing = find_by_idempotency_key(session, bank.id, idempotency_key)
        if existing is not None:
            return replay_idempotent(
                session,
                existing,
                actor=actor,
                debit_id=get_pot_account(session, bank.id).id,
                credit_id=recipient.id,
                minutes=minutes,
                kind=TransferKind.GRANT,
            )
    require_coordinator(actor, bank.id)
    if recipient.time_bank_id != bank.id:
        raise errors.CrossBankTransferError("Grants go only to members of this time bank.")
    if recipient.kind != AccountKind.MEMBER:
        raise errors.InvalidTransferError("Grants from the pot go to members.", field="counterpart")
    # Separation of duties: a grant to oneself needs another coordinator when the
    # bank's rule is on, and is flagged in the audit log when it is not.
    own_entry = check_own_grant(session, bank, actor, recipient.id)
    pot = get_pot_account(session, bank.id)
    accounts = lock_accounts(session, [recipient.id, pot.id], active=[recipient.id])
    policy = rules.Policy.of(bank)
    rules.validate_minutes(minutes, policy)
    rules.check_can_receive(
        rules.Counters.of(accounts[pot.id]), minutes, AccountKind.POT, policy, pot.label
    )
    rules.check_can_give(
        rules.Counters.of(accounts[recipient.id]),
        minutes,
        AccountKind.MEMBER,
        policy,
        recipient.label,
    )
    transfer = _posted(
        bank,
        actor,
        debit=pot,
        credit=recipient,
        minutes=minutes,
        kind=TransferKind.GRANT,
        description="Grant from the community pot",
        reason=reason,
        service_date=today or today_in(bank.timezone),
    )
    transfer.idempotency_key = idempotency_key or None
    return write_new_transfer(
        session,
        accounts,
        transfer,
        actor=actor,
        action="pot.grant",
        noted={"own_entry": True} if own_entry else None,
    )
