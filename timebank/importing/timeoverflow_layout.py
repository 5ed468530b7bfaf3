"""TimeOverflow's admin import layout: source and destination ids with their types,
the amount in seconds, the moment, the reason and the post."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from timebank.importing.rows import (
    MAX_DESCRIPTION,
    TIMEOVERFLOW_TYPES,
    BankLookups,
    Issue,
    TransferRow,
    amount_in_minutes,
    read_records,
    read_service_date,
)
from timebank.importing.words import Text, _l


def timeoverflow_rows(path: Path, lookups: BankLookups):
    for line, row in read_records(path):
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
        minutes = amount_in_minutes(amount, _l("seconds"), Decimal(60), problems, warnings)
        service_date, happened_at = read_service_date(created_at, lookups, problems)
        if problems or minutes is None:  # no amount comes with its problem
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
