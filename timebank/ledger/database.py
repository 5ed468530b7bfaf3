"""Engine settings and the transaction runner that every write goes through.

PostgreSQL: the services lock the accounts a transfer touches in id order
(``SELECT ... ORDER BY id FOR UPDATE``); a deadlock or serialization failure
(SQLSTATE 40P01, 40001) or a lost race to insert something unique (an idempotency key,
an email address) rolls the whole transaction back and runs it again.

SQLite has no row locks: every transaction starts with ``BEGIN IMMEDIATE`` so writers
take turns, in WAL mode with ``synchronous=FULL`` (NORMAL can lose the last commits on
power loss) and foreign keys on.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

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
SQLITE_BUSY_TIMEOUT_MS = 30_000


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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


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
    operation is written.
    """
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            session.commit()
            return result
        except Exception as error:
            session.rollback()
            if attempt < attempts and _is_retryable(error):
                log.info("ledger transaction conflict, retrying (attempt %d)", attempt)
                time.sleep(random.uniform(0, 0.005 * attempt))
                continue
            raise
    raise AssertionError("unreachable")
