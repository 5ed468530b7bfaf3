"""The approval queue: pending entries waiting for a coordinator (or for the other
person), filtered and paged, counted for the navigation, and a selection for bulk
approval.

Each read is a fixed number of queries however many rows it returns.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.clock import utcnow
from timebank.ledger.database import read_rows
from timebank.ledger.models import Category, Transfer, TransferKind, TransferStatus
from timebank.reports.keyset import Cursor, KeysetList, KeysetPage, Order
from timebank.reports.name_search import contained
from timebank.reports.transfer_lists import PER_PAGE, involving, split_sides, with_both_sides

# Oldest first; served by the index ix_transfer_bank_status_recorded.
ORDER = Order((Transfer.recorded_at, Transfer.id))

# Which pending entries a list shows.
STAGE_APPROVAL = "approval"
STAGE_CONFIRMATION = "confirmation"
STAGES = (STAGE_APPROVAL, STAGE_CONFIRMATION)

PENDING_KINDS = (TransferKind.EXCHANGE, TransferKind.GROUP)


@dataclass(frozen=True)
class QueueFilters:
    """Filters of the approval queue; empty values filter nothing."""

    stage: str = STAGE_APPROVAL
    member: str = ""
    category: str = ""  # a category slug
    min_minutes: int | None = None
    max_minutes: int | None = None
    # Waiting at least this many days since it was recorded.
    min_age_days: int | None = None
    kind: str = ""


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: int
    service_date: date
    minutes: int
    kind: str
    description: str
    reverses_id: int | None
    debit_account_id: int
    credit_account_id: int
    approved_at: datetime | None
    category: str | None
    giver: str
    receiver: str
    # The debited account's kind (what a donation, a grant or an opening balance was).
    receiver_kind: str
    awaiting_confirmation: bool
    awaiting_approval: bool
    age_days: int


# The rows, as plain columns: built once (each list adds its conditions). _queue_row
# reads them in this order.
ROWS = with_both_sides(
    Transfer.id,
    Transfer.service_date,
    Transfer.minutes,
    Transfer.kind,
    Transfer.description,
    Transfer.reverses_id,
    Transfer.debit_account_id,
    Transfer.credit_account_id,
    Transfer.recorded_at,
    Transfer.needs_confirmation,
    Transfer.confirmed_at,
    Transfer.needs_approval,
    Transfer.approved_at,
)


def _stage_condition(stage: str):
    """Each pending entry is in one list. While a coordinator has still to approve it,
    it is in the approval list (tagged "not yet confirmed" if the other person has not
    confirmed it either: a coordinator may approve it in advance). The other list holds
    the entries that wait for the other person alone."""
    awaiting_approval = sa.and_(Transfer.needs_approval.is_(True), Transfer.approved_at.is_(None))
    if stage == STAGE_CONFIRMATION:
        return sa.and_(
            Transfer.needs_confirmation.is_(True),
            Transfer.confirmed_at.is_(None),
            sa.not_(awaiting_approval),
        )
    return awaiting_approval


_BANK = sa.bindparam("time_bank_id", type_=sa.Integer)
_PENDING_IN_BANK = (Transfer.time_bank_id == _BANK, Transfer.status == TransferStatus.PENDING)
# The key of a page's first or last row is read among the bank's pending entries.
KEY_OF = sa.select(*ORDER.columns).where(*_PENDING_IN_BANK)
QUEUE = KeysetList(ORDER, Transfer.id, KEY_OF)


@functools.cache
def _statements(stage: str, shape: tuple[bool, ...]) -> tuple[sa.Select, sa.Select]:
    """The totals (count, minutes) and the rows of one stage's list with the filters
    ``shape`` says are given (member, category, least and most minutes, age, kind),
    built once: the filters' values are the parameters "member", "category",
    "min_minutes", "max_minutes", "recorded_by" and "kind"."""
    member, category, min_minutes, max_minutes, age, kind = shape
    conditions = [*_PENDING_IN_BANK, _stage_condition(stage)]
    if member:
        conditions.append(involving(_BANK, "member"))
    if category:
        conditions.append(
            Transfer.category_id.in_(
                sa.select(Category.id).where(
                    Category.time_bank_id == _BANK,
                    Category.slug == sa.bindparam("category", type_=sa.String),
                )
            )
        )
    if min_minutes:
        conditions.append(Transfer.minutes >= sa.bindparam("min_minutes", type_=sa.Integer))
    if max_minutes:
        conditions.append(Transfer.minutes <= sa.bindparam("max_minutes", type_=sa.Integer))
    if age:
        recorded_by = sa.bindparam("recorded_by", type_=Transfer.recorded_at.type)
        conditions.append(Transfer.recorded_at <= recorded_by)
    if kind:
        conditions.append(Transfer.kind == sa.bindparam("kind", type_=Transfer.kind.type))
    totals = (
        sa.select(sa.func.count(Transfer.id), sa.func.coalesce(sa.func.sum(Transfer.minutes), 0))
        .select_from(Transfer)
        .where(*conditions)
    )
    return totals, ROWS.where(*conditions)


def _queue_row(row: sa.Row, now: datetime) -> QueueRow:
    own, category, giver, receiver, receiver_kind = split_sides(row)
    (
        id_,
        service_date,
        minutes,
        kind,
        description,
        reverses_id,
        debit_account_id,
        credit_account_id,
        recorded_at,
        needs_confirmation,
        confirmed_at,
        needs_approval,
        approved_at,
    ) = own
    return QueueRow(
        id=id_,
        service_date=service_date,
        minutes=minutes,
        kind=kind,
        description=description,
        reverses_id=reverses_id,
        debit_account_id=debit_account_id,
        credit_account_id=credit_account_id,
        approved_at=approved_at,
        category=category,
        giver=giver,
        receiver=receiver,
        receiver_kind=receiver_kind,
        awaiting_confirmation=needs_confirmation and confirmed_at is None,
        awaiting_approval=needs_approval and approved_at is None,
        age_days=max((now - recorded_at).days, 0),
    )


def list_queue(
    session: Session,
    time_bank_id: int,
    filters: QueueFilters | None = None,
    *,
    cursor: Cursor | None = None,
    per_page: int = PER_PAGE,
    now: datetime | None = None,
) -> KeysetPage:
    """Pending entries waiting for a coordinator (or, with ``stage="confirmation"``, for
    the other person), oldest first, a page from ``cursor`` (keyset paging). Two
    queries on the first page (the totals and the rows), three on the others."""
    filters = filters or QueueFilters()
    now = now or utcnow()
    member = filters.member.strip()
    shape = (
        bool(member),
        bool(filters.category),
        filters.min_minutes is not None,
        filters.max_minutes is not None,
        bool(filters.min_age_days),
        bool(filters.kind),
    )
    stage = STAGE_CONFIRMATION if filters.stage == STAGE_CONFIRMATION else STAGE_APPROVAL
    totals, rows = _statements(stage, shape)
    parameters = {
        "time_bank_id": time_bank_id,
        "member": contained(member),
        "category": filters.category,
        "min_minutes": filters.min_minutes,
        "max_minutes": filters.max_minutes,
        "recorded_by": now - timedelta(days=filters.min_age_days or 0),
        "kind": filters.kind,
    }
    total, total_minutes = read_rows(session, totals, parameters).one()
    page = QUEUE.page(
        session, rows, cursor=cursor, per_page=per_page, total=int(total), parameters=parameters
    )
    page.rows = [_queue_row(row, now) for row in page.rows]
    page.total_minutes = int(total_minutes)
    return page


# How many pending entries of a bank (parameter "approvals_time_bank_id") wait for a
# coordinator's approval, as count_waiting counts them: built once, as every page of a
# coordinator shows it in the navigation (timebank/navigation.py).
APPROVALS_WAITING_COUNT = sa.select(sa.func.count(Transfer.id)).where(
    Transfer.time_bank_id == sa.bindparam("approvals_time_bank_id", type_=sa.Integer),
    Transfer.status == TransferStatus.PENDING,
    _stage_condition(STAGE_APPROVAL),
)


# Both counts of count_waiting in one row: built once (the queue page shows them).
WAITING_COUNTS = sa.select(
    sa.func.count(Transfer.id).filter(_stage_condition(STAGE_APPROVAL)),
    sa.func.count(Transfer.id).filter(_stage_condition(STAGE_CONFIRMATION)),
).where(
    Transfer.time_bank_id == sa.bindparam("time_bank_id", type_=sa.Integer),
    Transfer.status == TransferStatus.PENDING,
)


def count_waiting(session: Session, time_bank_id: int) -> dict[str, int]:
    """How many pending entries wait for a coordinator and for the other person."""
    approval, confirmation = read_rows(
        session, WAITING_COUNTS, {"time_bank_id": time_bank_id}
    ).one()
    return {STAGE_APPROVAL: int(approval), STAGE_CONFIRMATION: int(confirmation)}


def load_pending_selection(
    session: Session, time_bank_id: int, ids: list[int], *, now: datetime | None = None
) -> list[QueueRow]:
    """The entries of this bank among ``ids`` that still wait for approval, oldest
    first (ids of other banks, or already resolved, are left out). One query."""
    if not ids:
        return []
    now = now or utcnow()
    rows = session.execute(
        ROWS.where(
            Transfer.id.in_(sorted(set(ids))),
            Transfer.time_bank_id == time_bank_id,
            Transfer.status == TransferStatus.PENDING,
            _stage_condition(STAGE_APPROVAL),
        ).order_by(Transfer.recorded_at, Transfer.id)
    ).all()
    return [_queue_row(row, now) for row in rows]
