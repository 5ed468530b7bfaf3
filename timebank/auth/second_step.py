"""The second step of signing in, for people who have two-step sign-in on.

After the right password the session holds only "waiting for the code" (the person's
id, their session version, where to go next and when it started); nobody is signed in
until a code from the app, or an unused recovery code, is accepted. The wait lasts
``TWO_STEP_PENDING_MINUTES``. The code form is rate-limited like the password form
(timebank.auth.limits), per person and per client address.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from timebank.auth.signing_in import PENDING_KEY, finish_sign_in, pending
from timebank.auth.two_step_keys import log_two_step_event, secret_box
from timebank.auth.views import bp
from timebank.community import two_step
from timebank.community.security_events import MFA_FAILED, MFA_RECOVERY_CODE_USED
from timebank.extensions import db
from timebank.ledger.database import run_in_transaction
from timebank.navigation import home_url
from timebank.quick_gettext import lazy_gettext as _l
from timebank.safe_redirect import is_local_path


class SignInCodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Enter the code from your app.")), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"},
    )


@bp.route("/sign-in/code", methods=["GET", "POST"])
def sign_in_code():
    if current_user.is_authenticated:
        return redirect(home_url())
    found = pending()
    if found is None:
        session.pop(PENDING_KEY, None)
        flash(_("Sign in again: the time to type your code ran out."))
        return redirect(url_for("auth.sign_in"))
    person, target = found
    form = SignInCodeForm()
    if form.validate_on_submit():
        box = secret_box()
        typed = form.code.data
        accepted = run_in_transaction(
            db.session(), lambda: two_step.check_code(db.session(), box, person, typed)
        )
        if accepted is not None:
            if accepted == two_step.Accepted.RECOVERY_CODE:
                log_two_step_event(MFA_RECOVERY_CODE_USED, person.id)
            finish_sign_in(person, two_step=True)
            if accepted == two_step.Accepted.RECOVERY_CODE:
                left = two_step.status(db.session(), person).recovery_codes_left
                flash(
                    _(
                        "You used a recovery code. You have %(count)s left: make new ones on"
                        " your security page.",
                        count=left,
                    )
                )
            return redirect(target if is_local_path(target) else home_url())
        log_two_step_event(MFA_FAILED, person.id)
        form.code.errors.append(_("That code does not match. Type the 6 digits the app shows now."))
    status = 400 if form.errors else 200
    response = current_app.make_response(
        (render_template("auth/sign_in_code.html", form=form, cancel=request.path), status)
    )
    response.headers["Cache-Control"] = "no-store"
    return response
