"""Donating hours to the community pot."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from timebank.extensions import db
from timebank.filters import hours
from timebank.ledger.pot import donate_to_pot
from timebank.ledger.rules import Counters
from timebank.members.error_summary import problems
from timebank.members.exchange_form import hour_choices, minute_choices, minutes_of, own_membership
from timebank.members.forms import DonateForm
from timebank.members.views import bp
from timebank.web import perform


@bp.route("/donate", methods=["GET", "POST"])
@login_required
def donate():
    membership = own_membership()
    bank = membership.time_bank
    form = DonateForm()
    form.hours.choices = hour_choices(bank)
    form.minutes.choices = minute_choices(bank)
    if not form.idempotency_key.data:
        form.idempotency_key.data = str(uuid.uuid4())
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            minutes = minutes_of(form)
            if minutes is not None:
                key = (form.idempotency_key.data or "")[:80] or None

                def work():
                    done = donate_to_pot(
                        db.session(),
                        actor=membership,
                        donor=membership.account,
                        minutes=minutes,
                        description=form.description.data or "",
                        idempotency_key=key,
                    )
                    return done.minutes

                given = perform(
                    work, form, remap={"minutes": "hours"}, own_account_id=membership.account.id
                )
                if given is not None:
                    flash(
                        _(
                            "Thank you. You gave %(time)s to the community pot.",
                            time=hours(given),
                        )
                    )
                    return redirect(url_for("members.dashboard"))
        membership = own_membership()
    counters = Counters.of(membership.account)
    available = max(counters.lowest_possible, 0)
    return (
        render_template(
            "members/donate.html",
            form=form,
            problems=problems(form),
            available=available,
            counters=counters,
            bank=membership.time_bank,
        ),
        status,
    )
