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
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.importing.applying import ImportFailed, ImportOutcome, import_file
from timebank.importing.checking import CheckReport, check_file
from timebank.importing.progress import REGISTRY, ProgressReporter
from timebank.importing.rows import Layout, load_lookups
from timebank.importing.words import Text, _l, from_json, render, to_json
from timebank.ledger.clock import utcnow
from timebank.ledger.community_models import ImportRun
from timebank.ledger.models import Membership

log = logging.getLogger(__name__)

CHECKING, CHECKED, IMPORTING, DONE, FAILED = "checking", "checked", "importing", "done", "failed"


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
) -> ImportRun:
    run = ImportRun(
        time_bank_id=actor.time_bank_id,
        created_by_id=actor.id,
        layout=str(layout),
        filename=filename[:200],
        status=CHECKING,
        message=json.dumps({"sha256": sha256, "stored_as": stored_as}),
    )
    session.add(run)
    session.flush()
    return run


def dry_run(session: Session, run: ImportRun, path: Path) -> CheckReport:
    """Check the whole file and record the outcome on ``run``. The database is read
    once, up front; the file is then read without holding a transaction."""
    lookups = load_lookups(session, run.time_bank_id)
    session.commit()  # the run row, and no transaction held while the file is read
    report = check_file(lookups, path, Layout(run.layout))
    record_check(run, report)
    return report


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
    )
    run.finished_at = utcnow()


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
    return result.rowcount == 1


@dataclass
class RunResult:
    ok: bool
    message: str
    outcome: ImportOutcome | None = None


def execute(
    session: Session,
    run_id: int,
    path: Path,
    *,
    batch_size: int | None = None,
    progress_hook: Callable[[int], None] | None = None,
    remove_file: bool = True,
) -> RunResult:
    """Run a claimed import to the end and record its outcome; commits.

    The whole import is one transaction: on any failure it is rolled back and the run
    is marked failed (in a transaction of its own) with the reason and the line. The
    uploaded file is removed afterwards unless ``remove_file`` is False (the command
    line leaves the operator's own file alone)."""
    run = session.get(ImportRun, run_id)
    if run is None:
        raise LookupError(f"no import run {run_id}")
    actor = session.get(Membership, run.created_by_id)
    sha256 = details(run).get("sha256", "")
    layout = Layout(run.layout)
    engine = session.get_bind()
    reporter = ProgressReporter(engine, run_id, run.total_rows)

    def report(rows: int) -> None:
        reporter(rows)
        if progress_hook is not None:
            progress_hook(rows)

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
        )
        session.commit()
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
        summary = _l("Nothing was imported. %(reason)s", reason=reason)
        run = session.get(ImportRun, run_id)
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
        )
        session.commit()
        return RunResult(False, message)
    finally:
        reporter.close()
        REGISTRY.forget(run_id)
        if remove_file:
            path.unlink(missing_ok=True)
