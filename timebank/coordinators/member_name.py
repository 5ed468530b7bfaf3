"""Coordinators: correct a member's name, from the member's page. The person has one
name, so it changes in every time bank they belong to (``memberships.correct_name``);
the audit log records that it changed and who did it, never the names. Someone in
another bank: 404."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from timebank.community import memberships as service
from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.coordinators.members import NameForm, render_profile
from timebank.extensions import db
from timebank.ledger.models import Membership
from timebank.web import get_in_bank, perform


@bp.post("/members/<int:membership_id>/name")
def correct_name(membership_id: int):
    membership = get_in_bank(Membership, membership_id, bank().id)
    form = NameForm(prefix="name")
    if form.validate_on_submit():
        actor = coordinator()
        new_name = form.display_name.data
        changed = perform(
            lambda: service.correct_name(
                db.session(), actor=actor, membership=membership, display_name=new_name
            ),
            form,
        )
        if changed is not None:
            if changed:
                flash(
                    _(
                        "Their name is now %(name)s, in every time bank they belong to.",
                        name=new_name,
                    )
                )
            else:
                flash(_("Their name is unchanged."))
            return redirect(url_for("coordinators.member", membership_id=membership.id), code=303)
    return render_profile(membership, 400, name_form=form)
