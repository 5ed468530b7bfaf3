"""The coordinators' overview: what needs attention today."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template

from timebank.coordinators import bp
from timebank.coordinators.access import bank
from timebank.extensions import db
from timebank.ledger.banks import get_pot_account
from timebank.ledger.models import Membership, MembershipStatus, Transfer, TransferStatus
from timebank.navigation import pending_approvals


@bp.get("/")
def home():
    time_bank = bank()
    applications = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Membership)
        .where(
            Membership.time_bank_id == time_bank.id,
            Membership.status == MembershipStatus.APPLIED,
        )
    )
    awaiting_confirmation = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Transfer)
        .where(
            Transfer.time_bank_id == time_bank.id,
            Transfer.status == TransferStatus.PENDING,
            Transfer.needs_confirmation.is_(True),
            Transfer.confirmed_at.is_(None),
        )
    )
    return render_template(
        "coordinators/home.html",
        bank=time_bank,
        approvals=pending_approvals(time_bank.id),
        applications=applications or 0,
        awaiting_confirmation=awaiting_confirmation or 0,
        pot=get_pot_account(db.session, time_bank.id),
    )
