"""Posted entries for coordinators, newest first, each with its reversal if it has one:
the list from which they reverse a mistake."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from timebank.ledger.models import Transfer, TransferStatus
from timebank.reports.keyset import Cursor, KeysetPage, Order, page_of
from timebank.reports.transfer_lists import PER_PAGE, involving, names_loaded

# Newest first; served by the index ix_transfer_bank_status_posted.
ORDER = Order((Transfer.posted_at, Transfer.id), descending=True)
# Made once: a new alias on every call costs SQLAlchemy as much again to build the query.
REVERSAL = aliased(Transfer, name="posted_reversal")


@dataclass(frozen=True)
class HistoryFilters:
    """Filters of the list of posted exchanges."""

    member: str = ""
    start: date | None = None
    end: date | None = None
    kind: str = ""


@dataclass(frozen=True)
class PostedRow:
    transfer: Transfer
    giver: str
    receiver: str
    category: str | None
    # The reversal of this entry, if it was reversed.
    reversed_by_id: int | None


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
    in_bank = [Transfer.time_bank_id == time_bank_id, Transfer.status == TransferStatus.POSTED]
    conditions = list(in_bank)
    if filters.member.strip():
        conditions.append(involving(time_bank_id, filters.member))
    if filters.start is not None:
        conditions.append(Transfer.service_date >= filters.start)
    if filters.end is not None:
        conditions.append(Transfer.service_date <= filters.end)
    if filters.kind:
        conditions.append(Transfer.kind == filters.kind)
    total = session.scalar(sa.select(sa.func.count(Transfer.id)).where(*conditions)) or 0
    reversal = REVERSAL
    page = page_of(
        session,
        sa.select(Transfer, reversal.id)
        .outerjoin(reversal, reversal.reverses_id == Transfer.id)
        .where(*conditions)
        .options(*names_loaded()),
        order=ORDER,
        row_id=Transfer.id,
        key_of=sa.select(*ORDER.columns).where(*in_bank),
        cursor=cursor or Cursor(),
        per_page=per_page,
        total=int(total),
        ident=lambda row: row[0].id,
    )
    page.rows = [
        PostedRow(
            transfer=t,
            giver=t.credit_account.label,
            receiver=t.debit_account.label,
            category=t.category.name if t.category else None,
            reversed_by_id=reversal_id,
        )
        for t, reversal_id in page.rows
    ]
    return page
