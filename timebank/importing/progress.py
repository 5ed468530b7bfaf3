"""How far a running import has got, visible while its own transaction is uncommitted.

The import writes everything in one transaction, so its progress cannot be written
there (nobody else would see it until the end). Instead:

- PostgreSQL: each batch's count is written to the ``import_run`` row through a
  separate connection in autocommit mode, so any process (the progress page of another
  worker included) reads it at once. The import's own transaction does not touch that
  row until its very end, after the last progress write has committed, so the two
  never wait for each other.
- SQLite: a second writer would wait for the import's write lock (the app starts every
  transaction with BEGIN IMMEDIATE) and so would block, or fail after the busy
  timeout. Progress is therefore kept in this process's memory only (``REGISTRY``);
  the progress page of the same process reads it. Note that on SQLite *any* request
  that opens a transaction waits while an import runs, page loads included, because
  of BEGIN IMMEDIATE: big imports belong on PostgreSQL (see docs/import-formats.md).

Every import also updates ``REGISTRY``, whichever the engine.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa

from timebank.importing.models import ImportRun

IMPORT_RUN = cast(sa.Table, ImportRun.__table__)


@dataclass(frozen=True)
class Snapshot:
    processed_rows: int
    total_rows: int


class ProgressRegistry:
    """Per-process progress of running imports, by import run id (thread safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[int, Snapshot] = {}

    def set(self, run_id: int, processed_rows: int, total_rows: int) -> None:
        with self._lock:
            self._runs[run_id] = Snapshot(processed_rows, total_rows)

    def get(self, run_id: int) -> Snapshot | None:
        with self._lock:
            return self._runs.get(run_id)

    def forget(self, run_id: int) -> None:
        with self._lock:
            self._runs.pop(run_id, None)


REGISTRY = ProgressRegistry()


class ProgressReporter:
    """Called with the number of rows written after each batch."""

    def __init__(self, bind: sa.Engine | sa.Connection, run_id: int, total_rows: int) -> None:
        engine = bind.engine  # a session's bind: the engine, or a connection on it
        self.run_id = run_id
        self.total_rows = total_rows
        self.to_database = engine.dialect.name != "sqlite"
        self._connection: sa.Connection | None = None
        if self.to_database:
            self._connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        REGISTRY.set(run_id, 0, total_rows)

    def __call__(self, processed_rows: int) -> None:
        REGISTRY.set(self.run_id, processed_rows, self.total_rows)
        if self._connection is not None:
            self._connection.execute(
                sa.update(IMPORT_RUN)
                .where(IMPORT_RUN.c.id == self.run_id)
                .values(processed_rows=processed_rows)
            )

    def close(self) -> None:
        REGISTRY.forget(self.run_id)
        if self._connection is not None:
            self._connection.close()
            self._connection = None
