"""The community pot's donations and grants, newest first (by the date shown), a page
at a time by keyset (``reports/keyset.py``): never OFFSET, and never the pot's whole
history sorted.

An entry is the pot's on either side (a donation credits it, a grant debits it), so a
page is read as two short index scans, one a side (``ix_transfer_debit_date`` and
``ix_transfer_credit_date``: the account, then by date), each stopping after
``per_page + 1`` rows, merged; then the page's rows with the other side's names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.database import read_rows
from timebank.ledger.models import Account, AccountKind, Transfer
from timebank.reports.keyset import Cursor, KeysetPage, Order
from timebank.reports.statements import counterpart_label, entries_with_counterpart

ORDER = Order((Transfer.service_date, Transfer.id), descending=True)
PER_PAGE = 25

# A page's rows, as plain columns with the other side's names: built once.
_POT = sa.bindparam("pot_id", type_=sa.Integer)
ROWS = entries_with_counterpart(
    _POT,
    Transfer.id,
    Transfer.service_date,
    Transfer.kind,
    Transfer.minutes,
    Transfer.credit_account_id,
    Transfer.reason,
    Transfer.description,
).where(Transfer.id.in_(sa.bindparam("ids", expanding=True)))


@dataclass(frozen=True, slots=True)
class PotEntry:
    id: int
    service_date: date
    kind: str
    minutes: int
    who: str  # the other side: a member, an organisation or the ledger's own account
    incoming: bool
    note: str | None


@dataclass(frozen=True, slots=True)
class PotAccount:
    id: int
    balance: int  # posted, in minutes
    pending_debits: int  # promised in grants waiting for approval


# The pot's account and figures, and each side's first page of ids: built once.
_POT_ACCOUNT = sa.select(
    Account.id, Account.posted_credits - Account.posted_debits, Account.pending_debits
).where(Account.time_bank_id == sa.bindparam("bank_id"), Account.kind == AccountKind.POT)
_FIRST_IDS = {
    side: sa.select(Transfer.service_date, Transfer.id)
    .where(side == _POT)
    .order_by(*ORDER.by())
    .limit(sa.bindparam("limit", type_=sa.Integer))
    for side in (Transfer.debit_account_id, Transfer.credit_account_id)
}


def pot_account(session: Session, time_bank_id: int) -> PotAccount:
    """The bank's pot: its account id, posted balance and pending grants."""
    return PotAccount(*read_rows(session, _POT_ACCOUNT, {"bank_id": time_bank_id}).one())


def _ids(session: Session, side, pot_id: int, key, backwards: bool, limit: int):
    if key is None and not backwards:
        return read_rows(session, _FIRST_IDS[side], {"pot_id": pot_id, "limit": limit}).all()
    query = sa.select(Transfer.service_date, Transfer.id).where(side == pot_id)
    if key is not None:
        query = query.where(ORDER.beyond(tuple(key), reverse=backwards))
    return read_rows(session, query.order_by(*ORDER.by(reverse=backwards)).limit(limit)).all()


def pot_page(
    session: Session,
    time_bank_id: int,
    pot_id: int,
    cursor: Cursor | None = None,
    *,
    per_page: int = PER_PAGE,
) -> KeysetPage:
    """A page of the pot's entries from ``cursor``: at most four short queries (the
    cursor's key, each side's ids, the rows)."""
    cursor = cursor or Cursor()
    mark = cursor.before if cursor.before is not None else cursor.after
    backwards = cursor.before is not None
    key = None
    if mark is not None:
        key = read_rows(
            session,
            sa.select(Transfer.service_date, Transfer.id).where(
                Transfer.id == mark,
                Transfer.time_bank_id == time_bank_id,
                sa.or_(Transfer.debit_account_id == pot_id, Transfer.credit_account_id == pot_id),
            ),
        ).first()
    if key is None:
        backwards = False
    found = sorted(
        {
            *_ids(session, Transfer.debit_account_id, pot_id, key, backwards, per_page + 1),
            *_ids(session, Transfer.credit_account_id, pot_id, key, backwards, per_page + 1),
        },
        reverse=not backwards,
    )
    more = len(found) > per_page
    found = found[:per_page]
    if backwards:
        found.reverse()
    if not found and key is not None:
        return pot_page(session, time_bank_id, pot_id, per_page=per_page)
    ids = [i for _, i in found]
    loaded = (
        {row.id: row for row in read_rows(session, ROWS, {"pot_id": pot_id, "ids": ids})}
        if ids
        else {}
    )
    page = KeysetPage(
        rows=[
            PotEntry(
                id=row.id,
                service_date=row.service_date,
                kind=row.kind,
                minutes=row.minutes,
                who=counterpart_label(row),
                incoming=row.credit_account_id == pot_id,
                note=row.reason or row.description,
            )
            for row in (loaded[i] for i in ids)
        ],
        total=0,
        per_page=per_page,
    )
    if ids:
        if backwards:
            page.previous_before = ids[0] if more else None
            page.next_after = ids[-1]
        else:
            page.next_after = ids[-1] if more else None
            page.previous_before = ids[0] if key is not None else None
    return page
