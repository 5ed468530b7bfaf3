"""Coordinators: after an import, emailing the people it brought in (who have no
password yet) a link to choose one."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, url_for
from flask_babel import ngettext
from flask_wtf import FlaskForm

from timebank.auth.reset import make_reset_token, reset_email
from timebank.coordinators import bp
from timebank.coordinators.access import bank
from timebank.extensions import db
from timebank.importing.models import ImportRun
from timebank.ledger.models import Membership, MembershipStatus, Person, Role
from timebank.links import external_url
from timebank.mail import send_email
from timebank.web import get_in_bank


class InviteForm(FlaskForm):
    pass


def without_password_query(bank_id: int):
    return (
        sa.select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.time_bank_id == bank_id,
            Membership.status == MembershipStatus.ACTIVE,
            Membership.role != Role.PARTNER,
            Person.password_hash.is_(None),
            Person.email.is_not(None),
        )
        .order_by(Person.id)
    )


def members_without_password(bank_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(without_password_query(bank_id).subquery())
        )
        or 0
    )


@bp.post("/imports/<int:import_id>/invite")
def import_invite(import_id: int):
    """Email every active member of the bank who has no password yet (people brought
    in by an import) a link to choose one: the password-reset link, valid as long."""
    run = get_in_bank(ImportRun, import_id, bank().id)
    form = InviteForm(prefix="invite")
    if not form.validate_on_submit():
        abort(400)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    sent = 0
    for person in db.session.scalars(without_password_query(run.time_bank_id)):
        # From the configured origin, never the request's Host (issue 11, finding 1).
        link = external_url("auth.reset", token=make_reset_token(person))
        subject, text, html = reset_email(person, link, minutes)
        send_email(person.email, subject, text, html)
        sent += 1
    flash(
        ngettext(
            "Sent %(num)d person a link to choose a password.",
            "Sent %(num)d people a link to choose a password.",
            sent,
        )
    )
    return redirect(url_for("coordinators.import_detail", import_id=run.id))
