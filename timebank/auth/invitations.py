"""Joining a time bank by an invitation link: /auth/join/<token>.

Someone already signed in joins with one click; anyone else makes an account here. A
link that is unknown (404), used, withdrawn or expired (410) gives a plain page and
writes nothing. The token is a secret: it is never logged or stored (only its SHA-256).
"""

from __future__ import annotations

from flask import redirect, render_template, session, url_for
from flask_login import current_user, login_user
from flask_wtf import FlaskForm

from timebank.auth.consent import ConsentForm
from timebank.auth.forms import NewPersonForm
from timebank.auth.passwords import hash_password
from timebank.auth.user import SignedInPerson
from timebank.auth.views import bp
from timebank.community import invitations as invitation_service
from timebank.community.people import create_person
from timebank.extensions import db
from timebank.i18n import ledger_message
from timebank.ledger.database import run_in_transaction
from timebank.ledger.errors import LedgerError
from timebank.ledger.models import MembershipStatus, Person, Role, TimeBank
from timebank.quick_gettext import lazy_gettext as _l

# The role an invitation gives, as the sentence "invited to join ... as a %(role)s" says it.
ROLE_LABELS = {
    Role.MEMBER: _l("member"),
    Role.COORDINATOR: _l("coordinator"),
    Role.PARTNER: _l("partner"),
}


class JoinForm(ConsentForm, NewPersonForm):
    pass


class JoinAsMeForm(ConsentForm):
    pass


def _invalid(error: invitation_service.InvitationError):
    return render_template("auth/join_invalid.html", message=ledger_message(error)), error.status


def _page(invitation, form, status=200):
    time_bank = db.session.get(TimeBank, invitation.time_bank_id)
    # Only a member already in: an applicant, a declined applicant or a former member
    # may join by invitation (a suspended member is told so when they try).
    already = current_user.is_authenticated and any(
        m.time_bank_id == time_bank.id and m.status == MembershipStatus.ACTIVE
        for m in current_user.person.memberships
    )
    return (
        render_template(
            "auth/join.html",
            bank=time_bank,
            invitation=invitation,
            form=form,
            already_member=already,
            role_label=ROLE_LABELS[invitation.role],
        ),
        status,
    )


def _run(work, form: FlaskForm):
    """Run ``work`` in one transaction. Returns (result, None), or (None, the
    InvitationError) when the link cannot be used; other domain errors go to the form
    and give (None, None). Nothing is written unless it all succeeds."""
    try:
        return run_in_transaction(db.session(), work), None
    except invitation_service.InvitationError as error:
        return None, error
    except LedgerError as error:
        if error.field and error.field in form._fields:
            form._fields[error.field].errors = [
                *form._fields[error.field].errors,
                ledger_message(error),
            ]
        else:
            form.form_errors.append(ledger_message(error))
        return None, None


def _signed_in_to(membership_id: int) -> None:
    session["membership_id"] = membership_id


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str):
    try:
        invitation = invitation_service.find_invitation(db.session(), token)
    except invitation_service.InvitationError as error:
        return _invalid(error)

    if current_user.is_authenticated:
        form = JoinAsMeForm()
        if form.validate_on_submit():
            person = current_user.person

            def join_as_me():
                return invitation_service.accept_invitation(
                    db.session(),
                    token=token,
                    person=person,
                    consent_reporting=form.consent_reporting.data,
                    consent_research=form.consent_research.data,
                )

            membership, failure = _run(join_as_me, form)
            if failure is not None:
                return _invalid(failure)
            if membership is not None:
                _signed_in_to(membership.id)
                return redirect(url_for("members.dashboard"))
            return _page(invitation, form, 400)
        return _page(invitation, form, 400 if form.is_submitted() else 200)

    form = JoinForm()
    if form.validate_on_submit():
        # Hashed before the transaction: argon2 takes a moment and holds no lock.
        password_hash = hash_password(form.password.data)

        def register_and_join():
            person = create_person(
                db.session(),
                email=form.email.data,
                display_name=form.display_name.data,
                password_hash=password_hash,
            )
            membership = invitation_service.accept_invitation(
                db.session(),
                token=token,
                person=person,
                consent_reporting=form.consent_reporting.data,
                consent_research=form.consent_research.data,
            )
            return person.id, membership.id

        joined, failure = _run(register_and_join, form)
        if failure is not None:
            return _invalid(failure)
        if joined is not None:
            person_id, membership_id = joined
            person = db.session.get_one(Person, person_id)
            # A fresh session for the new account: nothing from before carries over.
            session.clear()
            login_user(SignedInPerson(person))
            _signed_in_to(membership_id)
            return redirect(url_for("members.dashboard"))
    return _page(invitation, form, 400 if form.errors else 200)
