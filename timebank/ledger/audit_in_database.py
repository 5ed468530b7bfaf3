"""The audit hash chain checked inside PostgreSQL: one statement over the log, no row
sent to Python unless something is wrong.

Each entry's hash is ``sha256(prev_hash + text)`` where the text is the compact JSON
list that ``audit.entry_hash`` builds. PostgreSQL builds the text from the row (strings
quoted with ``\\`` and ``"`` escaped, the time as ``isoformat`` writes it), computes
``sha256`` and compares it with the stored hash; in the same statement a hash join of
each entry to the one before it (same chain, seq - 1) checks the links, so the log is
read in parallel and never sorted. Only when that finds a suspect link does the older
``lag`` over the entries in seq order run, to report the breaks in its words.

An entry whose hash PostgreSQL does not reproduce is hashed again in Python by
``entry_hash`` itself, and is a break only if that fails too. That keeps the check
exact: where the two texts could differ (Python escapes control characters and
non-ASCII, this quoting does not) PostgreSQL's hash simply does not match and Python
decides; and where PostgreSQL's hash does match, its text is a valid JSON encoding of
the row equal to the one Python hashed, so the row is what was hashed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import sqlalchemy as sa

from timebank.ledger.audit import GENESIS, ChainBreak, entry_hash


def _quoted(column: str) -> str:
    """A text column as a JSON string: only ``\\`` and ``"`` escaped. Where Python's
    encoder would escape more (control characters, non-ASCII), the text differs, the
    hash does not match and the entry is hashed again in Python."""
    return "'\"' || replace(replace(" + column + ", '\\', '\\\\'), '\"', '\\\"') || '\"'"


def hashed_text(e: str) -> str:
    """The hashed text of the entry ``e`` (a table alias): its prev_hash, then the
    compact JSON list ``audit.entry_hash`` builds."""
    return (
        f"{e}.prev_hash || '[' || {e}.time_bank_id || ',' || {e}.seq || ','"
        f" || coalesce({e}.actor_id::text, 'null') || ','"
        f" || {_quoted(f'{e}.action')} || ',' || {_quoted(f'{e}.entity_type')} || ','"
        f" || coalesce({e}.entity_id::text, 'null') || ','"
        f" || coalesce({_quoted(f'{e}.before')}, 'null') || ','"
        f" || coalesce({_quoted(f'{e}.after')}, 'null') || ','"
        # datetime.isoformat(): the fraction only when there are microseconds.
        f" || '\"' || to_char({e}.created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN date_part('microseconds', {e}.created_at)::bigint % 1000000 = 0"
        f" THEN '' ELSE to_char({e}.created_at, '.US') END || '\"]'"
    )


# The one scan of the log when nothing is wrong: each entry's hash recomputed, and each
# entry joined to the one before it in its chain (seq - 1) by a parallel hash join, so
# both checks are split between the server's parallel workers and no sort of the whole
# log is needed. It returns only the entries that are suspect: hash not reproduced
# (``altered``), no entry just before it or one whose hash is not its prev_hash
# (``unlinked``; the first entry of each chain is one of these, and is fine if it starts
# the chain as it should).
_SUSPECTS = f"""
SELECT e.id, e.time_bank_id, e.seq, e.prev_hash,
    coalesce(sha256(convert_to({hashed_text("e")}, 'UTF8')) <> decode(e.hash, 'hex'), false)
        AS altered,
    b.time_bank_id IS NULL AS first,
    b.time_bank_id IS NULL OR b.hash IS DISTINCT FROM e.prev_hash AS unlinked
FROM audit_entry e
LEFT JOIN audit_entry b
    ON b.time_bank_id = e.time_bank_id AND b.seq = e.seq - 1 AND {{where_b}}
WHERE {{where_e}}
    AND (sha256(convert_to({hashed_text("e")}, 'UTF8')) <> decode(e.hash, 'hex')
        OR b.time_bank_id IS NULL OR b.hash IS DISTINCT FROM e.prev_hash)
"""  # noqa: S608 (constant text: the only parameters are bound)

# The links in seq order (a sort of the log): run only when the join found an entry that
# does not follow on from the one before it, to report each break as it always has.
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
    OR (before_seq IS NULL AND seq = 1 AND prev_hash IS DISTINCT FROM :genesis)
    OR (before_seq IS NOT NULL
        AND (seq <> before_seq + 1 OR prev_hash IS DISTINCT FROM before_hash))
ORDER BY time_bank_id, seq
"""

# Whether (time_bank_id, seq) is unique, checked at once: then an entry has at most one
# entry just before it, and the join sees every break the window would (a second entry
# with the same seq is a break only the window sees).
_SEQ_UNIQUE = """
SELECT EXISTS (
    SELECT 1 FROM pg_index i
    WHERE i.indrelid = 'audit_entry'::regclass
        AND i.indisunique AND i.indisvalid AND i.indimmediate
        AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnkeyatts = 2
        AND i.indkey[0] = (SELECT attnum FROM pg_attribute
            WHERE attrelid = 'audit_entry'::regclass AND attname = 'time_bank_id')
        AND i.indkey[1] = (SELECT attnum FROM pg_attribute
            WHERE attrelid = 'audit_entry'::regclass AND attname = 'seq')
)
"""


class _Row(NamedTuple):
    id: int
    time_bank_id: int
    seq: int
    prev_hash: str
    before_seq: int | None
    before_hash: str | None


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

    def where(e: str) -> str:
        if time_bank_id is None:
            return "true"
        return f"{e}.time_bank_id = :bank" + (f" AND {e}.seq >= :from_seq" if from_seq else "")

    params: dict[str, Any] = {
        "bank": time_bank_id,
        "from_seq": from_seq if from_seq else 1,
        "from_hash": from_hash,
        "genesis": GENESIS,
    }
    suspects = connection.execute(
        sa.text(_SUSPECTS.format(where_e=where("e"), where_b=where("b"))), params
    ).all()
    # An entry with nothing just before it is a break unless it starts the chain (or
    # the part after the checkpoint) as it should: the window's check of its first row.
    # With seq unique, only one entry of a chain can pass that (seq 1, or the
    # checkpoint's seq or the one after). Any other suspect link, or a table where seq
    # could repeat, and the window runs to report the breaks as it always has.
    unlinked = any(
        row.unlinked and not (row.first and _starts_chain(row, from_seq, from_hash))
        for row in suspects
    )
    if unlinked or not connection.scalar(sa.text(_SEQ_UNIQUE)):
        links = where("audit_entry").replace("audit_entry.", "")
        for row in connection.execute(sa.text(_LINKS.format(where=links)), params):
            yield from _link_breaks(row, from_seq, from_hash)
    for row in sorted(suspects, key=lambda r: r.id):
        if row.altered:
            broken = _hash_break(connection, row.id)
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


def _starts_chain(row: Any, from_seq: int, from_hash: str) -> bool:
    """Whether an entry with no entry just before it would pass the window's check of
    the first row: ``_link_breaks`` finds nothing in it."""
    first = _Row(row.id, row.time_bank_id, row.seq, row.prev_hash, None, None)
    return next(_link_breaks(first, from_seq, from_hash), None) is None


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
