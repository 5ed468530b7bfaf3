"""Checking one time bank's audit hash chain from the audit page, streaming its
entries in batches.

The page checks the whole chain at most once every ``RECHECK_WHOLE_AFTER`` (or when
the coordinator asks); in between, only from where the last whole check reached: that
entry still has the hash it had then, and every entry since links on from it with a
correct hash, read in one statement (which sees one moment of the database, as the
whole check's snapshot does). That is what the page then says, with the time of the
whole check. What such a check cannot see is an older entry altered since without
re-hashing the chain up to that entry; the next whole check sees it. Anything wrong in
a check from the last whole one makes a whole check at once, so a problem is always
reported by it. The caller keeps the last whole checks (the web app: one mapping per
app, so each worker has its own).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.audit import AUDIT_CHAIN, AUDIT_ENTRY, CHAIN_ROW, check_chain, read_chain
from timebank.ledger.clock import utcnow
from timebank.ledger.database import read_rows, read_snapshot

# Up to this many entries the chain is checked on every view of the page (measured at
# 0.1-0.45 s for 20,000 entries on a busy 2-core machine, SQLite and PostgreSQL);
# beyond it the coordinator asks for the check.
AUTO_VERIFY_MAX_ENTRIES = 20_000


CHAIN_BATCH = 5_000
# How long a clean whole check stands for the page: until then a view checks only the
# entries written since.
RECHECK_WHOLE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class WholeCheck:
    """A clean check of the whole chain: up to which entry, with what hash, and when."""

    seq: int
    hash: str
    entries: int
    at: datetime


@dataclass
class ChainReport:
    entries: int  # checked by this check
    problems: list[str]
    seconds: float
    # When only the entries after the last whole check were checked: that check.
    since: WholeCheck | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


# Built once (bind parameters): the page runs them on every view.
_OF_BANK = AUDIT_CHAIN.c.time_bank_id == sa.bindparam("bank_id")
_CHAIN_LENGTH = sa.select(AUDIT_CHAIN.c.last_seq).where(_OF_BANK)
# The check since a whole check, in one statement: the entry that check reached and
# every entry after it, each with the chain head (the same on every row).
_SINCE = (
    sa.select(
        *CHAIN_ROW,
        _CHAIN_LENGTH.scalar_subquery().label("last_seq"),
        sa.select(AUDIT_CHAIN.c.last_hash).where(_OF_BANK).scalar_subquery().label("last_hash"),
    )
    .where(
        AUDIT_ENTRY.c.time_bank_id == sa.bindparam("bank_id"),
        AUDIT_ENTRY.c.seq >= sa.bindparam("seq"),
    )
    .order_by(AUDIT_ENTRY.c.seq)
)


def chain_length(session: Session, bank_id: int) -> int:
    """How many entries the bank's chain holds (read as a plain column: for a session
    with no pending change)."""
    return read_rows(session, _CHAIN_LENGTH, {"bank_id": bank_id}).scalar() or 0


def verify_chain(session: Session, bank_id: int) -> ChainReport:
    """Recompute this time bank's audit hash chain (and nothing else of the ledger),
    streaming the entries in batches. The chain head and the entries are read from one
    snapshot of committed data, so entries appended meanwhile raise no false alarm."""
    return _checked(session, bank_id, None)[0]


WholeChecks = MutableMapping[tuple[str, int], WholeCheck]


def verify_chain_since_whole_check(
    session: Session, bank_id: int, kept: WholeChecks, *, whole: bool = False
) -> ChainReport:
    """The page's check: from the last clean whole check in ``kept`` (by database and
    bank) while it is recent enough, otherwise (or with ``whole``, or when anything is
    wrong since it) the whole chain, kept in ``kept`` when clean."""
    key = (str(session.get_bind().engine.url), bank_id)
    last = kept.get(key)
    if not whole and last is not None and last.seq and utcnow() - last.at <= RECHECK_WHOLE_AFTER:
        report, _head = _checked(session, bank_id, last)
        if report.ok:
            return report
    kept.pop(key, None)
    at = utcnow()
    report, head = _checked(session, bank_id, None)
    if report.ok:
        seq, digest = head if head is not None else (0, "")
        kept[key] = WholeCheck(seq, digest, report.entries, at)
    return report


def _checked(
    session: Session, bank_id: int, since: WholeCheck | None
) -> tuple[ChainReport, tuple[int, str] | None]:
    """The chain checked whole, or from ``since`` (a whole check that reached an entry,
    which must still have its hash); and the chain head it read."""
    started = time.perf_counter()
    counted = [0]

    def counting(rows) -> Iterator[Any]:
        for row in rows:
            counted[0] += 1
            yield row

    problems: list[str] = []
    if since is None:
        with read_snapshot(session.get_bind()) as connection:
            head, result = read_chain(connection, bank_id, CHAIN_BATCH)
            with result:
                problems += [b.message for b in check_chain(bank_id, counting(result), head)]
    else:
        head, breaks = _checked_since(session, bank_id, since, counting)
        problems += breaks
    report = ChainReport(
        entries=counted[0],
        problems=problems,
        seconds=time.perf_counter() - started,
        since=since,
    )
    return report, head


def _checked_since(
    session: Session, bank_id: int, since: WholeCheck, counting
) -> tuple[tuple[int, str] | None, list[str]]:
    """The chain head, and the problems from ``since``: the entry it reached must still
    have its hash, and each entry after it link on from it with a correct hash."""
    rows = iter(read_rows(session, _SINCE, {"bank_id": bank_id, "seq": since.seq}))
    reached = next(rows, None)
    if reached is None:
        return None, [f"audit entry {since.seq}: no longer has its hash"]
    problems = []
    if reached.seq != since.seq or reached.hash != since.hash:
        problems.append(f"audit entry {since.seq}: no longer has its hash")
    head = None if reached.last_seq is None else (reached.last_seq, reached.last_hash)
    entries = (row[: len(CHAIN_ROW)] for row in rows)
    follows = (since.seq, since.hash)
    problems += [b.message for b in check_chain(bank_id, counting(entries), head, follows=follows)]
    return head, problems
