"""The "confirm it's you" page (timebank.auth.recent says when it is needed): the
password again, and a two-step code when the person has it on. Rate-limited like
signing in."""

from __future__ import annotations

from flask import redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from timebank.auth.passwords import verify_password
from timebank.auth.recent import mark_confirmed
from timebank.auth.security_log import log_event
from timebank.auth.two_step_keys import secret_box
from timebank.auth.views import bp
from timebank.community import two_step
from timebank.community.security_events import REAUTHENTICATED, REAUTHENTICATION_FAILED
from timebank.extensions import db
from timebank.ledger.database import run_in_transaction
from timebank.navigation import home_url
from timebank.quick_gettext import lazy_gettext as _l
from timebank.safe_redirect import is_local_path


class ConfirmForm(FlaskForm):
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("Code from your app, or a recovery code"),
        validators=[DataRequired(_l("Enter the code from your app.")), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"},
    )


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
def confirm():
    target = request.args.get("next")
    if not is_local_path(target):
        target = home_url()
    person = current_user.person
    needs_code = two_step.is_on(db.session(), person)
    form = ConfirmForm()
    if not needs_code:
        del form.code
    if form.validate_on_submit():
        if not verify_password(person.password_hash, form.password.data):
            form.password.errors.append(_("That password is not right."))
        elif needs_code:
            box = secret_box()
            accepted = run_in_transaction(
                db.session(), lambda: two_step.check_code(db.session(), box, person, form.code.data)
            )
            if accepted is None:
                form.code.errors.append(
                    _("That code does not match. Type the 6 digits the app shows now.")
                )
        if not form.errors:
            log_event(REAUTHENTICATED, person_id=person.id)
            mark_confirmed()
            return redirect(target)
        log_event(REAUTHENTICATION_FAILED, person_id=person.id)
    status = 400 if form.errors else 200
    return render_template("auth/confirm.html", form=form, target=target), status
