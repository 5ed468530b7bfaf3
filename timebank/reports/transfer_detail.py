"""One entry in full for the coordinator deciding on it: both people's recent history,
their balances now and after it posts (with the limit it would break, if any), and its
audit trail in plain words."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger import errors, rules
from timebank.ledger.models import (
    Account,
    AuditEntry,
    Category,
    Membership,
    Person,
    TimeBank,
    Transfer,
)
from timebank.reports.statements import StatementLine, list_recent_transfers


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


# An entry's audit trail and the bank's category names: built once, with their
# values as parameters (each view of an entry asks).
AUDIT_LINES = (
    sa.select(
        AuditEntry.action,
        AuditEntry.before,
        AuditEntry.after,
        AuditEntry.created_at,
        Person.display_name,
    )
    .outerjoin(Membership, Membership.id == AuditEntry.actor_id)
    .outerjoin(Person, Person.id == Membership.person_id)
    .where(
        AuditEntry.time_bank_id == sa.bindparam("time_bank_id"),
        AuditEntry.entity_type == "transfer",
        AuditEntry.entity_id.in_(sa.bindparam("entity_ids", expanding=True)),
    )
    .order_by(AuditEntry.seq)
)
CATEGORY_NAMES = sa.select(Category.id, Category.name).where(
    Category.time_bank_id == sa.bindparam("time_bank_id")
)
REVERSAL_ID = sa.select(Transfer.id).where(Transfer.reverses_id == sa.bindparam("transfer_id"))


def audit_lines(session: Session, time_bank_id: int, entity_ids: list[int]) -> list[AuditLine]:
    """The audit trail of these transfers, oldest first, with who did each step."""
    rows = session.execute(
        AUDIT_LINES, {"time_bank_id": time_bank_id, "entity_ids": entity_ids}
    ).all()
    categories: dict[int, str] = {
        row.id: row.name for row in session.execute(CATEGORY_NAMES, {"time_bank_id": time_bank_id})
    }
    lines = []
    for entry in rows:
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
                actor=entry.display_name,
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
    assert giver is not None and receiver is not None  # noqa: S101 (narrows the type)
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
        audit=audit_lines(session, bank.id, ids),
        batch_size=batch_size,
        recorded_by=recorded_by,
        reversed_by_id=reversal_id,
    )


def entry_history(session: Session, time_bank_id: int, transfer: Transfer) -> list[AuditLine]:
    """An entry's history for the people in it: its own steps and its reversal's."""
    reversal_id = session.scalar(REVERSAL_ID, {"transfer_id": transfer.id})
    ids = [transfer.id] + ([reversal_id] if reversal_id else [])
    return audit_lines(session, time_bank_id, ids)
