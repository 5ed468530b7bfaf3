"""CSV exports of one time bank: members, transfers and balances, as generators of text.

Each generator reads the ledger in chunks by primary key (keyset paging) and yields
one piece of CSV text per chunk, so memory stays the same however long the ledger is
and a web response can stream the pieces as they come. Between chunks the session's
read transaction is ended: a long download never holds SQLite's write lock (every
transaction here begins IMMEDIATE) or a long-lived PostgreSQL snapshot. Call them with
nothing unsaved in the session.

Cells are written by the csv module; text that a spreadsheet would run as a formula
(starting with = + - @, a tab or a carriage return) gets a leading single quote. Numbers
the ledger produces are written as numbers, so a negative balance stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger import errors
from timebank.ledger.audit import append_audit
from timebank.ledger.models import (
    Account,
    Category,
    Membership,
    Organisation,
    Person,
    TimeBank,
    Transfer,
    TransferStatus,
)
from timebank.ledger.transfer_kinds import read_neutral
from timebank.reports.audit_names import account_label
from timebank.reports.transfer_reading import neutral_words, time_given_condition
from timebank.reports.wording import ENGLISH

CHUNK_SIZE = 1_000
# Excel reads a file as UTF-8 only when it starts with a byte order mark.
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

MEMBER_COLUMNS = [
    "membership_id",
    "name",
    "email",
    "role",
    "kind",
    "status",
    "joined",
    "account_id",
    "balance_minutes",
    "balance_hours",
    "consent_reporting",
    "consent_research",
    "external_ref",
]
TRANSFER_COLUMNS = [
    "id",
    "service_date",
    "recorded_at",
    "posted_at",
    "status",
    "kind",
    # What it was, in words ("Jo Bennett donated 2 h to the community pot"), and whether
    # it is time given and received (exchanges) or credits moved (the rest).
    "what",
    "counts_as_time",
    # Who gave to whom: for an exchange, the time's giver and receiver; for a donation,
    # grant, reversal or opening balance, where the credits came from and went to.
    "from",
    "from_account_id",
    "to",
    "to_account_id",
    "minutes",
    "hours",
    "category",
    "description",
    "reason",
    "reverses_id",
    "batch_id",
]
BALANCE_COLUMNS = [
    "account_id",
    "holder",
    "kind",
    "membership_id",
    "organisation_id",
    "balance_minutes",
    "balance_hours",
    # Time given and received in exchanges that still stand (not donations or grants).
    "time_given_minutes",
    "time_received_minutes",
    # Every posted and pending credit and debit, whatever moved it.
    "credits_minutes",
    "debits_minutes",
    "pending_credits_minutes",
    "pending_debits_minutes",
]

EXPORTS = {
    "members": "members",
    "transfers": "transfers",
    "balances": "balances",
}


def safe_cell(value: Any) -> Any:
    """A cell value that a spreadsheet shows as text, never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def hours(minutes: int) -> Decimal:
    """Minutes as decimal hours with two places: 90 -> 1.50, -45 -> -0.75."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _csv(rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def _header(columns: list[str]) -> str:
    return BOM + _csv([columns])


def _chunks(
    session: Session,
    build: Callable[[int], sa.Select],
    chunk_size: int,
) -> Iterator[Sequence[sa.Row]]:
    """Rows of ``build(last_id)`` (which must filter ``id > last_id``, order by id and
    return the id first) in chunks, each read in its own short transaction."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("Save or discard the session's changes before an export.")
    last_id = 0
    while True:
        rows = session.execute(build(last_id).limit(chunk_size)).all()
        session.rollback()
        if not rows:
            return
        yield rows
        if len(rows) < chunk_size:
            return
        last_id = rows[-1][0]


def members_csv(session: Session, bank_id: int, *, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """Every membership of the time bank, with email and balance (coordinators only)."""
    yield _header(MEMBER_COLUMNS)

    def build(last_id: int) -> sa.Select:
        return (
            sa.select(
                Membership.id,
                Person.display_name,
                Person.email,
                Membership.role,
                Membership.kind,
                Membership.status,
                Membership.joined_at,
                Account.id,
                Account.posted_credits,
                Account.posted_debits,
                Membership.consent_reporting,
                Membership.consent_research,
                Membership.external_ref,
            )
            .join(Person, Person.id == Membership.person_id)
            .outerjoin(Account, Account.membership_id == Membership.id)
            .where(Membership.time_bank_id == bank_id, Membership.id > last_id)
            .order_by(Membership.id)
        )

    for rows in _chunks(session, build, chunk_size):
        lines = []
        for (
            membership_id,
            name,
            email,
            role,
            kind,
            status,
            joined_at,
            account_id,
            credits,
            debits,
            consent_reporting,
            consent_research,
            external_ref,
        ) in rows:
            balance = (credits or 0) - (debits or 0)
            lines.append(
                [
                    membership_id,
                    name,
                    email,
                    str(role),
                    str(kind),
                    str(status),
                    joined_at.date(),
                    account_id,
                    balance,
                    hours(balance),
                    consent_reporting,
                    consent_research,
                    external_ref,
                ]
            )
        yield _csv(lines)


class _AccountLabels:
    """Account names, looked up once per chunk for the accounts not seen before (the
    cache grows with the number of accounts, never with the number of transfers)."""

    def __init__(self, session: Session, bank_id: int) -> None:
        self.session, self.bank_id = session, bank_id
        self.labels: dict[int, str] = {}
        self.kinds: dict[int, str] = {}

    def fetch(self, ids: set[int]) -> None:
        missing = ids - self.labels.keys()
        if not missing:
            return
        rows = self.session.execute(
            sa.select(Account.id, Account.kind, Person.display_name, Organisation.name)
            .outerjoin(Membership, Membership.id == Account.membership_id)
            .outerjoin(Person, Person.id == Membership.person_id)
            .outerjoin(Organisation, Organisation.id == Account.organisation_id)
            .where(Account.time_bank_id == self.bank_id, Account.id.in_(missing))
        )
        for account_id, kind, person_name, organisation_name in rows:
            self.labels[account_id] = account_label(kind, person_name, organisation_name)
            self.kinds[account_id] = str(kind)
        self.session.rollback()


@dataclass(frozen=True)
class TransferFilter:
    date_from: date | None = None
    date_to: date | None = None
    status: TransferStatus | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "status": str(self.status) if self.status else None,
        }


def transfers_csv(
    session: Session,
    bank_id: int,
    filters: TransferFilter | None = None,
    *,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[str]:
    """The time bank's transfers, oldest first, optionally by service date and status."""
    filters = filters or TransferFilter()
    yield _header(TRANSFER_COLUMNS)
    conditions = [Transfer.time_bank_id == bank_id]
    if filters.date_from is not None:
        conditions.append(Transfer.service_date >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(Transfer.service_date <= filters.date_to)
    if filters.status is not None:
        conditions.append(Transfer.status == filters.status)

    def build(last_id: int) -> sa.Select:
        return (
            sa.select(
                Transfer.id,
                Transfer.service_date,
                Transfer.recorded_at,
                Transfer.posted_at,
                Transfer.status,
                Transfer.kind,
                Transfer.credit_account_id,
                Transfer.debit_account_id,
                Transfer.minutes,
                Category.name,
                Transfer.description,
                Transfer.reason,
                Transfer.reverses_id,
                Transfer.batch_id,
            )
            .outerjoin(Category, Category.id == Transfer.category_id)
            .where(*conditions, Transfer.id > last_id)
            .order_by(Transfer.id)
        )

    labels = _AccountLabels(session, bank_id)
    for rows in _chunks(session, build, chunk_size):
        labels.fetch({r[6] for r in rows} | {r[7] for r in rows})
        lines = []
        for (
            transfer_id,
            service_date,
            recorded_at,
            posted_at,
            status,
            kind,
            credit_id,
            debit_id,
            minutes,
            category,
            description,
            reason,
            reverses_id,
            batch_id,
        ) in rows:
            credited, debited = labels.labels.get(credit_id, ""), labels.labels.get(debit_id, "")
            view = read_neutral(kind, labels.kinds.get(debit_id))
            # Time goes from the credited account's holder; credits from the debited one.
            if view.is_time:
                origin, destination = (credited, credit_id), (debited, debit_id)
            else:
                origin, destination = (debited, debit_id), (credited, credit_id)
            lines.append(
                [
                    transfer_id,
                    service_date,
                    recorded_at,
                    posted_at,
                    str(status),
                    str(kind),
                    neutral_words(
                        ENGLISH,
                        kind,
                        giver=credited,
                        receiver=debited,
                        minutes=minutes,
                        reverses_id=reverses_id,
                        debit_kind=labels.kinds.get(debit_id),
                    ),
                    view.is_time,
                    origin[0],
                    origin[1],
                    destination[0],
                    destination[1],
                    minutes,
                    hours(minutes),
                    category,
                    description,
                    reason,
                    reverses_id,
                    batch_id,
                ]
            )
        yield _csv(lines)


def _time_given_and_received(session: Session, account_ids: list[int]) -> dict[int, tuple]:
    """Minutes of time each account gave and received in exchanges that still stand,
    two grouped queries for a chunk of accounts (then the read transaction ends)."""
    if not account_ids:
        return {}
    found: dict[int, list[int]] = {}
    for column, index in ((Transfer.credit_account_id, 0), (Transfer.debit_account_id, 1)):
        rows = session.execute(
            sa.select(column, sa.func.sum(Transfer.minutes))
            .where(column.in_(account_ids), time_given_condition(Transfer))
            .group_by(column)
        ).all()
        for account_id, minutes in rows:
            found.setdefault(account_id, [0, 0])[index] = int(minutes or 0)
    session.rollback()
    return {account_id: (given, received) for account_id, (given, received) in found.items()}


def balances_csv(session: Session, bank_id: int, *, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """Every account of the time bank with its posted balance and what is pending."""
    yield _header(BALANCE_COLUMNS)

    def build(last_id: int) -> sa.Select:
        return (
            sa.select(
                Account.id,
                Account.kind,
                Person.display_name,
                Organisation.name,
                Account.membership_id,
                Account.organisation_id,
                Account.posted_credits,
                Account.posted_debits,
                Account.pending_credits,
                Account.pending_debits,
            )
            .outerjoin(Membership, Membership.id == Account.membership_id)
            .outerjoin(Person, Person.id == Membership.person_id)
            .outerjoin(Organisation, Organisation.id == Account.organisation_id)
            .where(Account.time_bank_id == bank_id, Account.id > last_id)
            .order_by(Account.id)
        )

    for rows in _chunks(session, build, chunk_size):
        time_of = _time_given_and_received(session, [r[0] for r in rows])
        lines = []
        for (
            account_id,
            kind,
            person_name,
            organisation_name,
            membership_id,
            organisation_id,
            posted_credits,
            posted_debits,
            pending_credits,
            pending_debits,
        ) in rows:
            balance = posted_credits - posted_debits
            given, received = time_of.get(account_id, (0, 0))
            lines.append(
                [
                    account_id,
                    account_label(kind, person_name, organisation_name),
                    str(kind),
                    membership_id,
                    organisation_id,
                    balance,
                    hours(balance),
                    given,
                    received,
                    posted_credits,
                    posted_debits,
                    pending_credits,
                    pending_debits,
                ]
            )
        yield _csv(lines)


def export_filename(bank: TimeBank, what: str, today: date) -> str:
    return f"{bank.slug}-{what}-{today.isoformat()}.csv"


def record_export(
    session: Session,
    *,
    actor: Membership,
    bank: TimeBank,
    what: str,
    filters: dict[str, Any] | None = None,
) -> None:
    """Log a download in the audit log: exports carry personal data."""
    if what not in EXPORTS:
        raise errors.InvalidPolicyError("There is no %(what)s export.", what=what)
    if actor.time_bank_id != bank.id or not actor.is_coordinator:
        raise errors.NotAllowedError("Only a coordinator of this time bank can export its data.")
    append_audit(
        session,
        time_bank_id=bank.id,
        actor=actor,
        action=f"export.{what}",
        entity_type="time_bank",
        entity_id=bank.id,
        after={"format": "csv", **{k: v for k, v in (filters or {}).items() if v is not None}},
    )
