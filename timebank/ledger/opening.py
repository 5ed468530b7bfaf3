"""Opening balances for time banks moving here from other software.

An opening balance is a posted transfer against the time bank's equity account, so the
bank still sums to zero. Limits do not apply: it states a history that already happened.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from timebank.ledger import errors, rules
from timebank.ledger.banks import find_equity_account, get_equity_account
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
    get_bank,
    lock_accounts,
    require_coordinator,
    write_new_transfer,
)


def record_opening_balance(
    session: Session,
    *,
    actor: Membership,
    account: Account,
    minutes: int,
    service_date: date | None = None,
    description: str = "Opening balance",
) -> Transfer:
    """Bring ``account`` to a starting balance of ``minutes`` (may be negative)."""
    bank = get_bank(session, actor.time_bank_id)
    require_coordinator(actor, bank.id)
    if account.time_bank_id != bank.id or account.kind not in (
        AccountKind.MEMBER,
        AccountKind.ORGANISATION,
    ):
        raise errors.InvalidTransferError("Opening balances are for members and organisations.")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes == 0:
        raise errors.InvalidAmountError(
            "An opening balance is a whole, non-zero number of minutes."
        )
    equity = find_equity_account(session, bank.id)
    if equity is not None:
        accounts = lock_accounts(session, [account.id, equity.id])
    else:
        # Created here, after the lock (its audit entry takes the chain head last); a new
        # row's id is above every other, and no other transaction can see it yet, so
        # locking it here (to read it as the others were read) waits for nobody.
        accounts = lock_accounts(session, [account.id])
        equity = get_equity_account(session, bank.id, actor=actor)
        accounts |= lock_accounts(session, [equity.id])
    debit, credit = (equity, account) if minutes > 0 else (account, equity)
    now = utcnow()
    transfer = Transfer(
        time_bank_id=bank.id,
        debit_account_id=debit.id,
        credit_account_id=credit.id,
        minutes=abs(minutes),
        service_date=service_date or today_in(bank.timezone),
        description=rules.clean_description(description) or "Opening balance",
        kind=TransferKind.OPENING_BALANCE,
        status=TransferStatus.POSTED,
        recorded_by_id=actor.id,
        recorded_at=now,
        approved_by_id=actor.id,
        approved_at=now,
        posted_at=now,
    )
    return write_new_transfer(
        session, accounts, transfer, actor=actor, action="transfer.opening_balance"
    )
