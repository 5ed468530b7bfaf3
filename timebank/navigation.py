"""What the navigation shows: the current membership, its unread news and messages and,
for coordinators, how many entries wait for approval (one query of counts per page)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, url_for
from flask_login import current_user

from timebank.community.messages import UNREAD_THREADS_COUNT
from timebank.community.notifications import UNREAD_COUNT
from timebank.extensions import db
from timebank.ledger.database import read_rows
from timebank.ledger.models import Membership
from timebank.reports.queue import APPROVALS_WAITING_COUNT

# The counts in one statement (each a subquery), built once: every page shows them.
# A coordinator also sees the entries they can act on now: the approval queue's first
# tab (an entry still waiting for the other person is counted there, not here).
MEMBER_COUNTS = sa.select(UNREAD_COUNT.scalar_subquery(), UNREAD_THREADS_COUNT.scalar_subquery())
COORDINATOR_COUNTS = MEMBER_COUNTS.add_columns(APPROVALS_WAITING_COUNT.scalar_subquery())


def navigation_counts(membership: Membership) -> tuple[int, int, int]:
    """Unread notifications, unread threads, and entries waiting for approval (0 for
    someone who does not coordinate)."""
    parameters = {
        "unread_membership_id": membership.id,
        "unread_threads_membership_id": membership.id,
    }
    if not membership.is_coordinator:
        unread, messages = read_rows(db.session(), MEMBER_COUNTS, parameters).one()
        return unread, messages, 0
    parameters["approvals_time_bank_id"] = membership.time_bank_id
    unread, messages, approvals = read_rows(db.session(), COORDINATOR_COUNTS, parameters).one()
    return unread, messages, approvals


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
        unread, messages, count = (
            navigation_counts(membership) if membership is not None else (0, 0, 0)
        )
        return {
            "nav_membership": membership,
            # A partner-only person sees the partners' area and not the member menu.
            "nav_member_area": bool(current_user.active_memberships()),
            "nav_partner": current_user.is_partner,
            "nav_pending_approvals": count,
            "nav_unread": unread,
            "nav_messages": messages,
        }
