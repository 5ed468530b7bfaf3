"""Reading an account: balance, recent entries and a statement with a running balance.

Each read is a fixed number of queries however long the history is.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from timebank.ledger.database import read_rows
from timebank.ledger.models import (
    Account,
    Category,
    Membership,
    Organisation,
    Person,
    Transfer,
    TransferStatus,
    account_label,
)
from timebank.ledger.transfer_kinds import ReaderView, view_for
from timebank.ledger.waiting import Waiting, waiting_for

# Made once: a new alias per call costs SQLAlchemy a fresh adaptation of every
# column and loader option (about a third of the query's time on the dashboard).
COUNTERPART = aliased(Account, name="counterpart")


@dataclass(frozen=True)
class StatementLine:
    transfer_id: int
    service_date: date
    recorded_at: datetime
    kind: str
    status: str
    description: str
    category: str | None
    counterpart: str
    # The counterpart account's kind (member, organisation, pot, equity): the web layer
    # names the pot and the opening-balances account in the reader's language.
    counterpart_kind: str
    # Signed from the account's point of view: + credited, - debited. Only exchanges
    # are time given (+) or received (-): ``view`` says what the entry was.
    minutes: int
    running_balance: int | None
    view: ReaderView
    # The entry a reversal undoes.
    reverses_id: int | None = None
    # For a pending entry: who or what it waits for, as the account's holder sees it.
    waiting: Waiting | None = None


@dataclass(frozen=True)
class Statement:
    account_id: int
    start: date | None
    end: date | None
    opening_balance: int
    closing_balance: int
    lines: list[StatementLine]


# Whose account is on the other side of each entry, by plain outer joins: the lists read
# columns, not ORM objects (loading a transfer, its category and the other account
# with its membership, person and organisation as objects cost more than the query).
_OTHER_MEMBERSHIP = aliased(Membership, name="counterpart_membership")
_OTHER_PERSON = aliased(Person, name="counterpart_person")
_OTHER_ORGANISATION = aliased(Organisation, name="counterpart_organisation")


def entries_with_counterpart(account_id: int | sa.BindParameter[int], *columns: Any) -> sa.Select:
    """The entries of an account, each with ``columns``, its category's name
    (``category``) and the other side's kind and names (``counterpart_kind``,
    ``counterpart_person``, ``counterpart_organisation``: see ``counterpart_label``)."""
    other = COUNTERPART
    return (
        sa.select(
            *columns,
            Category.name.label("category"),
            other.kind.label("counterpart_kind"),
            _OTHER_PERSON.display_name.label("counterpart_person"),
            _OTHER_ORGANISATION.name.label("counterpart_organisation"),
        )
        .join(
            other,
            other.id
            == sa.case(
                (Transfer.debit_account_id == account_id, Transfer.credit_account_id),
                else_=Transfer.debit_account_id,
            ),
        )
        .outerjoin(Category, Category.id == Transfer.category_id)
        .outerjoin(_OTHER_MEMBERSHIP, _OTHER_MEMBERSHIP.id == other.membership_id)
        .outerjoin(_OTHER_PERSON, _OTHER_PERSON.id == _OTHER_MEMBERSHIP.person_id)
        .outerjoin(_OTHER_ORGANISATION, _OTHER_ORGANISATION.id == other.organisation_id)
        .where(
            sa.or_(
                Transfer.debit_account_id == account_id, Transfer.credit_account_id == account_id
            )
        )
    )


def counterpart_label(row: sa.Row) -> str:
    """The other side's name, from a row of ``entries_with_counterpart``."""
    return account_label(row.counterpart_kind, row.counterpart_person, row.counterpart_organisation)


def _counterpart_query(account_id: int | sa.BindParameter[int]) -> sa.Select:
    return entries_with_counterpart(
        account_id,
        Transfer.id,
        Transfer.service_date,
        Transfer.recorded_at,
        Transfer.kind,
        Transfer.status,
        Transfer.description,
        Transfer.minutes,
        Transfer.credit_account_id,
        Transfer.reverses_id,
        Transfer.needs_confirmation,
        Transfer.confirmed_at,
        Transfer.needs_approval,
        Transfer.approved_at,
        Transfer.recorded_by_id,
    )


class Holder(Protocol):
    """The account a line is read for (an ``Account``, or its columns): whose side of
    the entry it shows and who holds it."""

    @property
    def id(self) -> int: ...

    @property
    def membership_id(self) -> int | None: ...


def _line(account: Holder, row: sa.Row, running: int | None) -> StatementLine:
    side = "credit" if row.credit_account_id == account.id else "debit"
    view = view_for(row.kind, side, row.minutes)
    waiting = None
    if row.status == TransferStatus.PENDING:
        waiting = waiting_for(
            needs_confirmation=row.needs_confirmation,
            confirmed=row.confirmed_at is not None,
            needs_approval=row.needs_approval,
            approved=row.approved_at is not None,
            recorded_by_id=row.recorded_by_id,
            reader_id=account.membership_id,
        )
    return StatementLine(
        transfer_id=row.id,
        service_date=row.service_date,
        recorded_at=row.recorded_at,
        kind=str(row.kind),
        status=str(row.status),
        description=row.description,
        category=row.category,
        counterpart=counterpart_label(row),
        counterpart_kind=str(row.counterpart_kind),
        minutes=view.effect,
        running_balance=running,
        view=view,
        reverses_id=row.reverses_id,
        waiting=waiting,
    )


# The recent and pending lists (the dashboard shows both) are built once, with the
# account and the number of rows as parameters: building the query with its joined
# loads cost SQLAlchemy about half as much as running it.
_ACCOUNT = sa.bindparam("list_account_id", type_=sa.Integer)
_LIMIT = sa.bindparam("list_limit", type_=sa.Integer)
RECENT = (
    _counterpart_query(_ACCOUNT)
    .order_by(Transfer.recorded_at.desc(), Transfer.id.desc())
    .limit(_LIMIT)
)
PENDING = (
    _counterpart_query(_ACCOUNT)
    .where(Transfer.status == TransferStatus.PENDING)
    .order_by(Transfer.recorded_at, Transfer.id)
    .limit(_LIMIT)
)


def recent_rows(session: Session, account_id: int, limit: int = 10) -> tuple[sa.Row, ...]:
    """The latest entries of an account, of any status, newest first: the rows that
    ``recent_lines`` makes lines of."""
    parameters = {"list_account_id": account_id, "list_limit": limit}
    return tuple(read_rows(session, RECENT, parameters))


def recent_lines(account: Holder, rows: tuple[sa.Row, ...]) -> list[StatementLine]:
    """Lines of ``recent_rows`` of ``account``, as its holder sees them."""
    return [_line(account, row, None) for row in rows]


def list_recent_transfers(
    session: Session, account: Account, limit: int = 10
) -> list[StatementLine]:
    """The latest entries of any status, newest first."""
    return recent_lines(account, recent_rows(session, account.id, limit))


# The statement's two queries (the balance before the first day, and the posted entries
# between the days with the other side's name), built once for each shape: with or
# without a first and a last day. Parameters "statement_account_id", "statement_start",
# "statement_end".
_STATEMENT_ACCOUNT = sa.bindparam("statement_account_id", type_=sa.Integer)
_STATEMENT_START = sa.bindparam("statement_start", type_=sa.Date)
_STATEMENT_END = sa.bindparam("statement_end", type_=sa.Date)
OPENING_BALANCE = sa.select(
    sa.func.coalesce(
        sa.func.sum(
            sa.case(
                (Transfer.credit_account_id == _STATEMENT_ACCOUNT, Transfer.minutes),
                else_=-Transfer.minutes,
            )
        ),
        0,
    )
).where(
    sa.or_(
        Transfer.debit_account_id == _STATEMENT_ACCOUNT,
        Transfer.credit_account_id == _STATEMENT_ACCOUNT,
    ),
    Transfer.status == TransferStatus.POSTED,
    Transfer.service_date < _STATEMENT_START,
)


@functools.cache
def _statement_lines(from_start: bool, to_end: bool) -> sa.Select:
    query = _counterpart_query(_STATEMENT_ACCOUNT).where(Transfer.status == TransferStatus.POSTED)
    if from_start:
        query = query.where(Transfer.service_date >= _STATEMENT_START)
    if to_end:
        query = query.where(Transfer.service_date <= _STATEMENT_END)
    return query.order_by(Transfer.service_date, Transfer.id)


def get_statement(
    session: Session, account: Account, start: date | None = None, end: date | None = None
) -> Statement:
    """Posted entries between ``start`` and ``end`` (service dates, inclusive) with a
    running balance, and the balances before and after."""
    parameters = {
        "statement_account_id": account.id,
        "statement_start": start,
        "statement_end": end,
    }
    opening = 0
    if start is not None:
        opening = read_rows(session, OPENING_BALANCE, parameters).scalar() or 0
    running = int(opening)
    lines = []
    query = _statement_lines(start is not None, end is not None)
    for row in read_rows(session, query, parameters):
        running += row.minutes if row.credit_account_id == account.id else -row.minutes
        lines.append(_line(account, row, running))
    return Statement(
        account_id=account.id,
        start=start,
        end=end,
        opening_balance=int(opening),
        closing_balance=running,
        lines=lines,
    )


def list_pending_transfers(
    session: Session, account: Account, limit: int = 20
) -> list[StatementLine]:
    """The account's entries still waiting for a confirmation or an approval, oldest
    first, each saying what it waits for."""
    parameters = {"list_account_id": account.id, "list_limit": limit}
    return [_line(account, row, None) for row in read_rows(session, PENDING, parameters)]
