"""Password reset by an emailed, single-use, expiring link.

/auth/forgot asks for an email address and always answers the same, whether or not an
account has it. The link /auth/reset/<token> carries an itsdangerous signed token (salt
"password-reset") over the person id and a fingerprint of their current password hash
and session version: setting a new password (or signing out everywhere) changes the
fingerprint, so a link works once. It expires after PASSWORD_RESET_MAX_AGE seconds.
Neither the token nor the email address is ever logged.
"""

from __future__ import annotations

import hashlib
import logging
import re

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from timebank.auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from timebank.auth.user import SignedInPerson
from timebank.auth.views import bp
from timebank.extensions import db
from timebank.i18n import LANGUAGES, current_language
from timebank.ledger.banks import get_person_by_email
from timebank.ledger.models import Person
from timebank.mail import send_email

SALT = "password-reset"


class ForgotForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter your email address.")),
            Email(_l("Enter an email address like name@example.org.")),
            Length(max=254),
        ],
        # Phones often add a space after an address picked from the keyboard.
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "email"},
    )


class ResetForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Choose a new password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=1024,
                # WTForms fills %(min)d in.
                message=_l("Use at least %(min)d characters."),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    password_again = PasswordField(
        _l("Type the new password again"),
        validators=[
            DataRequired(_l("Type the new password again.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def fingerprint(person: Person) -> str:
    """Changes whenever the password hash or the session version changes."""
    material = f"{person.password_hash or ''}|{person.session_version}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def make_reset_token(person: Person) -> str:
    return _serializer().dumps({"p": person.id, "f": fingerprint(person)})


class LinkNotValid(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def person_for_token(token: str) -> Person:
    """The person the link is for, or LinkNotValid (410 expired/used, 400 garbled)."""
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkNotValid(410) from None
    except BadSignature:
        raise LinkNotValid(400) from None
    if not isinstance(data, dict):
        raise LinkNotValid(400)
    person = db.session.get(Person, data.get("p")) if isinstance(data.get("p"), int) else None
    if person is None or not person.is_active or data.get("f") != fingerprint(person):
        raise LinkNotValid(410)
    return person


def email_language(person: Person) -> str:
    """The language of an email to ``person``: the one they chose, else this page's."""
    if person.preferred_locale in LANGUAGES:
        return person.preferred_locale
    return current_language()


def reset_email(person: Person, link: str, minutes: int) -> tuple[str, str, str]:
    """Subject, text and HTML of the reset email, in the recipient's language."""
    values = {"name": person.display_name, "link": link, "minutes": minutes}
    with force_locale(email_language(person)):
        subject = _("Choose a new password for your time bank")
        text = render_template("email/reset_password.txt", **values)
        html = render_template("email/reset_password.html", **values)
    return subject, text, html


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        person = get_person_by_email(db.session, form.email.data)
        if person is not None and person.is_active:
            link = url_for("auth.reset", token=make_reset_token(person), _external=True)
            minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
            subject, text, html = reset_email(person, link, minutes)
            send_email(person.email, subject, text, html)
        # The same answer either way: nobody learns whether an address has an account.
        return redirect(url_for("auth.forgot_sent"), code=303)
    return render_template("auth/reset_forgot.html", form=form), 400 if form.errors else 200


@bp.get("/forgot/sent")
def forgot_sent():
    return render_template("auth/reset_sent.html")


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    try:
        person = person_for_token(token)
    except LinkNotValid as invalid:
        return render_template("auth/reset_invalid.html"), invalid.status
    form = ResetForm()
    if form.validate_on_submit():
        person.password_hash = hash_password(form.password.data)
        # Every other session of this person ends; the link stops working too.
        person.session_version += 1
        db.session.commit()
        session.clear()
        login_user(SignedInPerson(person))
        flash(_("Your new password is saved and you are signed in."))
        return redirect(url_for("members.dashboard"))
    return render_template("auth/reset_form.html", form=form), 400 if form.errors else 200


_TOKEN_IN_PATH = re.compile(r"(/auth/(?:reset|join)/)[^\s?\"]+")


class RedactTokens(logging.Filter):
    """Keeps reset (and invitation) tokens out of the server's request log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/auth/" in message:
            record.msg, record.args = _TOKEN_IN_PATH.sub(r"\1[hidden]", message), ()
        return True


def redact_tokens_in_request_log() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
