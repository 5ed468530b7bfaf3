"""Posted entries for coordinators, newest first, each with its reversal if it has one:
the list from which they reverse a mistake."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from timebank.ledger.database import read_rows
from timebank.ledger.models import Transfer, TransferStatus
from timebank.reports.keyset import Cursor, KeysetList, KeysetPage, Order
from timebank.reports.name_search import contained
from timebank.reports.transfer_lists import PER_PAGE, involving, split_sides, with_both_sides

# Newest first; served by the index ix_transfer_bank_status_posted.
ORDER = Order((Transfer.posted_at, Transfer.id), descending=True)
# Made once: a new alias on every call costs SQLAlchemy as much again to build the query.
REVERSAL = aliased(Transfer, name="posted_reversal")

# The rows, as plain columns, each with the id of its reversal if it has one; built
# once (the page's filters and cursor add their conditions). _posted_row reads them in
# this order.
ROWS = with_both_sides(
    Transfer.id,
    Transfer.service_date,
    Transfer.minutes,
    Transfer.kind,
    Transfer.description,
    Transfer.reason,
    Transfer.reverses_id,
    REVERSAL.id.label("reversed_by_id"),
).outerjoin(REVERSAL, REVERSAL.reverses_id == Transfer.id)


@dataclass(frozen=True)
class HistoryFilters:
    """Filters of the list of posted exchanges."""

    member: str = ""
    start: date | None = None
    end: date | None = None
    kind: str = ""


@dataclass(frozen=True, slots=True)
class PostedRow:
    id: int
    service_date: date
    minutes: int
    kind: str
    description: str
    # Why a reversal reverses its entry.
    reason: str | None
    reverses_id: int | None
    category: str | None
    giver: str
    receiver: str
    # The debited account's kind (what a donation, a grant or an opening balance was).
    receiver_kind: str
    # The reversal of this entry, if it was reversed.
    reversed_by_id: int | None


def _posted_row(row: sa.Row) -> PostedRow:
    own, category, giver, receiver, receiver_kind = split_sides(row)
    id_, service_date, minutes, kind, description, reason, reverses_id, reversed_by_id = own
    return PostedRow(
        id=id_,
        service_date=service_date,
        minutes=minutes,
        kind=kind,
        description=description,
        reason=reason,
        reverses_id=reverses_id,
        category=category,
        giver=giver,
        receiver=receiver,
        receiver_kind=receiver_kind,
        reversed_by_id=reversed_by_id,
    )


# The bank (parameter "time_bank_id") and the posted entries of it: the key of a page's
# first or last row is read among them.
_BANK = sa.bindparam("time_bank_id", type_=sa.Integer)
_IN_BANK = (Transfer.time_bank_id == _BANK, Transfer.status == TransferStatus.POSTED)
KEY_OF = sa.select(*ORDER.columns).where(*_IN_BANK)
POSTED = KeysetList(ORDER, Transfer.id, KEY_OF)


@functools.cache
def _statements(member: bool, start: bool, end: bool, kind: bool) -> tuple[sa.Select, sa.Select]:
    """The count and the rows of the list with these filters, built once: the filters'
    values are the parameters "member", "start", "end" and "kind"."""
    conditions = list(_IN_BANK)
    if member:
        conditions.append(involving(_BANK, "member"))
    if start:
        conditions.append(Transfer.service_date >= sa.bindparam("start", type_=sa.Date))
    if end:
        conditions.append(Transfer.service_date <= sa.bindparam("end", type_=sa.Date))
    if kind:
        conditions.append(Transfer.kind == sa.bindparam("kind", type_=Transfer.kind.type))
    return sa.select(sa.func.count(Transfer.id)).where(*conditions), ROWS.where(*conditions)


def list_posted(
    session: Session,
    time_bank_id: int,
    filters: HistoryFilters | None = None,
    *,
    cursor: Cursor | None = None,
    per_page: int = PER_PAGE,
) -> KeysetPage:
    """Posted entries, newest first, a page from ``cursor`` (keyset paging), each with
    the id of its reversal if it has one. Three queries whatever the page: the count,
    the cursor's key, the rows."""
    filters = filters or HistoryFilters()
    member = filters.member.strip()
    count, rows = _statements(
        bool(member), filters.start is not None, filters.end is not None, bool(filters.kind)
    )
    parameters = {
        "time_bank_id": time_bank_id,
        "member": contained(member),
        "start": filters.start,
        "end": filters.end,
        "kind": filters.kind,
    }
    total = read_rows(session, count, parameters).scalar() or 0
    page = POSTED.page(
        session, rows, cursor=cursor, per_page=per_page, total=int(total), parameters=parameters
    )
    page.rows = [_posted_row(row) for row in page.rows]
    return page
