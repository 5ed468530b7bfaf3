"""Correcting a pending entry before it is approved.

Only a coordinator corrects, and only an entry that has not posted: a posted entry is
never edited (a database trigger refuses it) and is corrected by a reversal instead.
The audit log keeps the entry before and after, with the coordinator's reason.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from timebank.ledger import errors, rules
from timebank.ledger.audit import append_audit
from timebank.ledger.banks import get_category
from timebank.ledger.clock import today_in
from timebank.ledger.models import Membership, Transfer, TransferKind, TransferStatus
from timebank.ledger.posting import (
    check_limits,
    lock_accounts,
    lock_transfer_and_batch,
    require_coordinator,
    snapshot,
    write_counters,
)

CORRECTABLE_KINDS = (TransferKind.EXCHANGE, TransferKind.GROUP)


def correct_pending_transfer(
    session: Session,
    *,
    actor: Membership,
    transfer_id: int,
    minutes: int | None = None,
    service_date: date | None = None,
    category: str | None = None,
    description: str | None = None,
    reason: str,
    today: date | None = None,
) -> Transfer:
    """Change the time, date, category or description of a pending entry.

    ``None`` leaves a detail as it is; ``category=""`` removes the category. A larger
    amount is checked against both people's limits, as a new entry would be; the
    pending counters move by the difference. Raises a ``LedgerError`` (and writes
    nothing) when a rule is broken or nothing would change.
    """
    reason = rules.require_reason(reason)
    # Lock order: transfers by id, then accounts by id, then the audit chain.
    transfers, bank = lock_transfer_and_batch(session, transfer_id)
    transfer = next((t for t in transfers if t.id == transfer_id), None)
    if transfer is None or transfer.time_bank_id != actor.time_bank_id:
        raise errors.NotFoundError("That exchange does not exist.")
    require_coordinator(actor, transfer.time_bank_id)
    if transfer.status != TransferStatus.PENDING:
        if transfer.status == TransferStatus.POSTED:
            raise errors.AlreadyResolvedError(
                "This exchange was already posted; nothing was changed."
                " Reverse it instead if it was wrong."
            )
        raise errors.AlreadyResolvedError(
            "This exchange was already rejected; nothing was changed."
        )
    if transfer.kind not in CORRECTABLE_KINDS:
        raise errors.InvalidTransferError(
            "Only exchanges can be corrected; reject this entry and record it again."
        )
    policy = rules.Policy.of(bank)
    before = snapshot(transfer)

    new_minutes = transfer.minutes
    if minutes is not None and minutes != transfer.minutes:
        new_minutes = rules.validate_minutes(minutes, policy)
    new_date = transfer.service_date
    if service_date is not None and service_date != transfer.service_date:
        new_date = rules.validate_service_date(
            service_date, today or today_in(bank.timezone), policy
        )
    new_category_id = transfer.category_id
    if category is not None:
        new_category_id = get_category(session, bank.id, category).id if category else None
    new_description = transfer.description
    if description is not None:
        new_description = rules.clean_description(description)
    if (new_minutes, new_date, new_category_id, new_description) == (
        transfer.minutes,
        transfer.service_date,
        transfer.category_id,
        transfer.description,
    ):
        raise errors.InvalidTransferError(
            "Nothing was changed: change at least one detail, or approve the entry as it is."
        )

    difference = new_minutes - transfer.minutes
    if difference:
        accounts = lock_accounts(session, [transfer.debit_account_id, transfer.credit_account_id])
        if difference > 0:
            # Only the extra minutes are new: the rest already count as pending.
            check_limits(
                accounts,
                [(transfer.debit_account_id, transfer.credit_account_id, difference)],
                policy,
            )
        accounts[transfer.debit_account_id].pending_debits += difference
        accounts[transfer.credit_account_id].pending_credits += difference
        write_counters(session, accounts)

    if transfer.confirmed_at is not None and (new_minutes, new_date) != (
        transfer.minutes,
        transfer.service_date,
    ):
        # The other person confirmed a different time or day: they confirm again.
        transfer.confirmed_at = None
        transfer.confirmed_by_id = None
    transfer.minutes = new_minutes
    transfer.service_date = new_date
    transfer.category_id = new_category_id
    transfer.description = new_description
    session.flush()
    append_audit(
        session,
        time_bank_id=transfer.time_bank_id,
        actor=actor,
        action="transfer.corrected",
        entity_type="transfer",
        entity_id=transfer.id,
        before=before,
        after={**snapshot(transfer), "correction_reason": reason},
    )
    return transfer
