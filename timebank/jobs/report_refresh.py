"""Rebuilding a bank's cached reports (and the coordinators' overview figures) after
something posts in it, on the job queue, so that a partner or coordinator opening a
report or their home page after an exchange does not wait for it to be built.

After each commit that posted a transfer (an exchange, a group exchange, a reversal, a
donation or grant: anything that changes the report's figures and the bank's
generation) the bank's ``rebuild_reports`` job is queued, once: while one is waiting or
running, another posting adds nothing (the job reads the ledger when it runs, and
builds again if something posted while it was building). Only with Redis
(a worker of its own) and ``REBUILD_REPORTS_AFTER_POSTING``; without Redis a report is
built when it is first read, as before.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction

from timebank.extensions import db
from timebank.ledger.models import Transfer, TransferStatus

log = logging.getLogger(__name__)

PENDING = "timebank_banks_posted"


def job_name(bank_id: int) -> str:
    return f"reports-{bank_id}"


def _posted(transfer: Transfer, new: bool) -> bool:
    if transfer.status != TransferStatus.POSTED:
        return False
    return new or inspect(transfer).attrs.status.history.has_changes()


def _collect(session: Session, flush_context: Any) -> None:
    banks = {
        t.time_bank_id for t in session.new if isinstance(t, Transfer) and _posted(t, True)
    } | {t.time_bank_id for t in session.dirty if isinstance(t, Transfer) and _posted(t, False)}
    if banks:
        session.info.setdefault(PENDING, set()).update(banks)


def _after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint released: its postings wait for the outer commit
    banks = session.info.pop(PENDING, None)
    if banks:
        queue_rebuilds(sorted(banks))


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def queue_rebuilds(bank_ids: list[int]) -> None:
    """Queue each bank's report rebuild unless one is waiting already. Never raises: a
    report not rebuilt now is built when it is read."""
    from timebank.jobs import tasks
    from timebank.jobs.queue import enqueue, is_running, redis_connection

    app = current_app
    if not app.config.get("REBUILD_REPORTS_AFTER_POSTING") or redis_connection() is None:
        return
    for bank_id in bank_ids:
        try:
            if not is_running(job_name(bank_id)):
                enqueue(tasks.rebuild_reports, bank_id, name=job_name(bank_id))
        except Exception as error:
            log.warning("report rebuild not queued (bank %s, %s)", bank_id, type(error).__name__)


_LISTENERS = (
    ("after_flush", _collect),
    ("after_commit", _after_commit),
    ("after_transaction_end", _after_transaction_end),
)


def init_report_refresh(app: Flask) -> None:
    """Listen to the Flask-SQLAlchemy session (once: ``db`` outlives each app)."""
    for name, listener in _LISTENERS:
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
