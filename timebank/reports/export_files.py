"""A big export written to a file by a background job, with its progress.

A bank's transfers can run to hundreds of thousands of rows: streamed in the request,
such a download holds a web worker for minutes and dies with it. Past a size, the
export is written by a job to a file in the export folder instead, and its page shows
how far it has got and offers the file when it is there.

Each export is two files named by a random token: ``<token>.json``, its state (bank,
who asked, what, filters, status, rows written of rows expected, reason of a failure),
replaced whole on every change so a reader never sees half of it; and the CSV itself,
written as ``<token>.csv.part`` and renamed to ``<token>.csv`` when complete. Writing
again from the start is always safe: a retried job (after its worker died) just writes
the file anew. The folder is shared by the app servers and the workers, as the import
folder is. Files older than ``KEEP_SECONDS`` are removed: they hold personal data.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.clock import utcnow
from timebank.ledger.models import Account, Membership, Transfer, TransferStatus
from timebank.reports.exports import (
    TransferFilter,
    balances_csv,
    members_csv,
    transfers_csv,
)

WAITING, WRITING, DONE, FAILED = "waiting", "writing", "done", "failed"
KEEP_SECONDS = 24 * 60 * 60
FILTER_KEYS = ("date_from", "date_to", "status")
_TOKEN_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True)
class ExportState:
    token: str
    time_bank_id: int
    actor_id: int
    what: str
    filename: str
    rows_total: int
    filters: dict[str, str | None] = field(default_factory=dict)
    status: str = WAITING
    rows_written: int = 0
    created_at: str = ""
    reason: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)


def expected_rows(
    session: Session, bank_id: int, what: str, filters: TransferFilter | None = None
) -> int:
    """How many rows the export will have (one cheap count, by the bank's indexes)."""
    if what == "transfers":
        filters = filters or TransferFilter()
        query = sa.select(sa.func.count(Transfer.id)).where(Transfer.time_bank_id == bank_id)
        if filters.date_from is not None:
            query = query.where(Transfer.service_date >= filters.date_from)
        if filters.date_to is not None:
            query = query.where(Transfer.service_date <= filters.date_to)
        if filters.status is not None:
            query = query.where(Transfer.status == filters.status)
    elif what == "members":
        query = sa.select(sa.func.count(Membership.id)).where(Membership.time_bank_id == bank_id)
    elif what == "balances":
        query = sa.select(sa.func.count(Account.id)).where(Account.time_bank_id == bank_id)
    else:
        raise ValueError(f"no export {what!r}")
    count = session.scalar(query) or 0
    session.rollback()
    return count


def rows_of(session: Session, state: ExportState) -> Iterator[str]:
    """The export's CSV text, in pieces, as the download in the request would give it."""
    if state.what == "transfers":
        date_from, date_to, status = (state.filters.get(k) for k in FILTER_KEYS)
        filters = TransferFilter(
            date_from=date.fromisoformat(date_from) if date_from else None,
            date_to=date.fromisoformat(date_to) if date_to else None,
            status=TransferStatus(status) if status else None,
        )
        return transfers_csv(session, state.time_bank_id, filters)
    if state.what == "members":
        return members_csv(session, state.time_bank_id)
    if state.what == "balances":
        return balances_csv(session, state.time_bank_id)
    raise ValueError(f"no export {state.what!r}")


class ExportFolder:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _state_path(self, token: str) -> Path:
        if not token or not set(token) <= _TOKEN_CHARACTERS:
            raise KeyError(token)
        return self.path / f"{token}.json"

    def file_path(self, token: str) -> Path:
        return self._state_path(token).with_suffix(".csv")

    def create(
        self,
        *,
        time_bank_id: int,
        actor_id: int,
        what: str,
        filename: str,
        rows_total: int,
        filters: dict[str, str | None] | None = None,
    ) -> ExportState:
        state = ExportState(
            token=secrets.token_urlsafe(24),
            time_bank_id=time_bank_id,
            actor_id=actor_id,
            what=what,
            filename=filename,
            rows_total=rows_total,
            filters=dict(filters or {}),
            created_at=utcnow().isoformat(),
        )
        self.save(state)
        return state

    def save(self, state: ExportState) -> None:
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = self._state_path(state.token)
        part = target.with_suffix(".json.part")
        part.write_text(json.dumps(asdict(state)), encoding="utf-8")
        os.replace(part, target)

    def load(self, token: str) -> ExportState | None:
        try:
            raw: dict[str, Any] = json.loads(self._state_path(token).read_text(encoding="utf-8"))
        except (KeyError, OSError, ValueError):
            return None
        return ExportState(**raw)

    def fail(self, token: str, reason: str) -> ExportState | None:
        """Mark the export failed (unless it has finished); its partial file goes."""
        state = self.load(token)
        if state is None or state.finished:
            return state
        self.file_path(token).with_suffix(".csv.part").unlink(missing_ok=True)
        failed = replace(state, status=FAILED, reason=reason)
        self.save(failed)
        return failed

    def write(
        self,
        token: str,
        pieces: Callable[[ExportState], Iterator[str]],
        *,
        on_progress: Callable[[ExportState], None] | None = None,
    ) -> ExportState | None:
        """Write the export from the start; the state says how many rows are written
        after each piece. Returns the final state (None if the export is gone)."""
        state = self.load(token)
        if state is None or state.status == DONE:
            return state
        state = replace(state, status=WRITING, rows_written=0, reason=None)
        self.save(state)
        part = self.file_path(token).with_suffix(".csv.part")
        header_seen = False
        with part.open("w", encoding="utf-8", newline="") as handle:
            for piece in pieces(state):
                handle.write(piece)
                rows = sum(1 for _ in csv.reader(io.StringIO(piece)))
                if not header_seen:
                    rows, header_seen = rows - 1, True
                if rows:
                    state = replace(state, rows_written=state.rows_written + rows)
                    self.save(state)
                    if on_progress is not None:
                        on_progress(state)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, self.file_path(token))
        state = replace(state, status=DONE, rows_total=max(state.rows_total, state.rows_written))
        self.save(state)
        return state

    def remove_stale(self, now: float | None = None) -> None:
        cutoff = (now if now is not None else time.time()) - KEEP_SECONDS
        if not self.path.is_dir():
            return
        for path in self.path.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                pass
