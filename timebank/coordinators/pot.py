"""Coordinators: the community pot - its balance, donations in and grants out."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from timebank.community.notifications import Kind, notify
from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.coordinators.form_helpers import (
    account_in_bank,
    hour_choices,
    minute_choices,
    to_minutes,
)
from timebank.coordinators.people_search import ACCOUNTS, PAYERS
from timebank.coordinators.queue import page_cursor
from timebank.extensions import db
from timebank.filters import hours
from timebank.ledger.models import (
    AccountKind,
    TimeBank,
    TransferKind,
)
from timebank.ledger.pot import donate_to_pot, grant_from_pot
from timebank.ledger.rules import MAX_TEXT_LENGTH, format_minutes
from timebank.ledger.transfers import find_by_idempotency_key
from timebank.person_choice import PersonIdField, choose
from timebank.quick_gettext import lazy_gettext as _l
from timebank.reports.pot_history import pot_account, pot_page
from timebank.select_widget import QuickSelect
from timebank.web import perform

PAGE_SIZE = 25


class GrantForm(FlaskForm):
    counterpart_name = StringField(
        _l("Member receiving the grant"),
        validators=[Length(max=120)],
        render_kw={"autocomplete": "off"},
    )
    counterpart = PersonIdField()
    hours = SelectField(_l("Hours"), default="1", widget=QuickSelect())
    minutes = SelectField(_l("Minutes"), default="0", widget=QuickSelect())
    reason = TextAreaField(
        _l("Reason for the grant"),
        validators=[
            InputRequired(_l("Give a reason; it is kept in the record.")),
            Length(max=MAX_TEXT_LENGTH),
        ],
    )
    idempotency_key = HiddenField()


class DonationForm(FlaskForm):
    donor_name = StringField(
        _l("Who is donating"), validators=[Length(max=120)], render_kw={"autocomplete": "off"}
    )
    donor = PersonIdField()
    hours = SelectField(_l("Hours"), default="1", widget=QuickSelect())
    minutes = SelectField(_l("Minutes"), default="0", widget=QuickSelect())
    description = TextAreaField(_l("Note (optional)"), validators=[Length(max=MAX_TEXT_LENGTH)])
    idempotency_key = HiddenField()


def _grant_form(time_bank: TimeBank, **kw) -> GrantForm:
    form = GrantForm(prefix="grant", **kw)
    form.hours.choices = hour_choices(time_bank)
    form.minutes.choices = minute_choices(time_bank)
    if not form.idempotency_key.data:
        form.idempotency_key.data = str(uuid.uuid4())
    return form


def _donation_form(time_bank: TimeBank, **kw) -> DonationForm:
    form = DonationForm(prefix="donate", **kw)
    form.hours.choices = hour_choices(time_bank)
    form.minutes.choices = minute_choices(time_bank)
    if not form.idempotency_key.data:
        form.idempotency_key.data = str(uuid.uuid4())
    return form


def _grant_notice(minutes: int, reason: str | None) -> tuple[str, dict]:
    english = f"You received {format_minutes(minutes)} from the community pot. Reason: {reason}"
    return english, {"minutes": minutes, "reason": reason}


def _donation_notice(minutes: int) -> tuple[str, dict]:
    english = (
        f"A coordinator recorded your donation of {format_minutes(minutes)}"
        " to the community pot. Thank you."
    )
    return english, {"minutes": minutes, "donation": True}


def _render(grant: GrantForm, donation: DonationForm, status: int = 200):
    time_bank = bank()
    # Read as plain columns: nothing in a request changes the pot without a commit or
    # a rollback before the page is drawn.
    pot = pot_account(db.session(), time_bank.id)
    page = pot_page(db.session(), time_bank.id, pot.id, page_cursor())
    return (
        render_template(
            "coordinators/pot.html",
            bank=time_bank,
            pot=pot,
            page=page,
            grant_form=grant,
            donation_form=donation,
            TransferKind=TransferKind,
        ),
        status,
    )


@bp.get("/pot")
def pot():
    time_bank = bank()
    return _render(_grant_form(time_bank, formdata=None), _donation_form(time_bank, formdata=None))


@bp.post("/pot/grant")
def pot_grant():
    time_bank, actor = bank(), coordinator()
    form = _grant_form(time_bank)
    donation = _donation_form(time_bank, formdata=None)
    minutes = to_minutes(form.hours.data, form.minutes.data)
    valid = form.validate_on_submit()
    form.counterpart.chosen = choose(
        form.counterpart,
        form.counterpart_name,
        time_bank.id,
        ACCOUNTS,
        missing=_("Type the name of the member receiving the grant, and choose them."),
    )
    if valid and form.counterpart.chosen.id is not None:
        if minutes <= 0:
            form.hours.errors = [_("Choose how much time to grant.")]
            return _render(form, donation, 400)
        recipient = account_in_bank(form.counterpart.data, time_bank.id, (AccountKind.MEMBER,))
        if recipient is None:
            abort(404)

        key = (form.idempotency_key.data or "")[:80] or None
        already = key is not None and find_by_idempotency_key(db.session(), time_bank.id, key)

        def work():
            transfer = grant_from_pot(
                db.session(),
                actor=actor,
                recipient=recipient,
                minutes=minutes,
                reason=form.reason.data,
                idempotency_key=key,
            )
            if not already:
                english, details = _grant_notice(minutes, transfer.reason)
                notify(
                    db.session(),
                    recipient=recipient.membership,
                    kind=Kind.GRANT,
                    message=english,
                    details=details,
                    transfer_id=transfer.id,
                )
            return transfer

        transfer = perform(
            work, form, remap={"minutes": "hours", "counterpart": "counterpart_name"}
        )
        if transfer is not None:
            if already:
                flash(_("That grant was already recorded; it was not recorded twice."))
            else:
                flash(
                    _(
                        "Granted %(time)s from the pot to %(name)s. They have been told.",
                        time=hours(minutes),
                        name=recipient.label,
                    )
                )
            return redirect(url_for("coordinators.pot"))
    return _render(form, donation, 400)


@bp.post("/pot/donate")
def pot_donate():
    time_bank, actor = bank(), coordinator()
    form = _donation_form(time_bank)
    grant = _grant_form(time_bank, formdata=None)
    minutes = to_minutes(form.hours.data, form.minutes.data)
    valid = form.validate_on_submit()
    form.donor.chosen = choose(
        form.donor,
        form.donor_name,
        time_bank.id,
        PAYERS,
        missing=_("Type the name of the member or organisation donating, and choose them."),
    )
    if valid and form.donor.chosen.id is not None:
        if minutes <= 0:
            form.hours.errors = [_("Choose how much time is donated.")]
            return _render(grant, form, 400)
        donor = account_in_bank(
            form.donor.data, time_bank.id, (AccountKind.MEMBER, AccountKind.ORGANISATION)
        )
        if donor is None:
            abort(404)
        key = (form.idempotency_key.data or "")[:80] or None
        already = key is not None and find_by_idempotency_key(db.session(), time_bank.id, key)

        def work():
            transfer = donate_to_pot(
                db.session(),
                actor=actor,
                donor=donor,
                minutes=minutes,
                description=form.description.data or "",
                idempotency_key=key,
            )
            if not already and donor.membership is not None:
                english, details = _donation_notice(minutes)
                notify(
                    db.session(),
                    recipient=donor.membership,
                    kind=Kind.POSTED,
                    message=english,
                    details=details,
                    transfer_id=transfer.id,
                )
            return transfer

        transfer = perform(work, form, remap={"minutes": "hours", "counterpart": "donor_name"})
        if transfer is not None:
            if already:
                flash(_("That donation was already recorded; it was not recorded twice."))
            else:
                flash(
                    _(
                        "Recorded a donation of %(time)s from %(name)s.",
                        time=hours(minutes),
                        name=donor.label,
                    )
                )
            return redirect(url_for("coordinators.pot"))
    return _render(grant, form, 400)
