"""What coordinators read: the approval queue, a pending entry in full, and the posted
exchanges they may reverse.

Each read is a fixed number of queries however many rows it returns: names, accounts
and categories are loaded with the rows, and pages hold at most ``per_page`` rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, joinedload

from timebank.ledger import errors, rules
from timebank.ledger.clock import utcnow
from timebank.ledger.models import (
    Account,
    AuditEntry,
    Category,
    Membership,
    Organisation,
    Person,
    TimeBank,
    Transfer,
    TransferKind,
    TransferStatus,
)
from timebank.ledger.statements import StatementLine, list_recent_transfers

PER_PAGE = 50

# Which pending entries a list shows.
STAGE_APPROVAL = "approval"
STAGE_CONFIRMATION = "confirmation"
STAGES = (STAGE_APPROVAL, STAGE_CONFIRMATION)


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


@dataclass(frozen=True)
class HistoryFilters:
    """Filters of the list of posted exchanges."""

    member: str = ""
    start: date | None = None
    end: date | None = None
    kind: str = ""


@dataclass(frozen=True)
class QueueRow:
    transfer: Transfer
    giver: str
    receiver: str
    category: str | None
    awaiting_confirmation: bool
    awaiting_approval: bool
    age_days: int


@dataclass(frozen=True)
class PostedRow:
    transfer: Transfer
    giver: str
    receiver: str
    category: str | None
    # The reversal of this entry, if it was reversed.
    reversed_by_id: int | None


@dataclass
class Page:
    rows: list[Any]
    total: int
    page: int
    per_page: int
    total_minutes: int = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _names_loaded():
    """Options that load both accounts' holders' names and the category with the rows."""
    return (
        joinedload(Transfer.credit_account)
        .joinedload(Account.membership)
        .joinedload(Membership.person),
        joinedload(Transfer.credit_account).joinedload(Account.organisation),
        joinedload(Transfer.debit_account)
        .joinedload(Account.membership)
        .joinedload(Membership.person),
        joinedload(Transfer.debit_account).joinedload(Account.organisation),
        joinedload(Transfer.category),
    )


def _accounts_named(time_bank_id: int, term: str):
    """Ids of the bank's accounts whose holder's name contains ``term`` (any case)."""
    needle = term.strip().lower()
    people = (
        sa.select(Account.id)
        .join(Membership, Membership.id == Account.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Account.time_bank_id == time_bank_id,
            sa.func.lower(Person.display_name).contains(needle, autoescape=True),
        )
    )
    organisations = (
        sa.select(Account.id)
        .join(Organisation, Organisation.id == Account.organisation_id)
        .where(
            Account.time_bank_id == time_bank_id,
            sa.func.lower(Organisation.name).contains(needle, autoescape=True),
        )
    )
    return sa.union(people, organisations)


def _involving(time_bank_id: int, term: str):
    named = _accounts_named(time_bank_id, term).subquery()
    ids = sa.select(named.c[0])
    return sa.or_(Transfer.debit_account_id.in_(ids), Transfer.credit_account_id.in_(ids))


def _stage_condition(stage: str):
    if stage == STAGE_CONFIRMATION:
        return sa.and_(Transfer.needs_confirmation.is_(True), Transfer.confirmed_at.is_(None))
    return sa.and_(Transfer.needs_approval.is_(True), Transfer.approved_at.is_(None))


def _queue_conditions(time_bank_id: int, filters: QueueFilters, now: datetime) -> list:
    conditions = [
        Transfer.time_bank_id == time_bank_id,
        Transfer.status == TransferStatus.PENDING,
        _stage_condition(filters.stage),
    ]
    if filters.member.strip():
        conditions.append(_involving(time_bank_id, filters.member))
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


def _queue_row(transfer: Transfer, now: datetime) -> QueueRow:
    return QueueRow(
        transfer=transfer,
        giver=transfer.credit_account.label,
        receiver=transfer.debit_account.label,
        category=transfer.category.name if transfer.category else None,
        awaiting_confirmation=transfer.needs_confirmation and transfer.confirmed_at is None,
        awaiting_approval=transfer.needs_approval and transfer.approved_at is None,
        age_days=max((now - transfer.recorded_at).days, 0),
    )


def list_queue(
    session: Session,
    time_bank_id: int,
    filters: QueueFilters | None = None,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    now: datetime | None = None,
) -> Page:
    """Pending entries waiting for a coordinator (or, with ``stage="confirmation"``, for
    the other person), oldest first. Two queries: the totals and the page of rows."""
    filters = filters or QueueFilters()
    now = now or utcnow()
    conditions = _queue_conditions(time_bank_id, filters, now)
    total, total_minutes = session.execute(
        sa.select(sa.func.count(Transfer.id), sa.func.coalesce(sa.func.sum(Transfer.minutes), 0))
        .select_from(Transfer)
        .where(*conditions)
    ).one()
    page = max(page, 1)
    transfers = session.scalars(
        sa.select(Transfer)
        .where(*conditions)
        .options(*_names_loaded())
        .order_by(Transfer.recorded_at, Transfer.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(
        rows=[_queue_row(t, now) for t in transfers],
        total=int(total),
        page=page,
        per_page=per_page,
        total_minutes=int(total_minutes),
    )


def count_waiting(session: Session, time_bank_id: int) -> dict[str, int]:
    """How many pending entries wait for a coordinator and for the other person."""
    base = [Transfer.time_bank_id == time_bank_id, Transfer.status == TransferStatus.PENDING]
    approval, confirmation = session.execute(
        sa.select(
            sa.func.count(Transfer.id).filter(_stage_condition(STAGE_APPROVAL)),
            sa.func.count(Transfer.id).filter(_stage_condition(STAGE_CONFIRMATION)),
        ).where(*base)
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
    transfers = session.scalars(
        sa.select(Transfer)
        .where(
            Transfer.id.in_(sorted(set(ids))),
            Transfer.time_bank_id == time_bank_id,
            Transfer.status == TransferStatus.PENDING,
            _stage_condition(STAGE_APPROVAL),
        )
        .options(*_names_loaded())
        .order_by(Transfer.recorded_at, Transfer.id)
    ).all()
    return [_queue_row(t, now) for t in transfers]


# One entry in full -----------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """One person's balance now and if the entry posts."""

    label: str
    balance: int
    pending_given: int
    pending_received: int
    after: int
    # Why approving would be refused for this account, if it would be (in English; the
    # error itself is kept so that the web layer can show it in the reader's language).
    problem: str | None
    error: errors.LimitError | None = None


@dataclass(frozen=True)
class AuditLine:
    action: str
    actor: str | None
    created_at: datetime
    # (label, old, new) in English words: "Time", "2 h 30 min", "3 h".
    changes: list[tuple[str, Any, Any]]
    reason: str | None
    # The same changes as (field, old, new) values for the web layer to put into the
    # reader's language: minutes as ``rules.Minutes``, dates as ``date``, category names
    # (None for none), statuses and descriptions as they are.
    values: list[tuple[str, Any, Any]] = field(default_factory=list)


@dataclass
class TransferDetail:
    transfer: Transfer
    giver: Account
    receiver: Account
    giver_history: list[StatementLine]
    receiver_history: list[StatementLine]
    giver_effect: Effect
    receiver_effect: Effect
    audit: list[AuditLine]
    # The other entries of its group exchange, if any.
    batch_size: int = 1
    recorded_by: str | None = None
    reversed_by_id: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def will_post_on_approval(self) -> bool:
        t = self.transfer
        return not t.needs_confirmation or t.confirmed_at is not None

    @property
    def problems(self) -> list[str]:
        return [e.problem for e in (self.giver_effect, self.receiver_effect) if e.problem]


def _effect(account: Account, minutes: int, gives: bool, policy: rules.Policy) -> Effect:
    counters = rules.Counters.of(account)
    problem = None
    limit_error = None
    try:
        # Already pending, so checked with 0 more minutes, as approval does.
        if gives:
            rules.check_can_give(counters, 0, account.kind, policy, account.label)
        else:
            rules.check_can_receive(counters, 0, account.kind, policy, account.label)
    except errors.LimitError as error:
        problem = error.message
        limit_error = error
    return Effect(
        label=account.label,
        balance=counters.balance,
        pending_given=counters.pending_credits,
        pending_received=counters.pending_debits,
        after=counters.balance + (minutes if gives else -minutes),
        problem=problem,
        error=limit_error,
    )


AUDIT_FIELDS = {
    "minutes": "Time",
    "service_date": "Date",
    "category_id": "Category",
    "description": "Description",
    "status": "Status",
}


def _minutes_text(value: Any) -> Any:
    return rules.format_minutes(value) if isinstance(value, int) else value


def _category_text(categories: dict[int, str], value: Any) -> str:
    return categories.get(value, "none") if isinstance(value, int) else "none"


def _change_value(key: str, value: Any, categories: dict[int, str]) -> Any:
    """One value of a change as data: minutes, a date, a category name or None."""
    if key == "minutes" and isinstance(value, int):
        return rules.Minutes(value)
    if key == "service_date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if key == "category_id":
        return categories.get(value) if isinstance(value, int) else None
    return value


def _audit_lines(session: Session, time_bank_id: int, entity_ids: list[int]) -> list[AuditLine]:
    rows = session.execute(
        sa.select(AuditEntry, Person.display_name)
        .outerjoin(Membership, Membership.id == AuditEntry.actor_id)
        .outerjoin(Person, Person.id == Membership.person_id)
        .where(
            AuditEntry.time_bank_id == time_bank_id,
            AuditEntry.entity_type == "transfer",
            AuditEntry.entity_id.in_(entity_ids),
        )
        .order_by(AuditEntry.seq)
    ).all()
    categories = dict(
        session.execute(
            sa.select(Category.id, Category.name).where(Category.time_bank_id == time_bank_id)
        ).all()
    )
    lines = []
    for entry, actor in rows:
        before: dict[str, Any] = json.loads(entry.before) if entry.before else {}
        after: dict[str, Any] = json.loads(entry.after) if entry.after else {}
        changes = []
        values = []
        if before:
            for key, label in AUDIT_FIELDS.items():
                old, new = before.get(key), after.get(key)
                if old != new:
                    values.append(
                        (
                            key,
                            _change_value(key, old, categories),
                            _change_value(key, new, categories),
                        )
                    )
                    # Snapshots (posting.snapshot) always hold minutes as an int and
                    # the category as an int id or None.
                    if key == "minutes":
                        old, new = _minutes_text(old), _minutes_text(new)
                    elif key == "category_id":
                        old, new = _category_text(categories, old), _category_text(categories, new)
                    changes.append((label, old, new))
        reason = after.get("correction_reason") or (
            after.get("reason")
            if entry.action in ("transfer.rejected", "transfer.reversed")
            else None
        )
        lines.append(
            AuditLine(
                action=entry.action,
                actor=actor,
                created_at=entry.created_at,
                changes=changes,
                reason=reason,
                values=values,
            )
        )
    return lines


def transfer_detail(
    session: Session, bank: TimeBank, transfer: Transfer, *, history: int = 10
) -> TransferDetail:
    """A pending (or any) entry with both people's recent history, their balances now
    and after it posts, and its audit trail."""
    giver = session.get(Account, transfer.credit_account_id)
    receiver = session.get(Account, transfer.debit_account_id)
    # Both sides are non-null foreign keys of the transfer: the accounts exist.
    assert giver is not None and receiver is not None
    policy = rules.Policy.of(bank)
    reversal_id = session.scalar(sa.select(Transfer.id).where(Transfer.reverses_id == transfer.id))
    batch_size = 1
    if transfer.batch_id:
        batch_size = (
            session.scalar(
                sa.select(sa.func.count(Transfer.id)).where(Transfer.batch_id == transfer.batch_id)
            )
            or 1
        )
    recorded_by = None
    if transfer.recorded_by_id:
        recorded_by = session.scalar(
            sa.select(Person.display_name)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.id == transfer.recorded_by_id)
        )
    ids = [transfer.id] + ([reversal_id] if reversal_id else [])
    return TransferDetail(
        transfer=transfer,
        giver=giver,
        receiver=receiver,
        giver_history=list_recent_transfers(session, giver, limit=history),
        receiver_history=list_recent_transfers(session, receiver, limit=history),
        giver_effect=_effect(giver, transfer.minutes, True, policy),
        receiver_effect=_effect(receiver, transfer.minutes, False, policy),
        audit=_audit_lines(session, bank.id, ids),
        batch_size=batch_size,
        recorded_by=recorded_by,
        reversed_by_id=reversal_id,
    )


# Posted exchanges ------------------------------------------------------------------


def list_posted(
    session: Session,
    time_bank_id: int,
    filters: HistoryFilters | None = None,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """Posted entries, newest first, each with the id of its reversal if it has one.
    Two queries, whatever the page size."""
    filters = filters or HistoryFilters()
    conditions = [Transfer.time_bank_id == time_bank_id, Transfer.status == TransferStatus.POSTED]
    if filters.member.strip():
        conditions.append(_involving(time_bank_id, filters.member))
    if filters.start is not None:
        conditions.append(Transfer.service_date >= filters.start)
    if filters.end is not None:
        conditions.append(Transfer.service_date <= filters.end)
    if filters.kind:
        conditions.append(Transfer.kind == filters.kind)
    total = session.scalar(sa.select(sa.func.count(Transfer.id)).where(*conditions)) or 0
    page = max(page, 1)
    reversal = aliased(Transfer)
    rows = session.execute(
        sa.select(Transfer, reversal.id)
        .outerjoin(reversal, reversal.reverses_id == Transfer.id)
        .where(*conditions)
        .options(*_names_loaded())
        .order_by(Transfer.posted_at.desc(), Transfer.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(
        rows=[
            PostedRow(
                transfer=t,
                giver=t.credit_account.label,
                receiver=t.debit_account.label,
                category=t.category.name if t.category else None,
                reversed_by_id=reversal_id,
            )
            for t, reversal_id in rows
        ],
        total=int(total),
        page=page,
        per_page=per_page,
    )


PENDING_KINDS = (TransferKind.EXCHANGE, TransferKind.GROUP)
