"""Reading import files row by row and checking each row.

``read_rows`` streams a CSV file (the ``csv`` module, one row at a time, never the
whole file) and yields, for each data row, either a parsed row ready to be written or
an :class:`Issue` naming the file line and what is wrong with it in plain words.
Warnings (an amount rounded to the minute, an ignored column) are issues too, with
``warning=True``; they never stop an import.

Everything a row is checked against (members, organisations, categories of the time
bank) is loaded once into :class:`BankLookups`, so checking needs no database
transaction while the file is read.
"""

from __future__ import annotations

import csv
import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.banks import EMAIL_PATTERN
from timebank.ledger.clock import today_in
from timebank.ledger.models import (
    Account,
    Category,
    MemberKind,
    Membership,
    Organisation,
    Person,
    Role,
    TimeBank,
)

# The largest single amount accepted (minutes): far above any real exchange, well
# inside the database's integer column.
MAX_MINUTES = 1_000_000
MAX_NAME = 120
MAX_REF = 80
MAX_DESCRIPTION = 2000


class Layout(enum.StrEnum):
    TIMEOVERFLOW_TRANSFERS = "timeoverflow-transfers"
    MEMBERS = "members"
    TRANSFERS = "transfers"

    @property
    def label(self) -> str:
        return LAYOUT_LABELS[self]

    @property
    def is_transfers(self) -> bool:
        return self != Layout.MEMBERS


LAYOUT_LABELS = {
    Layout.TIMEOVERFLOW_TRANSFERS: "Past exchanges exported from TimeOverflow (no header row)",
    Layout.MEMBERS: "Members (generic layout, with a header row)",
    Layout.TRANSFERS: "Past exchanges (generic layout, with a header row)",
}

MEMBER_COLUMNS = ("external_ref", "name", "email", "kind", "role")
MEMBER_OPTIONAL = ("opening_balance_hours", "joined_on")
TRANSFER_COLUMNS_OPTIONAL = ("category", "description")
TIMEOVERFLOW_TYPES = {
    "member": "member",
    "organization": "organisation",
    "organisation": "organisation",
}


@dataclass(slots=True)
class Issue:
    """Something wrong (or, with ``warning``, worth knowing) about one line of the file."""

    line: int
    message: str
    warning: bool = False


@dataclass(slots=True)
class TransferRow:
    line: int
    debit_account_id: int  # the receiver
    credit_account_id: int  # the giver
    minutes: int
    service_date: date
    happened_at: datetime  # naive UTC
    description: str
    category_id: int | None
    source_ref: str | None = None  # TimeOverflow's post_id


@dataclass(slots=True)
class MemberRow:
    line: int
    external_ref: str
    name: str
    email: str
    kind: MemberKind
    role: Role
    opening_minutes: int | None
    joined_at: datetime | None


@dataclass
class BankLookups:
    """What rows are checked against, loaded in one read."""

    bank_id: int
    timezone: str
    today: date
    member_refs: dict[str, int] = field(default_factory=dict)  # external_ref -> account id
    organisation_refs: dict[str, int] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)  # member email -> account id
    categories: dict[str, int] = field(default_factory=dict)  # slug or name, lower case


def load_lookups(session: Session, bank_id: int) -> BankLookups:
    bank = session.get(TimeBank, bank_id)
    if bank is None:
        raise LookupError(f"no time bank {bank_id}")
    lookups = BankLookups(bank_id=bank.id, timezone=bank.timezone, today=today_in(bank.timezone))
    members = session.execute(
        sa.select(Membership.external_ref, Person.email, Account.id)
        .join(Person, Person.id == Membership.person_id)
        .join(Account, Account.membership_id == Membership.id)
        .where(Membership.time_bank_id == bank.id)
    )
    for ref, email, account_id in members:
        if ref:
            lookups.member_refs[ref] = account_id
        lookups.emails[email.lower()] = account_id
    organisations = session.execute(
        sa.select(Organisation.external_ref, Account.id)
        .join(Account, Account.organisation_id == Organisation.id)
        .where(Organisation.time_bank_id == bank.id, Organisation.external_ref.is_not(None))
    )
    lookups.organisation_refs = {ref: account_id for ref, account_id in organisations}
    for category_id, slug, name, active in session.execute(
        sa.select(Category.id, Category.slug, Category.name, Category.active).where(
            Category.time_bank_id == bank.id
        )
    ):
        if active:
            lookups.categories[slug.lower()] = category_id
            lookups.categories[name.strip().lower()] = category_id
    return lookups


# Values -------------------------------------------------------------------------------


class BadValue(ValueError):
    """A cell that cannot be read; the message is shown to a person as it is."""


def parse_moment(text: str, what: str = "date") -> datetime:
    """A date or date-time as written by TimeOverflow, a spreadsheet or ISO 8601.

    Returns the moment as written (aware if the text has an offset)."""
    value = (text or "").strip()
    if not value:
        raise BadValue(f"the {what} is missing")
    if value.endswith(" UTC"):
        value = value[:-4] + "+00:00"
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.strptime(value, "%d/%m/%Y")
    except ValueError:
        raise BadValue(
            f"the {what} {text.strip()!r} is not a date (write it as 2024-03-31)"
        ) from None


def to_utc_naive(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def parse_decimal(text: str, what: str) -> Decimal:
    value = (text or "").strip()
    if not value:
        raise BadValue(f"the {what} is missing")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise BadValue(f"the {what} {value!r} is not a number") from None
    if not number.is_finite():
        raise BadValue(f"the {what} {value!r} is not a number")
    return number


def whole_minutes(minutes: Decimal, written: str, unit: str) -> tuple[int, str | None]:
    """Round to the minute (half up); say so when it was not already whole."""
    rounded = int(minutes.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if rounded == minutes:
        return rounded, None
    return rounded, (
        f"{written} {unit} is not a whole number of minutes: imported as {rounded} minutes"
    )


def check_amount(minutes: int, written: str, unit: str) -> str | None:
    if minutes <= 0:
        if Decimal(written) > 0:
            return f"the amount {written} {unit} is less than half a minute"
        return f"the amount must be more than zero (it is {written} {unit})"
    if minutes > MAX_MINUTES:
        return f"the amount {written} {unit} is too large"
    return None


# Reading ------------------------------------------------------------------------------


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first file line of the record, cells) for each non-blank record."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        previous_end = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise BadFile(f"the file is not valid CSV ({error})", reader.line_num) from None
            start, previous_end = previous_end + 1, reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            yield start, row


class BadFile(Exception):
    """The file as a whole cannot be read (not CSV, not UTF-8, wrong header)."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def read_rows(
    path: Path, layout: Layout, lookups: BankLookups
) -> Iterator[TransferRow | MemberRow | Issue]:
    """Every data row of the file, parsed and checked, in file order.

    A row with problems yields one error :class:`Issue` (all its reasons, joined) and
    no parsed row; a good row may be preceded by warnings. A file that cannot be read
    at all raises :class:`BadFile`."""
    try:
        if layout == Layout.TIMEOVERFLOW_TRANSFERS:
            yield from _timeoverflow_rows(path, lookups)
        elif layout == Layout.TRANSFERS:
            yield from _generic_transfer_rows(path, lookups)
        else:
            yield from _member_rows(path, lookups)
    except UnicodeDecodeError:
        raise BadFile(
            "the file is not UTF-8 text: save it from your spreadsheet as CSV UTF-8"
        ) from None


def _service_date(moment_text: str, lookups: BankLookups, problems: list[str]):
    try:
        moment = parse_moment(moment_text)
    except BadValue as error:
        problems.append(str(error))
        return None, None
    service_date = moment.date()
    if service_date > lookups.today:
        problems.append(f"the date {service_date.isoformat()} is in the future")
        return None, None
    if service_date.year < 1970:
        problems.append(f"the date {service_date.isoformat()} is too long ago")
        return None, None
    return service_date, to_utc_naive(moment)


def _timeoverflow_rows(path: Path, lookups: BankLookups):
    for line, row in _records(path):
        if len(row) not in (7, 8):
            yield Issue(
                line,
                f"expected 8 columns (source_id, source_type, destination_id,"
                f" destination_type, amount, created_at, reason, post_id), found {len(row)}",
            )
            continue
        source_id, source_type, dest_id, dest_type, amount, created_at, reason = (
            cell.strip() for cell in row[:7]
        )
        post_id = row[7].strip() if len(row) == 8 else ""
        problems: list[str] = []
        warnings: list[str] = []
        # TimeOverflow's source pays the time (receives the service): our receiver.
        receiver = _timeoverflow_account(source_id, source_type, lookups, problems)
        giver = _timeoverflow_account(dest_id, dest_type, lookups, problems)
        if receiver is not None and receiver == giver:
            problems.append("the same person is on both sides")
        minutes = _amount(amount, "seconds", Decimal(60), problems, warnings)
        service_date, happened_at = _service_date(created_at, lookups, problems)
        if problems:
            yield Issue(line, "; ".join(problems))
            continue
        for warning in warnings:
            yield Issue(line, warning, warning=True)
        yield TransferRow(
            line=line,
            debit_account_id=receiver,
            credit_account_id=giver,
            minutes=minutes,
            service_date=service_date,
            happened_at=happened_at,
            description=reason[:MAX_DESCRIPTION],
            category_id=None,
            source_ref=post_id or None,
        )


def _timeoverflow_account(ref: str, kind: str, lookups: BankLookups, problems: list[str]):
    holder = TIMEOVERFLOW_TYPES.get(kind.strip().lower())
    if holder is None:
        problems.append(f"unknown account type {kind!r} (expected Member or Organization)")
        return None
    if not ref:
        problems.append(f"a {kind} id is missing")
        return None
    table = lookups.member_refs if holder == "member" else lookups.organisation_refs
    account_id = table.get(ref)
    if account_id is None:
        problems.append(
            f"unknown member {ref!r}" if holder == "member" else f"unknown organisation {ref!r}"
        )
    return account_id


def _amount(text: str, unit: str, per_minute: Decimal, problems, warnings) -> int | None:
    try:
        number = parse_decimal(text, "amount")
    except BadValue as error:
        problems.append(str(error))
        return None
    minutes, warning = whole_minutes(number / per_minute, text.strip(), unit)
    refused = check_amount(minutes, text.strip(), unit)
    if refused:
        problems.append(refused)
        return None
    if warning:
        warnings.append(warning)
    return minutes


def _header(path: Path, required_any: list[tuple[str, ...]], known: set[str]):
    """Read the header row; return (line, column index by name, warnings)."""
    records = _records(path)
    first = next(records, None)
    if first is None:
        raise BadFile("the file is empty")
    line, cells = first
    names = [cell.strip().lower() for cell in cells]
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in index:
            raise BadFile(f"the column {name!r} appears twice in the header", line)
        index[name] = position
    for choices in required_any:
        if not any(choice in index for choice in choices):
            wanted = " or ".join(repr(c) for c in choices)
            raise BadFile(
                f"the header row has no {wanted} column (the first row must name the columns)",
                line,
            )
    unknown = [name for name in names if name not in known]
    warnings = [
        Issue(line, f"the column {name!r} is not part of this layout and is ignored", True)
        for name in unknown
    ]
    return records, index, warnings


def _cell(row: list[str], index: dict[str, int], name: str) -> str:
    position = index.get(name)
    if position is None or position >= len(row):
        return ""
    return row[position].strip()


def _generic_transfer_rows(path: Path, lookups: BankLookups):
    known = {
        "giver",
        "receiver",
        "giver_email",
        "receiver_email",
        "minutes",
        "hours",
        "date",
        *TRANSFER_COLUMNS_OPTIONAL,
    }
    records, index, warnings = _header(
        path,
        [("giver", "giver_email"), ("receiver", "receiver_email"), ("minutes", "hours"), ("date",)],
        known,
    )
    if "minutes" in index and "hours" in index:
        raise BadFile("give the amount in a 'minutes' column or an 'hours' column, not both")
    yield from warnings
    in_hours = "hours" in index
    for line, row in records:
        problems: list[str] = []
        row_warnings: list[str] = []
        giver = _generic_account(row, index, "giver", lookups, problems)
        receiver = _generic_account(row, index, "receiver", lookups, problems)
        if giver is not None and giver == receiver:
            problems.append("the same person is on both sides")
        if in_hours:
            minutes = _amount(
                _cell(row, index, "hours"), "hours", Decimal(1) / 60, problems, row_warnings
            )
        else:
            minutes = _amount(
                _cell(row, index, "minutes"), "minutes", Decimal(1), problems, row_warnings
            )
        service_date, happened_at = _service_date(_cell(row, index, "date"), lookups, problems)
        category_text = _cell(row, index, "category")
        category_id = None
        if category_text:
            category_id = lookups.categories.get(category_text.lower())
            if category_id is None:
                problems.append(f"unknown category {category_text!r}")
        if problems:
            yield Issue(line, "; ".join(problems))
            continue
        for warning in row_warnings:
            yield Issue(line, warning, warning=True)
        yield TransferRow(
            line=line,
            debit_account_id=receiver,
            credit_account_id=giver,
            minutes=minutes,
            service_date=service_date,
            happened_at=happened_at,
            description=_cell(row, index, "description")[:MAX_DESCRIPTION],
            category_id=category_id,
        )


def _generic_account(row, index, side: str, lookups: BankLookups, problems: list[str]):
    ref = _cell(row, index, side)
    if ref:
        member = lookups.member_refs.get(ref)
        organisation = lookups.organisation_refs.get(ref)
        if member is not None and organisation is not None:
            problems.append(f"the {side} {ref!r} is both a member and an organisation")
            return None
        if member is None and organisation is None:
            problems.append(f"unknown member {ref!r} ({side})")
        return member if member is not None else organisation
    email = _cell(row, index, f"{side}_email").lower()
    if email:
        account_id = lookups.emails.get(email)
        if account_id is None:
            problems.append(f"no member with the email {email!r} ({side})")
        return account_id
    problems.append(f"the {side} is missing")
    return None


def _member_rows(path: Path, lookups: BankLookups):
    known = {*MEMBER_COLUMNS, *MEMBER_OPTIONAL}
    records, index, warnings = _header(path, [(name,) for name in MEMBER_COLUMNS], known)
    yield from warnings
    # Only refs and emails are kept per row, to find duplicates within the file.
    seen_refs: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for line, row in records:
        problems: list[str] = []
        row_warnings: list[str] = []
        ref = _cell(row, index, "external_ref")
        if not ref:
            problems.append("the external_ref is missing")
        elif len(ref) > MAX_REF:
            problems.append(f"the external_ref is longer than {MAX_REF} characters")
        elif ref in seen_refs:
            problems.append(f"duplicate external_ref {ref!r} (also on line {seen_refs[ref]})")
        elif ref in lookups.member_refs:
            problems.append(f"a member with external_ref {ref!r} is already here")
        else:
            seen_refs[ref] = line
        name = _cell(row, index, "name")
        if not name:
            problems.append("the name is missing")
        elif len(name) > MAX_NAME:
            problems.append(f"the name is longer than {MAX_NAME} characters")
        email = _cell(row, index, "email").lower()
        if not email:
            problems.append("the email is missing")
        elif not EMAIL_PATTERN.match(email) or len(email) > 254:
            problems.append(f"{email!r} is not an email address")
        elif email in seen_emails:
            problems.append(f"duplicate email {email!r} (also on line {seen_emails[email]})")
        elif email in lookups.emails:
            problems.append(f"{email!r} is already a member of this time bank")
        else:
            seen_emails[email] = line
        kind_text = _cell(row, index, "kind").lower() or MemberKind.PARTICIPANT.value
        try:
            kind = MemberKind(kind_text)
        except ValueError:
            kind = MemberKind.PARTICIPANT
            problems.append(f"unknown kind {kind_text!r} (participant or professional)")
        role_text = _cell(row, index, "role").lower() or Role.MEMBER.value
        try:
            role = Role(role_text)
        except ValueError:
            role = Role.MEMBER
            problems.append(f"unknown role {role_text!r} (member, coordinator or partner)")
        opening = None
        hours = _cell(row, index, "opening_balance_hours")
        if hours:
            try:
                number = parse_decimal(hours, "opening balance")
            except BadValue as error:
                problems.append(str(error))
            else:
                opening, warning = whole_minutes(number * 60, hours, "hours")
                if abs(opening) > MAX_MINUTES:
                    problems.append(f"the opening balance {hours} hours is too large")
                if warning:
                    row_warnings.append(warning)
                if opening == 0:
                    opening = None
        joined_at = None
        joined = _cell(row, index, "joined_on")
        if joined:
            try:
                moment = parse_moment(joined, "joined_on date")
            except BadValue as error:
                problems.append(str(error))
            else:
                if moment.date() > lookups.today:
                    problems.append(
                        f"the joined_on date {moment.date().isoformat()} is in the future"
                    )
                joined_at = to_utc_naive(moment)
        if problems:
            yield Issue(line, "; ".join(problems))
            continue
        for warning in row_warnings:
            yield Issue(line, warning, warning=True)
        yield MemberRow(
            line=line,
            external_ref=ref,
            name=name,
            email=email,
            kind=kind,
            role=role,
            opening_minutes=opening,
            joined_at=joined_at,
        )
