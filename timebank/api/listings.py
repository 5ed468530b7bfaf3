"""Offers and requests on a bank's notice board, as its members see them."""

from __future__ import annotations

from flask_smorest import Blueprint

from timebank.api import shapes
from timebank.api.aborting import abort
from timebank.api.access import member_in
from timebank.api.paging import links
from timebank.api.paths import ID
from timebank.api.schemas import ListingFilters, ListingSchema
from timebank.community.listings import ListingRow, list_listings, listing_row
from timebank.community.models import Listing
from timebank.extensions import db
from timebank.ledger.errors import NotFoundError
from timebank.members.exchange_form import may_see

blp = Blueprint(
    "api_listings",
    __name__,
    url_prefix="/api/v1/listings",
    description="Offers and requests.",
)


def _shape(bank_id: int, row: ListingRow) -> dict:
    return {
        "id": row.id,
        "bank": bank_id,
        "membership": row.membership_id,
        "author": row.author_name,
        "kind": row.kind,
        "title": row.title,
        "description": row.description,
        "category": row.category_name,
        "status": row.status,
        "expires_on": row.expires_on,
        "created_at": shapes.utc(row.created_at),
    }


@blp.route("")
@blp.arguments(ListingFilters, location="query")
@blp.response(200, ListingSchema(many=True))
@blp.alt_response(404, description="Not a bank of the caller (as a member)")
def listings(args):
    """Active, unexpired offers and requests of the bank, newest first; the ``Link``
    header's next page starts ``after`` the last one (keyset)."""
    membership = member_in(args["bank"])
    page = list_listings(
        db.session,
        membership.time_bank_id,
        kind=args.get("kind"),
        words=args.get("words"),
        after=args.get("after"),
    )
    headers = links(next={"after": page.next_after} if page.has_next else None)
    return [_shape(membership.time_bank_id, row) for row in page.items], 200, headers


@blp.route(f"/<{ID}:listing_id>")
@blp.response(200, ListingSchema)
@blp.alt_response(404, description="No such listing the caller may see")
def listing(listing_id: int):
    """One offer or request (someone else's only while it is active and unexpired)."""
    found = db.session.get(Listing, listing_id)
    if found is None:
        abort(404)
    membership = member_in(found.time_bank_id)
    if not may_see(found, membership):
        abort(404)
    try:
        return _shape(found.time_bank_id, listing_row(db.session(), found.time_bank_id, listing_id))
    except NotFoundError:
        abort(404)
