"""TimeOverflow's two reports, as a coordinator downloads them, read together.

What TimeOverflow writes (coopdevs/timeoverflow, see timebank.importing.timeoverflow_words
for the commits read; docs/import-formats.md for the whole story):

- the **members report** (`Report::MemberDecorator`): a header row, then one row per
  *active* member ordered by number: N (the member number), username, email (empty when
  TimeOverflow only had a placeholder address), phone, alternative phone, created at,
  last sign-in, locale, and the balance in **seconds** (`account_balance.to_s`);
- the **transfers report** (`Report::TransferDecorator`): a header row, then every
  transfer of the bank, newest first: the moment (`created_at.to_s`, "2024-03-31
  14:05:00 UTC"), from, to, the post's title and the amount as hours and minutes
  ("1:30", seconds dropped). From is the account that paid the time (received the
  service), to the one that earned it. Each is "Username (N)" for an active member
  (HTML-escaped: "O&#39;Brien (7)"), the organisation's name (escaped too), or the
  words for a member who is no longer active or no longer exists.

Members are matched by their number (``external_ref`` here). Inactive and deleted
members cannot be told apart in the transfers report (TimeOverflow writes only the
words), so all of them become one stand-in member each, "Inactive members (from
TimeOverflow)" and "Deleted members (from TimeOverflow)", holding their hours so that no
hour is dropped. Organisations are matched by name, or created.

This module reads the members report (:func:`members_report_rows`) and holds what both
readers share; timebank.importing.timeoverflow_transfers_report reads the transfers
report. Besides rows, they yield an :class:`ExpectedBalance` for each member of the
members report (what TimeOverflow says their balance is) and a :class:`NewOrganisation`
before the first row naming an organisation not yet here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from timebank.community.people import EMAIL_PATTERN
from timebank.importing.rows import (
    MAX_NAME,
    NOT_UTF8,
    BadFile,
    BankLookups,
    Issue,
    MemberRow,
    read_records,
)
from timebank.importing.timeoverflow_words import (
    MEMBER_COLUMNS,
    MEMBER_HEADER_WORDS,
    TRANSFER_COLUMNS,
    TRANSFER_HEADER_WORDS,
    fold,
)
from timebank.importing.values import BadValue, parse_moment, to_utc_naive
from timebank.importing.words import Text, _l
from timebank.ledger.models import MemberKind, Role

NUMBER = re.compile(r"^\d{1,18}$")
SECONDS = re.compile(r"^-?\d{1,18}$")

INACTIVE_REF = "timeoverflow-inactive"
DELETED_REF = "timeoverflow-deleted"
STAND_INS = {
    INACTIVE_REF: "Inactive members (from TimeOverflow)",
    DELETED_REF: "Deleted members (from TimeOverflow)",
}

# What the columns are called in messages.
MEMBER_COLUMN_WORDS = {
    "number": _l("member number (N)"),
    "username": _l("name"),
    "email": _l("email"),
    "phone": _l("phone"),
    "alt_phone": _l("alternative phone"),
    "created_at": _l("created"),
    "last_sign_in_at": _l("last login"),
    "locale": _l("language"),
    "balance": _l("balance"),
}


@dataclass(slots=True)
class ExpectedBalance:
    """What the members report says a member's balance is, and their balance here
    before this import."""

    line: int
    number: str
    name: str
    seconds: int
    start_minutes: int

    @property
    def key(self) -> str:
        return member_key(self.number)


@dataclass(slots=True)
class NewOrganisation:
    line: int
    name: str


def member_key(ref: str) -> str:
    return f"member:{ref}"


def organisation_key(name: str) -> str:
    return f"organisation:{fold(name)}"


def in_members(text: Text | list[Text]) -> Text:
    return _l("Members report: %(problem)s", problem=text)


def in_transfers(text: Text | list[Text]) -> Text:
    return _l("Transfers report: %(problem)s", problem=text)


def stand_in_email(ref: str, slug: str) -> str:
    """An address nobody can receive mail at (RFC 2606's .invalid), unique per bank."""
    return f"{ref}.{slug}@timeoverflow.invalid"


def read_report_header(path: Path, which):
    records = read_records(path)
    first = next(records, None)
    if first is None:
        raise BadFile(which(_l("the file is empty")))
    line, cells = first
    return records, line, [cell.strip() for cell in cells]


def unknown_words(line, cells, columns, words, names, which) -> Iterator[Issue]:
    for cell, column in zip(cells, columns, strict=False):
        known = words.get(column)
        if known is not None and fold(cell) not in known:
            yield Issue(
                line,
                which(
                    _l(
                        "the column %(name)s is not a heading TimeOverflow writes; it is read as"
                        " the %(column)s by its place",
                        name=repr(cell),
                        column=names[column],
                    )
                ),
                warning=True,
            )


def members_header_problem(cells: list[str]) -> Text | None:
    """What is wrong with the members report's header row, if anything."""
    if len(cells) == len(TRANSFER_COLUMNS) and fold(cells[0]) in TRANSFER_HEADER_WORDS["date"]:
        return _l(
            "this is TimeOverflow's transfers report; choose it as the transfers report"
            " and the members report (its first column is N) here"
        )
    if not cells or cells[0] != "N":
        return _l(
            "this is not TimeOverflow's members report: its first column is N, the"
            " member number (download it from TimeOverflow's Reports, Members, CSV)"
        )
    if len(cells) != len(MEMBER_COLUMNS):
        return _l(
            "TimeOverflow's members report has %(expected)s columns (N, name, email,"
            " phone, alternative phone, created, last login, language, balance); this"
            " header has %(count)s",
            expected=len(MEMBER_COLUMNS),
            count=len(cells),
        )
    return None


def header_problem(path: Path, problem: Callable[[list[str]], Text | None]) -> Text | None:
    """What is wrong with a report as a whole (empty, not UTF-8, not the right report),
    read from its first row alone: the upload form says so on the file's field at once."""
    try:
        first = next(read_records(path), None)
    except UnicodeDecodeError:
        return NOT_UTF8
    except BadFile as error:
        return error.text
    if first is None:
        return _l("the file is empty")
    return problem([cell.strip() for cell in first[1]])


def members_report_rows(
    path: Path, lookups: BankLookups, names: dict[str, str]
) -> Iterator[MemberRow | Issue | ExpectedBalance]:
    """The members report, checked; ``names`` gets each member's name by number, for
    the transfers report."""
    records, line, cells = read_report_header(path, in_members)
    problem = members_header_problem(cells)
    if problem is not None:
        raise BadFile(in_members(problem), line)
    yield from unknown_words(
        line, cells, MEMBER_COLUMNS, MEMBER_HEADER_WORDS, MEMBER_COLUMN_WORDS, in_members
    )
    lines: dict[str, int] = {}
    emails: dict[str, int] = {}
    for line, row in records:
        problems: list[Text] = []
        warnings: list[Text] = []
        if len(row) != len(MEMBER_COLUMNS):
            yield Issue(
                line,
                in_members(
                    _l(
                        "expected %(expected)s columns, found %(count)s",
                        expected=len(MEMBER_COLUMNS),
                        count=len(row),
                    )
                ),
            )
            continue
        number, name, email, _phone, _alt, created, _signed_in, _locale, balance = (
            cell.strip() for cell in row
        )
        if not NUMBER.match(number):
            problems.append(
                _l("the member number (N) %(value)s is not a whole number", value=repr(number))
            )
        elif number in lines:
            problems.append(
                _l(
                    "member number %(number)s appears twice (also on line %(line)s)",
                    number=number,
                    line=lines[number],
                )
            )
        if not name:
            problems.append(_l("the name is missing"))
        elif len(name) > MAX_NAME:
            warnings.append(
                _l("the name is longer than %(most)s characters and was shortened", most=MAX_NAME)
            )
            name = name[:MAX_NAME]
        email = email.lower()
        existing = lookups.member_refs.get(number)
        if email:
            if not EMAIL_PATTERN.match(email):
                problems.append(_l("the email %(email)s is not valid", email=repr(email)))
            elif email in emails:
                problems.append(
                    _l(
                        "duplicate email %(email)s (also on line %(line)s)",
                        email=repr(email),
                        line=emails[email],
                    )
                )
            elif lookups.emails.get(email, existing) != existing:
                problems.append(
                    _l(
                        "a member with the email %(email)s is already here under another number",
                        email=repr(email),
                    )
                )
        joined_at = None
        try:
            joined_at = to_utc_naive(parse_moment(created, _l("created date")))
        except BadValue as error:
            problems.append(error.text)
        if not SECONDS.match(balance):
            problems.append(
                _l(
                    "the balance %(value)s is not a whole number of seconds",
                    value=repr(balance),
                )
            )
        if problems:
            yield Issue(line, in_members(problems))
            continue
        lines[number] = line
        names[number] = name
        if email:
            emails[email] = line
        for warning in warnings:
            yield Issue(line, in_members(warning), warning=True)
        if existing is None:
            yield MemberRow(
                line=line,
                external_ref=number,
                name=name,
                email=email or stand_in_email(f"member-{number}", lookups.slug),
                kind=MemberKind.PARTICIPANT,
                role=Role.MEMBER,
                opening_minutes=None,
                joined_at=joined_at,
                counted=False,
            )
        yield ExpectedBalance(
            line=line,
            number=number,
            name=name,
            seconds=int(balance),
            start_minutes=lookups.balances.get(existing, 0) if existing is not None else 0,
        )
