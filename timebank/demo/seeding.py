"""The demo time bank: about sixty people, two organisations and six months of exchanges.

Everything is written through the ledger's own services (banks, transfers, group, pot),
so the demo obeys every rule a real time bank does: floors, steps, confirmations,
approvals, the pot never going below zero, and the audit chain. A seeded
``random.Random`` and fixed name lists make it the same every time.

The history has the shapes the reciprocity reports look for: pairs who help each other,
chains that close into cycles (A helps B, B helps C, C helps A), people who only give
and people who only receive (two of them helped by grants from the community pot),
professionals who receive time from participants (shared roles), organisations that
give staff time and receive volunteering, a workshop, a working party, a reversal,
rejected entries and entries still waiting for a confirmation or an approval.

Older history is recorded with ``today=`` set to its service date, as if a coordinator
had entered it on the day, so the bank keeps the ordinary 90-day backdating policy.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.auth.passwords import hash_password
from timebank.demo.builder import Builder, build_people, fill_profiles
from timebank.demo.cast import (
    COORDINATOR_EMAIL,
    DEMO_MEMBER,
    DEMO_NAME,
    DEMO_PASSWORD,
    DEMO_SLUG,
    MEMBER_EMAIL,
    PARTNER_EMAIL,
)
from timebank.demo.community import fill_community
from timebank.demo.dating import date_memberships, date_waiting_entries
from timebank.demo.history import plan_history
from timebank.demo.valley import seed_valley
from timebank.ledger.banks import create_time_bank
from timebank.ledger.clock import today_in
from timebank.ledger.models import (
    MemberKind,
    Membership,
    MembershipStatus,
    Organisation,
    Person,
    Role,
    TimeBank,
    Transfer,
    TransferKind,
    TransferStatus,
)


@dataclass
class DemoSummary:
    name: str
    slug: str
    members: int
    coordinators: int
    partners: int
    professionals: int
    applicants: int
    organisations: int
    posted: int
    pending: int
    rejected: int
    reversals: int
    exchange_hours: float
    donated_hours: float
    granted_hours: float
    grant_recipients: int
    # The other demo banks made with this one (the partner's second bank).
    others: tuple[DemoSummary, ...] = ()
    history: str = "six months"

    def describe(self) -> str:
        return "\n".join(
            [
                f"Created the demo time bank {self.name!r} ({self.slug}).",
                f"  {self.members} members: {self.coordinators} coordinators, {self.partners}"
                f" partner, {self.professionals} professionals, {self.applicants} waiting to join",
                f"  {self.organisations} organisations",
                f"  {self.posted + self.pending + self.rejected} entries over {self.history}:"
                f" {self.posted} posted ({self.exchange_hours:g} h exchanged), {self.pending}"
                f" pending, {self.rejected} rejected, {self.reversals} reversal(s)",
                f"  Community pot: {self.donated_hours:g} h donated, {self.granted_hours:g} h"
                f" granted to {self.grant_recipients} members",
            ]
            + [other.describe() for other in self.others]
        )


def _summary(session: Session, bank: TimeBank) -> DemoSummary:
    def count(statement) -> int:
        return session.scalar(statement) or 0

    memberships = (
        sa.select(sa.func.count()).select_from(Membership).where(Membership.time_bank_id == bank.id)
    )
    transfers = (
        sa.select(sa.func.count()).select_from(Transfer).where(Transfer.time_bank_id == bank.id)
    )
    minutes = sa.select(sa.func.sum(Transfer.minutes)).where(
        Transfer.time_bank_id == bank.id, Transfer.status == TransferStatus.POSTED
    )
    return DemoSummary(
        name=bank.name,
        slug=bank.slug,
        members=count(memberships),
        coordinators=count(memberships.where(Membership.role == Role.COORDINATOR)),
        partners=count(memberships.where(Membership.role == Role.PARTNER)),
        professionals=count(
            memberships.where(
                Membership.kind == MemberKind.PROFESSIONAL, Membership.role == Role.MEMBER
            )
        ),
        applicants=count(memberships.where(Membership.status == MembershipStatus.APPLIED)),
        organisations=count(
            sa.select(sa.func.count())
            .select_from(Organisation)
            .where(Organisation.time_bank_id == bank.id)
        ),
        posted=count(transfers.where(Transfer.status == TransferStatus.POSTED)),
        pending=count(transfers.where(Transfer.status == TransferStatus.PENDING)),
        rejected=count(transfers.where(Transfer.status == TransferStatus.REJECTED)),
        reversals=count(transfers.where(Transfer.kind == TransferKind.REVERSAL)),
        exchange_hours=count(
            minutes.where(Transfer.kind.in_([TransferKind.EXCHANGE, TransferKind.GROUP]))
        )
        / 60,
        donated_hours=count(minutes.where(Transfer.kind == TransferKind.DONATION)) / 60,
        granted_hours=count(minutes.where(Transfer.kind == TransferKind.GRANT)) / 60,
        grant_recipients=count(
            sa.select(sa.func.count(sa.distinct(Transfer.credit_account_id))).where(
                Transfer.time_bank_id == bank.id, Transfer.kind == TransferKind.GRANT
            )
        ),
    )


def seed_demo(
    session: Session,
    *,
    seed: int = 2024,
    today: date | None = None,
    with_second_bank: bool = True,
) -> DemoSummary:
    """Create the demo time bank through the services (flushes; the caller commits),
    and the partner's second, smaller bank unless ``with_second_bank`` is false.

    Raises ``DuplicateError`` if a time bank with the demo's short name exists already.
    """
    bank = create_time_bank(
        session,
        name=DEMO_NAME,
        slug=DEMO_SLUG,
        # The demo signs in with the password alone; a real bank requires two-step
        # sign-in of its coordinators and partners (README, "Two-step sign-in").
        two_step_required_for_staff=False,
    )
    builder = Builder(
        session=session,
        rng=random.Random(seed),
        today=today or today_in(bank.timezone),
        bank=bank,
        password_hash=hash_password(DEMO_PASSWORD),
    )
    build_people(builder)
    plan_history(builder)
    builder.run()
    fill_profiles(builder, random.Random(seed + 1))
    dates = random.Random(seed + 2)
    date_memberships(session, bank.id, builder.today, dates)
    date_waiting_entries(session, bank.id, dates)
    active = {
        name: party.membership
        for name, party in builder.people.items()
        if party.membership is not None and party.membership.status == MembershipStatus.ACTIVE
    }
    fill_community(session, active)
    # The demo member asks for email notifications (after the demo's own messages, so
    # the outbox starts empty and shows what happens next).
    jo = builder.people[DEMO_MEMBER[0]].member
    jo.email_notifications = True
    session.flush()
    summary = _summary(session, bank)
    if not with_second_bank:
        return summary
    valley = seed_second_bank(
        session, seed=seed + 1, today=builder.today, password_hash=builder.password_hash
    )
    return replace(summary, others=(valley,))


def seed_second_bank(
    session: Session, *, seed: int = 2025, today: date | None = None, password_hash: str = ""
) -> DemoSummary:
    """The partner's second, smaller demo bank (``timebank.demo.valley``). The demo's
    first bank, with the partner, must exist already."""
    bank = seed_valley(
        session,
        seed=seed,
        # The valley bank is made in the default zone, the first bank's.
        today=today or today_in("Europe/London"),
        password_hash=password_hash or hash_password(DEMO_PASSWORD),
    )
    return replace(_summary(session, bank), history="fifteen months")


def demo_sign_ins(session: Session) -> list[tuple[str, str]]:
    """(role label, email) of the demo's well-known sign-ins that exist."""
    wanted = [
        ("coordinator", COORDINATOR_EMAIL),
        ("partner", PARTNER_EMAIL),
        ("member", MEMBER_EMAIL),
    ]
    found = set(
        session.scalars(
            sa.select(Person.email)
            .join(Membership)
            .join(TimeBank)
            .where(TimeBank.slug == DEMO_SLUG, Person.email.in_([email for _, email in wanted]))
        )
    )
    return [(label, email) for label, email in wanted if email in found]
