"""The security log of a time bank: sign-ins and failures, sign-outs, password changes
and resets, limits reached, MFA events, role changes and sessions ended, for the
bank's members, newest first, a page at a time, filtered by kind."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from timebank.auth.security_wording import KIND_LABELS, event_rows
from timebank.community.security_events import PER_PAGE, list_bank_events
from timebank.coordinators import bp
from timebank.coordinators.access import bank
from timebank.extensions import db
from timebank.ids import id_arg
from timebank.quick_gettext import lazy_gettext as _l
from timebank.select_widget import QuickSelect


class SecurityLogFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    kind = SelectField(
        _l("Kind of event"), choices=[], default="", validate_choice=True, widget=QuickSelect()
    )


@bp.get("/security-log")
def security_log():
    time_bank = bank()
    form = SecurityLogFilterForm(formdata=request.args)
    form.kind.choices = [
        SelectChoice("", _("Any kind")),
        *(SelectChoice(kind, str(label)) for kind, label in KIND_LABELS.items()),
    ]
    valid = form.validate()
    kind = form.kind.data or None if valid else None
    rows, page = [], None
    if valid:
        page = list_bank_events(
            db.session(),
            time_bank.id,
            kind=kind,
            before=request.args.get("before", type=id_arg),
            after=request.args.get("after", type=id_arg),
        )
        rows = event_rows(db.session(), page.rows, time_bank.timezone)
    filter_args = {"kind": kind} if kind else {}
    return render_template(
        "coordinators/security_log.html",
        bank=time_bank,
        form=form,
        valid=valid,
        rows=rows,
        page=page,
        kind=kind,
        filter_args=filter_args,
        per_page=PER_PAGE,
    ), 200 if valid else 400
