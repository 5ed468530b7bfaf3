"""This app's own layouts: exchanges by giver and receiver (members' references,
emails or organisations' names), and members with their opening balances."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from timebank.community.people import EMAIL_PATTERN
from timebank.importing.rows import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_REF,
    MEMBER_COLUMNS,
    MEMBER_OPTIONAL,
    SIDES,
    TRANSFER_COLUMNS_OPTIONAL,
    TRANSFER_REQUIRED,
    BadFile,
    BankLookups,
    Issue,
    MemberRow,
    TransferRow,
    amount_in_minutes,
    cell,
    read_header,
    read_service_date,
)
from timebank.importing.values import (
    MAX_MINUTES,
    BadValue,
    parse_decimal,
    parse_moment,
    to_utc_naive,
    whole_minutes,
)
from timebank.importing.words import Text, _l
from timebank.ledger.models import (
    MemberKind,
    Role,
)


def generic_transfer_rows(path: Path, lookups: BankLookups, mapping: dict[str, int] | None = None):
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
    records, index, warnings = read_header(path, list(TRANSFER_REQUIRED), known, mapping)
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
            minutes = amount_in_minutes(
                cell(row, index, "hours"), _l("hours"), Decimal(1) / 60, problems, row_warnings
            )
        else:
            minutes = amount_in_minutes(
                cell(row, index, "minutes"), _l("minutes"), Decimal(1), problems, row_warnings
            )
        service_date, happened_at = read_service_date(cell(row, index, "date"), lookups, problems)
        transfer_id = cell(row, index, "transfer_id")
        if len(transfer_id) > MAX_REF:
            problems.append(_l("the transfer_id is longer than %(most)s characters", most=MAX_REF))
        category_text = cell(row, index, "category")
        category_id = None
        if category_text:
            category_id = lookups.categories.get(category_text.lower())
            if category_id is None:
                problems.append(_l("unknown category %(name)s", name=repr(category_text)))
        if problems or minutes is None:  # no amount comes with its problem
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
            description=cell(row, index, "description")[:MAX_DESCRIPTION],
            category_id=category_id,
            source_id=transfer_id or None,
        )


def _generic_account(row, index, side: str, lookups: BankLookups, problems: list[Text]):
    word = SIDES[side]
    ref = cell(row, index, side)
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
    email = cell(row, index, f"{side}_email").lower()
    if email:
        account_id = lookups.emails.get(email)
        if account_id is None:
            problems.append(
                _l("no member with the email %(email)s (%(side)s)", email=repr(email), side=word)
            )
        return account_id
    problems.append(_l("the %(side)s is missing", side=word))
    return None


def member_rows(path: Path, lookups: BankLookups, mapping: dict[str, int] | None = None):
    known = {*MEMBER_COLUMNS, *MEMBER_OPTIONAL}
    records, index, warnings = read_header(
        path, [(name,) for name in MEMBER_COLUMNS], known, mapping
    )
    yield from warnings
    # Only refs and emails are kept per row, to find duplicates within the file.
    seen_refs: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for line, row in records:
        problems: list[Text] = []
        row_warnings: list[Text] = []
        ref = cell(row, index, "external_ref")
        if not ref:
            pass  # optional: transfers then name this member by email
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
        name = cell(row, index, "name")
        if not name:
            problems.append(_l("the name is missing"))
        elif len(name) > MAX_NAME:
            problems.append(_l("the name is longer than %(most)s characters", most=MAX_NAME))
        email = cell(row, index, "email").lower()
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
        kind_text = cell(row, index, "kind").lower() or MemberKind.PARTICIPANT.value
        try:
            kind = MemberKind(kind_text)
        except ValueError:
            kind = MemberKind.PARTICIPANT
            problems.append(
                _l("unknown kind %(kind)s (participant or professional)", kind=repr(kind_text))
            )
        role_text = cell(row, index, "role").lower() or Role.MEMBER.value
        try:
            role = Role(role_text)
        except ValueError:
            role = Role.MEMBER
            problems.append(
                _l("unknown role %(role)s (member, coordinator or partner)", role=repr(role_text))
            )
        opening = None
        hours = cell(row, index, "opening_balance_hours")
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
        joined = cell(row, index, "joined_on")
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
            external_ref=ref or None,
            name=name,
            email=email,
            kind=kind,
            role=role,
            opening_minutes=opening,
            joined_at=joined_at,
        )
