"""Import runs: the record of one file's dry run, progress and outcome.

``ImportRun.message`` holds a small JSON object: the file's sha256 (so the same file
is recognised if it comes again), the name it is stored under while it waits, the
warnings of the dry run and the outcome in words. ``errors_json`` holds the bad rows
found, as [[line, message], ...] (the first ``KEEP_ISSUES``; ``error_count`` is exact).

Messages are kept in English and, beside them, as templates with their parameters
(``error_texts``, ``warning_texts``, ``summary_text``: ``timebank.importing.words``), so
that the pages can show them in the reader's language.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.importing.applying import ImportFailed, import_file
from timebank.importing.balances import BalanceDifference
from timebank.importing.checking import CheckReport, check_file
from timebank.importing.identity import known_keys_in
from timebank.importing.mapping import Mapping, mapping_from_json
from timebank.importing.models import ImportRun
from timebank.importing.progress import REGISTRY, ProgressReporter
from timebank.importing.rows import Layout, load_lookups
from timebank.importing.words import Text, _l, from_json, render, to_json
from timebank.importing.writer import ImportOutcome
from timebank.ledger.clock import utcnow
from timebank.ledger.database import reading_only, run_in_transaction
from timebank.ledger.models import Membership

log = logging.getLogger(__name__)

CHECKING, CHECKED, IMPORTING, DONE, FAILED = "checking", "checked", "importing", "done", "failed"
# Uploaded, waiting for the coordinator to say which column holds which field.
MAPPING = "mapping"

# Why an import that never ran to its end failed (``mark_failed``).
INTERRUPTED = _l(
    "The import was interrupted (the server running it stopped) before it finished."
    " Upload the file again to import it."
)
FILE_GONE = _l("The uploaded file is no longer there. Upload it again to import it.")


def details(run: ImportRun) -> dict[str, Any]:
    try:
        value = json.loads(run.message or "{}")
    except ValueError:
        return {"summary": run.message}
    return value if isinstance(value, dict) else {"summary": str(value)}


def _set_details(run: ImportRun, **changes: Any) -> None:
    value = details(run)
    value.update(changes)
    run.message = json.dumps(value)


def errors_of(run: ImportRun) -> list[tuple[int, str]]:
    try:
        return [(int(line), str(message)) for line, message in json.loads(run.errors_json)]
    except (ValueError, TypeError):
        return []


def _with_texts(issues: list[tuple[int, str]], texts: Any) -> list[tuple[int, Any]]:
    """Each (line, message) with the message's Text when it was kept, else its English."""
    if not isinstance(texts, list) or len(texts) != len(issues):
        return list(issues)
    return [
        (line, from_json(text) or message)
        for (line, message), text in zip(issues, texts, strict=True)
    ]


def error_texts(run: ImportRun) -> list[tuple[int, Text | list[Text] | str]]:
    """The bad rows as (line, message), each message as a Text to be translated."""
    return _with_texts(errors_of(run), details(run).get("error_texts"))


def warning_texts(run: ImportRun) -> list[tuple[int, Text | list[Text] | str]]:
    info = details(run)
    try:
        warnings = [(int(line), str(message)) for line, message in info.get("warnings", [])]
    except (ValueError, TypeError):
        return []
    return _with_texts(warnings, info.get("warning_texts"))


def summary_text(run: ImportRun) -> Text | str:
    """The outcome in words: a Text to be translated, or the English kept before."""
    info = details(run)
    return from_json(info.get("summary_text")) or info.get("summary", "")


def find_done_with_hash(session: Session, bank_id: int, sha256: str) -> ImportRun | None:
    """An earlier import of this time bank that wrote a file with this content."""
    candidates = session.scalars(
        sa.select(ImportRun)
        .where(
            ImportRun.time_bank_id == bank_id,
            ImportRun.status == DONE,
            ImportRun.message.contains(sha256),
        )
        .order_by(ImportRun.id)
    )
    for run in candidates:
        if details(run).get("sha256") == sha256:
            return run
    return None


def create_run(
    session: Session,
    *,
    actor: Membership,
    layout: Layout,
    filename: str,
    sha256: str,
    stored_as: str,
    members_stored_as: str | None = None,
) -> ImportRun:
    """A run for one file, or (TimeOverflow's reports) for the transfers report
    ``stored_as`` with the members report ``members_stored_as``; ``sha256`` is then the
    hash of the two files' hashes."""
    info = {"sha256": sha256, "stored_as": stored_as}
    if members_stored_as is not None:
        info["members_stored_as"] = members_stored_as
    run = ImportRun(
        time_bank_id=actor.time_bank_id,
        created_by_id=actor.id,
        layout=str(layout),
        filename=filename[:200],
        status=CHECKING,
        message=json.dumps(info),
    )
    session.add(run)
    session.flush()
    return run


def dry_run(
    session: Session, run: ImportRun, path: Path, members_path: Path | None = None
) -> CheckReport:
    """Check the whole file and record the outcome on ``run``; commits.

    Nothing is written while the file is read: the time bank is read once, up front, and
    each batch's question "which of these rows are already imported?" is a short read of
    its own, all begun as reads (on SQLite, without the write lock, so members can record
    exchanges during a long check). The outcome is then written in a short transaction
    of its own."""
    bank_id, layout, mapping = run.time_bank_id, Layout(run.layout), mapping_of(run)
    session.commit()  # the run row, and no transaction held while the file is read
    with reading_only():
        lookups = load_lookups(session, bank_id)
        session.rollback()
        known = known_keys_in(session, bank_id, end_transaction=True)
        report = check_file(
            lookups, path, layout, members_path=members_path, known=known, mapping=mapping
        )
    run_in_transaction(session, lambda: record_check(run, report))
    return report


def mapping_of(run: ImportRun) -> Mapping | None:
    """The columns the coordinator matched to the layout's fields, if they did."""
    return mapping_from_json(details(run).get("mapping"))


def remember_mapping(run: ImportRun, mapping: Mapping) -> None:
    """Keep the columns chosen: the dry run and the real import both read with them."""
    _set_details(run, mapping=dict(mapping))


def can_map(run: ImportRun) -> bool:
    """Whether the run's columns may be chosen (again): it waits for them, or it was
    checked clean and not started."""
    return run.status == MAPPING or (run.status == CHECKED and run.error_count == 0)


def begin_check(session: Session, run: ImportRun) -> bool:
    """Move a run whose columns may be chosen back to checking; False if it was not (or
    no longer) such a run. A conditional UPDATE, so it cannot cross "import for real"."""
    result = session.execute(
        sa.update(ImportRun)
        .where(
            ImportRun.id == run.id,
            sa.or_(
                ImportRun.status == MAPPING,
                sa.and_(ImportRun.status == CHECKED, ImportRun.error_count == 0),
            ),
        )
        .values(status=CHECKING)
        .execution_options(synchronize_session=False)
    )
    session.expire(run)
    return cast(sa.CursorResult, result).rowcount == 1


def balance_differences(run: ImportRun) -> list[BalanceDifference]:
    """The members whose balance here differs from TimeOverflow's members report."""
    try:
        return [
            BalanceDifference.from_json(value)
            for value in details(run).get("balance_differences", [])
        ]
    except (ValueError, TypeError):
        return []


def _report_details(report: CheckReport | ImportOutcome) -> dict[str, Any]:
    return {
        "repeats": report.repeats,
        "balances_checked": report.balances_checked,
        "balance_difference_count": report.balance_difference_count,
        "balance_differences": [d.as_json() for d in report.balance_differences],
    }


def record_check(run: ImportRun, report: CheckReport) -> None:
    run.status = CHECKED
    run.total_rows = report.total_rows
    run.error_count = report.error_count
    run.errors_json = json.dumps([[issue.line, issue.message] for issue in report.errors])
    _set_details(
        run,
        error_texts=[to_json(issue.text) for issue in report.errors],
        warnings=[[issue.line, issue.message] for issue in report.warnings],
        warning_texts=[to_json(issue.text) for issue in report.warnings],
        warning_count=report.warning_count,
        ready_rows=report.ready_rows,
        new_members=report.new_members,
        stand_ins=report.stand_ins,
        new_organisations=report.new_organisations,
        file_problem=report.file_problem,
        no_rows=report.no_rows,
        **_report_details(report),
    )
    run.finished_at = utcnow()


def remember_preview(run: ImportRun, rows: list[list[str]]) -> None:
    """The first rows of the file as read (``timebank.importing.preview``)."""
    _set_details(run, preview=rows)


def claim(session: Session, run: ImportRun) -> bool:
    """Move a clean, checked run to importing; False if it was not (or no longer) so.

    A conditional UPDATE, so two clicks (or two coordinators) start it only once."""
    result = session.execute(
        sa.update(ImportRun)
        .where(ImportRun.id == run.id, ImportRun.status == CHECKED, ImportRun.error_count == 0)
        .values(status=IMPORTING, processed_rows=0, started_at=utcnow(), finished_at=None)
        .execution_options(synchronize_session=False)
    )
    session.expire(run)
    return cast(sa.CursorResult, result).rowcount == 1


def _record_failure(
    session: Session, run_id: int, reason: Text | list[Text], problem: Any, errors: list
) -> None:
    summary = _l("Nothing was imported. %(reason)s", reason=reason)
    run = session.get(ImportRun, run_id)
    if run is None:  # removed meanwhile: nothing left to record the failure on
        return
    if run.status != IMPORTING:
        # Recorded already (the import ran to its end in another process, or was
        # called interrupted): that outcome stands.
        session.rollback()
        return
    run.status = FAILED
    run.processed_rows = 0
    run.finished_at = utcnow()
    run.errors_json = json.dumps(errors)
    _set_details(
        run,
        summary=str(summary),
        summary_text=to_json(summary),
        error_texts=[to_json(problem)],
        stored_as=None,
        members_stored_as=None,
    )
    session.commit()


def mark_failed(session: Session, run_id: int, reason: Text) -> None:
    """Record that an import ended without running (nothing of it was written): its file
    went missing, or the process running it died. Commits."""
    session.rollback()
    _record_failure(session, run_id, reason, reason, [[0, str(reason)]])
    REGISTRY.forget(run_id)


@dataclass
class RunResult:
    ok: bool
    message: str
    outcome: ImportOutcome | None = None
    ran: bool = True


class AlreadyRunning(RuntimeError):
    """Another process is running this import at this moment (a second delivery of its
    job while the first still runs, e.g. in a work-horse whose worker was killed)."""


def import_lock_key(run_id: int) -> sa.ColumnElement[bool]:
    """The transaction-scoped advisory lock that holds an import run, tried without
    waiting. Advisory locks belong to the whole database, while run ids count from 1 in
    every schema: the first key is a hash of the schema's name, so installations (or test
    workers) that share a database in schemas of their own never hold each other's runs.
    The second key is the run's id."""
    schema = sa.func.coalesce(sa.func.current_schema(), "")
    space = sa.func.hashtext(sa.literal("timebank import ") + schema)
    return sa.func.pg_try_advisory_xact_lock(space, run_id)


def _hold(session: Session, run_id: int) -> bool:
    """Hold the run for this transaction, then say whether it is still to be imported.

    PostgreSQL: a transaction-scoped advisory lock (released by commit, rollback or the
    connection's end, so also when the process dies; it outlives no transaction, so it
    is safe behind pgbouncer in transaction mode); if another transaction holds it,
    ``AlreadyRunning``. It is not a row lock on the run because the progress is written
    to that row from another connection while the import runs. SQLite: the import's
    transaction begins IMMEDIATE, so a second one waits for the first to end. Either
    way the status is read after that, so a run finished meanwhile is seen as such."""
    if session.get_bind().dialect.name == "postgresql":
        held = session.scalar(sa.select(import_lock_key(run_id)))
        if not held:
            session.rollback()
            raise AlreadyRunning(f"import {run_id} is running in another process")
    status = session.scalar(sa.select(ImportRun.status).where(ImportRun.id == run_id))
    return status == IMPORTING


def execute(
    session: Session,
    run_id: int,
    path: Path,
    *,
    batch_size: int | None = None,
    progress_hook: Callable[[int], None] | None = None,
    remove_file: bool = True,
    members_path: Path | None = None,
) -> RunResult:
    """Run a claimed import to the end and record its outcome; commits.

    The whole import is one transaction: on any failure it is rolled back and the run
    is marked failed (in a transaction of its own) with the reason and the line. The
    uploaded file is removed afterwards unless ``remove_file`` is False (the command
    line leaves the operator's own file alone). Something stronger than an error (the
    worker stopping: ``BaseException``) rolls back too but records nothing and keeps
    the file: the run stays "importing" for the job's retry.

    Run twice at once (a job delivered again while its first run still goes on), the
    second raises ``AlreadyRunning`` and writes nothing; run after the first has ended,
    it finds the run no longer importing and returns with ``ran`` False."""
    if not _hold(session, run_id):
        session.rollback()
        return RunResult(False, "not importing", ran=False)
    run = session.get(ImportRun, run_id)
    if run is None:
        raise LookupError(f"no import run {run_id}")
    actor = session.get(Membership, run.created_by_id)
    if actor is None:
        raise LookupError(f"import run {run_id} names no coordinator")
    sha256 = details(run).get("sha256", "")
    layout = Layout(run.layout)
    engine = session.get_bind()
    reporter = ProgressReporter(engine, run_id, run.total_rows)

    def report(rows: int) -> None:
        reporter(rows)
        if progress_hook is not None:
            progress_hook(rows)

    # The file is removed only once the outcome is on record: an import stopped from
    # outside (a worker told to stop, or killed) leaves it for the job's retry.
    recorded = False
    try:
        options = {"batch_size": batch_size} if batch_size else {}
        outcome = import_file(
            session,
            actor=actor,
            path=path,
            layout=layout,
            sha256=sha256,
            import_run_id=run_id,
            progress=report,
            members_path=members_path,
            mapping=mapping_of(run),
            **options,
        )
        run.status = DONE
        run.processed_rows = outcome.rows
        run.total_rows = outcome.rows
        run.finished_at = utcnow()
        _set_details(
            run,
            summary=outcome.describe(),
            summary_text=to_json(outcome.describe_text()),
            stored_as=None,
            members_stored_as=None,
            **_report_details(outcome),
        )
        session.commit()
        recorded = True
        return RunResult(True, outcome.describe(), outcome)
    except Exception as error:
        session.rollback()
        reason: Text | list[Text]
        if isinstance(error, ImportFailed):
            reason, problem = error.described, error.text
            errors = [[error.line or 0, error.message]]
        else:
            log.exception("import %s failed", run_id)
            reason = problem = _l(
                "The import stopped because of an unexpected error: %(error)s",
                error=error.__class__.__name__,
            )
            errors = [[0, str(reason)]]
        message = render(reason)
        _record_failure(session, run_id, reason, problem, errors)
        recorded = True
        return RunResult(False, message)
    finally:
        reporter.close()
        REGISTRY.forget(run_id)
        if remove_file and recorded:
            path.unlink(missing_ok=True)
            if members_path is not None:
                members_path.unlink(missing_ok=True)
