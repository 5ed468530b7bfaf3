"""Checking one time bank's audit hash chain from the audit page, streaming its
entries in batches.

The page checks the whole chain at most once every ``RECHECK_WHOLE_AFTER`` (or when
the coordinator asks); in between, only from where the last whole check reached: that
entry still has the hash it had then, and every entry since links on from it with a
correct hash. That is what the page then says, with the time of the whole check. What
such a check cannot see is an older entry altered since without re-hashing the chain
up to that entry; the next whole check sees it. Anything wrong in a check from the
last whole one makes a whole check at once, so a problem is always reported by it. The
caller keeps the last whole checks (the web app: one mapping per app, so each worker
has its own).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.audit import AUDIT_CHAIN, AUDIT_ENTRY, check_chain, read_chain
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
_CHAIN_LENGTH = sa.select(AUDIT_CHAIN.c.last_seq).where(
    AUDIT_CHAIN.c.time_bank_id == sa.bindparam("bank_id")
)
_HASH_AT = sa.select(AUDIT_ENTRY.c.hash).where(
    AUDIT_ENTRY.c.time_bank_id == sa.bindparam("bank_id"),
    AUDIT_ENTRY.c.seq == sa.bindparam("seq"),
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

    with read_snapshot(session.get_bind()) as connection:
        problems: list[str] = []
        follows: dict[str, tuple[int, str]] = {}
        if since is not None:
            kept = connection.scalar(_HASH_AT, {"bank_id": bank_id, "seq": since.seq})
            if kept != since.hash:
                problems.append(f"audit entry {since.seq}: no longer has its hash")
            follows = {"follows": (since.seq, since.hash)}
        head, result = read_chain(
            connection, bank_id, CHAIN_BATCH, after_seq=since.seq if since else 0
        )
        with result:
            breaks = check_chain(bank_id, counting(result), head, **follows)
            problems += [b.message for b in breaks]
    report = ChainReport(
        entries=counted[0],
        problems=problems,
        seconds=time.perf_counter() - started,
        since=since,
    )
    return report, head
