"""Coordinators: import members and past exchanges from CSV.

Upload -> the file is kept in instance/imports/ under a random name -> dry run (every
bad row with its line) -> "import for real" -> a background job (``timebank.jobs``: the
worker, or a thread of this process without Redis) writes everything in one
transaction while the progress page polls ``/status``. The file is removed once the
import has run (or at once when the dry run finds bad rows). The upload folder must be
one the worker reads too (the same machine, or a shared volume).

An import that says "importing" while no job will run it any more (the worker or the
process died and its retries are spent) is marked failed when its page is next read.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice

from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.coordinators.import_invitations import members_without_password
from timebank.extensions import db
from timebank.filters import long_date, number
from timebank.ids import id_arg
from timebank.importing import Layout, file_sha256
from timebank.importing import runs as import_runs
from timebank.importing.balances import hours_and_minutes
from timebank.importing.checking import reports_sha256
from timebank.importing.mapping import MAPPABLE, fields_of, header_matches, read_header_cells
from timebank.importing.models import ImportRun
from timebank.importing.preview import preview_rows
from timebank.importing.progress import REGISTRY
from timebank.importing.timeoverflow_reports import header_problem, members_header_problem
from timebank.importing.timeoverflow_transfers_report import transfers_header_problem
from timebank.importing.words import render
from timebank.jobs import tasks
from timebank.jobs.queue import enqueue, wait_in_process
from timebank.ledger.clock import utcnow
from timebank.ledger.database import reading_only, run_in_transaction
from timebank.quick_gettext import lazy_gettext as _l
from timebank.web import get_in_bank

log = logging.getLogger(__name__)

# The upload limit is MAX_CONTENT_LENGTH (timebank/config.py); this is its fallback.
DEFAULT_MAX_UPLOAD = 200 * 1024 * 1024
ERRORS_PER_PAGE = 100
# Uploaded files nobody went on to import are removed after this long.
STALE_UPLOAD_SECONDS = 24 * 60 * 60

# An import just claimed may not be on the queue yet: not called interrupted before this.
INTERRUPTED_AFTER = timedelta(seconds=30)


@bp.record_once
def _upload_limit(state) -> None:
    @state.app.errorhandler(413)
    def too_large(error):
        limit = state.app.config.get("MAX_CONTENT_LENGTH") or DEFAULT_MAX_UPLOAD
        detail = _(
            "The file is larger than the %(size)s limit. Nothing was uploaded. Split it into"
            " smaller files (keep the header row in each) and import them one after the other.",
            size=_size(limit),
        )
        body = render_template("error.html", title=_("That file is too large"), detail=detail)
        return body, 413


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return _("%(size)s MB", size=number(round(limit / (1024 * 1024))))
    return _("%(size)s KB", size=number(max(1, limit // 1024)))


def words(value) -> str:
    """An import's message (a Text, a list of them, or English kept before) in the
    reader's language."""
    return render(value, _)


class UploadForm(FlaskForm):
    layout = SelectField(
        _l("What the file holds"),
        # Members first: the page says to import them first, and they are the default.
        choices=[
            SelectChoice(layout.value, LazyString(words, layout.label))
            for layout in (Layout.MEMBERS, Layout.TRANSFERS, Layout.TIMEOVERFLOW_TRANSFERS)
        ],
        default=Layout.MEMBERS.value,
    )
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file to upload."))])
    choose_columns = BooleanField(_l("Let me choose which column is which before the check"))


class TimeOverflowForm(FlaskForm):
    """TimeOverflow's two reports together: the balance check needs both, and one import
    writes members and their history or nothing."""

    members_file = FileField(
        _l("Members report"),
        validators=[FileRequired(_l("Choose TimeOverflow's members report (a CSV file)."))],
    )
    transfers_file = FileField(
        _l("Transfers report"),
        validators=[FileRequired(_l("Choose TimeOverflow's transfers report (a CSV file)."))],
    )


class StartForm(FlaskForm):
    pass


def upload_folder() -> Path:
    """instance/imports (or IMPORT_FOLDER): never a folder the web server serves."""
    folder = Path(
        current_app.config.get("IMPORT_FOLDER") or Path(current_app.instance_path) / "imports"
    )
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _remove_stale_uploads(folder: Path) -> None:
    cutoff = time.time() - STALE_UPLOAD_SECONDS
    for path in folder.glob("*.csv"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


def stored_path(run: ImportRun, key: str = "stored_as") -> Path | None:
    name = import_runs.details(run).get(key)
    if not name:
        return None
    path = upload_folder() / Path(name).name
    return path if path.exists() else None


def stored_paths(run: ImportRun) -> tuple[Path, Path | None] | None:
    """The waiting file (and the members report, for TimeOverflow's two reports), or
    None when a file the run needs is gone."""
    path = stored_path(run)
    if path is None:
        return None
    if run.layout != Layout.TIMEOVERFLOW_REPORTS:
        return path, None
    members = stored_path(run, "members_stored_as")
    return (path, members) if members is not None else None


def _save(upload, folder: Path) -> tuple[str, Path]:
    stored_as = f"{secrets.token_urlsafe(16)}.csv"
    path = folder / stored_as
    upload.save(str(path))
    return stored_as, path


def _filename(upload, fallback: str) -> str:
    return (upload.filename or fallback).rsplit("/", 1)[-1]


def _already_imported_text(earlier: ImportRun) -> str:
    return _(
        "This file was already imported on %(date)s (import %(number)s). Nothing was done.",
        date=long_date(earlier.finished_at or earlier.started_at),
        number=earlier.id,
    )


def _page(form: UploadForm, timeoverflow: TimeOverflowForm):
    return render_template(
        "coordinators/imports.html",
        form=form,
        timeoverflow=timeoverflow,
        runs=_recent_runs(bank().id),
        layouts={layout.value: words(layout.label) for layout in Layout},
    )


def _recent_runs(bank_id: int) -> list[ImportRun]:
    return list(
        db.session.scalars(
            sa.select(ImportRun)
            .where(ImportRun.time_bank_id == bank_id)
            .order_by(ImportRun.id.desc())
            .limit(20)
        )
    )


@contextmanager
def without_write_lock() -> Iterator[None]:
    """An upload is received, hashed and checked without holding SQLite's write lock
    (members must not wait seconds for a big file): the request's transaction so far,
    begun with BEGIN IMMEDIATE by the sign-in check, ends here (it wrote nothing); reads
    from here begin deferred, and each write is a short transaction of its own
    (``run_in_transaction``)."""
    db.session.commit()
    with reading_only():
        yield


@bp.route("/imports", methods=["GET", "POST"])
def imports():
    if request.method != "POST":
        return _page(UploadForm(), TimeOverflowForm(prefix="timeoverflow", formdata=None))
    with without_write_lock():
        return _upload()


def _upload():
    time_bank = bank()
    form = UploadForm()
    timeoverflow = TimeOverflowForm(prefix="timeoverflow", formdata=None)
    if form.validate_on_submit():
        upload = form.file.data
        folder = upload_folder()
        _remove_stale_uploads(folder)
        stored_as, path = _save(upload, folder)
        sha256 = file_sha256(path)
        earlier = import_runs.find_done_with_hash(db.session(), time_bank.id, sha256)
        if earlier is not None:
            path.unlink(missing_ok=True)
            form.file.errors.append(_already_imported_text(earlier))
        else:
            preview = preview_rows(path)

            def create():
                run = import_runs.create_run(
                    db.session(),
                    actor=coordinator(),
                    layout=Layout(form.layout.data),
                    filename=_filename(upload, "upload.csv"),
                    sha256=sha256,
                    stored_as=stored_as,
                )
                import_runs.remember_preview(run, preview)
                if _columns_to_choose(run, path, form.choose_columns.data):
                    run.status = import_runs.MAPPING
                return run

            run = run_in_transaction(db.session(), create)
            if run.status == import_runs.MAPPING:
                return redirect(url_for("coordinators.import_columns", import_id=run.id))
            report = import_runs.dry_run(db.session(), run, path)
            if not report.ok:
                path.unlink(missing_ok=True)
            return redirect(url_for("coordinators.import_detail", import_id=run.id))
    return _page(form, timeoverflow)


def _columns_to_choose(run: ImportRun, path: Path, asked: bool) -> bool:
    """Whether the coordinator says which column is which before the check: asked for,
    or the header does not name the layout's columns (a file with no readable first
    row goes to the check, which says why)."""
    layout = Layout(run.layout)
    if layout not in MAPPABLE:
        return False
    header = read_header_cells(path)
    return header is not None and (asked or not header_matches(layout, header))


@bp.post("/imports/timeoverflow")
def import_timeoverflow():
    """Both of TimeOverflow's reports in one go: checked together, imported together."""
    with without_write_lock():
        return _upload_timeoverflow()


def _upload_timeoverflow():
    time_bank = bank()
    form = TimeOverflowForm(prefix="timeoverflow")
    if not form.validate_on_submit():
        return _page(UploadForm(formdata=None), form)
    folder = upload_folder()
    _remove_stale_uploads(folder)
    members_as, members_path = _save(form.members_file.data, folder)
    transfers_as, transfers_path = _save(form.transfers_file.data, folder)
    # Not a TimeOverflow report, or the two swapped: said on the field at once.
    wrong = False
    for field, path, problem in (
        (form.members_file, members_path, members_header_problem),
        (form.transfers_file, transfers_path, transfers_header_problem),
    ):
        text = header_problem(path, problem)
        if text is not None:
            field.errors.append(words(text))
            wrong = True
    if wrong:
        members_path.unlink(missing_ok=True)
        transfers_path.unlink(missing_ok=True)
        return _page(UploadForm(formdata=None), form)
    sha256 = reports_sha256(members_path, transfers_path)
    earlier = import_runs.find_done_with_hash(db.session(), time_bank.id, sha256)
    if earlier is not None:
        members_path.unlink(missing_ok=True)
        transfers_path.unlink(missing_ok=True)
        form.transfers_file.errors.append(
            _(
                "These two reports were already imported on %(date)s (import %(number)s)."
                " Nothing was done.",
                date=long_date(earlier.finished_at or earlier.started_at),
                number=earlier.id,
            )
        )
        return _page(UploadForm(formdata=None), form)
    run = run_in_transaction(
        db.session(),
        lambda: import_runs.create_run(
            db.session(),
            actor=coordinator(),
            layout=Layout.TIMEOVERFLOW_REPORTS,
            filename=" + ".join(
                (
                    _filename(form.members_file.data, "members.csv"),
                    _filename(form.transfers_file.data, "transfers.csv"),
                )
            ),
            sha256=sha256,
            stored_as=transfers_as,
            members_stored_as=members_as,
        ),
    )
    report = import_runs.dry_run(db.session(), run, transfers_path, members_path)
    if not report.ok:
        members_path.unlink(missing_ok=True)
        transfers_path.unlink(missing_ok=True)
    return redirect(url_for("coordinators.import_detail", import_id=run.id))


def _load(import_id: int) -> ImportRun:
    run = get_in_bank(ImportRun, import_id, bank().id)
    if (
        run.status == import_runs.IMPORTING
        and run.started_at is not None
        and utcnow() - run.started_at >= INTERRUPTED_AFTER
        and tasks.fail_interrupted_import(run.id)
    ):
        run = get_in_bank(ImportRun, import_id, bank().id)
    return run


@bp.get("/imports/<int:import_id>")
def import_detail(import_id: int):
    run = _load(import_id)
    info = import_runs.details(run)
    errors = import_runs.error_texts(run)
    pages = max(1, -(-len(errors) // ERRORS_PER_PAGE))
    page = request.args.get("page", 1, type=id_arg)
    if page < 1 or page > pages:
        abort(404)
    shown = errors[(page - 1) * ERRORS_PER_PAGE : page * ERRORS_PER_PAGE]
    processed, total = _progress(run)
    return render_template(
        "coordinators/imports_detail.html",
        run=run,
        info=info,
        errors=[(line, words(message)) for line, message in shown],
        page=page,
        pages=pages,
        kept_errors=len(errors),
        warnings=[
            (line, words(message))
            for line, message in import_runs.warning_texts(run)[:ERRORS_PER_PAGE]
        ],
        summary=words(import_runs.summary_text(run)),
        warning_count=info.get("warning_count", 0),
        layout_label=_layout_label(run.layout),
        file_waiting=stored_paths(run) is not None,
        ready_rows=info.get("ready_rows", run.total_rows),
        differences=import_runs.balance_differences(run),
        hours=hours_and_minutes,
        processed=processed,
        total=total,
        form=StartForm(),
        preview=info.get("preview") or [],
        columns=_chosen_columns(run, info.get("preview") or []),
        can_choose_columns=run.layout in MAPPABLE and import_runs.can_map(run),
        without_password=(
            members_without_password(run.time_bank_id)
            if run.status == import_runs.DONE
            and run.layout in (Layout.MEMBERS, Layout.TIMEOVERFLOW_REPORTS)
            else 0
        ),
        invite_form=StartForm(prefix="invite"),
    )


def _chosen_columns(run: ImportRun, preview: list[list[str]]) -> list[tuple[str, str]]:
    """(field, "Column 2: E-mail") for each column the coordinator chose, if they did."""
    mapping = import_runs.mapping_of(run)
    if mapping is None or run.layout not in MAPPABLE:
        return []
    header = preview[0] if preview else []
    return [
        (
            words(field.label),
            _("Column %(number)s: %(name)s", number=mapping[field.name] + 1, name=name)
            if (name := _cell(header, mapping[field.name]))
            else _("Column %(number)s (no name)", number=mapping[field.name] + 1),
        )
        for field in fields_of(Layout(run.layout))
        if field.name in mapping
    ]


def _cell(row: list[str], position: int) -> str:
    return row[position] if 0 <= position < len(row) else ""


def _layout_label(value: str) -> str:
    try:
        return words(Layout(value).label)
    except ValueError:
        return value


def _progress(run: ImportRun) -> tuple[int, int]:
    snapshot = REGISTRY.get(run.id) if run.status == import_runs.IMPORTING else None
    if snapshot is not None:
        return snapshot.processed_rows, snapshot.total_rows
    return run.processed_rows, run.total_rows


@bp.get("/imports/<int:import_id>/status")
def import_status(import_id: int):
    run = _load(import_id)
    processed, total = _progress(run)
    return jsonify(
        status=run.status,
        processed_rows=processed,
        total_rows=total,
        finished=run.status in (import_runs.DONE, import_runs.FAILED),
        message=words(import_runs.summary_text(run)),
    )


@bp.post("/imports/<int:import_id>/start")
def import_start(import_id: int):
    run = _load(import_id)
    form = StartForm()
    if not form.validate_on_submit():
        abort(400)
    paths = stored_paths(run)
    if paths is None or not import_runs.claim(db.session(), run):
        db.session.rollback()
        flash(_("This import cannot be started: it has already run, or its file is gone."))
        return redirect(url_for("coordinators.import_detail", import_id=run.id))
    db.session.commit()
    try:
        start_import(run.id)
    except Exception as error:
        # Redis cannot be reached: nothing was written, and the run says why.
        log.warning("import %s not queued (%s)", run.id, type(error).__name__)
        import_runs.mark_failed(db.session(), run.id, import_runs.INTERRUPTED)
    return redirect(url_for("coordinators.import_detail", import_id=run.id))


def start_import(run_id: int) -> None:
    """The claimed import as a background job (the worker, or a thread without Redis)."""
    enqueue(
        tasks.run_import,
        run_id,
        name=tasks.import_job_name(run_id),
        timeout=int(current_app.config.get("IMPORT_JOB_TIMEOUT") or 4 * 60 * 60),
    )


def wait_for_import(run_id: int, timeout: float = 60) -> None:
    """Wait for an import run by this process (no Redis) to end (used by tests)."""
    wait_in_process(tasks.import_job_name(run_id), timeout)
