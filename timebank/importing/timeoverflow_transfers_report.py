"""Reading TimeOverflow's transfers report (see timebank.importing.timeoverflow_reports
for what TimeOverflow writes): each row's moment, its two sides, its post and its
quantity, the sides resolved to members by number, to stand-ins or to organisations."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

from timebank.importing.rows import (
    MAX_DESCRIPTION,
    BadFile,
    BankLookups,
    Issue,
    MemberRow,
    TransferRow,
    read_service_date,
)
from timebank.importing.timeoverflow_reports import (
    DELETED_REF,
    INACTIVE_REF,
    STAND_INS,
    NewOrganisation,
    in_transfers,
    member_key,
    organisation_key,
    read_report_header,
    stand_in_email,
    unknown_words,
)
from timebank.importing.timeoverflow_words import (
    DELETED_WORDS,
    INACTIVE_WORDS,
    TRANSFER_COLUMNS,
    TRANSFER_HEADER_WORDS,
    fold,
)
from timebank.importing.values import MAX_MINUTES
from timebank.importing.words import Text, _l
from timebank.ledger.models import MemberKind, MembershipStatus, Role

MAX_ORGANISATION_NAME = 200

# "Username (N)": the last parenthesised number is the member's (a name may hold others).
MEMBER_CELL = re.compile(r"^(?P<name>.*) \((?P<number>\d+)\)$", re.DOTALL)
HOURS_MINUTES = re.compile(r"^(?P<hours>\d{1,9}):(?P<minutes>[0-5]\d)$")

TRANSFER_COLUMN_WORDS = {
    "date": _l("date"),
    "from": _l("from"),
    "to": _l("to"),
    "post": _l("post"),
    "quantity": _l("quantity"),
}


def transfers_header_problem(cells: list[str]) -> Text | None:
    """What is wrong with the transfers report's header row, if anything."""
    if cells and cells[0] == "N":
        return _l(
            "this is TimeOverflow's members report; choose it as the members report and"
            " the transfers report (its columns are date, from, to, post, quantity) here"
        )
    if len(cells) != len(TRANSFER_COLUMNS):
        return _l(
            "TimeOverflow's transfers report has 5 columns (date, from, to, post,"
            " quantity); this header has %(count)s",
            count=len(cells),
        )
    return None


def transfers_report_rows(
    path: Path, lookups: BankLookups, names: dict[str, str]
) -> Iterator[TransferRow | MemberRow | Issue | NewOrganisation]:
    """The transfers report, checked, each row after whatever it needs created (a
    stand-in, an organisation); ``names`` are the members report's names by number."""
    records, line, cells = read_report_header(path, in_transfers)
    problem = transfers_header_problem(cells)
    if problem is not None:
        raise BadFile(in_transfers(problem), line)
    yield from unknown_words(
        line, cells, TRANSFER_COLUMNS, TRANSFER_HEADER_WORDS, TRANSFER_COLUMN_WORDS, in_transfers
    )
    announced: set[str] = set()
    for line, row in records:
        if len(row) != len(TRANSFER_COLUMNS):
            problem = _l(
                "expected 5 columns (date, from, to, post, quantity), found %(count)s",
                count=len(row),
            )
            if len(row) == 9:
                # Alliance transfers carry six movements: three names on each side.
                problem = _l(
                    "this is a transfer between two allied time banks (three names on each"
                    " side), which this import cannot read yet; record it here by hand"
                )
            yield Issue(line, in_transfers(problem))
            continue
        moment, source, destination, post, quantity = (cell.strip() for cell in row)
        problems: list[Text] = []
        warnings: list[Text] = []
        sides = []
        for cell, side in ((source, _l("from")), (destination, _l("to"))):
            key, new, problem, warning = _account(cell, side, lookups, names)
            if problem is not None:
                problems.append(problem)
            if warning is not None:
                warnings.append(warning)
            if new is not None and key is not None and key not in announced:
                announced.add(key)
                new.line = line
                yield new
            sides.append(key)
        receiver, giver = sides
        minutes = _minutes(quantity, problems)
        service_date, happened_at = read_service_date(moment, lookups, problems)
        if problems or minutes is None or service_date is None or happened_at is None:
            yield Issue(line, in_transfers(problems))
            continue
        for warning in warnings:
            yield Issue(line, in_transfers(warning), warning=True)
        if minutes == 0:
            yield Issue(
                line,
                in_transfers(
                    _l(
                        "the quantity %(value)s is less than a minute (TimeOverflow shows such"
                        " amounts as 0:00); it is left out, and the balance check shows it",
                        value=repr(quantity),
                    )
                ),
                warning=True,
            )
            continue
        if receiver == giver:
            # Two former members of the same kind: the one stand-in on both sides.
            yield Issue(
                line,
                in_transfers(
                    _l(
                        "both sides are members who are no longer active (or no longer exist),"
                        " who share one stand-in here; the row would change no balance and is"
                        " left out"
                    )
                ),
                warning=True,
            )
            continue
        yield TransferRow(
            line=line,
            debit_account_id=None,
            credit_account_id=None,
            debit_key=receiver,
            credit_key=giver,
            minutes=minutes,
            service_date=service_date,
            happened_at=happened_at,
            description=post[:MAX_DESCRIPTION],
            category_id=None,
        )


def _account(cell: str, side: Text, lookups: BankLookups, names: dict[str, str]):
    """(account key, what must be created first, problem, warning) for a from/to cell."""
    text = html.unescape(cell)
    if not text:
        return None, None, _l("the %(side)s is missing", side=side), None
    folded = fold(text)
    for words, ref in ((INACTIVE_WORDS, INACTIVE_REF), (DELETED_WORDS, DELETED_REF)):
        if folded in words:
            new = None
            if ref not in lookups.member_refs:
                new = MemberRow(
                    line=0,
                    external_ref=ref,
                    name=STAND_INS[ref],
                    email=stand_in_email(ref, lookups.slug),
                    kind=MemberKind.PARTICIPANT,
                    role=Role.MEMBER,
                    opening_minutes=None,
                    joined_at=None,
                    status=MembershipStatus.LEFT,
                    counted=False,
                )
            return member_key(ref), new, None, None
    match = MEMBER_CELL.match(text)
    if match is not None:
        number, name = match["number"], match["name"]
        if number in names:
            warning = None
            if fold(name) != fold(names[number]):
                warning = _l(
                    "the %(side)s is %(cell)s, but member %(number)s is called %(name)s in the"
                    " members report: matched by the number",
                    side=side,
                    cell=repr(text),
                    number=number,
                    name=repr(names[number]),
                )
            return member_key(number), None, None, warning
        if number in lookups.member_refs:
            return member_key(number), None, None, None
        return (
            None,
            None,
            _l(
                "the %(side)s %(cell)s is member number %(number)s, who is not in the members"
                " report (download both reports at the same time)",
                side=side,
                cell=repr(text),
                number=number,
            ),
            None,
        )
    if len(text) > MAX_ORGANISATION_NAME:
        return (
            None,
            None,
            _l(
                "the %(side)s is neither a member (Name (N)) nor an organisation's name of at"
                " most %(most)s characters",
                side=side,
                most=MAX_ORGANISATION_NAME,
            ),
            None,
        )
    organisation = None if folded in lookups.organisation_names else NewOrganisation(0, text)
    return organisation_key(text), organisation, None, None


def _minutes(quantity: str, problems: list[Text]) -> int | None:
    """TimeOverflow's "H:MM" (an amount that rounds below a minute is "0:00", and an
    amount of nothing is written "0")."""
    if quantity == "0":
        return 0
    match = HOURS_MINUTES.match(quantity)
    if match is None:
        problems.append(
            _l(
                "the quantity %(value)s is not hours and minutes as TimeOverflow writes them"
                " (1:30)",
                value=repr(quantity),
            )
        )
        return None
    minutes = int(match["hours"]) * 60 + int(match["minutes"])
    if minutes > MAX_MINUTES:
        problems.append(_l("the quantity %(value)s is too large", value=repr(quantity)))
        return None
    return minutes
