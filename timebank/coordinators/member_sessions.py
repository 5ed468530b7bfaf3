"""Coordinators: sign a member out everywhere (OWASP ASVS 7.4.5), from the member's
page. Asks the coordinator to confirm it is them first; written to the audit log and the
security event log, and the member is told by email. A member of another bank: 404."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from timebank.auth.account_mail import send_sessions_ended
from timebank.auth.recent import recent_sign_in_required
from timebank.auth.security_log import log_event
from timebank.community import sign_in_sessions
from timebank.community.security_events import SESSIONS_REVOKED
from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.coordinators.members import ActionForm, member_page
from timebank.extensions import db
from timebank.ledger.models import Membership
from timebank.web import get_in_bank, perform


@bp.post("/members/<int:membership_id>/sessions/end")
@recent_sign_in_required(back=member_page)
def end_member_sessions(membership_id: int):
    membership = get_in_bank(Membership, membership_id, bank().id)
    form = ActionForm()
    if form.validate_on_submit():
        actor = coordinator()
        ended = perform(
            lambda: sign_in_sessions.end_for_member(
                db.session(), actor=actor, membership=membership
            )
        )
        if ended is not None:
            log_event(
                SESSIONS_REVOKED,
                person_id=membership.person_id,
                actor_id=actor.person_id,
                time_bank_id=membership.time_bank_id,
                details={"because": "coordinator", "count": ended},
            )
            send_sessions_ended(membership.person, bank().name)
            flash(
                _(
                    "%(name)s is signed out everywhere and has been told by email.",
                    name=membership.person.display_name,
                )
            )
    return redirect(url_for("coordinators.member", membership_id=membership.id))
