"""A time bank's members for coordinators, by name, with their balances, and the
applications waiting: the coordinators' members list.

Each list is read by statements built once for each shape of its filters, their values
given as bind parameters (building them anew cost SQLAlchemy more than running them).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.database import read_rows
from timebank.ledger.models import Account, MemberKind, Membership, MembershipStatus, Person, Role
from timebank.reports.keyset import Cursor, KeysetList, KeysetPage, Order
from timebank.reports.name_search import contained, contains_text

PER_PAGE = 50
_BANK = sa.bindparam("time_bank_id", type_=sa.Integer)

# The applications waiting, as plain columns (what the list shows), oldest first.
APPLICATIONS = (
    sa.select(
        Membership.id,
        Membership.kind,
        Membership.joined_at,
        Membership.offers_text,
        Membership.needs_text,
        Person.display_name,
        Person.email,
    )
    .join(Person, Person.id == Membership.person_id)
    .where(Membership.time_bank_id == _BANK, Membership.status == MembershipStatus.APPLIED)
    .order_by(Membership.joined_at, Membership.id)
)

# By name, then id (ix_membership_bank_sort_name serves it); the key of a page's first
# or last row is read among the bank's members.
BY_NAME = Order((Membership.sort_name, Membership.id))
KEY_OF = sa.select(*BY_NAME.columns).where(Membership.time_bank_id == _BANK)
MEMBERS = KeysetList(BY_NAME, Membership.id, KEY_OF)

# The list's rows as plain columns (what the table shows), not three ORM objects a row:
# loading 150 objects was a fifth of the page's time.
_COLUMNS = sa.select(
    Membership.id,
    Membership.role,
    Membership.kind,
    Membership.status,
    Person.display_name,
    Person.email,
    Account.id.label("account_id"),
    (Account.posted_credits - Account.posted_debits).label("balance"),
)

# Which memberships a status filter shows: "current" (active and suspended), any one
# status, or "all" (all but the applications, listed on their own).
CURRENT, ALL = "current", "all"


@dataclass(frozen=True)
class MemberFilters:
    """Filters of the members list; empty values filter nothing."""

    text: str = ""  # part of a name or an email address
    role: Role | None = None
    kind: MemberKind | None = None
    status: MembershipStatus | str = CURRENT  # a status, CURRENT or ALL


def list_applications(session: Session, time_bank_id: int) -> Sequence[sa.Row]:
    """The applications waiting, oldest first."""
    return read_rows(session, APPLICATIONS, {"time_bank_id": time_bank_id}).all()


@functools.cache
def _statements(text: bool, role: bool, kind: bool, statuses: str) -> tuple[sa.Select, ...]:
    """The count and the rows of the list with these filters (``statuses``: CURRENT,
    ALL or "one"), built once: the filters' values are the parameters "text"
    (``name_search.contained``), "role", "kind" and "status"."""
    query = (
        _COLUMNS.join(Person, Person.id == Membership.person_id)
        .outerjoin(Account, Account.membership_id == Membership.id)
        .where(Membership.time_bank_id == _BANK)
    )
    if text:
        query = query.where(
            sa.or_(contains_text(Person.display_name, "text"), contains_text(Person.email, "text"))
        )
    if role:
        query = query.where(Membership.role == sa.bindparam("role", type_=Membership.role.type))
    if kind:
        query = query.where(Membership.kind == sa.bindparam("kind", type_=Membership.kind.type))
    if statuses == CURRENT:
        query = query.where(
            Membership.status.in_([MembershipStatus.ACTIVE, MembershipStatus.SUSPENDED])
        )
    elif statuses == ALL:
        query = query.where(Membership.status != MembershipStatus.APPLIED)
    else:
        status = sa.bindparam("status", type_=Membership.status.type)
        query = query.where(Membership.status == status)
    return sa.select(sa.func.count()).select_from(query.subquery()), query


def list_members(
    session: Session,
    time_bank_id: int,
    filters: MemberFilters | None = None,
    *,
    cursor: Cursor | None = None,
    per_page: int = PER_PAGE,
) -> KeysetPage:
    """The bank's members by name, a page from ``cursor`` (keyset paging), with how many
    the filters find. Two statements on the first page (the count and the rows), three
    on the others."""
    filters = filters or MemberFilters()
    one_status = isinstance(filters.status, MembershipStatus)
    statuses = "one" if one_status else ALL if filters.status == ALL else CURRENT
    count, rows = _statements(
        bool(filters.text), filters.role is not None, filters.kind is not None, statuses
    )
    parameters = {
        "time_bank_id": time_bank_id,
        "text": contained(filters.text),
        "role": filters.role,
        "kind": filters.kind,
        "status": filters.status if one_status else None,
    }
    total = read_rows(session, count, parameters).scalar() or 0
    return MEMBERS.page(
        session, rows, cursor=cursor, per_page=per_page, total=int(total), parameters=parameters
    )
