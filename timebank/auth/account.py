"""Your sign-in and security: change your password (with the current one), and the
recent security events of your own account."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from timebank.auth.new_password import replace_password
from timebank.auth.password_policy import NewPassword
from timebank.auth.passwords import verify_password
from timebank.auth.recent import recent_sign_in_required
from timebank.auth.security import ActionForm
from timebank.auth.security_log import log_event
from timebank.auth.security_wording import event_rows
from timebank.auth.session_list import open_sessions
from timebank.auth.sessions import SESSION_KEY, current_session_id
from timebank.auth.user import SignedInPerson
from timebank.auth.views import bp
from timebank.community import two_step
from timebank.community.security_events import (
    PASSWORD_CHANGED,
    REAUTHENTICATION_FAILED,
    list_own_events,
)
from timebank.extensions import db
from timebank.quick_gettext import lazy_gettext as _l

RECENT_EVENTS = 20


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Your current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Choose a new password.")), NewPassword()],
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


@bp.get("/security")
@login_required
def security():
    person = current_user.person
    rows = event_rows(db.session(), list_own_events(db.session(), person.id, limit=RECENT_EVENTS))
    return render_template(
        "auth/security.html",
        rows=rows,
        shown=RECENT_EVENTS,
        status=two_step.status(db.session(), person),
        required=two_step.is_required(person),
        action_form=ActionForm(),
        sessions=open_sessions(person.id),
    )


@bp.route("/password", methods=["GET", "POST"])
@login_required
@recent_sign_in_required()
def change_password():
    person = current_user.person
    form = ChangePasswordForm()
    form.password_context = {"email": person.email, "display_name": person.display_name}
    if form.validate_on_submit():
        if not verify_password(person.password_hash, form.current_password.data):
            log_event(
                REAUTHENTICATION_FAILED, person_id=person.id, details={"for": PASSWORD_CHANGED}
            )
            form.current_password.errors.append(_("That is not your current password."))
        elif form.password.data == form.current_password.data:
            form.password.errors.append(_("Choose a password different from your current one."))
        else:
            # Every other session ends (a copied cookie stops working); this one goes on.
            replace_password(
                person,
                form.password.data,
                because=PASSWORD_CHANGED,
                keep_session_id=current_session_id(),
            )
            db.session.commit()
            membership_id = session.get("membership_id")
            kept = session.get(SESSION_KEY)
            session.clear()
            # The session's row goes on (a new cookie, the same session in the list).
            session[SESSION_KEY] = kept
            login_user(SignedInPerson(person))
            if membership_id is not None:
                session["membership_id"] = membership_id
            flash(
                _(
                    "Your new password is saved. You are still signed in here; everywhere"
                    " else you have been signed out."
                )
            )
            return redirect(url_for("auth.security"), code=303)
    return render_template("auth/change_password.html", form=form), 400 if form.errors else 200
