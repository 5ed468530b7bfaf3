"""What the report needs of each membership, read in one query: who they are, whether
they count and consented, when they joined, and when they first exchanged, first gave
and last exchanged time (up to the period's end). One row per membership, never one per
transfer; registered members at each month's end, participants who have given, days to
first giving and the coordinators' lists are worked out from these rows.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.models import Account, MemberKind, Membership, Role
from timebank.reports.reciprocity import scope
from timebank.reports.reciprocity.period import Period


@dataclass(frozen=True)
class MemberFacts:
    membership_id: int
    person_id: int
    kind: str
    counted: bool  # not a partner; active or suspended now
    consenting: bool
    joined_at: datetime
    first_exchange: date | None
    first_given: date | None
    last_exchange: date | None

    @property
    def joined(self) -> date:
        """Joining day, or the first exchange if earlier (histories brought in)."""
        day = self.joined_at.date()
        if self.first_exchange is not None and self.first_exchange < day:
            return self.first_exchange
        return day

    def registered_by(self, end: date) -> bool:
        return self.counted and self.joined <= end


def member_facts(session: Session, bank_ids: tuple[int, ...], end: date) -> list[MemberFacts]:
    """Every membership of the banks (partners apart), with its time up to ``end``."""
    s = scope.sides(scope.transfers(bank_ids, None, end).subquery(), "service_date")
    firsts = (
        sa.select(
            s.c.account_id,
            sa.func.min(s.c.service_date).label("first_exchange"),
            sa.func.min(sa.case((s.c.given > 0, s.c.service_date))).label("first_given"),
            sa.func.max(s.c.service_date).label("last_exchange"),
        )
        .group_by(s.c.account_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(
            Membership.id,
            Membership.person_id,
            Membership.kind,
            scope.counted(Membership),
            Membership.consent_reporting,
            Membership.joined_at,
            firsts.c.first_exchange,
            firsts.c.first_given,
            firsts.c.last_exchange,
        )
        .join(Account, Account.membership_id == Membership.id)
        .outerjoin(firsts, firsts.c.account_id == Account.id)
        .where(Membership.time_bank_id.in_(bank_ids), Membership.role != Role.PARTNER)
    ).all()
    return [
        MemberFacts(m, p, str(k), bool(c), bool(consent), j, fe, fg, le)
        for m, p, k, c, consent, j, fe, fg, le in rows
    ]


def registered_at(facts: list[MemberFacts], ends: list[date], *, consenting: bool) -> list[int]:
    """Registered people at the end of each of ``ends``: a person in several banks
    counts once, from their first joining."""
    first: dict[int, date] = {}
    for m in facts:
        if m.counted and (m.consenting or not consenting):
            day = m.joined
            if m.person_id not in first or day < first[m.person_id]:
                first[m.person_id] = day
    days = sorted(first.values())
    return [bisect_right(days, end) for end in ends]


@dataclass(frozen=True)
class Participants:
    registered: int  # participants registered at the period's end
    have_given: int  # of them, people who have given time at least once by then


def participants_who_gave(facts: list[MemberFacts], end: date, *, consenting: bool) -> Participants:
    registered: set[int] = set()
    gave: set[int] = set()
    for m in facts:
        if (
            m.kind == MemberKind.PARTICIPANT
            and m.registered_by(end)
            and (m.consenting or not consenting)
        ):
            registered.add(m.person_id)
            if m.first_given is not None:
                gave.add(m.person_id)
    return Participants(len(registered), len(gave))


def days_to_first_gift(
    facts: list[MemberFacts], period: Period, *, consenting: bool
) -> tuple[list[int], int]:
    """Days from joining (or first receiving time, if earlier) to first giving time,
    for each membership whose first giving was in the period; and how many people."""
    days, people = [], set()
    for m in facts:
        if (
            m.counted
            and (m.consenting or not consenting)
            and m.first_given is not None
            and period.contains(m.first_given)
        ):
            days.append(max(0, (m.first_given - m.joined).days))
            people.add(m.person_id)
    return days, len(people)


def offering(
    facts: list[MemberFacts],
    offers: list[tuple[int, str, str]],
    end: date,
    *,
    consenting: bool,
) -> dict[str, int]:
    """People offering each kind of help among members registered at ``end``, by the
    partners' key (sensitive together) when ``consenting``, else by category."""
    members = {
        m.membership_id: m.person_id
        for m in facts
        if m.registered_by(end) and (m.consenting or not consenting)
    }
    people: dict[str, set[int]] = defaultdict(set)
    for membership_id, partners_key, own_key in offers:
        if membership_id in members:
            people[partners_key if consenting else own_key].add(members[membership_id])
    return {key: len(found) for key, found in people.items()}
