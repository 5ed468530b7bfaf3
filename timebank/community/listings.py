"""Offers ("I can help with...") and requests ("I would like help with...").

A member posts, edits, pauses, resumes and closes their own listings; a coordinator of
the same time bank may do the same to any listing there. Closing is final. A listing
may have an expiry date (from today up to a year ahead); after it, the listing no
longer shows when members browse. Every change is audited. Services flush and never
commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.community.models import Listing
from timebank.ledger import errors
from timebank.ledger.audit import append_audit
from timebank.ledger.clock import today_in, utcnow
from timebank.ledger.models import Category, Membership, Person, TimeBank
from timebank.ledger.posting import require_active_actor

KINDS = ("offer", "request")
MIN_TITLE = 3
MAX_TITLE = 120
MAX_DESCRIPTION = 2000
MAX_EXPIRY_DAYS = 366
PER_PAGE = 20


class ListingError(errors.LedgerError):
    code = "invalid_listing"


@dataclass(frozen=True)
class ListingRow:
    """One listing as members see it: with its author's name and its category."""

    id: int
    membership_id: int
    kind: str
    title: str
    description: str
    category_id: int | None
    category_name: str | None
    status: str
    expires_on: date | None
    created_at: datetime
    author_name: str

    def is_expired(self, today: date) -> bool:
        return self.expires_on is not None and self.expires_on < today


@dataclass(frozen=True)
class ListingPage:
    """A page of listings and the ids for the links either side (keyset paging: a link
    carries the id of the last or first listing shown, never a page number)."""

    items: list[ListingRow]
    next_after: int | None = None
    previous_before: int | None = None

    @property
    def has_next(self) -> bool:
        return self.next_after is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_before is not None


def _today(session: Session, time_bank_id: int) -> date:
    bank = session.get(TimeBank, time_bank_id)
    return today_in(bank.timezone if bank is not None else "Europe/London")


def _clean(
    session: Session,
    *,
    time_bank_id: int,
    title: str,
    description: str,
    category_id: int | None,
    expires_on: date | None,
    today: date,
) -> tuple[str, str]:
    title = " ".join((title or "").split())
    if len(title) < MIN_TITLE:
        raise ListingError(
            "Give a title of at least %(least)s characters, for example 'Lifts to the shops'.",
            field="title",
            least=MIN_TITLE,
        )
    if len(title) > MAX_TITLE:
        raise ListingError(
            "Keep the title under %(most)s characters.", field="title", most=MAX_TITLE
        )
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ListingError(
            "Keep the description under %(most)s characters.",
            field="description",
            most=MAX_DESCRIPTION,
        )
    if category_id is not None:
        category = session.get(Category, category_id)
        if category is None or category.time_bank_id != time_bank_id or not category.active:
            raise errors.UnknownCategoryError(
                "Choose one of the categories in the list.", field="category"
            )
    if expires_on is not None:
        if expires_on < today:
            raise ListingError("The end date cannot be in the past.", field="expires_on")
        if expires_on > today + timedelta(days=MAX_EXPIRY_DAYS):
            raise ListingError("Choose an end date within a year from today.", field="expires_on")
    return title, description


def _state(listing: Listing) -> dict[str, Any]:
    return {
        "kind": listing.kind,
        "title": listing.title,
        "description": listing.description,
        "category_id": listing.category_id,
        "status": listing.status,
        "expires_on": listing.expires_on.isoformat() if listing.expires_on else None,
    }


def _audit(session, actor, listing, action, before=None) -> None:
    append_audit(
        session,
        time_bank_id=listing.time_bank_id,
        actor=actor,
        action=action,
        entity_type="listing",
        entity_id=listing.id,
        before=before,
        after=_state(listing),
    )


def get_listing(session: Session, time_bank_id: int, listing_id: int) -> Listing:
    """The listing if it is in this time bank, else NotFoundError."""
    listing = session.get(Listing, listing_id)
    if listing is None or listing.time_bank_id != time_bank_id:
        raise errors.NotFoundError("There is no such offer or request here.")
    return listing


def may_change(actor: Membership, listing: Listing) -> bool:
    if actor.time_bank_id != listing.time_bank_id:
        return False
    return actor.id == listing.membership_id or actor.is_coordinator


def _changeable(session: Session, actor: Membership, listing_id: int) -> Listing:
    require_active_actor(actor)
    listing = get_listing(session, actor.time_bank_id, listing_id)
    if not may_change(actor, listing):
        raise errors.NotAllowedError("Only the person who posted this can change it.")
    return listing


def post_listing(
    session: Session,
    *,
    actor: Membership,
    kind: str,
    title: str,
    description: str = "",
    category_id: int | None = None,
    expires_on: date | None = None,
    today: date | None = None,
) -> Listing:
    """A new active offer or request by ``actor`` in their own time bank."""
    require_active_actor(actor)
    if kind not in KINDS:
        raise ListingError("Choose whether this is an offer or a request.", field="kind")
    today = today or _today(session, actor.time_bank_id)
    title, description = _clean(
        session,
        time_bank_id=actor.time_bank_id,
        title=title,
        description=description,
        category_id=category_id,
        expires_on=expires_on,
        today=today,
    )
    now = utcnow()
    listing = Listing(
        time_bank_id=actor.time_bank_id,
        membership_id=actor.id,
        kind=kind,
        title=title,
        description=description,
        category_id=category_id,
        status="active",
        expires_on=expires_on,
        created_at=now,
        updated_at=now,
    )
    session.add(listing)
    session.flush()
    _audit(session, actor, listing, "listing.posted")
    return listing


def edit_listing(
    session: Session,
    *,
    actor: Membership,
    listing_id: int,
    title: str,
    description: str = "",
    category_id: int | None = None,
    expires_on: date | None = None,
    today: date | None = None,
) -> Listing:
    listing = _changeable(session, actor, listing_id)
    if listing.status == "closed":
        raise errors.NotAllowedError("This has been closed and can no longer be changed.")
    today = today or _today(session, listing.time_bank_id)
    title, description = _clean(
        session,
        time_bank_id=listing.time_bank_id,
        title=title,
        description=description,
        category_id=category_id,
        expires_on=expires_on,
        today=today,
    )
    before = _state(listing)
    listing.title = title
    listing.description = description
    listing.category_id = category_id
    listing.expires_on = expires_on
    listing.updated_at = utcnow()
    session.flush()
    _audit(session, actor, listing, "listing.edited", before)
    return listing


def _set_status(
    session, actor, listing_id, *, allowed_from, to, action, refusal: errors.LedgerError
) -> Listing:
    """``refusal`` is raised when the listing is not in one of ``allowed_from``."""
    listing = _changeable(session, actor, listing_id)
    if listing.status not in allowed_from:
        raise refusal
    before = _state(listing)
    listing.status = to
    listing.updated_at = utcnow()
    session.flush()
    _audit(session, actor, listing, action, before)
    return listing


def pause_listing(session: Session, *, actor: Membership, listing_id: int) -> Listing:
    """Hide an active listing for a while; it can be resumed."""
    return _set_status(
        session,
        actor,
        listing_id,
        allowed_from=("active",),
        to="paused",
        action="listing.paused",
        refusal=errors.NotAllowedError("Only a listing that is showing can be paused."),
    )


def resume_listing(session: Session, *, actor: Membership, listing_id: int) -> Listing:
    return _set_status(
        session,
        actor,
        listing_id,
        allowed_from=("paused",),
        to="active",
        action="listing.resumed",
        refusal=errors.NotAllowedError("Only a paused listing can be shown again."),
    )


def close_listing(session: Session, *, actor: Membership, listing_id: int) -> Listing:
    """Close for good (help found, or no longer needed)."""
    return _set_status(
        session,
        actor,
        listing_id,
        allowed_from=("active", "paused"),
        to="closed",
        action="listing.closed",
        refusal=errors.NotAllowedError("This is already closed."),
    )


def escape_like(words: str) -> str:
    """``words`` as a LIKE pattern matching it literally (escape character: backslash)."""
    return words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _rows_query():
    return (
        sa.select(
            Listing.id,
            Listing.membership_id,
            Listing.kind,
            Listing.title,
            Listing.description,
            Listing.category_id,
            Category.name.label("category_name"),
            Listing.status,
            Listing.expires_on,
            Listing.created_at,
            Person.display_name.label("author_name"),
        )
        .join(Membership, Membership.id == Listing.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .outerjoin(Category, Category.id == Listing.category_id)
    )


def _row(r) -> ListingRow:
    return ListingRow(**r._asdict())


def list_listings(
    session: Session,
    bank_id: int,
    kind: str | None = None,
    category: int | None = None,
    words: str | None = None,
    *,
    after: int | None = None,
    before: int | None = None,
    today: date | None = None,
    per_page: int = PER_PAGE,
) -> ListingPage:
    """Active, unexpired listings of a time bank, newest first, one page at a time
    from the listing ``after`` (or ``before``, going back) by keyset, which
    ``ix_listing_bank_status_created`` serves: never OFFSET. With their authors' names:
    one query, and one for the key of the listing a link names (one more when
    ``today`` is not given)."""
    today = today or _today(session, bank_id)
    mark = before if before is not None else after
    key = None
    if mark is not None:
        key = session.execute(
            sa.select(Listing.created_at, Listing.id).where(
                Listing.id == mark, Listing.time_bank_id == bank_id
            )
        ).first()
    backwards = key is not None and before is not None
    query = _rows_query().where(
        Listing.time_bank_id == bank_id,
        Listing.status == "active",
        sa.or_(Listing.expires_on.is_(None), Listing.expires_on >= today),
    )
    if kind in KINDS:
        query = query.where(Listing.kind == kind)
    if category is not None:
        query = query.where(Listing.category_id == category)
    words = " ".join((words or "").split())
    if words:
        pattern = f"%{escape_like(words.lower())}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Listing.title).like(pattern, escape="\\"),
                sa.func.lower(Listing.description).like(pattern, escape="\\"),
            )
        )
    position = sa.tuple_(Listing.created_at, Listing.id)
    if key is not None:
        bound = sa.tuple_(*(sa.literal(v) for v in key))
        query = query.where(position > bound if backwards else position < bound)
    if backwards:
        query = query.order_by(Listing.created_at.asc(), Listing.id.asc())
    else:
        query = query.order_by(Listing.created_at.desc(), Listing.id.desc())
    rows = [_row(r) for r in session.execute(query.limit(per_page + 1))]
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    if not rows and key is not None:  # nothing that way any more: the first page
        return list_listings(
            session, bank_id, kind, category, words, today=today, per_page=per_page
        )
    if not rows:
        return ListingPage(items=[])
    if backwards:
        return ListingPage(
            rows, next_after=rows[-1].id, previous_before=rows[0].id if more else None
        )
    return ListingPage(
        rows,
        next_after=rows[-1].id if more else None,
        previous_before=rows[0].id if key is not None else None,
    )


def list_my_listings(session: Session, membership: Membership) -> list[ListingRow]:
    """All of a member's listings, whatever their status, newest first."""
    query = _rows_query().where(Listing.membership_id == membership.id)
    query = query.order_by(Listing.created_at.desc(), Listing.id.desc())
    return [_row(r) for r in session.execute(query)]


def listing_row(session: Session, bank_id: int, listing_id: int) -> ListingRow:
    """One listing with its author's name and category, or NotFoundError."""
    row = session.execute(
        _rows_query().where(Listing.id == listing_id, Listing.time_bank_id == bank_id)
    ).one_or_none()
    if row is None:
        raise errors.NotFoundError("There is no such offer or request here.")
    return _row(row)
