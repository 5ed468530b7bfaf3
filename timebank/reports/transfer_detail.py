"""One entry in full for the coordinator deciding on it: both people's recent history,
their balances now and after it posts (with the limit it would break, if any), and its
audit trail in plain words."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from timebank.ledger import errors, rules
from timebank.ledger.database import read_rows
from timebank.ledger.models import (
    Account,
    AccountKind,
    AuditEntry,
    Category,
    Membership,
    Organisation,
    Person,
    TimeBank,
    Transfer,
    account_label,
)
from timebank.reports.statements import StatementLine, recent_lines, recent_rows


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


class Side(NamedTuple):
    """One side of an entry: its account's kind, holder and counters (which give the
    balances), read as plain columns with the entry's other facts."""

    id: int
    kind: AccountKind
    membership_id: int | None
    posted_debits: int
    posted_credits: int
    pending_debits: int
    pending_credits: int
    label: str


@dataclass
class TransferDetail:
    transfer: Transfer
    giver: Side
    receiver: Side
    # The accounts' names (``Side.label``).
    giver_label: str
    receiver_label: str
    # Each side's recent entries as read (``statements.recent_rows``); their lines are
    # ``giver_history`` and ``receiver_history``, made when first asked for.
    giver_recent: tuple[sa.Row, ...]
    receiver_recent: tuple[sa.Row, ...]
    giver_effect: Effect
    receiver_effect: Effect
    audit: list[AuditLine]
    # The other entries of its group exchange, if any.
    batch_size: int = 1
    recorded_by: str | None = None
    reversed_by_id: int | None = None
    # The entry's category, if it has one: its name and slug.
    category: str | None = None
    category_slug: str | None = None
    notes: list[str] = field(default_factory=list)

    @functools.cached_property
    def giver_history(self) -> list[StatementLine]:
        return recent_lines(self.giver, self.giver_recent)

    @functools.cached_property
    def receiver_history(self) -> list[StatementLine]:
        return recent_lines(self.receiver, self.receiver_recent)

    @property
    def recent_shown(self) -> tuple:
        """Everything both sides' recent entries are drawn from: each account (whose
        side an entry is seen from), its name and the rows read. A page that keeps them
        drawn (``kept_parts``) keys them on this, and makes the lines only to draw them."""
        return (
            (self.giver.id, self.giver.membership_id, self.giver_label, self.giver_recent),
            (
                self.receiver.id,
                self.receiver.membership_id,
                self.receiver_label,
                self.receiver_recent,
            ),
        )

    @property
    def will_post_on_approval(self) -> bool:
        t = self.transfer
        return not t.needs_confirmation or t.confirmed_at is not None

    @property
    def problems(self) -> list[str]:
        return [e.problem for e in (self.giver_effect, self.receiver_effect) if e.problem]


def _effect(account: Side, label: str, minutes: int, gives: bool, policy: rules.Policy) -> Effect:
    counters = rules.Counters.of(account)
    problem = None
    limit_error = None
    try:
        # Already pending, so checked with 0 more minutes, as approval does.
        if gives:
            rules.check_can_give(counters, 0, account.kind, policy, label)
        else:
            rules.check_can_receive(counters, 0, account.kind, policy, label)
    except errors.LimitError as error:
        problem = error.message
        limit_error = error
    return Effect(
        label=label,
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
# values as parameters (each view of an entry asks). The trail's few rows are put in
# order (by ``seq``) after reading: asked to order them, SQLite (which has no table
# statistics) walks the bank's whole log along its (time_bank_id, seq) index instead of
# finding the entry's rows by ix_audit_entry_entity (120 µs at the demo's size against
# 6, and growing with the log).
AUDIT_LINES = (
    sa.select(
        AuditEntry.seq,
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
)
CATEGORY_NAMES = sa.select(Category.id, Category.name).where(
    Category.time_bank_id == sa.bindparam("time_bank_id")
)
REVERSAL_ID = sa.select(Transfer.id).where(Transfer.reverses_id == sa.bindparam("transfer_id"))

_REVERSAL = aliased(Transfer, name="detail_reversal")
_BATCH_MATE = aliased(Transfer, name="detail_batch_mate")
_RECORDER = aliased(Membership, name="detail_recorder")
_RECORDER_PERSON = aliased(Person, name="detail_recorder_person")


def _side_columns(name: str, account_id: Any) -> tuple[list, list]:
    """The columns of the account ``account_id`` (labelled ``<name>_id`` and so on) and
    the outer joins that read them with its holder's names."""
    account = aliased(Account, name=f"detail_{name}")
    membership = aliased(Membership, name=f"detail_{name}_membership")
    person = aliased(Person, name=f"detail_{name}_person")
    organisation = aliased(Organisation, name=f"detail_{name}_organisation")
    columns = [
        account.id.label(f"{name}_id"),
        account.kind.label(f"{name}_kind"),
        account.membership_id.label(f"{name}_membership_id"),
        account.posted_debits.label(f"{name}_posted_debits"),
        account.posted_credits.label(f"{name}_posted_credits"),
        account.pending_debits.label(f"{name}_pending_debits"),
        account.pending_credits.label(f"{name}_pending_credits"),
        person.display_name.label(f"{name}_person"),
        organisation.name.label(f"{name}_organisation"),
    ]
    joins = [
        (account, account.id == account_id),
        (membership, membership.id == account.membership_id),
        (person, person.id == membership.person_id),
        (organisation, organisation.id == account.organisation_id),
    ]
    return columns, joins


def _side(facts: sa.Row, name: str) -> Side:
    def value(column: str) -> Any:
        return facts._mapping[f"{name}_{column}"]

    return Side(
        id=value("id"),
        kind=value("kind"),
        membership_id=value("membership_id"),
        posted_debits=value("posted_debits"),
        posted_credits=value("posted_credits"),
        pending_debits=value("pending_debits"),
        pending_credits=value("pending_credits"),
        label=account_label(value("kind"), value("person"), value("organisation")),
    )


def _facts() -> sa.Select:
    """What the page says of an entry besides the entry itself, in one row: both sides
    (``giver_...``, the credited account, and ``receiver_...``), its reversal's id, how
    many entries its group has (0 for none), who recorded it and its category's name
    and slug."""
    giver_columns, giver_joins = _side_columns("giver", Transfer.credit_account_id)
    receiver_columns, receiver_joins = _side_columns("receiver", Transfer.debit_account_id)
    query = sa.select(
        *giver_columns,
        *receiver_columns,
        sa.select(_REVERSAL.id)
        .where(_REVERSAL.reverses_id == Transfer.id)
        .scalar_subquery()
        .label("reversed_by_id"),
        sa.select(sa.func.count(_BATCH_MATE.id))
        .where(_BATCH_MATE.batch_id == Transfer.batch_id)
        .scalar_subquery()
        .label("batch_size"),
        _RECORDER_PERSON.display_name.label("recorded_by"),
        Category.name.label("category"),
        Category.slug.label("category_slug"),
    ).select_from(Transfer)
    # Both sides are non-null foreign keys of the transfer: their accounts exist.
    for target, on in giver_joins[:1] + receiver_joins[:1]:
        query = query.join(target, on)
    for target, on in giver_joins[1:] + receiver_joins[1:]:
        query = query.outerjoin(target, on)
    return (
        query.outerjoin(_RECORDER, _RECORDER.id == Transfer.recorded_by_id)
        .outerjoin(_RECORDER_PERSON, _RECORDER_PERSON.id == _RECORDER.person_id)
        .outerjoin(Category, Category.id == Transfer.category_id)
        .where(Transfer.id == sa.bindparam("transfer_id", type_=sa.Integer))
    )


# Built once (each view of an entry asks): the sides were read as Account objects by a
# statement of their own, which cost more than this whole one.
FACTS = _facts()


def _category_names(session: Session, time_bank_id: int) -> dict[int, str]:
    return {
        row.id: row.name
        for row in read_rows(session, CATEGORY_NAMES, {"time_bank_id": time_bank_id})
    }


def audit_lines(session: Session, time_bank_id: int, entity_ids: list[int]) -> list[AuditLine]:
    """The audit trail of these transfers, oldest first, with who did each step."""
    rows = sorted(
        read_rows(session, AUDIT_LINES, {"time_bank_id": time_bank_id, "entity_ids": entity_ids}),
        key=lambda row: row.seq,
    )
    # Read only when a correction changed a category.
    categories: dict[int, str] | None = None
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
                    if categories is None and key == "category_id":
                        categories = _category_names(session, time_bank_id)
                    values.append(
                        (
                            key,
                            _change_value(key, old, categories or {}),
                            _change_value(key, new, categories or {}),
                        )
                    )
                    # Snapshots (posting.snapshot) always hold minutes as an int and
                    # the category as an int id or None.
                    if key == "minutes":
                        old, new = _minutes_text(old), _minutes_text(new)
                    elif key == "category_id":
                        names = categories or {}
                        old, new = _category_text(names, old), _category_text(names, new)
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
    """A pending (or any) entry with both people's recent history (``history`` entries
    each; none read for 0), their balances now and after it posts, and its audit
    trail."""
    facts = read_rows(session, FACTS, {"transfer_id": transfer.id}).one()
    giver, receiver = _side(facts, "giver"), _side(facts, "receiver")
    giver_label, receiver_label = giver.label, receiver.label
    policy = rules.Policy.of(bank)
    ids = [transfer.id] + ([facts.reversed_by_id] if facts.reversed_by_id else [])
    return TransferDetail(
        transfer=transfer,
        giver=giver,
        receiver=receiver,
        giver_label=giver_label,
        receiver_label=receiver_label,
        giver_recent=recent_rows(session, giver.id, limit=history) if history else (),
        receiver_recent=recent_rows(session, receiver.id, limit=history) if history else (),
        giver_effect=_effect(giver, giver_label, transfer.minutes, True, policy),
        receiver_effect=_effect(receiver, receiver_label, transfer.minutes, False, policy),
        audit=audit_lines(session, bank.id, ids),
        batch_size=facts.batch_size or 1,
        recorded_by=facts.recorded_by,
        reversed_by_id=facts.reversed_by_id,
        category=facts.category,
        category_slug=facts.category_slug,
    )


def entry_history(session: Session, time_bank_id: int, transfer: Transfer) -> list[AuditLine]:
    """An entry's history for the people in it: its own steps and its reversal's."""
    reversal_id = session.scalar(REVERSAL_ID, {"transfer_id": transfer.id})
    ids = [transfer.id] + ([reversal_id] if reversal_id else [])
    return audit_lines(session, time_bank_id, ids)
