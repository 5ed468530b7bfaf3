"""What the navigation shows: the current membership and, for coordinators, how many
entries wait for approval (one count query per page)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask_login import current_user

from timebank.extensions import db
from timebank.ledger.messages import count_unread_threads
from timebank.ledger.models import Transfer, TransferStatus
from timebank.ledger.notifications import count_unread


def pending_approvals(time_bank_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Transfer)
            .where(
                Transfer.time_bank_id == time_bank_id,
                Transfer.status == TransferStatus.PENDING,
                Transfer.needs_approval.is_(True),
                Transfer.approved_at.is_(None),
            )
        )
        or 0
    )


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
        unread = count_unread(db.session, membership) if membership is not None else 0
        messages = count_unread_threads(db.session, membership) if membership is not None else 0
        return {
            "nav_membership": membership,
            "nav_pending_approvals": count,
            "nav_unread": unread,
            "nav_messages": messages,
        }
