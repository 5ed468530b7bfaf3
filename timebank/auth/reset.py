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

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from timebank.auth import known_devices
from timebank.auth.limits import key_for_email
from timebank.auth.new_password import replace_password
from timebank.auth.password_policy import NewPassword
from timebank.auth.security_log import log_event
from timebank.auth.signing_in import begin_second_step, finish_sign_in
from timebank.auth.views import bp
from timebank.community import two_step
from timebank.community.people import get_person_by_email
from timebank.community.security_events import (
    PASSWORD_RESET,
    PASSWORD_RESET_REQUESTED,
)
from timebank.extensions import db
from timebank.i18n import LANGUAGES, current_language
from timebank.ledger import clock
from timebank.ledger.models import Person
from timebank.links import external_url
from timebank.mail import send_email
from timebank.quick_gettext import lazy_gettext as _l

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
            NewPassword(),
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


class _BankClockSigner(TimestampSigner):
    """Signs with the time from the bank's clock, as everything else is timed."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=SALT, signer=_BankClockSigner
    )


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
        person = get_person_by_email(db.session(), form.email.data)
        # Logged for an unknown address too (with no person), so the answer takes as
        # long either way.
        log_event(PASSWORD_RESET_REQUESTED, person_id=person.id if person is not None else None)
        if person is not None and person.is_active:
            link = external_url("auth.reset", token=make_reset_token(person))
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
    form.password_context = {"email": person.email, "display_name": person.display_name}
    if form.validate_on_submit():
        # Every other session of this person ends; the link stops working too.
        replace_password(person, form.password.data, because=PASSWORD_RESET)
        db.session.commit()
        if two_step.is_on(db.session(), person):
            # A reset link proves the mailbox, not the phone: the code is still needed.
            begin_second_step(person, url_for("members.dashboard"))
            flash(_("Your new password is saved. Now type the code from your app."))
            return redirect(url_for("auth.sign_in_code"))
        finish_sign_in(person)
        flash(_("Your new password is saved and you are signed in."))
        # Whoever could open the emailed link may sign in from this browser from now on,
        # even while strangers have used up the account's sign-in limit.
        response = redirect(url_for("members.dashboard"))
        known_devices.remember(response, key_for_email(person.email))
        return response
    return render_template("auth/reset_form.html", form=form), 400 if form.errors else 200


_TOKEN_IN_PATH = re.compile(r"(/auth/(?:reset|join|apply/confirm|email/confirm)/)[^\s?\"]+")


class RedactTokens(logging.Filter):
    """Keeps reset, invitation, application-confirming and email-confirming tokens out
    of the server's request log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/auth/" in message:
            record.msg, record.args = _TOKEN_IN_PATH.sub(r"\1[hidden]", message), ()
        return True


def redact_tokens_in_request_log() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
