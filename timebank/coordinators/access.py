"""The gate in front of every coordinator route, and the current coordinator."""

from __future__ import annotations

from flask import abort, g, redirect, request, url_for
from flask_login import current_user

from timebank.coordinators import bp
from timebank.ledger.models import Membership, TimeBank


@bp.before_request
def require_coordinator():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in", next=request.path))
    membership = current_user.current_membership()
    if membership is None or not membership.is_coordinator:
        abort(403)
    g.coordinator = membership
    g.bank = membership.time_bank
    return None


def coordinator() -> Membership:
    return g.coordinator


def bank() -> TimeBank:
    return g.bank
