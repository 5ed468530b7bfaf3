"""Members of one time bank whose name contains some text: what a "search as you
type" box offers, instead of a drop-down listing every member of a big bank."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.models import Membership, Person

# A search shows at most this many names; more means "type more of the name".
SEARCH_LIMIT = 10
MAX_SEARCH_LENGTH = 120


def find_people(
    session: Session, time_bank_id: int, text: str, *, limit: int = SEARCH_LIMIT
) -> tuple[list[tuple[int, str]], bool]:
    """(membership id, name) of the bank's members (any status) whose name contains
    ``text`` (any case), by name; and whether there were more than ``limit``."""
    needle = text.strip().lower()[:MAX_SEARCH_LENGTH]
    if not needle:
        return [], False
    rows = session.execute(
        sa.select(Membership.id, Person.display_name)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.time_bank_id == time_bank_id,
            sa.func.lower(Person.display_name).contains(needle, autoescape=True),
        )
        .order_by(sa.func.lower(Person.display_name), Membership.id)
        .limit(limit + 1)
    ).all()
    return [(i, name) for i, name in rows[:limit]], len(rows) > limit


def name_of(session: Session, time_bank_id: int, membership_id: int) -> str | None:
    """The name of one member of the bank, or None if the id is not one of its members."""
    return session.scalar(
        sa.select(Person.display_name)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.id == membership_id, Membership.time_bank_id == time_bank_id)
    )
