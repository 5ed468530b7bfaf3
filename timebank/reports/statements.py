"""Reading an account: balance, recent entries and a statement with a running balance.

Each read is a fixed number of queries however long the history is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, joinedload

from timebank.ledger.models import Account, Membership, Transfer, TransferStatus
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


def _counterpart_query(account_id: int | sa.BindParameter[int]):
    other = COUNTERPART
    return (
        sa.select(Transfer, other)
        .join(
            other,
            other.id
            == sa.case(
                (Transfer.debit_account_id == account_id, Transfer.credit_account_id),
                else_=Transfer.debit_account_id,
            ),
        )
        .where(
            sa.or_(
                Transfer.debit_account_id == account_id, Transfer.credit_account_id == account_id
            )
        )
        .options(
            joinedload(Transfer.category),
            joinedload(other.membership).joinedload(Membership.person),
            joinedload(other.organisation),
        )
    )


def _line(
    account: Account, transfer: Transfer, other: Account, running: int | None
) -> StatementLine:
    side = "credit" if transfer.credit_account_id == account.id else "debit"
    view = view_for(transfer.kind, side, transfer.minutes)
    waiting = None
    if transfer.status == TransferStatus.PENDING:
        waiting = waiting_for(
            needs_confirmation=transfer.needs_confirmation,
            confirmed=transfer.confirmed_at is not None,
            needs_approval=transfer.needs_approval,
            approved=transfer.approved_at is not None,
            recorded_by_id=transfer.recorded_by_id,
            reader_id=account.membership_id,
        )
    return StatementLine(
        transfer_id=transfer.id,
        service_date=transfer.service_date,
        recorded_at=transfer.recorded_at,
        kind=str(transfer.kind),
        status=str(transfer.status),
        description=transfer.description,
        category=transfer.category.name if transfer.category else None,
        counterpart=other.label,
        counterpart_kind=str(other.kind),
        minutes=view.effect,
        running_balance=running,
        view=view,
        reverses_id=transfer.reverses_id,
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


def list_recent_transfers(
    session: Session, account: Account, limit: int = 10
) -> list[StatementLine]:
    """The latest entries of any status, newest first."""
    parameters = {"list_account_id": account.id, "list_limit": limit}
    rows = session.execute(RECENT, parameters).unique().all()
    return [_line(account, transfer, other, None) for transfer, other in rows]


def get_statement(
    session: Session, account: Account, start: date | None = None, end: date | None = None
) -> Statement:
    """Posted entries between ``start`` and ``end`` (service dates, inclusive) with a
    running balance, and the balances before and after."""
    signed = sa.case(
        (Transfer.credit_account_id == account.id, Transfer.minutes), else_=-Transfer.minutes
    )
    involves = sa.or_(
        Transfer.debit_account_id == account.id, Transfer.credit_account_id == account.id
    )
    opening = 0
    if start is not None:
        opening = (
            session.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(signed), 0)).where(
                    involves,
                    Transfer.status == TransferStatus.POSTED,
                    Transfer.service_date < start,
                )
            )
            or 0
        )
    query = _counterpart_query(account.id).where(Transfer.status == TransferStatus.POSTED)
    if start is not None:
        query = query.where(Transfer.service_date >= start)
    if end is not None:
        query = query.where(Transfer.service_date <= end)
    rows = session.execute(query.order_by(Transfer.service_date, Transfer.id)).unique().all()
    running = int(opening)
    lines = []
    for transfer, other in rows:
        running += (
            transfer.minutes if transfer.credit_account_id == account.id else (-transfer.minutes)
        )
        lines.append(_line(account, transfer, other, running))
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
    rows = session.execute(PENDING, parameters).unique().all()
    return [_line(account, transfer, other, None) for transfer, other in rows]
