"""The gate in front of every partner route, and the banks a partner may read."""

from __future__ import annotations

from flask import abort, g, redirect, request, url_for
from flask_login import current_user

from timebank.ledger.models import Membership
from timebank.partners import bp


@bp.before_request
def require_partner():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in", next=request.path))
    memberships = current_user.partner_memberships()
    if not memberships:
        abort(403)
    g.partner_memberships = sorted(memberships, key=lambda m: (m.time_bank.name, m.id))
    return None


def partner_memberships() -> list[Membership]:
    """The signed-in partner's active partner memberships, by bank name."""
    return g.partner_memberships


def memberships_for(slug: str | None) -> list[Membership]:
    """The partner memberships a report covers: one bank by its short name, or all of
    them (``None``). A bank the partner is not linked to does not exist here (404)."""
    memberships = partner_memberships()
    if slug is None:
        return memberships
    chosen = [m for m in memberships if m.time_bank.slug == slug]
    if not chosen:
        abort(404)
    return chosen
