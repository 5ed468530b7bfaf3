"""What the navigation shows: the current membership and, for coordinators, how many
entries wait for approval (one count query per page)."""

from __future__ import annotations

from flask import Flask, url_for
from flask_login import current_user

from timebank.community.messages import count_unread_threads
from timebank.community.notifications import count_unread
from timebank.extensions import db
from timebank.reports.queue import STAGE_APPROVAL, count_waiting


def pending_approvals(time_bank_id: int) -> int:
    """Entries a coordinator can act on now: the approval queue's first tab (an entry
    still waiting for the other person is counted there, not here)."""
    return count_waiting(db.session(), time_bank_id)[STAGE_APPROVAL]


def home_url() -> str:
    """Where a signed-in person starts: a coordinator on the bank's overview, a
    partner (and nothing else) on the partners' reports, everyone else on My time."""
    if not current_user.active_memberships() and current_user.partner_memberships():
        return url_for("partners.home")
    membership = current_user.current_membership()
    if membership is not None and membership.is_coordinator:
        return url_for("coordinators.home")
    return url_for("members.dashboard")


def register_navigation(app: Flask) -> None:
    @app.context_processor
    def endpoints():
        # Lets templates show a link only once its page exists.
        return {"config_endpoints": app.view_functions}

    @app.context_processor
    def navigation():
        if not current_user.is_authenticated:
            return {
                "nav_membership": None,
                "nav_member_area": False,
                "nav_partner": False,
                "nav_pending_approvals": 0,
                "nav_unread": 0,
                "nav_messages": 0,
            }
        membership = current_user.current_membership()
        count = (
            pending_approvals(membership.time_bank_id)
            if membership is not None and membership.is_coordinator
            else 0
        )
        unread = count_unread(db.session(), membership) if membership is not None else 0
        messages = count_unread_threads(db.session(), membership) if membership is not None else 0
        return {
            "nav_membership": membership,
            # A partner-only person sees the partners' area and not the member menu.
            "nav_member_area": bool(current_user.active_memberships()),
            "nav_partner": current_user.is_partner,
            "nav_pending_approvals": count,
            "nav_unread": unread,
            "nav_messages": messages,
        }
