"""A time bank's categories of service: add, rename, retire and mark as sensitive.

The slug is made from the name when a category is added and then stays as it is: it is
the category's name in imports, exports and the API, so a rename does not break them.
Categories are never deleted (past exchanges keep theirs); a retired one is simply no
longer offered. Every change is audited. Services flush and never commit.
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger import errors
from timebank.ledger.audit import append_audit
from timebank.ledger.database import read_rows
from timebank.ledger.models import Category, Membership
from timebank.ledger.posting import require_coordinator

MAX_NAME_LENGTH = 120
MAX_SLUG_LENGTH = 60


def slugify(name: str) -> str:
    """'Lifts & transport' -> 'lifts-transport'; accents dropped, at most 60 characters."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:MAX_SLUG_LENGTH].rstrip("-")


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise errors.InvalidPolicyError("Give the category a name.", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise errors.InvalidPolicyError(
            "Keep the name under %(most)s characters.", field="name", most=MAX_NAME_LENGTH
        )
    return name


def _refuse_duplicate(
    session: Session, time_bank_id: int, name: str, slug: str, own_id: int | None
) -> None:
    query = sa.select(Category.id).where(
        Category.time_bank_id == time_bank_id,
        sa.or_(Category.slug == slug, sa.func.lower(Category.name) == name.lower()),
    )
    if own_id is not None:
        query = query.where(Category.id != own_id)
    if session.scalar(query.limit(1)) is not None:
        raise errors.DuplicateError(
            "This time bank already has a category with that name.", field="name"
        )


def _state(category: Category) -> dict:
    return {
        "slug": category.slug,
        "name": category.name,
        "active": category.active,
        "is_sensitive": category.is_sensitive,
    }


def _audit(session: Session, actor: Membership, action: str, category: Category, before, after):
    append_audit(
        session,
        time_bank_id=category.time_bank_id,
        actor=actor,
        action=action,
        entity_type="category",
        entity_id=category.id,
        before=before,
        after=after,
    )


_LIST = (
    sa.select(Category.id, Category.name, Category.slug, Category.active, Category.is_sensitive)
    .where(Category.time_bank_id == sa.bindparam("time_bank_id"))
    .order_by(Category.active.desc(), Category.name, Category.id)
)


def list_categories(session: Session, time_bank_id: int) -> list[sa.Row]:
    """All categories (id, name, slug, active, is_sensitive), active ones first, each
    group by name; plain columns (read by the settings page on every view)."""
    return list(read_rows(session, _LIST, {"time_bank_id": time_bank_id}))


def add_category(
    session: Session, *, actor: Membership, name: str, is_sensitive: bool = False
) -> Category:
    """A new category in the coordinator's time bank."""
    require_coordinator(actor, actor.time_bank_id)
    name = _clean_name(name)
    slug = slugify(name)
    if not slug:
        raise errors.InvalidPolicyError(
            "Use at least one letter or digit in the name.", field="name"
        )
    _refuse_duplicate(session, actor.time_bank_id, name, slug, None)
    category = Category(
        time_bank_id=actor.time_bank_id, slug=slug, name=name, is_sensitive=bool(is_sensitive)
    )
    session.add(category)
    session.flush()
    _audit(session, actor, "category.added", category, None, _state(category))
    return category


def rename_category(
    session: Session, *, actor: Membership, category: Category, name: str
) -> Category:
    require_coordinator(actor, category.time_bank_id)
    name = _clean_name(name)
    if name == category.name:
        raise errors.InvalidPolicyError("That is already the category's name.", field="name")
    _refuse_duplicate(session, category.time_bank_id, name, slugify(name), category.id)
    before = _state(category)
    category.name = name
    session.flush()
    _audit(session, actor, "category.renamed", category, before, _state(category))
    return category


def set_category_active(
    session: Session, *, actor: Membership, category: Category, active: bool
) -> Category:
    """Retire a category (no longer offered for new exchanges) or bring it back."""
    require_coordinator(actor, category.time_bank_id)
    if category.active == bool(active):
        if active:
            raise errors.InvalidPolicyError("The category is already in use.")
        raise errors.InvalidPolicyError("The category is already retired.")
    before = _state(category)
    category.active = bool(active)
    session.flush()
    action = "category.reactivated" if active else "category.retired"
    _audit(session, actor, action, category, before, _state(category))
    return category


def set_category_sensitive(
    session: Session, *, actor: Membership, category: Category, sensitive: bool
) -> Category:
    """Mark a category as one that can reveal health status (special-category data):
    reports then treat its exchanges with extra care."""
    require_coordinator(actor, category.time_bank_id)
    if category.is_sensitive == bool(sensitive):
        raise errors.InvalidPolicyError(
            "The category is already marked that way.", field="is_sensitive"
        )
    before = _state(category)
    category.is_sensitive = bool(sensitive)
    session.flush()
    _audit(session, actor, "category.sensitivity_changed", category, before, _state(category))
    return category
