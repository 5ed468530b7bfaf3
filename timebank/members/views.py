"""A member's own pages: the dashboard with balance and recent exchanges."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from timebank.community.notifications import list_notifications, mark_read
from timebank.extensions import db
from timebank.ids import parse_id
from timebank.ledger.clock import today_in
from timebank.ledger.database import run_in_transaction
from timebank.ledger.rules import Counters
from timebank.navigation import home_url
from timebank.notification_text import describe
from timebank.reports.member_figures import year_figures
from timebank.reports.statements import (
    list_pending_transfers,
    list_recent_transfers,
)

bp = Blueprint("members", __name__, url_prefix="/members")


@bp.before_request
def partners_have_no_member_area():
    """A partner reads reports and nothing of the members' people, listings or
    messages: someone whose only memberships are partner ones is sent to the partners'
    area from every member page (and does nothing here)."""
    if (
        current_user.is_authenticated
        and not current_user.active_memberships()
        and current_user.partner_memberships()
    ):
        return redirect(url_for("partners.home"))
    return None


# The latest few: the whole history, with the balance after each entry, is on the
# statement page (a phone shows each row as a card of five lines).
RECENT_SHOWN = 5


@bp.get("/")
@login_required
def dashboard():
    membership = current_user.current_membership()
    if membership is None:
        if current_user.active_memberships():
            return redirect(url_for("members.choose_bank"))
        return render_template("members/no_membership.html")
    account = membership.account
    recent = list_recent_transfers(db.session(), account, limit=RECENT_SHOWN)
    pending = list_pending_transfers(db.session(), account, limit=10)
    bank = membership.time_bank
    figures = year_figures(db.session(), account, today=today_in(bank.timezone))
    return render_template(
        "members/dashboard.html",
        membership=membership,
        bank=bank,
        account=account,
        counters=Counters.of(account),
        recent=recent,
        pending=pending,
        figures=figures,
    )


@bp.route("/time-banks", methods=["GET", "POST"])
@login_required
def choose_bank():
    memberships = current_user.active_memberships()
    if request.method == "POST":
        chosen = parse_id(request.form.get("membership_id", ""))
        if chosen is None:
            abort(400)
        if chosen not in {m.id for m in memberships}:
            abort(403)
        session["membership_id"] = chosen
        return redirect(home_url())
    return render_template("members/choose_bank.html", memberships=memberships)


NOTIFICATIONS_SHOWN = 50


@bp.get("/notifications")
@login_required
def notifications():
    """What happened to my exchanges and my membership, newest first. Opening the page
    marks them read."""
    membership = current_user.current_membership()
    if membership is None:
        return redirect(url_for("members.dashboard"))
    items = list_notifications(db.session(), membership, limit=NOTIFICATIONS_SHOWN)
    unread = {n.id for n in items if n.read_at is None}
    # Written only when something is unread: among those shown, or perhaps older ones
    # when the list is full.
    if unread or len(items) == NOTIFICATIONS_SHOWN:
        # A GET that writes: through run_in_transaction, which takes SQLite's write lock.
        run_in_transaction(db.session(), lambda: mark_read(db.session(), membership))
        # Read again in one query: the commit expired the rows read above.
        items = list_notifications(db.session(), membership, limit=NOTIFICATIONS_SHOWN)
    return render_template(
        "members/notifications.html",
        notifications=items,
        unread=unread,
        bank=membership.time_bank,
        describe=describe,
    )


from timebank.members import (  # noqa: E402, F401
    confirm,
    donate,
    exchanges,
    listings,
    messages,
    network,
    people_search,
    profile,
    statement,
)
