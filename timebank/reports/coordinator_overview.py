"""What a coordinator's overview shows about their bank today: what waits (entries,
applications), this month's time against last month's, and the people a coordinator
may want to call (who has only received lately, who has gone quiet).

The month figures and the names are the coordinators' reciprocity report's own (the
same facts and the same lists as the Report page), read without what the overview does
not show: no network, no quarters, no brokers. A whole report costs seconds in a bank of
thousands of members, and the overview is the page a coordinator opens most."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.clock import utcnow
from timebank.ledger.database import read_rows
from timebank.ledger.models import (
    Account,
    AccountKind,
    Membership,
    MembershipStatus,
    Person,
    Role,
    Transfer,
    TransferKind,
    TransferStatus,
)
from timebank.reports.queue import STAGE_APPROVAL, STAGE_CONFIRMATION, _stage_condition
from timebank.reports.reciprocity import BankSelection, Period, cache, facts, scope
from timebank.reports.reciprocity.coordinator_lists import coordinator_lists
from timebank.reports.reciprocity.figures import active_people
from timebank.reports.reciprocity.members import MemberFacts
from timebank.reports.reciprocity.model import CoordinatorLists, NamedMember

# The people lists look back three months: long enough that "only received" is a
# pattern, not one visit; the same window as "quiet".
LOOK_BACK_DAYS = 90
# Names shown on the overview; the Report page has the rest.
SHOWN = 8


@dataclass(frozen=True)
class Waiting:
    for_approval: int
    for_other_person: int
    oldest_recorded_at: datetime | None  # of the entries waiting for approval


@dataclass(frozen=True)
class Applicant:
    membership_id: int
    name: str
    applied_at: datetime


@dataclass(frozen=True)
class MonthTime:
    """A period's headline figures as the report counts them."""

    minutes: int
    exchanges: int
    active: int  # counted members who gave or received time


def month_time(session: Session, time_bank_id: int, period: Period) -> MonthTime:
    found = facts.period_time(session, (time_bank_id,), period)
    return MonthTime(found.totals.minutes, found.totals.exchanges, active_people(found.people))


def people_to_call(session: Session, time_bank_id: int, period: Period) -> CoordinatorLists:
    """The report's two lists the overview shows (who has only received in the period,
    who has gone quiet), as the report makes them, without the brokers (they need the
    network's betweenness, the dearest figure of all) or "never given" (not shown)."""
    found = facts.period_time(session, (time_bank_id,), period)
    members = last_exchanges(session, time_bank_id, period.end)
    lists = coordinator_lists(
        session, time_bank_id, period, found.people, members, facts.EdgeSet(), []
    )
    return dataclasses.replace(lists, never_given=())


def last_exchanges(session: Session, time_bank_id: int, end: date) -> list[MemberFacts]:
    """Every membership of the bank (partners apart) with its last exchange of time up
    to ``end``: what "gone quiet" needs, read as two short index probes a member
    (``ix_transfer_credit_date`` / ``ix_transfer_debit_date``: the account's newest
    entry on or before ``end`` that is time, posted and not reversed) instead of every
    transfer of the bank's history (``member_facts``, which the report needs for its
    first exchanges too). First exchanges are not read: a member registered by
    ``end`` is then one who joined by then, which for the overview (``end`` is today)
    is every counted member."""
    t = scope.TRANSFER.alias("t")
    # The bank's reversed entries, read once and given to the probes as a list: as a
    # subquery its estimated cost, counted again for every probe, made PostgreSQL
    # compile the query with JIT (over a second of the two it took on the bench).
    reversal = scope.TRANSFER.alias("reversal")
    undone = session.scalars(
        sa.select(reversal.c.reverses_id).where(
            reversal.c.reverses_id.is_not(None),
            reversal.c.time_bank_id == time_bank_id,
            reversal.c.kind == TransferKind.REVERSAL.value,
            reversal.c.status == TransferStatus.POSTED.value,
        )
    ).all()

    def newest(side) -> sa.ScalarSelect:
        return (
            sa.select(t.c.service_date)
            .where(
                side == Account.id,
                t.c.status == TransferStatus.POSTED.value,
                t.c.kind.in_([k.value for k in scope.TIME_KINDS]),
                t.c.service_date <= end,
                t.c.id.not_in(undone) if undone else sa.true(),
            )
            .order_by(t.c.service_date.desc())
            .limit(1)
            .correlate(Account)
            .scalar_subquery()
        )

    rows = session.execute(
        sa.select(
            Membership.id,
            Membership.person_id,
            Membership.kind,
            scope.counted(Membership),
            Membership.consent_reporting,
            Membership.joined_at,
            newest(t.c.credit_account_id),
            newest(t.c.debit_account_id),
        )
        .join(Account, Account.membership_id == Membership.id)
        .where(Membership.time_bank_id == time_bank_id, Membership.role != Role.PARTNER)
    ).all()
    return [
        MemberFacts(m, p, str(k), bool(c), bool(consent), j, None, None, _later(gave, got))
        for m, p, k, c, consent, j, gave, got in rows
    ]


def _later(a: date | None, b: date | None) -> date | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


def this_month(today: date) -> Period:
    return Period(today.replace(day=1), today)


def last_month(today: date) -> Period:
    before = today.replace(day=1) - timedelta(days=1)
    return Period.month(before.year, before.month)


def lately(today: date) -> Period:
    return Period(today - timedelta(days=LOOK_BACK_DAYS - 1), today)


# What waits, for a bank (parameter "time_bank_id"), in one statement built once: the
# entries waiting for a coordinator's approval and the oldest of them (counted as the
# approval queue counts them), and those waiting only for the other person.
WAITING = sa.select(
    sa.func.count(Transfer.id).filter(_stage_condition(STAGE_APPROVAL)),
    sa.func.count(Transfer.id).filter(_stage_condition(STAGE_CONFIRMATION)),
    sa.func.min(Transfer.recorded_at).filter(_stage_condition(STAGE_APPROVAL)),
).where(
    Transfer.time_bank_id == sa.bindparam("time_bank_id", type_=sa.Integer),
    Transfer.status == TransferStatus.PENDING,
)


def get_waiting(session: Session, time_bank_id: int) -> Waiting:
    for_approval, for_other_person, oldest = read_rows(
        session, WAITING, {"time_bank_id": time_bank_id}
    ).one()
    return Waiting(int(for_approval), int(for_other_person), oldest)


# Applications waiting for a decision in a bank (parameter "time_bank_id"), oldest
# first; built once.
APPLICANTS = (
    sa.select(Membership.id, Person.display_name, Membership.joined_at)
    .join(Person, Person.id == Membership.person_id)
    .where(
        Membership.time_bank_id == sa.bindparam("time_bank_id", type_=sa.Integer),
        Membership.status == MembershipStatus.APPLIED,
    )
    .order_by(Membership.joined_at, Membership.id)
)


def list_applicants(session: Session, time_bank_id: int) -> list[Applicant]:
    """Applications waiting for a decision, oldest first."""
    rows = read_rows(session, APPLICANTS, {"time_bank_id": time_bank_id})
    return [Applicant(*row) for row in rows]


# The posted balance of a bank's pot (parameter "time_bank_id"), as ``Account.balance``.
POT_BALANCE = sa.select(Account.posted_credits - Account.posted_debits).where(
    Account.time_bank_id == sa.bindparam("time_bank_id", type_=sa.Integer),
    Account.kind == AccountKind.POT,
)


def pot_balance(session: Session, time_bank_id: int) -> int:
    return int(read_rows(session, POT_BALANCE, {"time_bank_id": time_bank_id}).scalar_one())


# The overview's figures are kept in the report cache under this audience, for the
# bank and the three months to today, while the bank's generation holds (nothing
# posted, reversed or changed since: ``reciprocity.cache.generation``).
AUDIENCE = "overview"


@dataclass(frozen=True)
class Overview:
    month_time: MonthTime
    previous_time: MonthTime
    people: CoordinatorLists


def kept_overview(session: Session, time_bank_id: int, today: date) -> Overview | None:
    """The figures kept in the cache when the bank has not changed since they were worked
    out today (one short query for the generation, one for the row; nothing written, so
    a page reads them without a write transaction); None when they must be worked out."""
    recent = lately(today)
    _current, payload = cache.cached_row(session, BankSelection.one(time_bank_id), recent, AUDIENCE)
    if payload is None:
        return None
    kept = _loads(payload)
    return kept[1] if kept is not None and kept[0] == today.isoformat() else None


def overview_figures(session: Session, time_bank_id: int, today: date) -> Overview:
    """This month's and last month's time and the people to call, from the cache when
    the bank has not changed since they were worked out; otherwise worked out and kept
    (flushed, not committed: the caller owns the transaction)."""
    found = kept_overview(session, time_bank_id, today)
    if found is not None:
        return found
    recent = lately(today)
    selection = BankSelection.one(time_bank_id)
    current = cache.generation(session, selection)
    found = Overview(
        month_time(session, time_bank_id, this_month(today)),
        month_time(session, time_bank_id, last_month(today)),
        people_to_call(session, time_bank_id, recent),
    )
    cache.store_row(
        session,
        {
            "selection_hash": cache.selection_hash(selection),
            "bank_ids": selection.key,
            "period_start": recent.start,
            "period_end": recent.end,
            "audience": AUDIENCE,
            "generation": current,
            "payload": _dumps(today, found),
            "built_at": utcnow(),
        },
    )
    return found


def _named(m: NamedMember) -> list:
    day = m.last_exchange.isoformat() if m.last_exchange else None
    return [m.membership_id, m.name, m.kind, m.minutes, day]


def _dumps(today: date, found: Overview) -> str:
    return json.dumps(
        {
            "today": today.isoformat(),
            "month": dataclasses.astuple(found.month_time),
            "previous": dataclasses.astuple(found.previous_time),
            "only_received": [_named(m) for m in found.people.only_received],
            "quiet": [_named(m) for m in found.people.quiet],
        }
    )


def _loads(payload: str) -> tuple[str, Overview] | None:
    try:
        data = json.loads(payload)

        def named(row: list) -> NamedMember:
            day = date.fromisoformat(row[4]) if row[4] else None
            return NamedMember(row[0], row[1], row[2], minutes=row[3], last_exchange=day)

        people = CoordinatorLists(
            only_received=tuple(named(r) for r in data["only_received"]),
            never_given=(),
            quiet=tuple(named(r) for r in data["quiet"]),
            brokers=(),
        )
        return data["today"], Overview(
            MonthTime(*data["month"]), MonthTime(*data["previous"]), people
        )
    except (ValueError, KeyError, TypeError, IndexError):
        return None  # an older shape: worked out again
