"""verify_1m: ``verify_ledger`` over a million posted transfers on PostgreSQL.

A schema of its own gets one time bank, 1,000 member accounts and BENCH_VERIFY_N
(default 1,000,000) posted transfers between them, written in bulk (INSERT ... SELECT
generate_series for the transfers, COPY for the audit entries), the accounts' cached
counters set to match, and one audit entry per transfer whose hash chain is computed
with ``timebank.ledger.audit.entry_hash`` exactly as the services compute it.

Then ``verify_ledger(session)`` is timed (it must find nothing wrong), against the
baseline of just recomputing every balance: ``SELECT debit_account_id, sum(minutes) ...
GROUP BY`` and the same for credits. ratio = verify time / baseline time.

The bulk load runs with ``session_replication_role = replica`` so that foreign keys are
not re-checked row by row; the generated rows satisfy them by construction, and the
check constraints still apply.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from bench.common import Figure, Stopwatch, env_int, postgresql_database
from timebank.ledger import audit_in_database, banks, verify
from timebank.ledger.audit import entry_hash
from timebank.ledger.banks import update_policy
from timebank.ledger.clock import today_in
from timebank.ledger.database import read_snapshot
from timebank.ledger.models import Membership, TimeBank
from timebank.ledger.transfers import record_transfer
from timebank.ledger.verify import verify_ledger
from timebank.ledger.verify_incremental import verify_since_checkpoint

ACCOUNTS = 1000
CHUNK = 50_000
START = datetime(2024, 1, 1, 9, 0, 0)  # noqa: DTZ001 (naive UTC, as stored)


def _minutes(i: int) -> int:
    return 15 * (1 + i % 8)


def _accounts(i: int, first: int) -> tuple[int, int]:
    """(debit, credit) of transfer number i: never the same account."""
    k = i % ACCOUNTS
    return first + k, first + (k + 1 + (i // ACCOUNTS) % (ACCOUNTS - 1)) % ACCOUNTS


SNAPSHOT = (
    '{{"approved_by_id":null,"batch_id":null,"category_id":null,"confirmed_by_id":null,'
    '"credit_account_id":{credit},"debit_account_id":{debit},"description":"",'
    '"id":{id},"kind":"exchange","minutes":{minutes},"needs_approval":false,'
    '"needs_confirmation":false,"reason":null,"rejected_by_id":null,"reverses_id":null,'
    '"service_date":"{service_date}","status":"posted"}}'
)


def _load(engine: sa.Engine, n: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    make_session = sessionmaker(bind=engine)
    with make_session() as session:
        bank = banks.create_time_bank(session, name="Bench verify", slug="bench-verify")
        session.commit()
        bank_id = bank.id

    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        with pg.cursor() as cur:
            cur.execute("SET session_replication_role = replica")
            started = time.perf_counter()
            cur.execute(
                "INSERT INTO person (email, display_name, is_active, session_version,"
                " created_at) SELECT 'm' || g || '@example.org', 'Member ' || g, true, 1,"
                " now() FROM generate_series(1, %s) g",
                (ACCOUNTS,),
            )
            cur.execute(
                "INSERT INTO membership (person_id, time_bank_id, role, kind, status,"
                " consent_reporting, consent_research, joined_at, sort_name)"
                " SELECT id, %s, 'member', 'participant', 'active', false, false, now(),"
                " lower(display_name)"
                " FROM person ORDER BY id",
                (bank_id,),
            )
            cur.execute(
                "INSERT INTO account (time_bank_id, kind, membership_id, posted_debits,"
                " posted_credits, pending_debits, pending_credits, created_at)"
                " SELECT %s, 'member', id, 0, 0, 0, 0, now() FROM membership"
                " WHERE time_bank_id = %s ORDER BY id",
                (bank_id, bank_id),
            )
            cur.execute("SELECT id, membership_id FROM account WHERE kind = 'member' ORDER BY id")
            rows = cur.fetchall()
            first = rows[0][0]
            assert [r[0] for r in rows] == list(range(first, first + ACCOUNTS))
            member_of = {account: membership for account, membership in rows}

            # Transfer i (1..n) has id i, debit/credit and minutes as _accounts/_minutes.
            cur.execute(
                "INSERT INTO transfer (id, time_bank_id, debit_account_id, credit_account_id,"
                " minutes, service_date, description, kind, status, needs_confirmation,"
                " needs_approval, recorded_by_id, recorded_at, posted_at)"
                " SELECT g, %(bank)s, %(first)s + g %% %(a)s,"
                " %(first)s + (g %% %(a)s + 1 + (g / %(a)s) %% (%(a)s - 1)) %% %(a)s,"
                " 15 * (1 + g %% 8), DATE '2024-01-01' + (g / 5000)::int, '', 'exchange',"
                " 'posted', false, false, NULL,"
                " TIMESTAMP '2024-01-01 09:00' + g * INTERVAL '1 second',"
                " TIMESTAMP '2024-01-01 09:00' + g * INTERVAL '1 second'"
                " FROM generate_series(1, %(n)s) g",
                {"bank": bank_id, "first": first, "a": ACCOUNTS, "n": n},
            )
            cur.execute("SELECT setval(pg_get_serial_sequence('transfer', 'id'), %s)", (n,))
            cur.execute(
                "UPDATE account SET posted_debits = d.total FROM (SELECT debit_account_id AS id,"
                " sum(minutes) AS total FROM transfer GROUP BY 1) d WHERE account.id = d.id"
            )
            cur.execute(
                "UPDATE account SET posted_credits = c.total FROM (SELECT credit_account_id"
                " AS id, sum(minutes) AS total FROM transfer GROUP BY 1) c"
                " WHERE account.id = c.id"
            )
            pg.commit()
            timings["rows"] = time.perf_counter() - started

            started = time.perf_counter()
            cur.execute(
                "SELECT last_seq, last_hash FROM audit_chain WHERE time_bank_id = %s", (bank_id,)
            )
            seq, prev = cur.fetchone()
            columns = (
                "time_bank_id, seq, actor_id, action, entity_type, entity_id, before,"
                " after, created_at, prev_hash, hash"
            )
            with cur.copy(f"COPY audit_entry ({columns}) FROM STDIN") as copy:
                for low in range(1, n + 1, CHUNK):
                    for i in range(low, min(low + CHUNK, n + 1)):
                        debit, credit = _accounts(i, first)
                        # Recorded by the giver (credited account); its step is the index.
                        actor = member_of[credit]
                        after = SNAPSHOT.format(
                            credit=credit,
                            debit=debit,
                            id=i,
                            minutes=_minutes(i),
                            service_date=(START.date() + timedelta(days=i // 5000)).isoformat(),
                        )
                        created_at = START + timedelta(seconds=i)
                        seq += 1
                        digest = entry_hash(
                            prev_hash=prev,
                            time_bank_id=bank_id,
                            seq=seq,
                            actor_id=actor,
                            action="transfer.recorded",
                            entity_type="transfer",
                            entity_id=i,
                            before=None,
                            after=after,
                            created_at_iso=created_at.isoformat(),
                        )
                        copy.write_row(
                            (
                                bank_id,
                                seq,
                                actor,
                                "transfer.recorded",
                                "transfer",
                                i,
                                None,
                                after,
                                created_at,
                                prev,
                                digest,
                            )
                        )
                        prev = digest
            cur.execute(
                "UPDATE audit_chain SET last_seq = %s, last_hash = %s WHERE time_bank_id = %s",
                (seq, prev, bank_id),
            )
            cur.execute("SET session_replication_role = origin")
            pg.commit()
            timings["audit"] = time.perf_counter() - started
            started = time.perf_counter()
        pg.autocommit = True
        with pg.cursor() as cur:
            cur.execute("VACUUM ANALYZE transfer")
            cur.execute("VACUUM ANALYZE audit_entry")
            cur.execute("VACUUM ANALYZE account")
        pg.autocommit = False
        timings["vacuum"] = time.perf_counter() - started
    finally:
        raw.close()
    return timings


def _baseline(engine: sa.Engine) -> float:
    with engine.connect() as connection, Stopwatch() as watch:
        connection.execute(
            sa.text("SELECT debit_account_id, sum(minutes) FROM transfer GROUP BY debit_account_id")
        ).all()
        connection.execute(
            sa.text(
                "SELECT credit_account_id, sum(minutes) FROM transfer GROUP BY credit_account_id"
            )
        ).all()
    return watch.seconds


# What each statement of verify_ledger is, by a piece of its text (first match wins).
STATEMENTS = (
    ("audit_chain", "LEFT JOIN audit_entry b"),  # hashes and links in one statement
    ("audit_hashes", "sha256("),
    ("audit_links", "lag(seq)"),
    ("audited_transfers", "count(DISTINCT audit_entry.entity_id)"),
    ("sums_debit", "GROUP BY transfer.debit_account_id"),
    ("sums_credit", "GROUP BY transfer.credit_account_id"),
    ("transfer_shapes", "JOIN account AS"),
)


@contextmanager
def _statement_times(engine: sa.Engine) -> Iterator[dict[str, float]]:
    """Seconds per kind of statement (``STATEMENTS``; ``other`` for the rest) while
    the block runs."""
    times: dict[str, float] = defaultdict(float)
    started: dict[int, float] = {}

    def before(conn, cursor, statement, *args) -> None:
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, *args) -> None:
        name = next((n for n, text in STATEMENTS if text in statement), "other")
        times[name] += time.perf_counter() - started.pop(id(cursor), time.perf_counter())

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        yield times
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)


def _parts(engine: sa.Engine) -> list[Figure]:
    """Where verify's time goes: each of its three checks alone, in a snapshot set up
    as ``verify_ledger`` sets up its own."""
    figures = []
    for name, check in (
        ("balances", verify._check_balances),
        ("transfers", verify._check_transfers),
        ("audit_chain", verify._check_audit),
    ):
        with read_snapshot(engine) as connection, Stopwatch() as watch:
            verify._tune_for_whole_scans(connection)
            assert check(connection, None) == []
        figures.append(Figure(f"postgresql.verify_part_{name}", round(watch.seconds, 3), "s"))
    return figures


# What any full verify that recomputes every entry's hash pays at least, each a single
# statement run as verify runs its own (one snapshot, its settings: parallel workers):
# reading the whole log (its texts read, nothing computed), sha256 over each entry's
# stored bytes (the text's parts as they lie: no JSON built, no quoting), and verify's
# own hash check alone (the hashed text built and hashed, compared with the stored
# hash: no links, no other check). Each counts the entries it read.
FLOORS = (
    (
        "read_the_log",
        "SELECT count(*) FROM audit_entry e"
        " WHERE length(e.prev_hash) + length(e.hash) + coalesce(length(e.before), 0)"
        " + length(e.after) >= 0",
    ),
    (
        "sha256_of_stored_bytes",
        "SELECT count(*) FROM audit_entry e WHERE sha256(convert_to(e.prev_hash"
        " || coalesce(e.before, '') || e.after || e.action || e.entity_type, 'UTF8'))"
        " IS NOT NULL",
    ),
    (
        "hash_check_alone",
        "SELECT count(*) FROM audit_entry e WHERE sha256(convert_to("  # noqa: S608 (constant)
        + audit_in_database.hashed_text("e")
        + ", 'UTF8')) = decode(e.hash, 'hex')",
    ),
)


def _floors(engine: sa.Engine, entries: int, baseline: float) -> list[Figure]:
    """Each of ``FLOORS``, best of two runs, against the aggregate scan."""
    figures = []
    for name, statement in FLOORS:
        best = None
        for _ in range(2):
            with read_snapshot(engine) as connection, Stopwatch() as watch:
                verify._tune_for_whole_scans(connection)
                counted = connection.scalar(sa.text(statement))
            if counted != entries:
                raise AssertionError(f"verify_1m: floor {name} read {counted} of {entries}")
            best = watch.seconds if best is None else min(best, watch.seconds)
        assert best is not None
        figures.append(
            Figure(
                f"postgresql.verify_floor_{name}",
                round(best, 3),
                "s",
                round(baseline, 3),
                round(best / baseline, 1),
            )
        )
    return figures


def _incremental(make_session) -> list[Figure]:
    """``verify_since_checkpoint``: the first run (no checkpoint: the full check, then
    the checkpoint kept), one with nothing new, then after NEW and 4 x NEW transfers
    written through the services. Its time should follow what is new, not the ledger."""
    new = env_int("BENCH_VERIFY_NEW", 500)
    figures: list[Figure] = []
    with make_session() as session:
        with Stopwatch() as first:
            assert verify_since_checkpoint(session) == []
        session.commit()
        with Stopwatch() as nothing:
            assert verify_since_checkpoint(session) == []
        session.commit()
        figures += [
            Figure("postgresql.verify_since_checkpoint_first", round(first.seconds, 3), "s"),
            Figure(
                "postgresql.verify_since_checkpoint_nothing_new", round(nothing.seconds, 3), "s"
            ),
        ]
        bank = session.scalars(sa.select(TimeBank)).one()
        update_policy(
            session,
            actor=None,
            bank=bank,
            floor_minutes=None,
            cap_minutes=None,
            requires_confirmation=False,
            requires_approval=False,
        )
        session.commit()
        members = session.scalars(sa.select(Membership).order_by(Membership.id)).all()
        today = today_in(bank.timezone)
        previous = None
        for count in (new, 4 * new):
            for i in range(count):
                giver, receiver = (
                    members[(7 * i) % len(members)],
                    members[(7 * i + 3) % len(members)],
                )
                record_transfer(
                    session,
                    actor=giver,
                    giver=giver.account,
                    receiver=receiver.account,
                    minutes=15,
                    service_date=today,
                )
            session.commit()
            with Stopwatch() as since:
                problems = verify_since_checkpoint(session)
            session.commit()
            if problems:
                raise AssertionError(f"verify_1m: incremental check found {problems[:3]}")
            figures.append(
                Figure(
                    f"postgresql.verify_since_checkpoint_{count}_new",
                    round(since.seconds, 3),
                    "s",
                    previous,
                    None if previous is None else round(since.seconds / previous, 2),
                )
            )
            previous = round(since.seconds, 3)
    return figures


def run() -> list[Figure]:
    n = env_int("BENCH_VERIFY_N", 1_000_000)
    with postgresql_database() as engine:
        with Stopwatch() as load:
            timings = _load(engine, n)
        _baseline(engine)  # warm the cache the same way for both
        baseline = min(_baseline(engine) for _ in range(2))
        make_session = sessionmaker(bind=engine)
        with make_session() as session, _statement_times(engine) as statements:
            with Stopwatch() as verify:
                problems = verify_ledger(session)
            session.rollback()
            transfers = session.scalar(sa.text("SELECT count(*) FROM transfer"))
            entries = session.scalar(sa.text("SELECT count(*) FROM audit_entry"))
        if problems or transfers != n or entries != n + 1:
            raise AssertionError(
                f"verify_1m: expected a clean ledger of {n} transfers and {n + 1} audit"
                f" entries, found {transfers}, {entries} and problems {problems[:3]}"
            )
        parts = _parts(engine)
        floors = _floors(engine, entries, baseline)
        incremental = _incremental(make_session)
    return [
        Figure(
            "postgresql.verify_ledger",
            round(verify.seconds, 3),
            "s",
            round(baseline, 3),
            round(verify.seconds / baseline, 1),
        ),
        Figure("postgresql.verify_ledger_rate", round(n / verify.seconds), "transfers/s"),
        *parts,
        *floors,
        *[
            Figure(
                f"postgresql.verify_statement_{name}",
                round(seconds, 3),
                "s",
                round(baseline, 3),
                round(seconds / baseline, 1),
            )
            for name, seconds in statements.items()
        ],
        *incremental,
        Figure("postgresql.generate_transfers_rows", round(timings["rows"], 2), "s"),
        Figure("postgresql.generate_audit_chain", round(timings["audit"], 2), "s"),
        Figure("postgresql.generate_total", round(load.seconds, 2), "s"),
        Figure("postgresql.transfers", n, "transfers"),
    ]
