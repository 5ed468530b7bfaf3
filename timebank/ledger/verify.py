"""``verify_ledger``: recompute everything the ledger caches and check every invariant.

It reads only, so it can run on a live database at any time: all its reads see one
snapshot (``database.read_snapshot``), so writers committing meanwhile cannot make it
report a problem that is not there. Each problem names the time bank and the row
(account, transfer or audit entry) it is about.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, scoped_session

from timebank.ledger import audit_in_database
from timebank.ledger.audit import ChainBreak, check_chain, read_chain
from timebank.ledger.database import read_snapshot
from timebank.ledger.models import Account, AuditEntry, TimeBank, Transfer

AUDIT_BATCH = 20_000
VERIFY_WORK_MEM = "256MB"
# The checks read through a session (inside its transaction) or a snapshot connection.
Reader = Session | sa.Connection


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


def _sums(
    session: Reader, bank_filter, column, accounts=None, seen: list | None = None
) -> dict[tuple[int, str], int]:
    """Each account's sum of transfers on one side (``column``), by status. With
    ``seen`` the same scan also groups by the transfer's bank and counts the transfers
    that move no time or go to their own account, and all of them, appending (account,
    bank, odd count, count) to ``seen``: what the shape check and the audited-transfers
    count need, so they need not read the transfers again."""
    if seen is None:
        rows = session.execute(
            sa.select(column, Transfer.status, sa.func.sum(Transfer.minutes))
            .where(*bank_filter, *([] if accounts is None else [column.in_(accounts)]))
            .group_by(column, Transfer.status)
        )
        return {(account_id, str(status)): int(total) for account_id, status, total in rows}
    odd = sa.or_(Transfer.minutes <= 0, Transfer.debit_account_id == Transfer.credit_account_id)
    sums: dict[tuple[int, str], int] = defaultdict(int)
    for account_id, status, bank_id, total, odd_count, count in session.execute(
        sa.select(
            column,
            Transfer.status,
            Transfer.time_bank_id,
            sa.func.sum(Transfer.minutes),
            sa.func.count().filter(odd),
            sa.func.count(),
        )
        .where(*bank_filter)
        .group_by(column, Transfer.status, Transfer.time_bank_id)
    ):
        sums[account_id, str(status)] += int(total)
        seen.append((account_id, bank_id, odd_count, count))
    return dict(sums)


def _check_balances(
    session: Reader, time_bank_id: int | None, only_accounts: sa.Select | None = None
) -> list[Problem]:
    """Every account's counters against its transfers (or only the accounts that
    ``only_accounts`` selects), and each bank's balances summing to zero."""
    return _balances(session, time_bank_id, only_accounts).problems


@dataclass(frozen=True)
class _Balances:
    problems: list[Problem]
    # Seen by the same scans (for all accounts only): whether every transfer is within
    # its accounts' bank and moves time between two accounts (then the shape check
    # need not look for one that does not), and the number of transfers of each bank.
    shapes_seen: bool = False
    transfers: dict[int, int] | None = None


def _balances(
    session: Reader, time_bank_id: int | None, only_accounts: sa.Select | None = None
) -> _Balances:
    """``_check_balances``, with what the same scans saw of the transfers."""
    problems: list[Problem] = []
    bank_filter = [Transfer.time_bank_id == time_bank_id] if time_bank_id else []
    whole = only_accounts is None
    seen_debits: list | None = [] if whole else None
    seen_credits: list | None = [] if whole else None
    debits = _sums(session, bank_filter, Transfer.debit_account_id, only_accounts, seen_debits)
    credits = _sums(session, bank_filter, Transfer.credit_account_id, only_accounts, seen_credits)
    accounts = session.execute(
        sa.select(
            Account.id,
            Account.time_bank_id,
            Account.posted_debits,
            Account.posted_credits,
            Account.pending_debits,
            Account.pending_credits,
        )
        .where(
            *([Account.time_bank_id == time_bank_id] if time_bank_id else []),
            *([] if only_accounts is None else [Account.id.in_(only_accounts)]),
        )
        .order_by(Account.id)
    ).all()
    bank_totals: dict[int, int] = defaultdict(int)
    if only_accounts is not None:
        bank_totals.update(
            session.execute(
                sa.select(
                    Account.time_bank_id,
                    sa.func.coalesce(
                        sa.func.sum(Account.posted_credits - Account.posted_debits), 0
                    ),
                )
                .where(*([Account.time_bank_id == time_bank_id] if time_bank_id else []))
                .group_by(Account.time_bank_id)
            ).tuples()
        )
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
        if only_accounts is None:
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
    if seen_debits is None or seen_credits is None:
        return _Balances(problems)
    bank_of = {row.id: row.time_bank_id for row in accounts}
    shapes_seen = all(
        odd == 0 and account_id in bank_of and bank_of[account_id] == bank_id
        for account_id, bank_id, odd, _ in seen_debits + seen_credits
    )
    # Every transfer is in exactly one group of the debit side.
    transfers: dict[int, int] = defaultdict(int)
    for _, bank_id, _, count in seen_debits:
        transfers[bank_id] += count
    return _Balances(problems, shapes_seen, dict(transfers))


def _check_transfers(
    session: Reader,
    time_bank_id: int | None,
    only_transfers: sa.Select | None = None,
    *,
    shapes_seen: bool = False,
    transfers: dict[int, int] | None = None,
) -> list[Problem]:
    """The shapes of every transfer (or of those ``only_transfers`` selects): within
    one bank, reversals mirroring their originals, groups agreeing on their status.
    ``shapes_seen``: the balances' scans found no transfer crossing banks, moving no
    time or going to itself, so those are not looked for again; ``transfers``: the
    number of transfers of each bank, counted by those scans."""
    problems: list[Problem] = []
    debit, credit = aliased(Account), aliased(Account)
    bank_filter = [Transfer.time_bank_id == time_bank_id] if time_bank_id else []
    if only_transfers is not None:
        bank_filter.append(Transfer.id.in_(only_transfers))
    crossing: list[Any] = []
    if not shapes_seen:
        crossing += session.execute(
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
        ).all()
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
            # Said outright so the reversals are found by the unique index on
            # reverses_id (they are few) instead of joining every transfer to itself.
            Transfer.reverses_id.is_not(None),
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
    group_filter = [Transfer.time_bank_id == time_bank_id] if time_bank_id else []
    if only_transfers is not None:
        group_filter.append(Transfer.batch_id.in_(sa.select(Transfer.batch_id).where(*bank_filter)))
    split_groups = session.execute(
        sa.select(Transfer.batch_id, sa.func.min(Transfer.time_bank_id))
        .where(*group_filter, Transfer.batch_id.is_not(None))
        .group_by(Transfer.batch_id)
        .having(sa.func.count(sa.distinct(Transfer.status)) > 1)
        .order_by(Transfer.batch_id)
    )
    for batch_id, bank_id in split_groups:
        problems.append(
            Problem(
                "split_group",
                f"group {batch_id}: its transfers do not all have the same status",
                time_bank_id=bank_id,
            )
        )
    if only_transfers is not None:
        return problems
    return problems + _check_transfers_audited(session, time_bank_id, transfers)


def _check_transfers_audited(
    session: Reader, time_bank_id: int | None, transfers: dict[int, int] | None = None
) -> list[Problem]:
    """Every transfer has at least one audit entry (the one that recorded it). Counted
    per bank first (no index is needed); only a bank whose counts differ is searched for
    the transfers that lack one. ``transfers``: the banks' counts if already known."""
    if transfers is None:
        transfers = dict(
            session.execute(
                sa.select(Transfer.time_bank_id, sa.func.count(Transfer.id))
                .where(*([Transfer.time_bank_id == time_bank_id] if time_bank_id else []))
                .group_by(Transfer.time_bank_id)
            ).all()
        )
    audited = dict(
        session.execute(
            sa.select(AuditEntry.time_bank_id, sa.func.count(sa.distinct(AuditEntry.entity_id)))
            .where(
                AuditEntry.entity_type == "transfer",
                *([AuditEntry.time_bank_id == time_bank_id] if time_bank_id else []),
            )
            .group_by(AuditEntry.time_bank_id)
        ).all()
    )
    problems: list[Problem] = []
    for bank_id in sorted(b for b, n in transfers.items() if audited.get(b, 0) < n):
        unaudited = session.scalars(
            sa.select(Transfer.id)
            .where(
                Transfer.time_bank_id == bank_id,
                ~sa.exists().where(
                    AuditEntry.time_bank_id == bank_id,
                    AuditEntry.entity_type == "transfer",
                    AuditEntry.entity_id == Transfer.id,
                ),
            )
            .order_by(Transfer.id)
        )
        for transfer_id in unaudited:
            problems.append(
                Problem(
                    "unaudited_transfer",
                    f"transfer {transfer_id}: no entry in the audit log records it",
                    time_bank_id=bank_id,
                    transfer_id=transfer_id,
                )
            )
    return problems


def _check_audit(session: Reader, time_bank_id: int | None) -> list[Problem]:
    connection = session.connection() if isinstance(session, Session) else session
    if connection.dialect.name == "postgresql":
        # One pass in the database: the same hashes, no row sent to Python.
        breaks = list(audit_in_database.chain_breaks(connection, time_bank_id))
    else:
        breaks = _chain_breaks_in_python(session, connection, time_bank_id)
    return [
        Problem(
            "audit_chain",
            f"time bank {broken.time_bank_id}: {broken.message}",
            time_bank_id=broken.time_bank_id,
            audit_entry_id=broken.entry_id or None,
        )
        for broken in breaks
    ]


def _chain_breaks_in_python(
    session: Reader, connection: sa.Connection, time_bank_id: int | None
) -> list[ChainBreak]:
    bank_ids = session.scalars(
        sa.select(TimeBank.id)
        .where(*([TimeBank.id == time_bank_id] if time_bank_id else []))
        .order_by(TimeBank.id)
    ).all()
    # Core, not the ORM: the log is read once, as plain rows streamed from a server-side
    # cursor in batches (a million entries never sit in memory at once).
    breaks: list[ChainBreak] = []
    for bank_id in bank_ids:
        head, rows = read_chain(connection, bank_id, AUDIT_BATCH)
        with rows:
            breaks += check_chain(bank_id, rows, head)
    return breaks


def verify_ledger(session: Session, time_bank_id: int | None = None) -> list[Problem]:
    """Check every time bank (or one): cached counters against the transfers, balances
    summing to zero, transfer and reversal shapes, and the audit hash chain.

    Returns the problems found; an empty list means the ledger is consistent.

    Outside a transaction (the ``verify`` command, a check of a live database) the
    reads share one snapshot on a connection of their own. Inside one (an import
    checking what it is about to commit) they read through the session, which sees its
    own writes and holds its locks.
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction():
        return _verify(session, time_bank_id)
    with read_snapshot(session.get_bind()) as connection:
        if connection.dialect.name == "postgresql":
            _tune_for_whole_scans(connection)
        return _verify(connection, time_bank_id)


def _tune_for_whole_scans(connection: sa.Connection) -> None:
    """Settings for verify's own read-only transaction (``SET LOCAL``: they end with it).

    - ``work_mem``: the hashes and sorts over the whole log (the join of each entry to
      the one before it, the audited transfers) stay in memory instead of spilling to
      disk (a million entries: about 120 MB of hash table).
    - Parallel scans at no setup cost: the planner prices ``sha256`` of each entry's
      text like any operator, so it would read a million entries in one process; the
      chain check splits between the server's parallel workers
      (``max_parallel_workers_per_gather``, 2 by default) and the leader.
    """
    connection.exec_driver_sql(f"SET LOCAL work_mem = '{VERIFY_WORK_MEM}'")
    connection.exec_driver_sql("SET LOCAL parallel_setup_cost = 0")
    connection.exec_driver_sql("SET LOCAL parallel_tuple_cost = 0")


def _verify(reader: Reader, time_bank_id: int | None) -> list[Problem]:
    balances = _balances(reader, time_bank_id)
    return [
        *balances.problems,
        *_check_transfers(
            reader,
            time_bank_id,
            shapes_seen=balances.shapes_seen,
            transfers=balances.transfers,
        ),
        *_check_audit(reader, time_bank_id),
    ]
