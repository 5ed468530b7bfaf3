"""Exports: the time bank's members, transfers and balances as CSV files.

Each download is recorded in the audit log before the first byte is sent (the files
carry personal data). Up to ``EXPORT_IN_REQUEST_MAX_ROWS`` rows stream from the ledger
in chunks in the request; a bigger export is written to a file by a background job
(``timebank.reports.export_files``) and the coordinator is sent to its page, which
shows how many rows are written and offers the file when it is complete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.extensions import db
from timebank.jobs import tasks
from timebank.jobs.queue import enqueue
from timebank.ledger.clock import today_in, utcnow
from timebank.ledger.database import run_in_transaction
from timebank.ledger.models import TransferStatus
from timebank.quick_gettext import lazy_gettext as _l
from timebank.reports.export_files import FAILED, ExportState, expected_rows
from timebank.reports.exports import (
    TransferFilter,
    balances_csv,
    export_filename,
    members_csv,
    record_export,
    transfers_csv,
)

STATUS_CHOICES = [
    SelectChoice("", _l("Every status")),
    SelectChoice(TransferStatus.POSTED.value, _l("Done (posted)")),
    SelectChoice(TransferStatus.PENDING.value, _l("Waiting")),
    SelectChoice(TransferStatus.REJECTED.value, _l("Not accepted")),
]


class TransferExportForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: downloading changes nothing but the audit log

    date_from = DateField(_l("From date"), validators=[Optional()])
    date_to = DateField(_l("To date"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, default="", validate_choice=True)

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_("The end date must be the same as or after the start date."))


def _page(form: TransferExportForm, status: int = 200):
    return (
        render_template(
            "coordinators/exports.html",
            bank=bank(),
            form=form,
            big_export_rows=int(current_app.config["EXPORT_IN_REQUEST_MAX_ROWS"]),
        ),
        status,
    )


@bp.get("/exports")
def exports():
    return _page(TransferExportForm(formdata=None))


# An export not finished this long after it was asked for, with no job left to write
# it, was interrupted (its worker or web process died).
INTERRUPTED_AFTER = timedelta(seconds=30)


def _download(
    what: str,
    rows: Callable[[], Iterator[str]],
    filters: dict | None = None,
    transfer_filter: TransferFilter | None = None,
) -> Any:
    time_bank, actor = bank(), coordinator()
    filename = export_filename(time_bank, what, today_in(time_bank.timezone))
    total = expected_rows(db.session(), time_bank.id, what, transfer_filter)
    run_in_transaction(
        db.session(),
        lambda: record_export(
            db.session(), actor=actor, bank=time_bank, what=what, filters=filters
        ),
    )
    if total > int(current_app.config["EXPORT_IN_REQUEST_MAX_ROWS"]):
        folder = tasks.export_folder()
        folder.remove_stale()
        state = folder.create(
            time_bank_id=time_bank.id,
            actor_id=actor.id,
            what=what,
            filename=filename,
            rows_total=total,
            filters=filters,
        )
        try:
            enqueue(tasks.write_export, state.token, name=tasks.export_job_name(state.token))
        except Exception as error:  # Redis cannot be reached: the page says so
            current_app.logger.warning("export not queued (%s)", type(error).__name__)
            folder.fail(state.token, tasks.EXPORT_INTERRUPTED)
        return redirect(url_for("coordinators.export_progress", token=state.token))
    response = Response(stream_with_context(rows()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/exports/members.csv")
def export_members():
    return _download("members", lambda: members_csv(db.session(), bank().id))


@bp.get("/exports/balances.csv")
def export_balances():
    return _download("balances", lambda: balances_csv(db.session(), bank().id))


@bp.get("/exports/transfers.csv")
def export_transfers():
    form = TransferExportForm(formdata=request.args)
    if not form.validate():
        return _page(form, 400)
    filters = TransferFilter(
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        status=TransferStatus(form.status.data) if form.status.data else None,
    )
    return _download(
        "transfers",
        lambda: transfers_csv(db.session(), bank().id, filters),
        filters.as_dict(),
        filters,
    )


def _export(token: str) -> ExportState:
    """The export of this bank with this token (404 for any other), called interrupted
    when no job will finish it any more."""
    folder = tasks.export_folder()
    state = folder.load(token)
    if state is None or state.time_bank_id != bank().id:
        abort(404)
    if not state.finished:
        asked = utcnow() - _parse(state.created_at)
        if asked >= INTERRUPTED_AFTER and tasks.fail_interrupted_export(token):
            state = folder.load(token) or state
    return state


def _parse(moment: str):
    from datetime import datetime

    return datetime.fromisoformat(moment)


def _reason(state: ExportState) -> str:
    if state.status != FAILED:
        return ""
    if state.reason == tasks.EXPORT_INTERRUPTED:
        return _(
            "The export was interrupted (the server writing it stopped) before it finished."
            " Ask for it again."
        )
    return _("The export stopped because of an unexpected error. Ask for it again.")


EXPORT_TITLES = {
    "members": _l("Members"),
    "transfers": _l("Exchanges"),
    "balances": _l("Balances"),
}


@bp.get("/exports/<token>")
def export_progress(token: str):
    state = _export(token)
    return render_template(
        "coordinators/export_progress.html",
        state=state,
        title=EXPORT_TITLES.get(state.what, state.what),
        reason=_reason(state),
    )


@bp.get("/exports/<token>/status")
def export_status(token: str):
    state = _export(token)
    return jsonify(
        status=state.status,
        processed_rows=state.rows_written,
        total_rows=state.rows_total,
        finished=state.finished,
        message=_reason(state),
    )


@bp.get("/exports/<token>/file")
def export_file(token: str):
    state = _export(token)
    path = tasks.export_folder().file_path(token)
    if state.status != "done" or not path.is_file():
        abort(404)
    response = send_file(
        path, mimetype="text/csv", as_attachment=True, download_name=state.filename, max_age=0
    )
    response.headers["Cache-Control"] = "no-store"
    return response
