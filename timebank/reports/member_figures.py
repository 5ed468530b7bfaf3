"""A member's own figures: hours given and received by month and this year, and the
people they have exchanged time with.

Only time counts as given and received: posted exchanges and group exchanges that still
stand (a reversed exchange and its reversal net out; see
``timebank.reports.transfer_reading``). Donations to and grants from the community pot
move credits rather than time: they are counted apart (``pot_moves``), never as time
given to or received from the pot.
Each read is one query whatever the length of the history. Dates are service dates,
which are already the time bank's local dates; "this year" and "the last 12 months" are
reckoned from today where the time bank is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from timebank.ledger.clock import today_in
from timebank.ledger.database import read_rows
from timebank.ledger.models import (
    Account,
    AccountKind,
    Membership,
    Organisation,
    Person,
    Transfer,
    TransferKind,
    TransferStatus,
)
from timebank.reports.transfer_reading import time_given_condition

# Made once: a new alias per call costs SQLAlchemy a fresh adaptation of every
# column and loader option (about a third of the query's time on the dashboard).
REVERSAL = aliased(Transfer, name="pot_reversal")


@dataclass(frozen=True)
class MonthFigures:
    month: date  # the first day of the month
    given: int  # minutes
    received: int


@dataclass(frozen=True)
class Figures:
    today: date
    year: int
    year_given: int
    year_received: int
    months: list[MonthFigures]  # the last 12 months, oldest first, this month last

    @property
    def busiest(self) -> int:
        """The largest monthly figure (given or received), for scaling a chart."""
        return max([0] + [max(m.given, m.received) for m in self.months])


def month_starts(today: date, count: int = 12) -> list[date]:
    """The first days of the ``count`` months ending with today's month, oldest first."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


# Time given and received by an account, day by day between two dates: built once
# with its values as parameters (the dashboard asks on every visit, and building the
# query cost SQLAlchemy about half as much as running it).
_ACCOUNT = sa.bindparam("figures_account_id", type_=sa.Integer)
_GIVEN = sa.func.sum(sa.case((Transfer.credit_account_id == _ACCOUNT, Transfer.minutes), else_=0))
_RECEIVED = sa.func.sum(sa.case((Transfer.debit_account_id == _ACCOUNT, Transfer.minutes), else_=0))
_BETWEEN = (
    time_given_condition(Transfer),
    sa.or_(Transfer.debit_account_id == _ACCOUNT, Transfer.credit_account_id == _ACCOUNT),
    Transfer.service_date >= sa.bindparam("figures_from", type_=sa.Date),
    Transfer.service_date <= sa.bindparam("figures_to", type_=sa.Date),
)
BY_DAY = (
    sa.select(Transfer.service_date, _GIVEN, _RECEIVED)
    .where(*_BETWEEN)
    .group_by(Transfer.service_date)
)
# The same sums over the whole span, in one row.
SUMS = sa.select(sa.func.coalesce(_GIVEN, 0), sa.func.coalesce(_RECEIVED, 0)).where(*_BETWEEN)


def member_figures(session: Session, account: Account, today: date | None = None) -> Figures:
    """Hours given and received in each of the last 12 months and this year, in one
    query grouped by service date (at most 366 rows) folded into months here."""
    if today is None:
        today = today_in(account.time_bank.timezone)
    months = month_starts(today)
    parameters = {"figures_account_id": account.id, "figures_from": months[0], "figures_to": today}
    rows = read_rows(session, BY_DAY, parameters).all()
    by_month = {m: [0, 0] for m in months}
    year_given = year_received = 0
    for service_date, gave, got in rows:
        bucket = by_month[date(service_date.year, service_date.month, 1)]
        bucket[0] += int(gave or 0)
        bucket[1] += int(got or 0)
        if service_date.year == today.year:
            year_given += int(gave or 0)
            year_received += int(got or 0)
    return Figures(
        today=today,
        year=today.year,
        year_given=year_given,
        year_received=year_received,
        months=[MonthFigures(m, given, received) for m, (given, received) in by_month.items()],
    )


@dataclass(frozen=True)
class YearFigures:
    year: int
    year_given: int  # minutes, 1 January to today
    year_received: int


def year_figures(session: Session, account: Account, today: date) -> YearFigures:
    """This year's hours given and received (the dashboard's): the same sums as
    ``member_figures`` gives for the year, in one row instead of a row per day."""
    parameters = {
        "figures_account_id": account.id,
        "figures_from": date(today.year, 1, 1),
        "figures_to": today,
    }
    given, received = read_rows(session, SUMS, parameters).one()
    return YearFigures(year=today.year, year_given=int(given), year_received=int(received))


# Names for accounts that have none of their own, in English: the ledger imports no
# Flask, so the web layer puts them in the reader's language (timebank.members.network).
NO_MEMBER_NAME = "A member"
NO_ORGANISATION_NAME = "An organisation"


@dataclass(frozen=True)
class Connection:
    account_id: int
    kind: str  # member, organisation or pot
    name: str
    given: int  # minutes I gave them
    received: int  # minutes they gave me
    exchanges: int

    @property
    def total(self) -> int:
        return self.given + self.received


# Everyone an account exchanged time with, and the pot's moves: built once with the
# account as a parameter (building them cost about as much as running them).
_NETWORK_ACCOUNT = sa.bindparam("network_account_id", type_=sa.Integer)
_INVOLVES = sa.or_(
    Transfer.debit_account_id == _NETWORK_ACCOUNT, Transfer.credit_account_id == _NETWORK_ACCOUNT
)
_OTHER_ID = sa.case(
    (Transfer.debit_account_id == _NETWORK_ACCOUNT, Transfer.credit_account_id),
    else_=Transfer.debit_account_id,
).label("other_id")
_PER_OTHER = (
    sa.select(
        _OTHER_ID,
        sa.func.sum(
            sa.case((Transfer.credit_account_id == _NETWORK_ACCOUNT, Transfer.minutes), else_=0)
        ).label("given"),
        sa.func.sum(
            sa.case((Transfer.debit_account_id == _NETWORK_ACCOUNT, Transfer.minutes), else_=0)
        ).label("received"),
        sa.func.count().label("exchanges"),
    )
    .where(_INVOLVES, time_given_condition(Transfer))
    .group_by(_OTHER_ID)
    .subquery()
)
NETWORK = (
    sa.select(
        Account.id,
        Account.kind,
        Person.display_name,
        Organisation.name,
        _PER_OTHER.c.given,
        _PER_OTHER.c.received,
        _PER_OTHER.c.exchanges,
    )
    .join(_PER_OTHER, _PER_OTHER.c.other_id == Account.id)
    .outerjoin(Membership, Membership.id == Account.membership_id)
    .outerjoin(Person, Person.id == Membership.person_id)
    .outerjoin(Organisation, Organisation.id == Account.organisation_id)
    .where(Account.kind.in_([AccountKind.MEMBER, AccountKind.ORGANISATION]))
)


def my_network(session: Session, account: Account) -> list[Connection]:
    """Everyone this account has exchanged time with (people and organisations), most
    time first, in one query. ``given`` is time from me to them."""
    rows = read_rows(session, NETWORK, {"network_account_id": account.id}).all()
    connections = []
    for account_id, kind, person_name, organisation_name, gave, got, count in rows:
        if kind == AccountKind.MEMBER:
            name = person_name or NO_MEMBER_NAME
        else:
            name = organisation_name or NO_ORGANISATION_NAME
        connections.append(
            Connection(
                account_id=account_id,
                kind=str(kind),
                name=name,
                given=int(gave or 0),
                received=int(got or 0),
                exchanges=int(count),
            )
        )
    connections.sort(key=lambda c: (-c.total, c.name.lower(), c.account_id))
    return connections


@dataclass(frozen=True)
class PotMoves:
    """Credits this account moved to and from the community pot (not time)."""

    donated: int  # minutes donated to the pot
    granted: int  # minutes granted from the pot

    @property
    def any(self) -> bool:
        return bool(self.donated or self.granted)


def _pot_sum(kind: TransferKind, side: Any) -> Any:
    return sa.func.coalesce(
        sa.func.sum(
            sa.case(
                (sa.and_(Transfer.kind == kind, side == _NETWORK_ACCOUNT), Transfer.minutes),
                else_=0,
            )
        ),
        0,
    )


# Donations made and grants received that still stand (a reversed one nets out).
POT_MOVES = sa.select(
    _pot_sum(TransferKind.DONATION, Transfer.debit_account_id),
    _pot_sum(TransferKind.GRANT, Transfer.credit_account_id),
).where(
    _INVOLVES,
    Transfer.status == TransferStatus.POSTED,
    ~sa.exists().where(
        REVERSAL.reverses_id == Transfer.id, REVERSAL.status == TransferStatus.POSTED
    ),
)


def pot_moves(session: Session, account: Account) -> PotMoves:
    """Donations and grants that still stand (a reversed one nets out), in one query."""
    donated, granted = read_rows(session, POT_MOVES, {"network_account_id": account.id}).one()
    return PotMoves(donated=int(donated), granted=int(granted))
