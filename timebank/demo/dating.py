"""The demo's past, dated: when each member joined and when each entry still waiting
was recorded. The services stamp both with the moment the demo is seeded, so without
this every member "joined today" and every waiting entry has waited "today", and the
approval queue's "waiting at least (days)" filter and the members' "joined" column
say nothing.

Deterministic: a random generator of its own (the history stays the same for a seed),
and every date follows from the history itself: a member joined some days before
their first exchange; the founders and coordinators at the start; people who have not
started yet, and applicants, in the last weeks."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.demo.cast import HISTORY_DAYS
from timebank.ledger.clock import utcnow
from timebank.ledger.models import (
    Account,
    Membership,
    MembershipStatus,
    Role,
    Transfer,
    TransferStatus,
)

# Office hours, so "recorded at" and "joined at" read like a working day.
FIRST_HOUR, LAST_HOUR = 9, 17


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(
        day, time(rng.randint(FIRST_HOUR, LAST_HOUR), rng.choice((0, 15, 30, 45)))
    )


def date_memberships(session: Session, bank_id: int, today: date, rng: random.Random) -> None:
    """Each membership's ``joined_at``: coordinators at the start of the history, other
    members 3 to 30 days before their first exchange (or any time in the history when
    it came early), those who have not exchanged yet 5 to 60 days ago, applicants 1 to
    12 days ago."""
    first_exchange = dict(
        session.execute(
            sa.select(Account.membership_id, sa.func.min(Transfer.service_date))
            .join(
                Transfer,
                sa.or_(
                    Transfer.debit_account_id == Account.id,
                    Transfer.credit_account_id == Account.id,
                ),
            )
            .where(Account.time_bank_id == bank_id, Account.membership_id.is_not(None))
            .group_by(Account.membership_id)
        ).all()
    )
    start = today - timedelta(days=HISTORY_DAYS + 14)
    memberships = session.scalars(
        sa.select(Membership).where(Membership.time_bank_id == bank_id).order_by(Membership.id)
    ).all()
    for membership in memberships:
        if membership.status == MembershipStatus.APPLIED:
            day = today - timedelta(days=rng.randint(1, 12))
        elif membership.role in (Role.COORDINATOR, Role.PARTNER):
            day = start - timedelta(days=rng.randint(0, 30))
        elif membership.id in first_exchange:
            day = max(first_exchange[membership.id] - timedelta(days=rng.randint(3, 30)), start)
        else:
            day = today - timedelta(days=rng.randint(5, 60))
        membership.joined_at = _at(day, rng)


def date_waiting_entries(session: Session, bank_id: int, rng: random.Random) -> None:
    """Each pending entry recorded on the day its time was given, confirmed (if it
    was) a day or two later, never in the future."""
    now = utcnow()
    pending = session.scalars(
        sa.select(Transfer)
        .where(Transfer.time_bank_id == bank_id, Transfer.status == TransferStatus.PENDING)
        .order_by(Transfer.id)
    ).all()
    for transfer in pending:
        transfer.recorded_at = min(_at(transfer.service_date, rng), now)
        if transfer.confirmed_at is not None:
            later = transfer.recorded_at + timedelta(days=rng.randint(1, 2))
            transfer.confirmed_at = min(later, now)
