"""The job functions: what the worker runs (and the web process, without Redis).

Each takes plain ids, reads what it needs afresh, and may run more than once with the
same effect (a retry after a failure, or after a worker was killed mid-job):

- ``send_notification_email``: sends once (``email_marks``); raises on failure so the
  queue retries it.
- ``run_import``: runs a claimed import to its end in one transaction; an import that
  is no longer "importing" is left alone, so a second run writes nothing twice, and a
  second run while the first is still going (a work-horse left running by a killed
  worker) stops before writing and is retried later. A killed worker's import rolled
  back whole, its file is still there, and the retry runs it again.
  ``fail_interrupted_import`` marks an import whose job is gone as failed.
- ``rebuild_reports``: builds a bank's reports for the usual periods into the report
  cache, so the first reader after a big change (an import) or a posting
  (``report_refresh``) does not wait.
- ``write_export``: writes a big export to its file, from the start each time.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from contextlib import ExitStack
from functools import wraps
from typing import Any

from flask import current_app, has_app_context, has_request_context

from timebank.extensions import db

log = logging.getLogger(__name__)

_APP = None


def _app():
    """The app a worker's job runs in: the current one (the worker command's, a test's),
    else one made once from the environment (``rq worker`` started by hand)."""
    global _APP
    if has_app_context():
        return current_app._get_current_object()
    if _APP is None:
        from timebank.app import create_app

        _APP = create_app(environment=os.environ.get("TIMEBANK_ENVIRONMENT", "production"))
    return _APP


def job(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run the job in an app context (and a request context on ``EXTERNAL_ORIGIN``, for the
    links in emails), with a fresh database session that is removed afterwards."""

    @wraps(function)
    def run(*args: Any) -> Any:
        app = _app()
        with ExitStack() as stack:
            if not has_app_context():
                stack.enter_context(app.app_context())
            if not has_request_context() and app.config.get("EXTERNAL_ORIGIN"):
                stack.enter_context(
                    app.test_request_context(base_url=app.config["EXTERNAL_ORIGIN"])
                )
            try:
                return function(*args)
            finally:
                db.session.remove()

    return run


# Emails -------------------------------------------------------------------------------


def _marks():
    from timebank.jobs.email_marks import EmailMarks
    from timebank.jobs.queue import queue_name, redis_connection

    connection = redis_connection()
    return EmailMarks(connection, queue_name()) if connection is not None else None


@job
def send_notification_email(notification_id: int) -> str:
    from timebank.notification_mail import deliver, mail_for

    mail = mail_for(db.session(), notification_id)
    db.session.rollback()
    if mail is None:
        return "no email wanted"
    marks = _marks()
    if marks is None:
        deliver(mail)
        return "sent"
    if not marks.claim(notification_id):
        return "already sent"
    try:
        deliver(mail)
    except Exception:
        marks.release(notification_id)
        log.warning("notification email not sent, to be tried again (%s)", notification_id)
        raise
    marks.sent(notification_id)
    return "sent"


# Imports ------------------------------------------------------------------------------


def import_job_name(run_id: int) -> str:
    return f"import-{run_id}"


@job
def run_import(run_id: int) -> str:
    from timebank.coordinators.imports import stored_paths
    from timebank.importing import runs as import_runs
    from timebank.importing.models import ImportRun

    run = db.session.get(ImportRun, run_id)
    if run is None or run.status != import_runs.IMPORTING:
        db.session.rollback()
        return "nothing to do"
    paths = stored_paths(run)
    if paths is None:
        import_runs.mark_failed(db.session(), run_id, import_runs.FILE_GONE)
        return "file gone"
    db.session.rollback()
    path, members_path = paths
    # A second delivery while the first still runs raises AlreadyRunning: the job fails
    # this try and is retried later, when the first has ended one way or the other.
    result = import_runs.execute(db.session(), run_id, path, members_path=members_path)
    if not result.ran:
        return "nothing to do"
    if result.ok and result.outcome is not None:
        # People who already had an account were invited, not enrolled: their links
        # exist only in this process's memory, so they are emailed from here.
        from timebank.invitation_mail import send_import_invitations

        send_import_invitations(result.outcome.invitations)
    if result.ok:
        from timebank.jobs.queue import enqueue

        finished = db.session.get(ImportRun, run_id)
        bank_id = finished.time_bank_id if finished is not None else None
        db.session.rollback()
        if bank_id is None:  # removed meanwhile
            return "done"
        enqueue(rebuild_reports, bank_id, name=f"reports-{bank_id}")
    return "done" if result.ok else "failed"


def fail_interrupted_import(run_id: int) -> bool:
    """Mark the import failed when it says "importing" but no job will run it any more
    (its worker or web process died, and its retries are spent). True if it was."""
    from timebank.importing import runs as import_runs
    from timebank.importing.models import ImportRun
    from timebank.jobs.queue import is_running

    run = db.session.get(ImportRun, run_id)
    if run is None or run.status != import_runs.IMPORTING:
        return False
    if is_running(import_job_name(run_id)):
        return False
    from timebank.coordinators.imports import stored_paths

    paths = stored_paths(run)
    import_runs.mark_failed(db.session(), run_id, import_runs.INTERRUPTED)
    for path in paths or ():
        if path is not None:
            path.unlink(missing_ok=True)
    return True


# Reports ------------------------------------------------------------------------------

REBUILD_ROUNDS = 3


@job
def rebuild_reports(bank_id: int) -> int:
    """Work out the coordinators' overview figures, then build the bank's report for
    this quarter, last quarter and the last 12 months, for its coordinators and its
    partners, into the cache. Returns how many reports (the overview not counted)."""
    from timebank.ledger.clock import today_in
    from timebank.ledger.database import run_in_transaction
    from timebank.ledger.models import TimeBank
    from timebank.report_views.periods import LAST_12_MONTHS, LAST_QUARTER, THIS_QUARTER, resolve
    from timebank.reports.coordinator_overview import overview_figures
    from timebank.reports.reciprocity import Audience, BankSelection, get_report
    from timebank.reports.reciprocity.cache import generation

    bank = db.session.get(TimeBank, bank_id)
    if bank is None:
        return 0
    today = today_in(bank.timezone)
    selection = BankSelection.one(bank_id)
    built = 0
    # Something posting while the reports were being built queues no second job (this
    # one is running): build again until the bank stands still, a few times at most.
    for _ in range(REBUILD_ROUNDS):
        before = generation(db.session(), selection)
        db.session.rollback()
        # The overview first: the coordinators' home page is read most after a posting.
        run_in_transaction(db.session(), lambda: overview_figures(db.session(), bank_id, today))
        for choice in (THIS_QUARTER, LAST_QUARTER, LAST_12_MONTHS):
            period = resolve(choice, today).period
            for audience in (Audience.COORDINATOR, Audience.PARTNER):

                def build(period=period, audience=audience) -> None:
                    get_report(db.session(), selection, period, audience)

                run_in_transaction(db.session(), build)
                built += 1
        after = generation(db.session(), selection)
        db.session.rollback()
        if after == before:
            break
    queue_combined_rebuilds(bank_id)
    return built


def combined_job_name(selection_key: str) -> str:
    return f"reports-combined-{hashlib.sha256(selection_key.encode()).hexdigest()[:16]}"


def queue_combined_rebuilds(bank_id: int) -> None:
    """Queue a rebuild of each combined report (several banks, this one among them) a
    partner has read, unless one is waiting: a council reading all its banks together
    finds that ready too after a posting in any of them."""
    from timebank.jobs.queue import enqueue, is_running
    from timebank.reports.reciprocity.cache import combined_selections

    selections = combined_selections(db.session(), bank_id)
    db.session.rollback()
    for selection in selections:
        name = combined_job_name(selection.key)
        if not is_running(name):
            enqueue(rebuild_combined_reports, selection.key, name=name, background=False)


@job
def rebuild_combined_reports(selection_key: str) -> int:
    """Build the partners' combined report of the banks in ``selection_key`` ("3,5,9")
    for this quarter, last quarter and the last 12 months (the first bank's calendar,
    as the partners' pages use). Returns how many."""
    from timebank.ledger.clock import today_in
    from timebank.ledger.database import run_in_transaction
    from timebank.ledger.models import TimeBank
    from timebank.report_views.periods import LAST_12_MONTHS, LAST_QUARTER, THIS_QUARTER, resolve
    from timebank.reports.reciprocity import Audience, BankSelection, get_report

    selection = BankSelection(tuple(int(part) for part in selection_key.split(",")))
    first = db.session.get(TimeBank, selection.bank_ids[0])
    if first is None:
        return 0  # the bank was removed: the report can no longer be asked for
    today = today_in(first.timezone)
    for choice in (THIS_QUARTER, LAST_QUARTER, LAST_12_MONTHS):
        period = resolve(choice, today).period

        def build(period=period) -> None:
            get_report(db.session(), selection, period, Audience.PARTNER)

        run_in_transaction(db.session(), build)
    return 3


# Exports ------------------------------------------------------------------------------


def export_job_name(token: str) -> str:
    return f"export-{token}"


def export_folder():
    from pathlib import Path

    from timebank.reports.export_files import ExportFolder

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return ExportFolder(
        Path(app.config.get("EXPORT_FOLDER") or Path(app.instance_path) / "exports")
    )


@job
def write_export(token: str) -> str:
    """Write a big export to its file (from the start: a retry writes it anew). A
    failure is recorded with its reason and raised, so the queue tries again."""
    from timebank.ledger.database import reading_only
    from timebank.reports.export_files import DONE, rows_of

    folder = export_folder()
    state = folder.load(token)
    if state is None or state.status == DONE:
        return "nothing to do"
    try:
        # Only reads: on SQLite they take no write lock, so writers carry on meanwhile.
        with reading_only():
            folder.write(token, lambda state: rows_of(db.session(), state))
    except Exception as error:
        db.session.rollback()
        log.warning("export not written (%s)", type(error).__name__)
        folder.fail(token, EXPORT_FAILED)
        raise
    return "done"


# The reasons, kept in English here and translated on the page (they are shown to the
# coordinator in their language by timebank.coordinators.exports).
EXPORT_FAILED = "failed"
EXPORT_INTERRUPTED = "interrupted"


def fail_interrupted_export(token: str) -> bool:
    """Mark an export failed when it is not finished but no job will write it any more
    (its worker or web process died, its tries spent). True if it was."""
    from timebank.jobs.queue import is_running

    folder = export_folder()
    state = folder.load(token)
    if state is None or state.finished or is_running(export_job_name(token)):
        return False
    folder.fail(token, EXPORT_INTERRUPTED)
    return True
