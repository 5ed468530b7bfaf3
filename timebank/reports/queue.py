"""The approval queue: pending entries waiting for a coordinator (or for the other
person), filtered and paged, counted for the navigation, and a selection for bulk
approval.

Each read is a fixed number of queries however many rows it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.clock import utcnow
from timebank.ledger.database import read_rows
from timebank.ledger.models import Category, Transfer, TransferKind, TransferStatus
from timebank.reports.keyset import Cursor, KeysetPage, Order, page_of
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


def _queue_conditions(time_bank_id: int, filters: QueueFilters, now: datetime) -> list:
    conditions = [
        Transfer.time_bank_id == time_bank_id,
        Transfer.status == TransferStatus.PENDING,
        _stage_condition(filters.stage),
    ]
    if filters.member.strip():
        conditions.append(involving(time_bank_id, filters.member))
    if filters.category:
        conditions.append(
            Transfer.category_id.in_(
                sa.select(Category.id).where(
                    Category.time_bank_id == time_bank_id, Category.slug == filters.category
                )
            )
        )
    if filters.min_minutes is not None:
        conditions.append(Transfer.minutes >= filters.min_minutes)
    if filters.max_minutes is not None:
        conditions.append(Transfer.minutes <= filters.max_minutes)
    if filters.min_age_days:
        conditions.append(Transfer.recorded_at <= now - timedelta(days=filters.min_age_days))
    if filters.kind:
        conditions.append(Transfer.kind == filters.kind)
    return conditions


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
    conditions = _queue_conditions(time_bank_id, filters, now)
    total, total_minutes = read_rows(
        session,
        sa.select(sa.func.count(Transfer.id), sa.func.coalesce(sa.func.sum(Transfer.minutes), 0))
        .select_from(Transfer)
        .where(*conditions),
    ).one()
    page = page_of(
        session,
        ROWS.where(*conditions),
        order=ORDER,
        row_id=Transfer.id,
        key_of=sa.select(*ORDER.columns).where(
            Transfer.time_bank_id == time_bank_id, Transfer.status == TransferStatus.PENDING
        ),
        cursor=cursor or Cursor(),
        per_page=per_page,
        total=int(total),
        ident=lambda row: row.id,
        plain=True,
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
