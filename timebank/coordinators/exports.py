"""Exports: the time bank's members, transfers and balances as CSV files, streamed.

Each download is recorded in the audit log before the first byte is sent (the files
carry personal data), then the rows stream from the ledger in chunks.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.extensions import db
from timebank.ledger.clock import today_in
from timebank.ledger.database import run_in_transaction
from timebank.ledger.exports import (
    TransferFilter,
    balances_csv,
    export_filename,
    members_csv,
    record_export,
    transfers_csv,
)
from timebank.ledger.models import TransferStatus

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
        render_template("coordinators/exports.html", bank=bank(), form=form),
        status,
    )


@bp.get("/exports")
def exports():
    return _page(TransferExportForm(formdata=None))


def _download(what: str, rows: Iterator[str], filters: dict | None = None) -> Response:
    time_bank, actor = bank(), coordinator()
    filename = export_filename(time_bank, what, today_in(time_bank.timezone))
    run_in_transaction(
        db.session,
        lambda: record_export(db.session, actor=actor, bank=time_bank, what=what, filters=filters),
    )
    response = Response(stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/exports/members.csv")
def export_members():
    return _download("members", members_csv(db.session, bank().id))


@bp.get("/exports/balances.csv")
def export_balances():
    return _download("balances", balances_csv(db.session, bank().id))


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
    return _download("transfers", transfers_csv(db.session, bank().id, filters), filters.as_dict())
