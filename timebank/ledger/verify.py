"""``verify_ledger``: recompute everything the ledger caches and check every invariant.

It reads only, so it can run on a live database at any time. Each problem names the
time bank and the row (account, transfer or audit entry) it is about.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from timebank.ledger.audit import check_chain, read_chain
from timebank.ledger.models import Account, TimeBank, Transfer

AUDIT_BATCH = 20_000


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str
    time_bank_id: int | None = None
    account_id: int | None = None
    transfer_id: int | None = None
    audit_entry_id: int | None = None

    def __str__(self) -> str:
        return self.message


def _sums(session: Session, bank_filter, column) -> dict[tuple[int, str], int]:
    rows = session.execute(
        sa.select(column, Transfer.status, sa.func.sum(Transfer.minutes))
        .where(*bank_filter)
        .group_by(column, Transfer.status)
    )
    return {(account_id, str(status)): int(total) for account_id, status, total in rows}


def _check_balances(session: Session, time_bank_id: int | None) -> list[Problem]:
    problems: list[Problem] = []
    bank_filter = [Transfer.time_bank_id == time_bank_id] if time_bank_id else []
    debits = _sums(session, bank_filter, Transfer.debit_account_id)
    credits = _sums(session, bank_filter, Transfer.credit_account_id)
    accounts = session.execute(
        sa.select(
            Account.id,
            Account.time_bank_id,
            Account.posted_debits,
            Account.posted_credits,
            Account.pending_debits,
            Account.pending_credits,
        )
        .where(*([Account.time_bank_id == time_bank_id] if time_bank_id else []))
        .order_by(Account.id)
    ).all()
    bank_totals: dict[int, int] = defaultdict(int)
    for row in accounts:
        expected = {
            "posted debits": debits.get((row.id, "posted"), 0),
            "posted credits": credits.get((row.id, "posted"), 0),
            "pending debits": debits.get((row.id, "pending"), 0),
            "pending credits": credits.get((row.id, "pending"), 0),
        }
        cached = {
            "posted debits": row.posted_debits,
            "posted credits": row.posted_credits,
            "pending debits": row.pending_debits,
            "pending credits": row.pending_credits,
        }
        for name, value in expected.items():
            if cached[name] != value:
                problems.append(
                    Problem(
                        "balance_mismatch",
                        f"account {row.id} (time bank {row.time_bank_id}): cached {name}"
                        f" {cached[name]} min, but its transfers add up to {value} min",
                        time_bank_id=row.time_bank_id,
                        account_id=row.id,
                    )
                )
        bank_totals[row.time_bank_id] += row.posted_credits - row.posted_debits
    for bank_id, total in sorted(bank_totals.items()):
        if total != 0:
            problems.append(
                Problem(
                    "bank_not_zero",
                    f"time bank {bank_id}: balances sum to {total} min instead of zero",
                    time_bank_id=bank_id,
                )
            )
    return problems


def _check_transfers(session: Session, time_bank_id: int | None) -> list[Problem]:
    problems: list[Problem] = []
    debit, credit = aliased(Account), aliased(Account)
    bank_filter = [Transfer.time_bank_id == time_bank_id] if time_bank_id else []
    crossing = session.execute(
        sa.select(Transfer.id, Transfer.time_bank_id)
        .join(debit, debit.id == Transfer.debit_account_id)
        .join(credit, credit.id == Transfer.credit_account_id)
        .where(
            *bank_filter,
            sa.or_(
                debit.time_bank_id != Transfer.time_bank_id,
                credit.time_bank_id != Transfer.time_bank_id,
                Transfer.minutes <= 0,
                Transfer.debit_account_id == Transfer.credit_account_id,
            ),
        )
    )
    for transfer_id, bank_id in crossing:
        problems.append(
            Problem(
                "bad_transfer",
                f"transfer {transfer_id}: crosses time banks, moves no time or goes to itself",
                time_bank_id=bank_id,
                transfer_id=transfer_id,
            )
        )
    original = aliased(Transfer)
    bad_reversals = session.execute(
        sa.select(Transfer.id, Transfer.time_bank_id)
        .join(original, original.id == Transfer.reverses_id)
        .where(
            *bank_filter,
            sa.or_(
                original.debit_account_id != Transfer.credit_account_id,
                original.credit_account_id != Transfer.debit_account_id,
                original.minutes != Transfer.minutes,
                original.status != "posted",
            ),
        )
    )
    for transfer_id, bank_id in bad_reversals:
        problems.append(
            Problem(
                "bad_reversal",
                f"transfer {transfer_id}: does not mirror the posted transfer it reverses",
                time_bank_id=bank_id,
                transfer_id=transfer_id,
            )
        )
    return problems


def _check_audit(session: Session, time_bank_id: int | None) -> list[Problem]:
    problems: list[Problem] = []
    bank_ids = session.scalars(
        sa.select(TimeBank.id)
        .where(*([TimeBank.id == time_bank_id] if time_bank_id else []))
        .order_by(TimeBank.id)
    ).all()
    # Core, not the ORM: the log is read once, as plain rows streamed from a server-side
    # cursor in batches (a million entries never sit in memory at once).
    connection = session.connection()
    for bank_id in bank_ids:
        head, rows = read_chain(connection, bank_id, AUDIT_BATCH)
        with rows:
            breaks = list(check_chain(bank_id, rows, head))
        for broken in breaks:
            problems.append(
                Problem(
                    "audit_chain",
                    f"time bank {bank_id}: {broken.message}",
                    time_bank_id=bank_id,
                    audit_entry_id=broken.entry_id or None,
                )
            )
    return problems


def verify_ledger(session: Session, time_bank_id: int | None = None) -> list[Problem]:
    """Check every time bank (or one): cached counters against the transfers, balances
    summing to zero, transfer and reversal shapes, and the audit hash chain.

    Returns the problems found; an empty list means the ledger is consistent.
    """
    return [
        *_check_balances(session, time_bank_id),
        *_check_transfers(session, time_bank_id),
        *_check_audit(session, time_bank_id),
    ]
