"""Confirming an application by the link emailed to the address:
/auth/apply/confirm/<token>.

Opening the link shows one button (a POST with its CSRF token: a mail scanner that
follows links creates nothing). Confirming creates the person, their address marked as
verified, and their application, in one transaction, then signs them in on a fresh
session. A link that is unknown or used (404) or expired (410) gives a plain page with
a way to apply again, and writes nothing. If the address got an account since, no
second one is made: the page says to sign in and apply. The token is never logged
(timebank/auth/reset.py hides it in the request log) or stored (only its SHA-256).
"""

from __future__ import annotations

from flask import make_response, redirect, render_template, url_for
from flask_wtf import FlaskForm

from timebank.auth.signing_in import finish_sign_in
from timebank.auth.views import bp
from timebank.community import pending_applications
from timebank.extensions import db
from timebank.ledger.models import Person, TimeBank
from timebank.web import perform


class ConfirmApplicationForm(FlaskForm):
    pass


def _page(body: str, status: int):
    # Reached by a secret link, and naming the applicant: kept out of every cache.
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _invalid(error: pending_applications.PendingLinkError):
    return _page(render_template("auth/apply_link_invalid.html"), error.status)


@bp.route("/apply/confirm/<token>", methods=["GET", "POST"])
def apply_confirm(token: str):
    try:
        pending = pending_applications.find_pending(db.session(), token)
    except pending_applications.PendingLinkError as error:
        return _invalid(error)
    bank = db.session.get_one(TimeBank, pending.time_bank_id)
    form = ConfirmApplicationForm()
    if form.validate_on_submit():

        def confirm():
            membership = pending_applications.confirm_application(db.session(), token=token)
            return membership.person_id if membership is not None else 0

        try:
            person_id = perform(confirm, form)
        except pending_applications.PendingLinkError as error:
            # Opened twice at once: the other one used it.
            return _invalid(error)
        if person_id == 0:
            return _page(render_template("auth/apply_already_registered.html", bank=bank), 409)
        if person_id is not None:
            person = db.session.get_one(Person, person_id)
            # A fresh session for the new account: nothing from before carries over.
            finish_sign_in(person)
            return redirect(url_for("members.application"))
    page = render_template(
        "auth/apply_confirm.html", bank=bank, form=form, name=pending.display_name
    )
    return _page(page, 400 if form.errors else 200)
