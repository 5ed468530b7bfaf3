"""Verification from the last checkpoint: only what changed since the ledger was last
found consistent is read again, so a nightly check costs what the day added, not what
the years did.

A checkpoint (``VerifyCheckpoint``) holds, per time bank, the audit entry the last
clean check reached (seq and hash) and the highest transfer id then. Everything that
changes a balance writes an audit entry naming the transfer, so from a checkpoint:

- the chain: the checkpoint's entry still has its hash, and every later entry links on
  from it with a correct hash, up to the chain head;
- the transfers named by those later entries, and any transfer written since (which
  must be among them: a transfer without its audit entry is reported): their shapes,
  and each one's row against what its last audit entry says it is;
- every account such a transfer touches: its counters at the checkpoint (kept then,
  ``VerifyCheckpointAccount``) plus what each changed transfer adds now minus what it
  added then (nothing for a new one; for an older one, what the ``before`` of its
  first entry since says it was) must equal its counters now; and the bank's balances
  summing to zero (from the counters, one row per account).

So the work is in proportion to the entries written since (and the bank's number of
accounts, for the sum), not to the ledger's history.

What it cannot see is a change made behind the services to a row older than the
checkpoint that touches nothing newer: the full ``verify_ledger`` (monthly, say) is
for that. A bank without a checkpoint gets the full check. When a bank is found
consistent its checkpoint moves to what this check saw (the caller commits).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, scoped_session

from timebank.ledger import audit_in_database
from timebank.ledger.audit import GENESIS, ChainBreak, check_chain, read_chain
from timebank.ledger.clock import utcnow
from timebank.ledger.database import read_snapshot
from timebank.ledger.models import (
    Account,
    AuditChain,
    AuditEntry,
    TimeBank,
    Transfer,
    VerifyCheckpoint,
    VerifyCheckpointAccount,
)
from timebank.ledger.verify import AUDIT_BATCH, Problem, _check_transfers, _verify


@dataclass(frozen=True)
class Reached:
    """Where a clean check of one bank got to: its next checkpoint."""

    time_bank_id: int
    last_seq: int
    last_hash: str
    last_transfer_id: int
    # (account id, posted debits, posted credits, pending debits, pending credits) of
    # the accounts whose counters the checkpoint keeps anew; ``whole``: all the bank's.
    accounts: tuple[tuple[int, ...], ...] = ()
    whole: bool = False


def verify_since_checkpoint(session: Session, time_bank_id: int | None = None) -> list[Problem]:
    """Check every time bank (or one) from its checkpoint, and move the checkpoint of
    each bank found consistent. Returns the problems; the caller commits."""
    if isinstance(session, scoped_session):
        session = session()
    problems: list[Problem] = []
    reached: list[Reached] = []
    with read_snapshot(session.get_bind()) as reader:
        bank_ids = reader.scalars(
            sa.select(TimeBank.id)
            .where(*([TimeBank.id == time_bank_id] if time_bank_id else []))
            .order_by(TimeBank.id)
        ).all()
        checkpoints = _checkpoints(reader, bank_ids)
        for bank_id in bank_ids:
            found, touched = _check_bank(reader, bank_id, checkpoints.get(bank_id))
            problems += found
            if not found:
                reached.append(_reached(reader, bank_id, touched))
    for point in reached:
        save_checkpoint(session, point)
    return problems


def _checkpoints(reader: sa.Connection, bank_ids) -> dict[int, Reached]:
    rows = reader.execute(
        sa.select(
            VerifyCheckpoint.time_bank_id,
            VerifyCheckpoint.last_seq,
            VerifyCheckpoint.last_hash,
            VerifyCheckpoint.last_transfer_id,
        ).where(VerifyCheckpoint.time_bank_id.in_(bank_ids))
    )
    return {row[0]: Reached(*row) for row in rows}


def _reached(reader: sa.Connection, bank_id: int, touched: list[int] | None) -> Reached:
    """Where the snapshot stands for one bank; the counters of ``touched`` accounts
    (of every account when None)."""
    head = reader.execute(
        sa.select(AuditChain.last_seq, AuditChain.last_hash).where(
            AuditChain.time_bank_id == bank_id
        )
    ).one_or_none()
    last_transfer = reader.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Transfer.id), 0)).where(
            Transfer.time_bank_id == bank_id
        )
    )
    seq, digest = head if head is not None else (0, GENESIS)
    accounts = reader.execute(
        sa.select(Account.id, *(getattr(Account, c) for c in COUNTERS))
        .where(
            Account.time_bank_id == bank_id,
            *([] if touched is None else [Account.id.in_(touched)]),
        )
        .order_by(Account.id)
    ).all()
    return Reached(
        bank_id,
        int(seq),
        str(digest),
        int(last_transfer or 0),
        accounts=tuple(tuple(a) for a in accounts),
        whole=touched is None,
    )


def save_checkpoint(session: Session, point: Reached) -> None:
    """Record that a bank was consistent up to ``point`` (the caller commits)."""
    values = {
        "last_seq": point.last_seq,
        "last_hash": point.last_hash,
        "last_transfer_id": point.last_transfer_id,
        "verified_at": utcnow(),
    }
    updated = session.execute(
        sa.update(VerifyCheckpoint)
        .where(VerifyCheckpoint.time_bank_id == point.time_bank_id)
        .values(**values)
    )
    if not updated.rowcount:  # type: ignore[attr-defined]
        session.execute(
            sa.insert(VerifyCheckpoint).values(time_bank_id=point.time_bank_id, **values)
        )
    kept = VerifyCheckpointAccount
    session.execute(
        sa.delete(kept).where(
            kept.time_bank_id == point.time_bank_id,
            *([] if point.whole else [kept.account_id.in_([a[0] for a in point.accounts])]),
        )
    )
    if point.accounts:
        session.execute(
            sa.insert(kept),
            [
                {"account_id": a[0], "time_bank_id": point.time_bank_id}
                | dict(zip(COUNTERS, a[1:], strict=True))
                for a in point.accounts
            ],
        )


def _check_bank(
    reader: sa.Connection, bank_id: int, since: Reached | None
) -> tuple[list[Problem], list[int] | None]:
    """The problems of one bank, and the accounts whose counters changed since (None:
    all, after a full check)."""
    if since is None:
        return _verify(reader, bank_id), None
    new_entries = sa.select(AuditEntry.entity_id).where(
        AuditEntry.time_bank_id == bank_id,
        AuditEntry.seq > since.last_seq,
        AuditEntry.entity_type == "transfer",
        AuditEntry.entity_id.is_not(None),
    )
    new_transfers = sa.select(Transfer.id).where(
        Transfer.time_bank_id == bank_id, Transfer.id > since.last_transfer_id
    )
    changed = sa.select(sa.union(new_entries, new_transfers).subquery().c[0])
    counters, touched = _counters_since(reader, bank_id, since)
    return [
        *_chain_since(reader, bank_id, since),
        *_unaudited_since(reader, bank_id, new_entries, new_transfers),
        *counters,
        *_check_transfers(reader, bank_id, only_transfers=changed),
    ], touched


Effect = dict[tuple[int, str], int]
COUNTERS = ("posted_debits", "posted_credits", "pending_debits", "pending_credits")


def _effect(into: Effect, sign: int, status: str, debit: int, credit: int, minutes: int) -> None:
    """What one transfer in ``status`` adds to its accounts' counters."""
    if status in ("posted", "pending"):
        for key in ((debit, f"{status}_debits"), (credit, f"{status}_credits")):
            into[key] = into.get(key, 0) + sign * minutes


def _counters_since(
    reader: sa.Connection, bank_id: int, since: Reached
) -> tuple[list[Problem], list[int]]:
    problems: list[Problem] = []
    # Each changed transfer's first and last entry since the checkpoint.
    first: dict[Any, str | None] = {}
    last: dict[Any, str | None] = {}
    entries = sa.select(AuditEntry.entity_id, AuditEntry.before, AuditEntry.after).where(
        AuditEntry.time_bank_id == bank_id,
        AuditEntry.seq > since.last_seq,
        AuditEntry.entity_type == "transfer",
        AuditEntry.entity_id.is_not(None),
    )
    for entity_id, before, after in reader.execute(entries.order_by(AuditEntry.seq)):
        first.setdefault(entity_id, before)
        last[entity_id] = after
    delta: Effect = {}
    now = reader.execute(
        sa.select(
            Transfer.id,
            Transfer.status,
            Transfer.debit_account_id,
            Transfer.credit_account_id,
            Transfer.minutes,
        ).where(
            Transfer.time_bank_id == bank_id,
            sa.or_(
                Transfer.id > since.last_transfer_id,
                Transfer.id.in_(sa.select(entries.subquery().c.entity_id)),
            ),
        )
    ).all()
    for row in now:
        shape = (str(row.status), row.debit_account_id, row.credit_account_id, row.minutes)
        _effect(delta, 1, *shape)
        said = _shape(last.get(row.id))
        if said is not None and said != shape:
            problems.append(
                Problem(
                    "transfer_not_as_audited",
                    f"transfer {row.id}: is not what its last audit entry says it is",
                    time_bank_id=bank_id,
                    transfer_id=row.id,
                )
            )
        if row.id <= since.last_transfer_id:
            was = _shape(first.get(row.id))
            if was is None:
                problems.append(
                    Problem(
                        "audit_chain",
                        f"transfer {row.id}: changed since the last check, but its"
                        " audit entry does not say what it was before",
                        time_bank_id=bank_id,
                        transfer_id=row.id,
                    )
                )
                continue
            _effect(delta, -1, *was)
    touched = sorted({account for account, _ in delta})
    problems += _counters_against(reader, bank_id, touched, delta)
    total = reader.scalar(
        sa.select(
            sa.func.coalesce(sa.func.sum(Account.posted_credits - Account.posted_debits), 0)
        ).where(Account.time_bank_id == bank_id)
    )
    if total:
        problems.append(
            Problem(
                "bank_not_zero",
                f"time bank {bank_id}: balances sum to {total} min instead of zero",
                time_bank_id=bank_id,
            )
        )
    return problems, touched


def _counters_against(
    reader: sa.Connection, bank_id: int, touched: list[int], delta: Effect
) -> list[Problem]:
    """Each touched account's counters now against those kept at the checkpoint plus
    what changed since."""
    if not touched:
        return []
    kept = VerifyCheckpointAccount
    then = {
        row[0]: tuple(row[1:])
        for row in reader.execute(
            sa.select(kept.account_id, *(getattr(kept, c) for c in COUNTERS)).where(
                kept.time_bank_id == bank_id, kept.account_id.in_(touched)
            )
        )
    }
    problems: list[Problem] = []
    for row in reader.execute(
        sa.select(Account.id, *(getattr(Account, c) for c in COUNTERS)).where(
            Account.time_bank_id == bank_id, Account.id.in_(touched)
        )
    ):
        kept_then = then.get(row[0], (0, 0, 0, 0))
        for i, name in enumerate(COUNTERS):
            expected = kept_then[i] + delta.get((row[0], name), 0)
            if row[i + 1] != expected:
                problems.append(
                    Problem(
                        "balance_mismatch",
                        f"account {row[0]} (time bank {bank_id}): cached"
                        f" {name.replace('_', ' ')} {row[i + 1]} min, but its transfers"
                        f" add up to {expected} min",
                        time_bank_id=bank_id,
                        account_id=row[0],
                    )
                )
    return problems


def _shape(text: str | None) -> tuple[str, int, int, int] | None:
    """(status, debit account, credit account, minutes) from an audit snapshot."""
    if not text:
        return None
    try:
        value = json.loads(text)
        return (
            str(value["status"]),
            int(value["debit_account_id"]),
            int(value["credit_account_id"]),
            int(value["minutes"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _chain_since(reader: sa.Connection, bank_id: int, since: Reached) -> list[Problem]:
    breaks: list[ChainBreak] = []
    if since.last_seq:
        kept = reader.scalar(
            sa.select(AuditEntry.hash).where(
                AuditEntry.time_bank_id == bank_id, AuditEntry.seq == since.last_seq
            )
        )
        if kept != since.last_hash:
            breaks.append(audit_in_database.checkpoint_lost(bank_id, since.last_seq))
    if reader.dialect.name == "postgresql":
        breaks += audit_in_database.chain_breaks(
            reader, bank_id, from_seq=since.last_seq, from_hash=since.last_hash
        )
    else:
        head, rows = read_chain(reader, bank_id, AUDIT_BATCH, after_seq=since.last_seq)
        with rows:
            breaks += check_chain(bank_id, rows, head, follows=(since.last_seq, since.last_hash))
    return [
        Problem(
            "audit_chain",
            f"time bank {b.time_bank_id}: {b.message}",
            time_bank_id=b.time_bank_id,
            audit_entry_id=b.entry_id or None,
        )
        for b in breaks
    ]


def _unaudited_since(
    reader: sa.Connection, bank_id: int, new_entries: sa.Select, new_transfers: sa.Select
) -> list[Problem]:
    missing = reader.scalars(
        new_transfers.where(Transfer.id.not_in(new_entries)).order_by(Transfer.id)
    )
    return [
        Problem(
            "unaudited_transfer",
            f"transfer {transfer_id}: no entry in the audit log records it",
            time_bank_id=bank_id,
            transfer_id=transfer_id,
        )
        for transfer_id in missing
    ]
