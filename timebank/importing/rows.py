"""Reading import files row by row and checking each row.

``read_rows`` streams a CSV file (the ``csv`` module, one row at a time, never the
whole file) and yields, for each data row, either a parsed row ready to be written or
an :class:`Issue` naming the file line and what is wrong with it in plain words (English
templates with parameters, so that the web pages can show them in the reader's
language: ``timebank.importing.words``).
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

from timebank.importing.words import Text, _l, render
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
    def label(self) -> Text:
        return LAYOUT_LABELS[self]

    @property
    def is_transfers(self) -> bool:
        return self != Layout.MEMBERS


LAYOUT_LABELS = {
    Layout.TIMEOVERFLOW_TRANSFERS: _l("Past exchanges exported from TimeOverflow (no header row)"),
    Layout.MEMBERS: _l("Members (generic layout, with a header row)"),
    Layout.TRANSFERS: _l("Past exchanges (generic layout, with a header row)"),
}

MEMBER_COLUMNS = ("external_ref", "name", "email", "kind", "role")
MEMBER_OPTIONAL = ("opening_balance_hours", "joined_on")
TRANSFER_COLUMNS_OPTIONAL = ("category", "description")
# The words for the sides of an exchange (the columns are named giver and receiver).
SIDES = {"giver": _l("giver"), "receiver": _l("receiver")}
TIMEOVERFLOW_TYPES = {
    "member": "member",
    "organization": "organisation",
    "organisation": "organisation",
}


@dataclass(slots=True)
class Issue:
    """Something wrong (or, with ``warning``, worth knowing) about one line of the file:
    one Text, or several (every problem of the row)."""

    line: int
    text: Text | list[Text]
    warning: bool = False

    @property
    def message(self) -> str:
        """In English (the command line)."""
        return render(self.text)


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
    """A cell that cannot be read; ``text`` says why, to be shown to a person."""

    def __init__(self, text: Text) -> None:
        super().__init__(str(text))
        self.text = text


def parse_moment(text: str, what: Text | None = None) -> datetime:
    """A date or date-time as written by TimeOverflow, a spreadsheet or ISO 8601.

    Returns the moment as written (aware if the text has an offset)."""
    what = what or _l("date")
    value = (text or "").strip()
    if not value:
        raise BadValue(_l("the %(what)s is missing", what=what))
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
            _l(
                "the %(what)s %(value)s is not a date (write it as 2024-03-31)",
                what=what,
                value=repr(text.strip()),
            )
        ) from None


def to_utc_naive(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def parse_decimal(text: str, what: Text) -> Decimal:
    value = (text or "").strip()
    if not value:
        raise BadValue(_l("the %(what)s is missing", what=what))
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise BadValue(
            _l("the %(what)s %(value)s is not a number", what=what, value=repr(value))
        ) from None
    if not number.is_finite():
        raise BadValue(_l("the %(what)s %(value)s is not a number", what=what, value=repr(value)))
    return number


def whole_minutes(minutes: Decimal, written: str, unit: Text) -> tuple[int, Text | None]:
    """Round to the minute (half up); say so when it was not already whole."""
    rounded = int(minutes.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if rounded == minutes:
        return rounded, None
    return rounded, _l(
        "%(written)s %(unit)s is not a whole number of minutes: imported as %(minutes)s minutes",
        written=written,
        unit=unit,
        minutes=rounded,
    )


def check_amount(minutes: int, written: str, unit: Text) -> Text | None:
    if minutes <= 0:
        if Decimal(written) > 0:
            return _l(
                "the amount %(written)s %(unit)s is less than half a minute",
                written=written,
                unit=unit,
            )
        return _l(
            "the amount must be more than zero (it is %(written)s %(unit)s)",
            written=written,
            unit=unit,
        )
    if minutes > MAX_MINUTES:
        return _l("the amount %(written)s %(unit)s is too large", written=written, unit=unit)
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
                raise BadFile(
                    _l("the file is not valid CSV (%(error)s)", error=str(error)), reader.line_num
                ) from None
            start, previous_end = previous_end + 1, reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            yield start, row


class BadFile(Exception):
    """The file as a whole cannot be read (not CSV, not UTF-8, wrong header)."""

    def __init__(self, text: Text, line: int = 1) -> None:
        super().__init__(str(text))
        self.text = text
        self.message = str(text)
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
            _l("the file is not UTF-8 text: save it from your spreadsheet as CSV UTF-8")
        ) from None


def _service_date(moment_text: str, lookups: BankLookups, problems: list[Text]):
    try:
        moment = parse_moment(moment_text)
    except BadValue as error:
        problems.append(error.text)
        return None, None
    service_date = moment.date()
    if service_date > lookups.today:
        problems.append(_l("the date %(date)s is in the future", date=service_date.isoformat()))
        return None, None
    if service_date.year < 1970:
        problems.append(_l("the date %(date)s is too long ago", date=service_date.isoformat()))
        return None, None
    return service_date, to_utc_naive(moment)


def _timeoverflow_rows(path: Path, lookups: BankLookups):
    for line, row in _records(path):
        if len(row) not in (7, 8):
            yield Issue(
                line,
                _l(
                    "expected 8 columns (source_id, source_type, destination_id,"
                    " destination_type, amount, created_at, reason, post_id), found %(count)s",
                    count=len(row),
                ),
            )
            continue
        source_id, source_type, dest_id, dest_type, amount, created_at, reason = (
            cell.strip() for cell in row[:7]
        )
        post_id = row[7].strip() if len(row) == 8 else ""
        problems: list[Text] = []
        warnings: list[Text] = []
        # TimeOverflow's source pays the time (receives the service): our receiver.
        receiver = _timeoverflow_account(source_id, source_type, lookups, problems)
        giver = _timeoverflow_account(dest_id, dest_type, lookups, problems)
        if receiver is not None and receiver == giver:
            problems.append(_l("the same person is on both sides"))
        minutes = _amount(amount, _l("seconds"), Decimal(60), problems, warnings)
        service_date, happened_at = _service_date(created_at, lookups, problems)
        if problems:
            yield Issue(line, problems)
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


def _timeoverflow_account(ref: str, kind: str, lookups: BankLookups, problems: list[Text]):
    holder = TIMEOVERFLOW_TYPES.get(kind.strip().lower())
    if holder is None:
        problems.append(
            _l("unknown account type %(kind)s (expected Member or Organization)", kind=repr(kind))
        )
        return None
    if not ref:
        problems.append(_l("a %(kind)s id is missing", kind=kind))
        return None
    table = lookups.member_refs if holder == "member" else lookups.organisation_refs
    account_id = table.get(ref)
    if account_id is None:
        if holder == "member":
            problems.append(_l("unknown member %(ref)s", ref=repr(ref)))
        else:
            problems.append(_l("unknown organisation %(ref)s", ref=repr(ref)))
    return account_id


def _amount(text: str, unit: Text, per_minute: Decimal, problems, warnings) -> int | None:
    try:
        number = parse_decimal(text, _l("amount"))
    except BadValue as error:
        problems.append(error.text)
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
        raise BadFile(_l("the file is empty"))
    line, cells = first
    names = [cell.strip().lower() for cell in cells]
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in index:
            raise BadFile(
                _l("the column %(name)s appears twice in the header", name=repr(name)), line
            )
        index[name] = position
    for choices in required_any:
        if not any(choice in index for choice in choices):
            wanted: Text | str = repr(choices[0])
            if len(choices) == 2:
                wanted = _l(
                    "%(first)s or %(second)s", first=repr(choices[0]), second=repr(choices[1])
                )
            raise BadFile(
                _l(
                    "the header row has no %(columns)s column (the first row must name the"
                    " columns)",
                    columns=wanted,
                ),
                line,
            )
    unknown = [name for name in names if name not in known]
    warnings = [
        Issue(
            line,
            _l("the column %(name)s is not part of this layout and is ignored", name=repr(name)),
            True,
        )
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
        raise BadFile(_l("give the amount in a 'minutes' column or an 'hours' column, not both"))
    yield from warnings
    in_hours = "hours" in index
    for line, row in records:
        problems: list[Text] = []
        row_warnings: list[Text] = []
        giver = _generic_account(row, index, "giver", lookups, problems)
        receiver = _generic_account(row, index, "receiver", lookups, problems)
        if giver is not None and giver == receiver:
            problems.append(_l("the same person is on both sides"))
        if in_hours:
            minutes = _amount(
                _cell(row, index, "hours"), _l("hours"), Decimal(1) / 60, problems, row_warnings
            )
        else:
            minutes = _amount(
                _cell(row, index, "minutes"), _l("minutes"), Decimal(1), problems, row_warnings
            )
        service_date, happened_at = _service_date(_cell(row, index, "date"), lookups, problems)
        category_text = _cell(row, index, "category")
        category_id = None
        if category_text:
            category_id = lookups.categories.get(category_text.lower())
            if category_id is None:
                problems.append(_l("unknown category %(name)s", name=repr(category_text)))
        if problems:
            yield Issue(line, problems)
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


def _generic_account(row, index, side: str, lookups: BankLookups, problems: list[Text]):
    word = SIDES[side]
    ref = _cell(row, index, side)
    if ref:
        member = lookups.member_refs.get(ref)
        organisation = lookups.organisation_refs.get(ref)
        if member is not None and organisation is not None:
            problems.append(
                _l(
                    "the %(side)s %(ref)s is both a member and an organisation",
                    side=word,
                    ref=repr(ref),
                )
            )
            return None
        if member is None and organisation is None:
            problems.append(_l("unknown member %(ref)s (%(side)s)", ref=repr(ref), side=word))
        return member if member is not None else organisation
    email = _cell(row, index, f"{side}_email").lower()
    if email:
        account_id = lookups.emails.get(email)
        if account_id is None:
            problems.append(
                _l("no member with the email %(email)s (%(side)s)", email=repr(email), side=word)
            )
        return account_id
    problems.append(_l("the %(side)s is missing", side=word))
    return None


def _member_rows(path: Path, lookups: BankLookups):
    known = {*MEMBER_COLUMNS, *MEMBER_OPTIONAL}
    records, index, warnings = _header(path, [(name,) for name in MEMBER_COLUMNS], known)
    yield from warnings
    # Only refs and emails are kept per row, to find duplicates within the file.
    seen_refs: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for line, row in records:
        problems: list[Text] = []
        row_warnings: list[Text] = []
        ref = _cell(row, index, "external_ref")
        if not ref:
            problems.append(_l("the external_ref is missing"))
        elif len(ref) > MAX_REF:
            problems.append(_l("the external_ref is longer than %(most)s characters", most=MAX_REF))
        elif ref in seen_refs:
            problems.append(
                _l(
                    "duplicate external_ref %(ref)s (also on line %(line)s)",
                    ref=repr(ref),
                    line=seen_refs[ref],
                )
            )
        elif ref in lookups.member_refs:
            problems.append(_l("a member with external_ref %(ref)s is already here", ref=repr(ref)))
        else:
            seen_refs[ref] = line
        name = _cell(row, index, "name")
        if not name:
            problems.append(_l("the name is missing"))
        elif len(name) > MAX_NAME:
            problems.append(_l("the name is longer than %(most)s characters", most=MAX_NAME))
        email = _cell(row, index, "email").lower()
        if not email:
            problems.append(_l("the email is missing"))
        elif not EMAIL_PATTERN.match(email) or len(email) > 254:
            problems.append(_l("%(email)s is not an email address", email=repr(email)))
        elif email in seen_emails:
            problems.append(
                _l(
                    "duplicate email %(email)s (also on line %(line)s)",
                    email=repr(email),
                    line=seen_emails[email],
                )
            )
        elif email in lookups.emails:
            problems.append(
                _l("%(email)s is already a member of this time bank", email=repr(email))
            )
        else:
            seen_emails[email] = line
        kind_text = _cell(row, index, "kind").lower() or MemberKind.PARTICIPANT.value
        try:
            kind = MemberKind(kind_text)
        except ValueError:
            kind = MemberKind.PARTICIPANT
            problems.append(
                _l("unknown kind %(kind)s (participant or professional)", kind=repr(kind_text))
            )
        role_text = _cell(row, index, "role").lower() or Role.MEMBER.value
        try:
            role = Role(role_text)
        except ValueError:
            role = Role.MEMBER
            problems.append(
                _l("unknown role %(role)s (member, coordinator or partner)", role=repr(role_text))
            )
        opening = None
        hours = _cell(row, index, "opening_balance_hours")
        if hours:
            try:
                number = parse_decimal(hours, _l("opening balance"))
            except BadValue as error:
                problems.append(error.text)
            else:
                opening, warning = whole_minutes(number * 60, hours, _l("hours"))
                if abs(opening) > MAX_MINUTES:
                    problems.append(
                        _l("the opening balance %(hours)s hours is too large", hours=hours)
                    )
                if warning:
                    row_warnings.append(warning)
                if opening == 0:
                    opening = None
        joined_at = None
        joined = _cell(row, index, "joined_on")
        if joined:
            try:
                moment = parse_moment(joined, _l("joined_on date"))
            except BadValue as error:
                problems.append(error.text)
            else:
                if moment.date() > lookups.today:
                    problems.append(
                        _l(
                            "the joined_on date %(date)s is in the future",
                            date=moment.date().isoformat(),
                        )
                    )
                joined_at = to_utc_naive(moment)
        if problems:
            yield Issue(line, problems)
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
