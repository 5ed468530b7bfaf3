"""Applying to join a time bank: /auth/apply lists the time banks, /auth/apply/<slug>
asks for a name, email and password (unless already signed in), what the person can
offer and would like help with, and two separate consent choices. The account and the
application are written in one transaction; a coordinator then decides."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, render_template, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from timebank.auth.apply_mail import send_already_registered_email
from timebank.auth.consent import ConsentForm
from timebank.auth.forms import NewPersonForm
from timebank.auth.passwords import hash_password
from timebank.auth.user import SignedInPerson
from timebank.auth.views import bp
from timebank.community.people import create_person, get_person_by_email
from timebank.community.profiles import MAX_TEXT, apply_to_join
from timebank.extensions import db
from timebank.ledger.models import Membership, Person, TimeBank
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
        if form.validate_on_submit():
            # Hashed before the transaction (argon2 takes a moment and holds no lock),
            # and whether or not the address has an account, so both take as long.
            password_hash = hash_password(form.password.data)
            known = get_person_by_email(db.session(), form.email.data)
            if known is not None:
                # Never "that address has an account" to whoever typed it: its owner
                # is told by email how to apply, and the page says only that.
                send_already_registered_email(known, bank)
                return render_template("auth/apply_check_email.html", bank=bank)

            def register_and_apply():
                person = create_person(
                    db.session(),
                    email=form.email.data,
                    display_name=form.display_name.data,
                    password_hash=password_hash,
                )
                # They applied in this language: their emails and pages stay in it.
                person.preferred_locale = str(get_locale())
                apply_to_join(
                    db.session(),
                    bank=bank,
                    person=person,
                    offers=form.offers_text.data,
                    needs=form.needs_text.data,
                    consent_reporting=form.consent_reporting.data,
                    consent_research=form.consent_research.data,
                )
                return person.id

            person_id = perform(register_and_apply, form)
            if person_id is not None:
                person = db.session.get_one(Person, person_id)
                # A fresh session for the new account: nothing from before carries over.
                session.clear()
                login_user(SignedInPerson(person))
                return redirect(url_for("members.application"))
    status = 400 if form.is_submitted() else 200
    return _page(bank, form, None), status
