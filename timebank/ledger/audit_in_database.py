"""The audit hash chain checked inside PostgreSQL: two scans of the log, no row sent
to Python unless something is wrong.

Each entry's hash is ``sha256(prev_hash + text)`` where the text is the compact JSON
list that ``audit.entry_hash`` builds. PostgreSQL builds the text from the row (strings
quoted with ``\\`` and ``"`` escaped, the time as ``isoformat`` writes it), computes
``sha256`` and compares it with the stored hash; ``lag`` over the entries in seq order
checks that each links to the one before.

An entry whose hash PostgreSQL does not reproduce is hashed again in Python by
``entry_hash`` itself, and is a break only if that fails too. That keeps the check
exact: where the two texts could differ (Python escapes control characters and
non-ASCII, this quoting does not) PostgreSQL's hash simply does not match and Python
decides; and where PostgreSQL's hash does match, its text is a valid JSON encoding of
the row equal to the one Python hashed, so the row is what was hashed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from timebank.ledger.audit import GENESIS, ChainBreak, entry_hash


def _quoted(column: str) -> str:
    """A text column as a JSON string: only ``\\`` and ``"`` escaped. Where Python's
    encoder would escape more (control characters, non-ASCII), the text differs, the
    hash does not match and the entry is hashed again in Python."""
    return "'\"' || replace(replace(" + column + ", '\\', '\\\\'), '\"', '\\\"') || '\"'"


_TEXT = (
    "prev_hash || '[' || time_bank_id || ',' || seq || ','"
    " || coalesce(actor_id::text, 'null') || ','"
    f" || {_quoted('action')} || ',' || {_quoted('entity_type')} || ','"
    " || coalesce(entity_id::text, 'null') || ','"
    f" || coalesce({_quoted('before')}, 'null') || ','"
    f" || coalesce({_quoted('after')}, 'null') || ','"
    # datetime.isoformat(): the fraction only when there are microseconds.
    " || '\"' || to_char(created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    " || CASE WHEN date_part('microseconds', created_at)::bigint % 1000000 = 0 THEN ''"
    " ELSE to_char(created_at, '.US') END || '\"]'"
)

# Two scans: the hashes (no order needed, so PostgreSQL may split it between workers)
# and the links (seq order, by the (time_bank_id, seq) index). Each returns only what
# is wrong.
_HASHES = f"""
SELECT id FROM audit_entry
WHERE {{where}} AND sha256(convert_to({_TEXT}, 'UTF8')) <> decode(hash, 'hex')
"""  # noqa: S608 (constant text: the only parameters are bound)

_LINKS = """
SELECT id, time_bank_id, seq, prev_hash, before_seq, before_hash
FROM (
    SELECT id, time_bank_id, seq, prev_hash,
        lag(seq) OVER w AS before_seq,
        lag(hash) OVER w AS before_hash
    FROM audit_entry
    WHERE {where}
    WINDOW w AS (PARTITION BY time_bank_id ORDER BY seq)
) linked
WHERE (before_seq IS NULL AND seq <> :from_seq)
    OR (before_seq IS NULL AND seq = 1 AND prev_hash <> :genesis)
    OR (before_seq IS NOT NULL AND (seq <> before_seq + 1 OR prev_hash <> before_hash))
ORDER BY time_bank_id, seq
"""

_ROW = sa.text(
    "SELECT id, time_bank_id, seq, actor_id, action, entity_type, entity_id, before, after,"
    " created_at, prev_hash, hash FROM audit_entry WHERE id = :id"
)

_ENDS = """
SELECT c.time_bank_id, c.last_seq, c.last_hash, e.seq, e.hash
FROM audit_chain c
LEFT JOIN LATERAL (
    SELECT seq, hash FROM audit_entry
    WHERE audit_entry.time_bank_id = c.time_bank_id
    ORDER BY seq DESC LIMIT 1
) e ON true
WHERE {where}
ORDER BY c.time_bank_id
"""


def chain_breaks(
    connection: sa.Connection,
    time_bank_id: int | None = None,
    *,
    from_seq: int = 0,
    from_hash: str = GENESIS,
) -> Iterator[ChainBreak]:
    """Every break in one bank's chain (or every bank's), found by PostgreSQL.

    With ``from_seq`` (a checkpoint: one bank only) only the entries from that seq on
    are read, and every one after it must link on from ``from_hash`` (that the entry
    at ``from_seq`` still has that hash is the caller's check).
    """
    where = "true" if time_bank_id is None else "time_bank_id = :bank"
    if from_seq:
        where += " AND seq >= :from_seq"
    params: dict[str, Any] = {
        "bank": time_bank_id,
        "from_seq": from_seq if from_seq else 1,
        "from_hash": from_hash,
        "genesis": GENESIS,
    }
    for row in connection.execute(sa.text(_LINKS.format(where=where)), params):
        yield from _link_breaks(row, from_seq, from_hash)
    for (entry_id,) in connection.execute(sa.text(_HASHES.format(where=where)), params):
        broken = _hash_break(connection, entry_id)
        if broken is not None:
            yield broken
    ends_where = "true" if time_bank_id is None else "c.time_bank_id = :bank"
    for bank_id, last_seq, last_hash, seq, digest in connection.execute(
        sa.text(_ENDS.format(where=ends_where)), params
    ):
        if (last_seq, last_hash) != (seq or 0, digest or GENESIS):
            yield ChainBreak(
                bank_id,
                seq or 0,
                0,
                f"the audit chain head says entry {last_seq} is last, but the log"
                f" ends at entry {seq or 0}",
            )


def _link_breaks(row: Any, from_seq: int, from_hash: str) -> Iterator[ChainBreak]:
    """The breaks of one entry that does not follow on from the one before it, in the
    words ``audit.check_chain`` uses."""
    bank_id, seq, entry_id = row.time_bank_id, row.seq, row.id
    if row.before_seq is None:
        if from_seq and seq == from_seq:
            # The checkpoint's entry: checked when the checkpoint was made; the caller
            # checks that it still has its hash.
            return
        expected_seq, expected_prev = (from_seq + 1, from_hash) if from_seq else (1, GENESIS)
    else:
        expected_seq, expected_prev = row.before_seq + 1, row.before_hash
    if seq != expected_seq:
        yield ChainBreak(
            bank_id,
            seq,
            entry_id,
            f"audit entry {entry_id}: sequence {seq}, expected {expected_seq}"
            " (an entry is missing or out of place)",
        )
    if row.prev_hash != expected_prev:
        yield ChainBreak(
            bank_id, seq, entry_id, f"audit entry {entry_id}: does not link to the entry before it"
        )


def checkpoint_lost(bank_id: int, seq: int, entry_id: int = 0) -> ChainBreak:
    """The entry a checkpoint names is gone or no longer has the hash it had then."""
    return ChainBreak(
        bank_id,
        seq,
        entry_id,
        f"audit entry {seq} in the chain no longer has the hash it had when the ledger"
        " was last verified",
    )


def _hash_break(connection: sa.Connection, entry_id: int) -> ChainBreak | None:
    """One entry whose hash PostgreSQL did not reproduce, hashed by ``entry_hash``
    itself: a break if that does not reproduce it either."""
    e = connection.execute(_ROW, {"id": entry_id}).one()
    digest = entry_hash(
        prev_hash=e.prev_hash,
        time_bank_id=e.time_bank_id,
        seq=e.seq,
        actor_id=e.actor_id,
        action=e.action,
        entity_type=e.entity_type,
        entity_id=e.entity_id,
        before=e.before,
        after=e.after,
        created_at_iso=e.created_at.isoformat(),
    )
    if digest == e.hash:
        return None
    return ChainBreak(
        e.time_bank_id,
        e.seq,
        entry_id,
        f"audit entry {entry_id}: content does not match its hash (it was altered)",
    )
