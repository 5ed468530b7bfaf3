"""Reading import files row by row and checking each row.

``reading.read_rows`` streams a CSV file (the ``csv`` module, one row at a time, never the
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
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.importing.values import (
    BadValue,
    check_amount,
    parse_decimal,
    parse_moment,
    to_utc_naive,
    whole_minutes,
)
from timebank.importing.words import Text, _l, render
from timebank.ledger.clock import today_in
from timebank.ledger.models import (
    Account,
    Category,
    MemberKind,
    Membership,
    MembershipStatus,
    Organisation,
    Person,
    Role,
    TimeBank,
)
from timebank.ledger.rules import MAX_TEXT_LENGTH

MAX_NAME = 120


MAX_REF = 80


MAX_DESCRIPTION = MAX_TEXT_LENGTH


NOT_UTF8 = _l("the file is not UTF-8 text: save it from your spreadsheet as CSV UTF-8")


class Layout(enum.StrEnum):
    TIMEOVERFLOW_TRANSFERS = "timeoverflow-transfers"
    MEMBERS = "members"
    TRANSFERS = "transfers"
    # TimeOverflow's two reports, its members and its transfers, imported together.
    TIMEOVERFLOW_REPORTS = "timeoverflow-reports"

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
    Layout.TIMEOVERFLOW_REPORTS: _l("Members and past exchanges from TimeOverflow's two reports"),
}


# The members layout needs a name and an email; everything else has a default (no
# reference of the old software, a participant, a member, no opening balance, joined on
# the day of the import). A plain "Name,Email" list is a members file.
MEMBER_COLUMNS = ("name", "email")


MEMBER_OPTIONAL = ("external_ref", "kind", "role", "opening_balance_hours", "joined_on")


TRANSFER_COLUMNS_OPTIONAL = ("category", "description", "transfer_id")


# The transfers layout needs one column of each group.
TRANSFER_REQUIRED = (
    ("giver", "giver_email"),
    ("receiver", "receiver_email"),
    ("minutes", "hours"),
    ("date",),
)


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
    debit_account_id: int | None  # the receiver (None: see debit_key)
    credit_account_id: int | None  # the giver (None: see credit_key)
    minutes: int
    service_date: date
    happened_at: datetime  # naive UTC
    description: str
    category_id: int | None
    source_ref: str | None = None  # TimeOverflow's post_id
    source_id: str | None = None  # the old software's own id for this exchange
    # An account that may not exist yet when the file is checked (a member or an
    # organisation created by the same import): "member:<external_ref>" or
    # "organisation:<name>", found when the row is written.
    debit_key: str | None = None
    credit_key: str | None = None
    # Set by timebank.importing.identity: the row's key, and whether it is already in.
    row_key: str | None = None
    repeat: bool = False
    duplicate: bool = False  # its source_id came earlier in the same file


@dataclass(slots=True)
class MemberRow:
    line: int
    external_ref: str | None
    name: str
    email: str
    kind: MemberKind
    role: Role
    opening_minutes: int | None
    joined_at: datetime | None
    status: MembershipStatus = MembershipStatus.ACTIVE
    # False when the row is not a row of its own (TimeOverflow's members report counts
    # each member once, by its ExpectedBalance; a stand-in is made, not read).
    counted: bool = True


@dataclass
class BankLookups:
    """What rows are checked against, loaded in one read."""

    bank_id: int
    timezone: str
    today: date
    slug: str = ""
    member_refs: dict[str, int] = field(default_factory=dict)  # external_ref -> account id
    organisation_refs: dict[str, int] = field(default_factory=dict)
    # Organisation name (as timebank.importing.timeoverflow_words.fold leaves it) -> account.
    organisation_names: dict[str, int] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)  # member email -> account id
    categories: dict[str, int] = field(default_factory=dict)  # slug or name, lower case
    balances: dict[int, int] = field(default_factory=dict)  # member account id -> minutes


def load_lookups(session: Session, bank_id: int) -> BankLookups:
    bank = session.get(TimeBank, bank_id)
    if bank is None:
        raise LookupError(f"no time bank {bank_id}")
    lookups = BankLookups(
        bank_id=bank.id, timezone=bank.timezone, today=today_in(bank.timezone), slug=bank.slug
    )
    members = session.execute(
        sa.select(
            Membership.external_ref,
            Person.email,
            Account.id,
            Account.posted_credits - Account.posted_debits,
        )
        .join(Person, Person.id == Membership.person_id)
        .join(Account, Account.membership_id == Membership.id)
        .where(Membership.time_bank_id == bank.id)
    )
    for ref, email, account_id, balance in members:
        if ref:
            lookups.member_refs[ref] = account_id
        lookups.emails[email.lower()] = account_id
        lookups.balances[account_id] = balance
    organisations = session.execute(
        sa.select(Organisation.external_ref, Organisation.name, Account.id)
        .join(Account, Account.organisation_id == Organisation.id)
        .where(Organisation.time_bank_id == bank.id)
    )
    for ref, name, account_id in organisations:
        if ref:
            lookups.organisation_refs[ref] = account_id
        lookups.organisation_names[" ".join(name.split()).casefold()] = account_id
    for category_id, slug, name, active in session.execute(
        sa.select(Category.id, Category.slug, Category.name, Category.active).where(
            Category.time_bank_id == bank.id
        )
    ):
        if active:
            lookups.categories[slug.lower()] = category_id
            lookups.categories[name.strip().lower()] = category_id
    return lookups


def read_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first file line of the record, cells) for each non-blank record.

    A quote that opens a cell and is never closed would make the csv module read the
    rest of the file, line breaks and all, as that one cell, and say nothing: that
    record raises :class:`UnclosedQuote` instead (it is the last one the file holds)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        lines = _Lines(handle)
        reader = csv.reader(lines)
        previous_end = 0
        while True:
            lines.ran_out = False
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise BadFile(
                    _l("the file is not valid CSV (%(error)s)", error=str(error)), reader.line_num
                ) from None
            start, previous_end = previous_end + 1, reader.line_num
            if lines.ran_out:
                # The reader asked for a line after the last one while reading this record:
                # only an open quote does that (a record ends at the end of its line).
                raise UnclosedQuote(start, lines.count)
            if not row or all(not cell.strip() for cell in row):
                continue
            yield start, row


class _Lines:
    """The file's lines for the csv reader, noting when the reader asks past the end."""

    def __init__(self, handle) -> None:
        self._handle = handle
        self.ran_out = False
        self.count = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self._handle.readline()
        if not line:
            self.ran_out = True
            raise StopIteration
        self.count += 1
        return line


class BadFile(Exception):
    """The file as a whole cannot be read (not CSV, not UTF-8, wrong header)."""

    def __init__(self, text: Text, line: int = 1) -> None:
        super().__init__(str(text))
        self.text = text
        self.message = str(text)
        self.line = line


class EmptyFile(BadFile):
    """Not even a header row: a file with no rows, as far as the dry run goes."""


class UnclosedQuote(BadFile):
    """A quote opened in the record starting on ``line`` is never closed: the csv module
    read every line after it, to the end of the file, as that one record. A bad row (the
    last of the file), not a file that cannot be read."""

    def __init__(self, line: int, last_line: int, text: Text | None = None) -> None:
        super().__init__(
            text
            or _l(
                'a quote mark (") in this row is never closed, so lines %(first)s to %(last)s'
                " were read as one row: close the quote, or remove it",
                first=line,
                last=last_line,
            ),
            line,
        )
        self.last_line = last_line


def read_service_date(moment_text: str, lookups: BankLookups, problems: list[Text]):
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


def amount_in_minutes(text: str, unit: Text, per_minute: Decimal, problems, warnings) -> int | None:
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


def read_header(
    path: Path,
    required_any: list[tuple[str, ...]],
    known: set[str],
    mapping: dict[str, int] | None = None,
):
    """Read the header row; return (the records after it, column index by name,
    warnings). With a ``mapping`` (field -> column position, ``timebank.importing.mapping``)
    the columns are where it says, whatever the header names them."""
    records = read_records(path)
    first = next(records, None)
    if first is None:
        raise EmptyFile(_l("the file is empty"))
    line, cells = first
    if mapping is not None:
        mapped, notes = _mapped_index(line, cells, required_any, known, mapping)
        return records, mapped, notes
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


def _mapped_index(
    line: int,
    cells: list[str],
    required_any: list[tuple[str, ...]],
    known: set[str],
    mapping: dict[str, int],
):
    """(column index by name, warnings) from a mapping; the mapping was checked when it
    was chosen, but a file read again is checked again."""
    index = {name: position for name, position in mapping.items() if name in known}
    positions = list(index.values())
    if len(set(positions)) != len(positions) or any(
        not 0 <= position < len(cells) for position in positions
    ):
        raise BadFile(_l("the columns chosen do not fit this file: choose them again"), line)
    for choices in required_any:
        if not any(choice in index for choice in choices):
            raise BadFile(_l("no column was chosen for %(field)s", field=repr(choices[0])), line)
    used = set(positions)
    warnings = [
        Issue(
            line,
            _l(
                "the column %(name)s was not matched to anything and is ignored",
                name=repr(name.strip()),
            ),
            True,
        )
        for position, name in enumerate(cells)
        if position not in used and name.strip()
    ]
    return index, warnings


def cell(row: list[str], index: dict[str, int], name: str) -> str:
    position = index.get(name)
    if position is None or position >= len(row):
        return ""
    return row[position].strip()
