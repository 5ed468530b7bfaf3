"""What a coordinator's overview shows about their bank today: what waits (entries,
applications), this month's time against last month's, and the people a coordinator
may want to call (who has only received lately, who has gone quiet).

The month figures and the names are the coordinators' reciprocity report's own (the
same facts and the same lists as the Report page), read without what the overview does
not show: no network, no quarters, no brokers. A whole report costs seconds in a bank of
thousands of members, and the overview is the page a coordinator opens most."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.models import Membership, MembershipStatus, Person, Transfer, TransferStatus
from timebank.reports.queue import STAGE_APPROVAL, STAGE_CONFIRMATION, count_waiting
from timebank.reports.reciprocity import Period, facts
from timebank.reports.reciprocity.coordinator_lists import coordinator_lists
from timebank.reports.reciprocity.figures import active_people
from timebank.reports.reciprocity.members import member_facts
from timebank.reports.reciprocity.model import CoordinatorLists

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
    """The report's lists of names for the period, without the brokers (they need the
    network's betweenness, the dearest figure of all)."""
    found = facts.period_time(session, (time_bank_id,), period)
    members = member_facts(session, (time_bank_id,), period.end)
    return coordinator_lists(session, time_bank_id, period, found.people, members, facts.EdgeSet())


def this_month(today: date) -> Period:
    return Period(today.replace(day=1), today)


def last_month(today: date) -> Period:
    before = today.replace(day=1) - timedelta(days=1)
    return Period.month(before.year, before.month)


def lately(today: date) -> Period:
    return Period(today - timedelta(days=LOOK_BACK_DAYS - 1), today)


def get_waiting(session: Session, time_bank_id: int) -> Waiting:
    counts = count_waiting(session, time_bank_id)
    oldest = session.scalar(
        sa.select(sa.func.min(Transfer.recorded_at)).where(
            Transfer.time_bank_id == time_bank_id,
            Transfer.status == TransferStatus.PENDING,
            Transfer.needs_approval.is_(True),
            Transfer.approved_at.is_(None),
        )
    )
    return Waiting(counts[STAGE_APPROVAL], counts[STAGE_CONFIRMATION], oldest)


def list_applicants(session: Session, time_bank_id: int) -> list[Applicant]:
    """Applications waiting for a decision, oldest first."""
    rows = session.execute(
        sa.select(Membership.id, Person.display_name, Membership.joined_at)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.time_bank_id == time_bank_id,
            Membership.status == MembershipStatus.APPLIED,
        )
        .order_by(Membership.joined_at, Membership.id)
    ).all()
    return [Applicant(*row) for row in rows]
