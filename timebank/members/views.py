"""A member's own pages: the dashboard with balance and recent exchanges."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from timebank.extensions import db
from timebank.ledger.clock import today_in
from timebank.ledger.member_figures import member_figures
from timebank.ledger.notifications import list_notifications, mark_read
from timebank.ledger.rules import Counters
from timebank.ledger.statements import list_recent_transfers

bp = Blueprint("members", __name__, url_prefix="/members")


@bp.get("/")
@login_required
def dashboard():
    membership = current_user.current_membership()
    if membership is None:
        if current_user.active_memberships():
            return redirect(url_for("members.choose_bank"))
        return render_template("members/no_membership.html")
    account = membership.account
    recent = list_recent_transfers(db.session, account, limit=10)
    bank = membership.time_bank
    figures = member_figures(db.session, account, today=today_in(bank.timezone))
    return render_template(
        "members/dashboard.html",
        membership=membership,
        bank=bank,
        account=account,
        counters=Counters.of(account),
        recent=recent,
        figures=figures,
    )


@bp.route("/time-banks", methods=["GET", "POST"])
@login_required
def choose_bank():
    memberships = current_user.active_memberships()
    if request.method == "POST":
        try:
            chosen = int(request.form.get("membership_id", ""))
        except ValueError:
            abort(400)
        if chosen not in {m.id for m in memberships}:
            abort(403)
        session["membership_id"] = chosen
        return redirect(url_for("members.dashboard"))
    return render_template("members/choose_bank.html", memberships=memberships)


@bp.get("/notifications")
@login_required
def notifications():
    """What happened to my exchanges and my membership, newest first. Opening the page
    marks them read."""
    membership = current_user.current_membership()
    if membership is None:
        return redirect(url_for("members.dashboard"))
    items = list_notifications(db.session, membership)
    unread = {n.id for n in items if n.read_at is None}
    mark_read(db.session, membership)
    db.session.commit()
    return render_template(
        "members/notifications.html", notifications=items, unread=unread, bank=membership.time_bank
    )


from timebank.members import exchanges, listings, messages, network, profile, statement  # noqa: E402, F401
