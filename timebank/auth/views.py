"""Signing in and out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from timebank.auth import known_devices
from timebank.auth.forms import SignInForm
from timebank.auth.limits import account_key
from timebank.auth.passwords import hash_password, needs_rehash, verify_password
from timebank.auth.security_log import log_event
from timebank.auth.sessions import forget
from timebank.auth.signing_in import begin_second_step, finish_sign_in
from timebank.community import sign_in_sessions, two_step
from timebank.community.people import get_person_by_email
from timebank.community.security_events import (
    SIGN_IN_FAILED,
    SIGN_OUT,
    record_security_event,
)
from timebank.community.sign_in_sessions import Ended
from timebank.extensions import db
from timebank.navigation import home_url
from timebank.safe_redirect import is_local_path

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(home_url())
    form = SignInForm()
    if form.validate_on_submit():
        person = get_person_by_email(db.session(), form.email.data)
        hashed = person.password_hash if person is not None else None
        # The password is checked first, always: for an unknown address, a closed
        # account or one with no password yet it is checked against a dummy hash, so
        # the answer takes as long whether or not the address has an account.
        matches = verify_password(hashed, form.password.data)
        if matches and person is not None and person.is_active:
            known = known_devices.is_known_for(account_key())
            if needs_rehash(person.password_hash):
                person.password_hash = hash_password(form.password.data)
                db.session.commit()
            target = request.args.get("next")
            if two_step.is_on(db.session(), person):
                # Nobody is signed in until the code is given too.
                begin_second_step(person, target)
                return redirect(url_for("auth.sign_in_code"))
            finish_sign_in(person, known_device=known)
            response = redirect(target if is_local_path(target) else home_url())
            known_devices.remember(response, account_key())
            return response
        # Written for an unknown address too (with no person), so a failure takes as
        # long either way; the address itself is never stored.
        log_event(SIGN_IN_FAILED, person_id=person.id if person is not None else None)
        form.password.errors.append(_("That email address and password do not match."))
    return render_template("auth/sign_in.html", form=form), 200 if not form.errors else 400


@bp.post("/sign-out")
@login_required
def sign_out():
    # Ends every session of this person on the server, not only this cookie.
    person = current_user.person
    person.session_version += 1
    sign_in_sessions.end_all(db.session(), person_id=person.id, reason=Ended.SIGNED_OUT)
    record_security_event(db.session(), kind=SIGN_OUT, person_id=person.id)
    db.session.commit()
    logout_user()
    session.clear()
    forget()
    flash(_("You have signed out."))
    return redirect(url_for("auth.sign_in"))


# The accept-invitation, password-reset, account, two-step and confirm pages live in
# their own modules on this blueprint.
from timebank.auth import (  # noqa: E402, F401
    account,
    api_tokens,
    apply,
    apply_confirm,
    confirm,
    email_change,
    invitations,
    name_change,
    recent,
    reset,
    second_step,
    security,
    session_list,
)
