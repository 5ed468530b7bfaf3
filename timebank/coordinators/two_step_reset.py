"""Coordinators: reset a member's two-step sign-in (a lost phone and lost recovery
codes). Asks the coordinator to confirm it is them first; written to the audit log."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from timebank.auth.recent import recent_sign_in_required
from timebank.auth.two_step_keys import log_two_step_event
from timebank.community import two_step
from timebank.community.security_events import MFA_DISABLED
from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.coordinators.members import ActionForm, member_page
from timebank.extensions import db
from timebank.ledger.models import Membership
from timebank.web import get_in_bank, perform, then_true


@bp.post("/members/<int:membership_id>/two-step/reset")
@recent_sign_in_required(back=member_page)
def reset_two_step(membership_id: int):
    membership = get_in_bank(Membership, membership_id, bank().id)
    form = ActionForm()
    if form.validate_on_submit():
        actor = coordinator()
        done = perform(
            then_true(
                lambda: two_step.reset_for_member(db.session(), actor=actor, membership=membership)
            )
        )
        if done:
            log_two_step_event(
                MFA_DISABLED,
                membership.person_id,
                actor_id=actor.id,
                time_bank_id=membership.time_bank_id,
            )
            flash(
                _(
                    "Two-step sign-in is reset for %(name)s. They are signed out and set it"
                    " up again when they next sign in, if their role needs it.",
                    name=membership.person.display_name,
                )
            )
    return redirect(url_for("coordinators.member", membership_id=membership.id))
