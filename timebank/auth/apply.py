"""Applying to join a time bank: /auth/apply lists the time banks, /auth/apply/<slug>
asks for a name, email and password (unless already signed in), what the person can
offer and would like help with, and two separate consent choices.

Someone signed in applies at once. Someone signed out always gets the same "Check your
email" page, whether or not the address has an account: its owner is emailed either
"you already have an account: sign in and apply", or a link to confirm the application
(timebank/auth/apply_confirm.py). Nothing becomes an account until that link is
confirmed; a coordinator then decides."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from timebank.auth.apply_mail import send_already_registered_email, send_confirm_application_email
from timebank.auth.consent import ConsentForm
from timebank.auth.forms import NewPersonForm
from timebank.auth.passwords import hash_password
from timebank.auth.views import bp
from timebank.community.pending_applications import hold_application
from timebank.community.people import get_person_by_email
from timebank.community.profiles import MAX_TEXT, apply_to_join
from timebank.extensions import db
from timebank.i18n import current_language
from timebank.ledger.models import Membership, TimeBank
from timebank.mail import demo_outbox_on, demo_reader
from timebank.quick_gettext import lazy_gettext as _l
from timebank.web import perform

TOO_LONG = _l("Keep this under %(num)s characters.", num=MAX_TEXT)


class ApplyAsMeForm(ConsentForm):
    offers_text = TextAreaField(
        _l("What I can offer"), validators=[Length(max=MAX_TEXT, message=TOO_LONG)]
    )
    needs_text = TextAreaField(
        _l("What I would like help with"), validators=[Length(max=MAX_TEXT, message=TOO_LONG)]
    )


class ApplyForm(ApplyAsMeForm, NewPersonForm):
    # The order the page shows the fields in (and the error summary follows).
    field_order = (
        "display_name",
        "email",
        "password",
        "password_again",
        "offers_text",
        "needs_text",
        "consent_reporting",
        "consent_research",
    )


@bp.get("/apply")
def apply_list():
    query = sa.select(TimeBank).where(TimeBank.accepts_applications.is_(True))
    if current_user.is_authenticated:
        # A bank I already belong to, or have applied to, is not offered again.
        query = query.where(
            ~TimeBank.id.in_(
                sa.select(Membership.time_bank_id).where(
                    Membership.person_id == current_user.person.id
                )
            )
        )
    banks = db.session.scalars(query.order_by(TimeBank.name)).all()
    return render_template("auth/apply_list.html", banks=banks)


def _existing(bank: TimeBank) -> Membership | None:
    if not current_user.is_authenticated:
        return None
    return next((m for m in current_user.person.memberships if m.time_bank_id == bank.id), None)


def _page(bank: TimeBank, form: FlaskForm | None, existing: Membership | None) -> str:
    return render_template(
        "auth/apply.html",
        bank=bank,
        form=form,
        existing=existing,
    )


@bp.route("/apply/<slug>", methods=["GET", "POST"])
def apply(slug: str):
    bank = db.session.scalar(sa.select(TimeBank).where(TimeBank.slug == slug))
    if bank is None:
        abort(404)
    existing = _existing(bank)
    if existing is not None:
        return _page(bank, None, existing)
    if not bank.accepts_applications:
        # By invitation only: say so, show no form, and write nothing even if a form
        # is posted anyway (the ledger refuses too).
        return _page(bank, None, None)

    if current_user.is_authenticated:
        form = ApplyAsMeForm()
        if form.validate_on_submit():
            person = current_user.person

            def apply_as_me():
                return apply_to_join(
                    db.session(),
                    bank=bank,
                    person=person,
                    offers=form.offers_text.data,
                    needs=form.needs_text.data,
                    consent_reporting=form.consent_reporting.data,
                    consent_research=form.consent_research.data,
                ).id

            if perform(apply_as_me, form) is not None:
                return redirect(url_for("members.application"))
    else:
        form = ApplyForm()
        if form.validate_on_submit() and _hold_and_email(bank, form):
            # The same page, whoever typed which address: only the address's owner
            # learns, by email, whether it has an account.
            return render_template(
                "auth/apply_check_email.html", bank=bank, demo_outbox=demo_outbox_on()
            )
    status = 400 if form.is_submitted() else 200
    return _page(bank, form, None), status


def _hold_and_email(bank: TimeBank, form: ApplyForm) -> bool:
    """Email the address's owner: "sign in and apply" if it has an account, else a
    link to confirm the application, which waits until then. False (with the error at
    the form) if what was typed cannot be kept."""
    # Hashed whether or not the address has an account (argon2 takes a moment), and
    # before the transaction (it holds no lock), so both answers take as long.
    password_hash = hash_password(form.password.data)
    reader = demo_reader()
    known = get_person_by_email(db.session(), form.email.data)
    if known is not None:
        send_already_registered_email(known, bank, demo_reader=reader)
        return True

    def hold():
        return hold_application(
            db.session(),
            bank=bank,
            email=form.email.data,
            display_name=form.display_name.data,
            password_hash=password_hash,
            offers=form.offers_text.data,
            needs=form.needs_text.data,
            consent_reporting=form.consent_reporting.data,
            consent_research=form.consent_research.data,
            # They applied in this language: the email, and their pages, stay in it.
            locale=current_language(),
        )

    held = perform(hold, form)
    if held is None:
        return False
    pending, token = held
    send_confirm_application_email(pending, bank, token, demo_reader=reader)
    return True
