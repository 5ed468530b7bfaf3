"""The audit log: every change in the time bank, newest first, with filters, and whether
its hash chain still verifies.

The chain check reads the whole log, so it runs on every view only while the log is at
most ``AUTO_VERIFY_MAX_ENTRIES`` long (0.1-0.45 s at that size, measured); a longer
log is checked when the coordinator asks (``?check=1``), and the page says so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from timebank.coordinators import bp
from timebank.coordinators.access import bank
from timebank.extensions import db
from timebank.filters import hours, short_date
from timebank.ledger.audit_queries import (
    AUTO_VERIFY_MAX_ENTRIES,
    PER_PAGE,
    SYSTEM,
    AuditFilter,
    Wording,
    action_kinds,
    chain_length,
    list_audit,
    member_choices,
    verify_chain,
)


class ReadersWording(Wording):
    """The log in the reader's language: each template through Flask-Babel, times and
    dates as the reader's locale writes them."""

    def gettext(self, template: str, **params: Any) -> str:
        return _(template, **params)

    def minutes(self, value: int) -> str:
        return hours(value)

    def day(self, value: date) -> str:
        return short_date(value)


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    actor = SelectField(_l("Done by"), choices=[], default="", validate_choice=True)
    member = SelectField(_l("About member"), choices=[], default="", validate_choice=True)
    kind = SelectField(_l("Kind of action"), choices=[], default="", validate_choice=True)
    date_from = DateField(_l("From date"), validators=[Optional()])
    date_to = DateField(_l("To date"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_("The end date must be the same as or after the start date."))


def _form(people: list[tuple[int, str]], wording: Wording) -> AuditFilterForm:
    form = AuditFilterForm(formdata=request.args)
    named = [SelectChoice(str(membership_id), name) for membership_id, name in people]
    form.actor.choices = [
        SelectChoice("", _("Anyone")),
        SelectChoice(SYSTEM, _("The system (no person)")),
        *named,
    ]
    form.member.choices = [SelectChoice("", _("Any member")), *named]
    form.kind.choices = [
        SelectChoice("", _("Any kind")),
        *(SelectChoice(value, label) for value, label in action_kinds(wording).items()),
    ]
    return form


def _filters(form: AuditFilterForm) -> AuditFilter:
    actor = form.actor.data or None
    return AuditFilter(
        actor=actor if actor in (None, SYSTEM) else int(actor),
        member_id=int(form.member.data) if form.member.data else None,
        kind=form.kind.data or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )


def _nonnegative(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and value >= 0 else None


@bp.get("/audit")
def audit():
    time_bank = bank()
    people = member_choices(db.session, time_bank.id)
    wording = ReadersWording()
    form = _form(people, wording)
    valid = form.validate()
    page = None
    filters = AuditFilter()
    if valid:
        filters = _filters(form)
        page = list_audit(
            db.session,
            time_bank,
            filters,
            before=_nonnegative("before"),
            after=_nonnegative("after"),
            wording=wording,
        )
    length = chain_length(db.session, time_bank.id)
    check_requested = request.args.get("check") == "1"
    chain = None
    if length <= AUTO_VERIFY_MAX_ENTRIES or check_requested:
        chain = verify_chain(db.session, time_bank.id)
    filter_args = {
        name: request.args[name]
        for name in ("actor", "member", "kind", "date_from", "date_to")
        if request.args.get(name)
    }
    return render_template(
        "coordinators/audit.html",
        bank=time_bank,
        form=form,
        valid=valid,
        page=page,
        filters=filters,
        filter_args=filter_args,
        chain=chain,
        chain_length=length,
        per_page=PER_PAGE,
        auto_verify_max=AUTO_VERIFY_MAX_ENTRIES,
    )
