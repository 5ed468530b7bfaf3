"""My time banks, my profile in one of them, and (coordinators) its members."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g
from flask_smorest import Blueprint
from sqlalchemy.orm import joinedload

from timebank.api import shapes
from timebank.api.aborting import abort
from timebank.api.access import active_memberships, coordinator_in, member_in
from timebank.api.auth import caller
from timebank.api.paging import links
from timebank.api.paths import ID
from timebank.api.schemas import BankSchema, MemberSchema, MeSchema, PageQuery, ProfileSchema
from timebank.community.profiles import skills_of
from timebank.extensions import db
from timebank.ledger.models import Membership

blp = Blueprint(
    "api_people",
    __name__,
    url_prefix="/api/v1",
    description="Who I am, my time banks, my profile; members (coordinators).",
)

PER_PAGE = 100


@blp.route("/me")
@blp.response(200, MeSchema)
def me():
    """The person the token belongs to, the token's scope and expiry, and their active
    memberships (member, coordinator or partner) with their time banks."""
    person = caller()
    return {
        "id": person.id,
        "display_name": person.display_name,
        "preferred_locale": person.preferred_locale,
        "token_scope": g.api_token.scope,
        "token_expires_at": shapes.utc(g.api_token.expires_at),
        "banks": [shapes.bank(m) for m in active_memberships()],
    }


@blp.route("/banks")
@blp.response(200, BankSchema(many=True))
def banks():
    """My time banks: one entry per active membership, with my role there."""
    return [shapes.bank(m) for m in sorted(active_memberships(), key=lambda m: m.time_bank_id)]


@blp.route(f"/banks/<{ID}:bank_id>/profile")
@blp.response(200, ProfileSchema)
@blp.alt_response(404, description="Not a bank of the caller (as a member)")
def profile(bank_id: int):
    """My own profile in this bank: what I offer and need, consents, kinds of help."""
    m = member_in(bank_id)
    return {
        "membership": m.id,
        "bank": m.time_bank_id,
        "display_name": m.person.display_name,
        "role": str(m.role),
        "kind": str(m.kind),
        "offers_text": m.offers_text,
        "needs_text": m.needs_text,
        "availability": m.availability,
        "area": m.area,
        "contact_preference": m.contact_preference,
        "consent_reporting": m.consent_reporting,
        "consent_research": m.consent_research,
        "skills": [c.slug for c in skills_of(db.session(), m)],
    }


@blp.route(f"/banks/<{ID}:bank_id>/members")
@blp.arguments(PageQuery, location="query")
@blp.response(200, MemberSchema(many=True))
@blp.alt_response(403, description="Not a coordinator of the bank")
@blp.alt_response(404, description="Not a bank of the caller")
def members(args, bank_id: int):
    """Coordinators: every membership of the bank (any status), by name (case folded),
    100 a page; the ``Link`` header's next page starts ``after`` the last one (keyset,
    served by the index on the bank and the name's sort key)."""
    coordinator_in(bank_id)
    query = sa.select(Membership).where(Membership.time_bank_id == bank_id)
    if args.get("after"):
        key = db.session.execute(
            sa.select(Membership.sort_name, Membership.id).where(
                Membership.id == args["after"], Membership.time_bank_id == bank_id
            )
        ).first()
        if key is not None:
            query = query.where(
                sa.tuple_(Membership.sort_name, Membership.id)
                > sa.tuple_(*(sa.literal(v) for v in key))
            )
    rows = list(
        db.session.scalars(
            query.order_by(Membership.sort_name, Membership.id)
            .options(joinedload(Membership.person))
            .limit(PER_PAGE + 1)
        )
    )
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    headers = links(next={"after": rows[-1].id} if more else None)
    return [shapes.member(m) for m in rows], 200, headers


@blp.route(f"/banks/<{ID}:bank_id>/members/<{ID}:membership_id>")
@blp.response(200, MemberSchema)
@blp.alt_response(403, description="Not a coordinator of the bank")
@blp.alt_response(404, description="No such member in a bank of the caller")
def member(bank_id: int, membership_id: int):
    """Coordinators: one membership of the bank."""
    coordinator_in(bank_id)
    m = db.session.get(Membership, membership_id)
    if m is None or m.time_bank_id != bank_id:
        abort(404)
    return shapes.member(m)
