"""Engine settings and the transaction runner that every write goes through.

PostgreSQL: the services lock the accounts a transfer touches in id order
(``SELECT ... ORDER BY id FOR UPDATE``); a deadlock or serialization failure
(SQLSTATE 40P01, 40001) or a lost race to insert something unique (an idempotency key,
an email address) rolls the whole transaction back and runs it again.

SQLite has no row locks: a transaction that writes starts with ``BEGIN IMMEDIATE`` so
writers take turns (WAL mode, ``synchronous=FULL`` - NORMAL can lose the last commits on
power loss - and foreign keys on). A transaction that only reads starts with a deferred
``BEGIN`` and takes no write lock: a page being read or an export being streamed does
not hold the writers off. Which one: ``BEGIN IMMEDIATE`` unless ``reading_only()`` is in
force (the web app sets it for GET and HEAD requests) or the connection carries the
``timebank_begin`` execution option (``read_snapshot``); ``run_in_transaction`` always
writes with ``BEGIN IMMEDIATE``, ending a deferred read transaction first.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, scoped_session

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE_SQLSTATES = {"40001", "40P01"}
# A concurrent insert of the same unique thing (an idempotency key, a person's email, a
# person's membership of a bank) by a transaction that passed the "does it exist?" check
# before the other committed: the retry finds the first one and answers as it would
# have a moment later (the same transfer, or "already signed up" at the field).
RETRYABLE_CONSTRAINTS = {
    "uq_transfer_time_bank_id_idempotency_key",
    "uq_person_email",
    "uq_membership_person_id_time_bank_id",
}


def retry_on_unique_conflict(constraint_name: str) -> None:
    """Another room's unique constraint whose concurrent-insert conflict is retried the
    same way (the retry sees the other transaction's row)."""
    RETRYABLE_CONSTRAINTS.add(constraint_name)


SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_BEGIN, READ_BEGIN = "BEGIN IMMEDIATE", "BEGIN"
# How the next SQLite transaction in this context begins (see the module's docstring).
_sqlite_begin: ContextVar[str] = ContextVar("sqlite_begin", default=WRITE_BEGIN)


@contextmanager
def reading_only() -> Iterator[None]:
    """SQLite transactions begun inside start deferred (no write lock)."""
    token = _sqlite_begin.set(READ_BEGIN)
    try:
        yield
    finally:
        _sqlite_begin.reset(token)


def begin_reads_deferred() -> object:
    """``reading_only`` for the length of a request: returns the token to pass to
    ``end_reads_deferred``."""
    return _sqlite_begin.set(READ_BEGIN)


def end_reads_deferred(token) -> None:
    try:
        _sqlite_begin.reset(token)  # type: ignore[arg-type]
    except ValueError:  # made in another context: that context's value ends with it
        _sqlite_begin.set(WRITE_BEGIN)


def configure_engine(engine: sa.Engine) -> None:
    """Apply the settings the ledger relies on. Safe to call more than once."""
    if engine.dialect.name != "sqlite" or getattr(engine, "_timebank_configured", False):
        return
    engine._timebank_configured = True  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        # Let SQLAlchemy, not pysqlite, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        begin = connection.get_execution_options().get("timebank_begin") or _sqlite_begin.get()
        connection.info["timebank_begin"] = begin
        connection.exec_driver_sql(begin)


def _end_deferred_read(session: Session) -> None:
    """On SQLite, a session still in a deferred read transaction would have to upgrade
    to write, which fails at once if anyone committed since it began: end it (it wrote
    nothing) so that the write begins with BEGIN IMMEDIATE."""
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        return
    connection = session.connection()
    if connection.dialect.name == "sqlite" and connection.info.get("timebank_begin") == READ_BEGIN:
        session.commit()


def _is_retryable(error: Exception) -> bool:
    if isinstance(error, IntegrityError):
        text = str(error.orig)
        return any(name in text for name in RETRYABLE_CONSTRAINTS) or (
            "UNIQUE constraint failed: transfer.time_bank_id, transfer.idempotency_key" in text
        )
    if isinstance(error, DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        return sqlstate in RETRYABLE_SQLSTATES
    return False


def run_in_transaction(session: Session, work: Callable[[], T], *, attempts: int = 8) -> T:
    """Run ``work`` and commit; on a retryable conflict roll back and run it again.

    Anything else (a domain error included) rolls back and propagates, so nothing of the
    operation is written. On SQLite the transaction begins with BEGIN IMMEDIATE, even
    inside ``reading_only``.
    """
    _end_deferred_read(session)
    token = _sqlite_begin.set(WRITE_BEGIN)
    try:
        for attempt in range(1, attempts + 1):
            try:
                result = work()
                session.commit()
                return result
            except Exception as error:
                session.rollback()
                if attempt < attempts and _is_retryable(error):
                    log.info("ledger transaction conflict, retrying (attempt %d)", attempt)
                    time.sleep(random.uniform(0, 0.005 * attempt))  # noqa: S311 (jitter, not a secret)
                    continue
                raise
        raise AssertionError("unreachable")
    finally:
        _sqlite_begin.reset(token)


def read_rows(session: Session, statement: sa.Executable, parameters=None) -> sa.CursorResult:
    """A read of plain columns on the session's connection, in its transaction: none of
    the ORM's per-statement work (about half a small query's client time through
    ``Session.execute``) and no autoflush, so only for reads that need no pending
    change of this session (pages' lists and counts)."""
    return session.connection().execute(statement, parameters)


@contextmanager
def read_snapshot(bind: sa.Engine | sa.Connection) -> Iterator[sa.Connection]:
    """A connection of its own whose reads all see one moment of the database, for
    checks that compare one table with another while writers carry on.

    PostgreSQL: a REPEATABLE READ, read-only transaction (at READ COMMITTED every
    statement sees a newer moment: counters read after the sums of their transfers
    include transfers the sums did not, and a live database looks inconsistent).
    SQLite: one read transaction, which in WAL mode is a snapshot too. Always rolled
    back at the end."""
    engine = bind.engine if isinstance(bind, sa.Connection) else bind
    options: dict[str, object] = {"timebank_begin": READ_BEGIN}
    if engine.dialect.name == "postgresql":
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with engine.connect().execution_options(**options) as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()
