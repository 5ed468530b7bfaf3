"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from timebank.auth.forms import SignInForm
from timebank.auth.passwords import hash_password, needs_rehash, verify_password
from timebank.auth.user import SignedInPerson
from timebank.extensions import db
from timebank.ledger.banks import get_person_by_email

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("members.dashboard")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("members.dashboard"))
    form = SignInForm()
    if form.validate_on_submit():
        person = get_person_by_email(db.session, form.email.data)
        hashed = person.password_hash if person is not None else None
        if person is not None and person.is_active and verify_password(hashed, form.password.data):
            if needs_rehash(person.password_hash):
                person.password_hash = hash_password(form.password.data)
                db.session.commit()
            # A fresh session at sign-in: nothing from before carries over.
            session.clear()
            login_user(SignedInPerson(person))
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("That email address and password do not match."))
    return render_template("auth/sign_in.html", form=form), 200 if not form.errors else 400


@bp.post("/sign-out")
@login_required
def sign_out():
    # Ends every session of this person on the server, not only this cookie.
    current_user.person.session_version += 1
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."))
    return redirect(url_for("auth.sign_in"))


# The accept-invitation and password-reset pages live in their own modules on this
# blueprint.
from timebank.auth import apply, invitations, reset  # noqa: E402, F401
