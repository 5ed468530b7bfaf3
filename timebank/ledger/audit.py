"""The append-only, hash-chained audit log.

Each time bank has its own chain. An entry's hash is
``sha256(prev_hash + canonical_json(entry))``; the first entry's prev_hash is
``GENESIS``. Appends lock the chain head row, always *after* the accounts an operation
locks, so lock order stays fixed and the chain never forks.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.clock import utcnow
from timebank.ledger.models import AuditChain, AuditEntry, Membership

GENESIS = "0" * 64
AUDIT_ENTRY = cast(sa.Table, AuditEntry.__table__)
AUDIT_CHAIN = cast(sa.Table, AuditChain.__table__)


# Built once: json.dumps with options builds a new encoder on every call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def canonical_json(value: Any) -> str | None:
    if value is None:
        return None
    return _CANONICAL.encode(value)


def entry_hash(
    *,
    prev_hash: str,
    time_bank_id: int,
    seq: int,
    actor_id: int | None,
    action: str,
    entity_type: str,
    entity_id: int | None,
    before: str | None,
    after: str | None,
    created_at_iso: str,
) -> str:
    content = _COMPACT.encode(
        [time_bank_id, seq, actor_id, action, entity_type, entity_id, before, after, created_at_iso]
    )
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def start_chain(session: Session, time_bank_id: int) -> None:
    # Core, like the appends: no ORM copy of the head is left to go stale in the session.
    session.execute(
        sa.insert(AUDIT_CHAIN).values(time_bank_id=time_bank_id, last_seq=0, last_hash=GENESIS)
    )


def append_audit(
    session: Session,
    *,
    time_bank_id: int,
    actor: Membership | None,
    action: str,
    entity_type: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one entry to the time bank's chain (the caller commits)."""
    append_audit_entries(
        session,
        time_bank_id=time_bank_id,
        actor=actor,
        entries=[(action, entity_type, entity_id, before, after)],
    )


def append_audit_entries(
    session: Session,
    *,
    time_bank_id: int,
    actor: Membership | None,
    entries: list[tuple[str, str, int | None, dict[str, Any] | None, dict[str, Any] | None]],
) -> None:
    """Append entries (action, entity type, entity id, before, after) in order.

    Written with Core statements, not the unit of work: this runs inside every ledger
    write, and the chain head's row lock is held from here until the commit.
    """
    # On the session's own connection (same transaction), past the ORM's execution
    # machinery: the unit of work has nothing to do with these rows.
    connection = session.connection()
    head = connection.execute(_LOCK_HEAD, {"bank": time_bank_id}).one()
    seq, prev_hash = head.last_seq, head.last_hash
    created_at = utcnow()
    created_at_iso = created_at.isoformat()
    actor_id = actor.id if actor is not None else None
    rows = []
    for action, entity_type, entity_id, before, after in entries:
        seq += 1
        before_text, after_text = canonical_json(before), canonical_json(after)
        digest = entry_hash(
            prev_hash=prev_hash,
            time_bank_id=time_bank_id,
            seq=seq,
            actor_id=actor_id,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            before=before_text,
            after=after_text,
            created_at_iso=created_at_iso,
        )
        rows.append(
            {
                "time_bank_id": time_bank_id,
                "seq": seq,
                "actor_id": actor_id,
                "action": action,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "before": before_text,
                "after": after_text,
                "created_at": created_at,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    advance = {"bank": time_bank_id, "last_seq": seq, "last_hash": prev_hash}
    if connection.dialect.name == "postgresql":
        # One round trip: the head advances in a data-modifying WITH of the insert
        # (the same two writes, in the same transaction, under the same lock).
        params = {f"{name}_{k}": value for k, row in enumerate(rows) for name, value in row.items()}
        connection.execute(_insert_and_advance(len(rows)), {**params, **advance})
    else:
        # One entry (every exchange and step) is a plain execute; a group's, one
        # executemany.
        connection.execute(_INSERT_ENTRY, rows[0] if len(rows) == 1 else rows)
        connection.execute(_ADVANCE_HEAD, advance)


# The statements of every append, built once.
_LOCK_HEAD = (
    sa.select(AUDIT_CHAIN.c.last_seq, AUDIT_CHAIN.c.last_hash)
    .where(AUDIT_CHAIN.c.time_bank_id == sa.bindparam("bank"))
    .with_for_update()
)
_ADVANCE_HEAD = (
    sa.update(AUDIT_CHAIN)
    .where(AUDIT_CHAIN.c.time_bank_id == sa.bindparam("bank"))
    .values(last_seq=sa.bindparam("last_seq"), last_hash=sa.bindparam("last_hash"))
)
_INSERT_ENTRY = sa.insert(AUDIT_ENTRY)
_ENTRY_COLUMNS = (
    "time_bank_id",
    "seq",
    "actor_id",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "created_at",
    "prev_hash",
    "hash",
)


@functools.cache
def _insert_and_advance(count: int) -> sa.Insert:
    """PostgreSQL: insert ``count`` entries (binds ``<column>_<k>``) and advance the
    head (binds ``bank``, ``last_seq``, ``last_hash``) in one statement.

    One entry (every exchange, confirmation and approval) is a single-row VALUES, which
    SQLAlchemy compiles once and caches; it cannot cache a multi-row VALUES (a group's
    entries), which is compiled at each use."""
    values = [
        {
            name: sa.bindparam(f"{name}_{k}", type_=AUDIT_ENTRY.c[name].type)
            for name in _ENTRY_COLUMNS
        }
        for k in range(count)
    ]
    insert = sa.insert(AUDIT_ENTRY).values(values[0] if count == 1 else values)
    return insert.add_cte(_ADVANCE_HEAD.cte("advance"))


@dataclass(frozen=True)
class ChainBreak:
    time_bank_id: int
    seq: int
    entry_id: int
    message: str


# The columns of an entry that ``check_chain`` reads, in its order.
CHAIN_ROW = (
    AUDIT_ENTRY.c.id,
    AUDIT_ENTRY.c.seq,
    AUDIT_ENTRY.c.actor_id,
    AUDIT_ENTRY.c.action,
    AUDIT_ENTRY.c.entity_type,
    AUDIT_ENTRY.c.entity_id,
    AUDIT_ENTRY.c.before,
    AUDIT_ENTRY.c.after,
    AUDIT_ENTRY.c.created_at,
    AUDIT_ENTRY.c.prev_hash,
    AUDIT_ENTRY.c.hash,
)


def read_chain(
    connection: sa.Connection, time_bank_id: int, batch: int, *, after_seq: int = 0
) -> tuple[tuple[int, str] | None, sa.CursorResult[Any]]:
    """A time bank's chain head (last_seq, last_hash) and its entries in seq order
    (those after ``after_seq``), as plain tuples streamed from a server-side cursor
    ``batch`` rows at a time (a million entries never sit in memory at once). Use the
    result in a ``with`` block."""
    head = connection.execute(
        sa.select(AUDIT_CHAIN.c.last_seq, AUDIT_CHAIN.c.last_hash).where(
            AUDIT_CHAIN.c.time_bank_id == time_bank_id
        )
    ).one_or_none()
    rows = connection.execute(
        sa.select(*CHAIN_ROW)
        .where(AUDIT_ENTRY.c.time_bank_id == time_bank_id, AUDIT_ENTRY.c.seq > after_seq)
        .order_by(AUDIT_ENTRY.c.seq),
        execution_options={"stream_results": True, "yield_per": batch},
    )
    return (None if head is None else (head[0], head[1])), rows


def check_chain(
    time_bank_id: int,
    rows: Iterable[tuple[Any, ...]],
    head: tuple[int, str] | None,
    *,
    follows: tuple[int, str] = (0, GENESIS),
) -> Iterator[ChainBreak]:
    """Recompute a chain from its rows in seq order and report every break. ``follows``
    is the (seq, hash) the rows follow on from: the start of the chain, or a checkpoint.

    ``rows`` are tuples (id, seq, actor_id, action, entity_type, entity_id, before,
    after, created_at, prev_hash, hash) and ``head`` is (last_seq, last_hash) or None.

    This runs once per audit entry over the whole log, so the hashed text is built here
    directly rather than through ``entry_hash``: the same bytes as ``entry_hash`` (a
    compact JSON list with ASCII escapes), checked to be so by the tests. Entries whose
    columns are not of the usual types (only possible by tampering) go through
    ``entry_hash`` itself, so the two can never disagree.
    """
    sha256 = hashlib.sha256
    quote = json.encoder.encode_basestring_ascii
    int_or_none = (int, type(None))
    fast = type(time_bank_id) is int
    expected_seq, prev_hash = follows[0] + 1, follows[1]
    for (
        entry_id,
        seq,
        actor_id,
        action,
        entity_type,
        entity_id,
        before,
        after,
        created_at,
        row_prev_hash,
        row_hash,
    ) in rows:
        if seq != expected_seq:
            yield ChainBreak(
                time_bank_id,
                seq,
                entry_id,
                f"audit entry {entry_id}: sequence {seq}, expected {expected_seq}"
                " (an entry is missing or out of place)",
            )
        if row_prev_hash != prev_hash:
            yield ChainBreak(
                time_bank_id,
                seq,
                entry_id,
                f"audit entry {entry_id}: does not link to the entry before it",
            )
        if (
            fast
            and type(seq) is int
            and type(actor_id) in int_or_none
            and type(entity_id) in int_or_none
            and type(row_prev_hash) is str
        ):
            # Exactly entry_hash's text: json of [time_bank_id, seq, actor_id, action,
            # entity_type, entity_id, before, after, created_at_iso] with "," between.
            digest = sha256(
                (
                    f"{row_prev_hash}[{time_bank_id},{seq},"
                    f"{'null' if actor_id is None else actor_id},"
                    f"{quote(action)},{quote(entity_type)},"
                    f"{'null' if entity_id is None else entity_id},"
                    f"{'null' if before is None else quote(before)},"
                    f"{'null' if after is None else quote(after)},"
                    f'"{created_at.isoformat()}"]'
                ).encode()
            ).hexdigest()
        else:
            digest = entry_hash(
                prev_hash=row_prev_hash,
                time_bank_id=time_bank_id,
                seq=seq,
                actor_id=actor_id,
                action=action,
                entity_type=entity_type,
                entity_id=entity_id,
                before=before,
                after=after,
                created_at_iso=created_at.isoformat(),
            )
        if digest != row_hash:
            yield ChainBreak(
                time_bank_id,
                seq,
                entry_id,
                f"audit entry {entry_id}: content does not match its hash (it was altered)",
            )
        prev_hash, expected_seq = row_hash, seq + 1
    if head is not None:
        last_seq, last_hash = head
        if last_seq != expected_seq - 1 or last_hash != prev_hash:
            yield ChainBreak(
                time_bank_id,
                expected_seq - 1,
                0,
                f"the audit chain head says entry {last_seq} is last, but the log"
                f" ends at entry {expected_seq - 1}",
            )
