"""Coordinators: import members and past exchanges from CSV.

Upload -> the file is kept in instance/imports/ under a random name -> dry run (every
bad row with its line) -> "import for real" -> a background thread writes everything
in one transaction while the progress page polls ``/status``. The file is removed once
the import has run (or at once when the dry run finds bad rows).
"""

from __future__ import annotations

import secrets
import threading
import time
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
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.extensions import db
from timebank.filters import long_date, number
from timebank.importing import Layout, file_sha256
from timebank.importing import runs as import_runs
from timebank.importing.progress import REGISTRY
from timebank.importing.words import render
from timebank.ledger.community_models import ImportRun
from timebank.web import get_in_bank

# The upload limit is MAX_CONTENT_LENGTH (timebank/config.py); this is its fallback.
DEFAULT_MAX_UPLOAD = 200 * 1024 * 1024
ERRORS_PER_PAGE = 100
# Uploaded files nobody went on to import are removed after this long.
STALE_UPLOAD_SECONDS = 24 * 60 * 60

# Background imports of this process, by run id (tests join them).
THREADS: dict[int, threading.Thread] = {}


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
        choices=[SelectChoice(layout.value, LazyString(words, layout.label)) for layout in Layout],
        default=Layout.MEMBERS.value,
    )
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file to upload."))])


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


def stored_path(run: ImportRun) -> Path | None:
    name = import_runs.details(run).get("stored_as")
    if not name:
        return None
    path = upload_folder() / Path(name).name
    return path if path.exists() else None


def _recent_runs(bank_id: int) -> list[ImportRun]:
    return list(
        db.session.scalars(
            sa.select(ImportRun)
            .where(ImportRun.time_bank_id == bank_id)
            .order_by(ImportRun.id.desc())
            .limit(20)
        )
    )


@bp.route("/imports", methods=["GET", "POST"])
def imports():
    time_bank = bank()
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        filename = (upload.filename or "upload.csv").rsplit("/", 1)[-1]
        folder = upload_folder()
        _remove_stale_uploads(folder)
        stored_as = f"{secrets.token_urlsafe(16)}.csv"
        path = folder / stored_as
        upload.save(str(path))
        sha256 = file_sha256(path)
        earlier = import_runs.find_done_with_hash(db.session, time_bank.id, sha256)
        if earlier is not None:
            path.unlink(missing_ok=True)
            form.file.errors.append(
                _(
                    "This file was already imported on %(date)s (import %(number)s)."
                    " Nothing was done.",
                    date=long_date(earlier.finished_at),
                    number=earlier.id,
                )
            )
        else:
            run = import_runs.create_run(
                db.session,
                actor=coordinator(),
                layout=Layout(form.layout.data),
                filename=filename,
                sha256=sha256,
                stored_as=stored_as,
            )
            report = import_runs.dry_run(db.session, run, path)
            if not report.ok:
                path.unlink(missing_ok=True)
            db.session.commit()
            return redirect(url_for("coordinators.import_detail", import_id=run.id))
    return render_template(
        "coordinators/imports.html",
        form=form,
        runs=_recent_runs(time_bank.id),
        layouts={layout.value: words(layout.label) for layout in Layout},
    )


def _load(import_id: int) -> ImportRun:
    return get_in_bank(ImportRun, import_id, bank().id)


@bp.get("/imports/<int:import_id>")
def import_detail(import_id: int):
    run = _load(import_id)
    info = import_runs.details(run)
    errors = import_runs.error_texts(run)
    pages = max(1, -(-len(errors) // ERRORS_PER_PAGE))
    page = request.args.get("page", 1, type=int)
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
        file_waiting=stored_path(run) is not None,
        processed=processed,
        total=total,
        form=StartForm(),
    )


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
    path = stored_path(run)
    if path is None or not import_runs.claim(db.session, run):
        db.session.rollback()
        flash(_("This import cannot be started: it has already run, or its file is gone."))
        return redirect(url_for("coordinators.import_detail", import_id=run.id))
    db.session.commit()
    start_in_background(current_app._get_current_object(), run.id, path)
    return redirect(url_for("coordinators.import_detail", import_id=run.id))


def start_in_background(app, run_id: int, path: Path) -> threading.Thread:
    def work() -> None:
        with app.app_context():
            try:
                import_runs.execute(db.session, run_id, path)
            finally:
                db.session.remove()

    thread = threading.Thread(target=work, name=f"import-{run_id}", daemon=True)
    THREADS[run_id] = thread
    thread.start()
    return thread


def wait_for_import(run_id: int, timeout: float = 60) -> None:
    """Wait for a background import of this process to end (used by tests)."""
    thread = THREADS.get(run_id)
    if thread is not None:
        thread.join(timeout)
        if not thread.is_alive():
            THREADS.pop(run_id, None)
