"""Changing one's email address: after confirming it's you (timebank.auth.recent), a link
goes to the new address, and the address changes only when that link is opened and its
button pressed (a mail scanner that opens links changes nothing). The old address is
told. Both steps are in the security event log, without either address.

The answer is the same whether or not the new address already has an account (nobody
learns which addresses do); the mail to such an address says that nothing changed.

The link carries the person's id, the new address and their current address's
fingerprint, encrypted and authenticated (Fernet, a key derived from ``SECRET_KEY``),
so the address is not readable in the URL; it expires after ``EMAIL_CHANGE_MAX_AGE``
seconds and works once (the fingerprint changes with the address). Links are built
from the configured origin, never the request's Host header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length

from timebank.auth.account_mail import (
    send_address_already_used,
    send_email_change_link,
    send_email_changed,
)
from timebank.auth.recent import recent_sign_in_required
from timebank.auth.security import ActionForm
from timebank.auth.security_log import log_event
from timebank.auth.views import bp
from timebank.community.people import get_person_by_email
from timebank.community.security_events import EMAIL_CHANGE_REQUESTED, EMAIL_CHANGED
from timebank.extensions import db
from timebank.ledger import clock
from timebank.ledger.models import Person
from timebank.links import external_url
from timebank.quick_gettext import lazy_gettext as _l


class NewEmailForm(FlaskForm):
    # Not called "email": the rate limit counts this form per person, not per address.
    new_email = EmailField(
        _l("New email address"),
        validators=[
            DataRequired(_l("Enter your new email address.")),
            Email(_l("Enter an email address like name@example.org.")),
            Length(max=254, message=_l("Keep the address under 254 characters.")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


def _box() -> Fernet:
    master = str(current_app.config["SECRET_KEY"]).encode()
    key = hmac.new(master, b"timebank: email change links", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _fingerprint(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def make_change_token(person: Person, new_email: str) -> str:
    payload = json.dumps({"p": person.id, "e": new_email, "f": _fingerprint(person.email)})
    now = int(clock.now().timestamp())
    return _box().encrypt_at_time(payload.encode(), now).decode()


def _read(token: str) -> tuple[Person, str] | None:
    """The person and their new address, or None (expired, used, altered)."""
    max_age = int(current_app.config["EMAIL_CHANGE_MAX_AGE"])
    now = int(clock.now().timestamp())
    try:
        payload = json.loads(_box().decrypt_at_time(token.encode(), max_age, now))
    except (InvalidToken, ValueError, UnicodeError):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("p"), int):
        return None
    person = db.session.get(Person, payload["p"])
    new_email = payload.get("e")
    if person is None or not person.is_active or not isinstance(new_email, str):
        return None
    if payload.get("f") != _fingerprint(person.email):
        return None
    return person, new_email


@bp.route("/email", methods=["GET", "POST"])
@login_required
@recent_sign_in_required()
def change_email():
    person = current_user.person
    form = NewEmailForm()
    if form.validate_on_submit():
        new_email = form.new_email.data.strip().lower()
        if new_email == person.email:
            form.new_email.errors.append(_("That is already your email address."))
        else:
            holder = get_person_by_email(db.session(), new_email)
            if holder is not None:
                send_address_already_used(holder, new_email)
            else:
                token = make_change_token(person, new_email)
                link = external_url("auth.confirm_email_change", token=token)
                minutes = int(current_app.config["EMAIL_CHANGE_MAX_AGE"]) // 60
                send_email_change_link(person, new_email, link, minutes)
            # The same event and the same answer either way.
            log_event(EMAIL_CHANGE_REQUESTED, person_id=person.id)
            return redirect(url_for("auth.change_email_sent"), code=303)
    return (
        render_template("auth/change_email.html", form=form, current=person.email),
        400 if form.errors else 200,
    )


@bp.get("/email/sent")
@login_required
def change_email_sent():
    return render_template("auth/change_email_sent.html")


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str):
    found = _read(token)
    if found is None:
        return render_template("auth/change_email_invalid.html"), 410
    person, new_email = found
    form = ActionForm()
    if form.validate_on_submit():
        if get_person_by_email(db.session(), new_email) is not None:
            # Taken since the link was sent: nothing changes.
            return render_template("auth/change_email_invalid.html"), 409
        old_email = person.email
        person.email = new_email
        try:
            db.session.commit()
        except IntegrityError:
            # Taken at this very moment by another account.
            db.session.rollback()
            return render_template("auth/change_email_invalid.html"), 409
        log_event(EMAIL_CHANGED, person_id=person.id)
        send_email_changed(person, old_email)
        flash(_("Your email address is changed. Sign in with the new one from now on."))
        if current_user.is_authenticated and current_user.person.id == person.id:
            return redirect(url_for("auth.security"), code=303)
        return redirect(url_for("auth.sign_in"), code=303)
    return render_template("auth/change_email_confirm.html", form=form, new_email=new_email)
