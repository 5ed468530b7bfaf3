"""Building the demo's people and accounts through the services, and the handful of
steps every history line uses (record, confirm, approve...)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.community.models import MemberSkill
from timebank.community.people import create_person
from timebank.demo.cast import (
    APPLICANTS,
    CATEGORY_WEIGHTS,
    COORDINATORS,
    DEMO_MEMBER,
    DESCRIPTIONS,
    HISTORY_DAYS,
    MINUTES,
    ORGANISATIONS,
    PARTICIPANTS,
    PARTNER,
    PROFESSIONALS,
    QUIET,
)
from timebank.ledger.banks import add_membership, create_organisation
from timebank.ledger.models import (
    Account,
    AccountKind,
    MemberKind,
    Membership,
    MembershipStatus,
    Person,
    Role,
    TimeBank,
    Transfer,
)
from timebank.ledger.pot import donate_to_pot
from timebank.ledger.transfers import (
    approve_transfer,
    confirm_transfer,
    record_transfer,
)


@dataclass
class Party:
    """Someone (or an organisation) who can trade in the demo."""

    name: str
    account: Account
    membership: Membership | None = None
    job: str | None = None

    @property
    def member(self) -> Membership:
        assert self.membership is not None, f"{self.name} is an organisation"  # noqa: S101
        return self.membership


def email_for(name: str) -> str:
    parts = re.sub(r"[^a-z ]", "", name.lower()).split()
    return f"{''.join(parts[:-1])}.{parts[-1]}@example.org"


@dataclass
class Builder:
    session: Session
    rng: random.Random
    today: date
    bank: TimeBank
    password_hash: str = ""
    people: dict[str, Party] = field(default_factory=dict)
    coordinators: list[Membership] = field(default_factory=list)
    events: list[tuple[int, int, Callable[[], object]]] = field(default_factory=list)
    marks: dict[str, int] = field(default_factory=dict)
    skipped: int = 0

    # -- people ------------------------------------------------------------------------

    def member(
        self,
        name: str,
        email: str,
        *,
        role: Role = Role.MEMBER,
        kind: MemberKind = MemberKind.PARTICIPANT,
        status: MembershipStatus = MembershipStatus.ACTIVE,
        job: str | None = None,
        consent: tuple[bool, bool] | None = None,
    ) -> Party:
        if consent is None:
            reporting = self.rng.random() < 0.8
            consent = (reporting, reporting and self.rng.random() < 0.4)
        person = create_person(
            self.session, email=email, display_name=name, password_hash=self.password_hash
        )
        membership = add_membership(
            self.session,
            actor=self.coordinators[0] if self.coordinators else None,
            bank=self.bank,
            person=person,
            role=role,
            kind=kind,
            status=status,
            consent_reporting=consent[0],
            consent_research=consent[1],
        )
        assert membership.account is not None  # noqa: S101 (narrows the type)
        party = Party(name, membership.account, membership, job)
        self.people[name] = party
        return party

    # -- scheduling --------------------------------------------------------------------

    def at(self, days_ago: int, action: Callable[[], object]) -> None:
        self.events.append((days_ago, len(self.events), action))

    def run(self) -> None:
        for _, _, action in sorted(self.events, key=lambda e: (-e[0], e[1])):
            action()

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def coordinator(self) -> Membership:
        return self.rng.choice(self.coordinators[:2])

    def has_room(self, receiver: Party, minutes: int) -> bool:
        account = receiver.account
        floor = self.bank.floor_minutes
        if account.kind != AccountKind.MEMBER or floor is None:
            return True
        lowest = account.posted_credits - account.posted_debits - account.pending_debits
        return lowest - minutes >= floor

    def donate(self, days_ago: int, donor: Party, minutes: int, description: str) -> None:
        """Schedule a donation to the pot; a member donates only hours already earned."""

        def action() -> None:
            account = donor.account
            if donor.membership is not None and (
                account.posted_credits - account.posted_debits - account.pending_debits < minutes
            ):
                self.skipped += 1
                return
            actor = donor.membership or self.coordinators[0]
            donate_to_pot(
                self.session,
                actor=actor,
                donor=account,
                minutes=minutes,
                description=description,
                today=self.day(days_ago),
            )

        self.at(days_ago, action)

    # -- exchanges ---------------------------------------------------------------------

    def exchange(
        self,
        days_ago: int,
        giver: Party,
        receiver: Party,
        minutes: int,
        category: str,
        description: str | None = None,
        *,
        how: str | None = None,
        stop: str = "posted",
        then: Callable[[Transfer], None] | None = None,
    ) -> None:
        """Schedule an exchange. ``how``: who records it (coordinator, giver, receiver);
        ``stop``: how far it gets (recorded, confirmed, posted)."""
        if description is None:
            description = self.rng.choice(DESCRIPTIONS[category])
        if how is None:
            orgs = giver.membership is None or receiver.membership is None
            how = (
                "coordinator"
                if orgs or self.rng.random() < 0.35
                else self.rng.choice(["giver", "giver", "receiver"])
            )
        approver = self.coordinator()

        def action() -> None:
            if not self.has_room(receiver, minutes):
                self.skipped += 1
                return
            on = self.day(days_ago)
            if how == "coordinator":
                recorder = approver
            else:
                recorder = (giver if how == "giver" else receiver).member
            transfer = record_transfer(
                self.session,
                actor=recorder,
                giver=giver.account,
                receiver=receiver.account,
                minutes=minutes,
                service_date=on,
                description=description,
                category=category,
                today=on,
            )
            if how != "coordinator" and stop != "recorded":
                other = receiver if how == "giver" else giver
                confirm_transfer(self.session, actor=other.member, transfer_id=transfer.id)
                if stop == "posted":
                    approve_transfer(self.session, actor=approver, transfer_id=transfer.id)
            if then is not None:
                then(transfer)

        self.at(days_ago, action)

    def random_day(self, low: int = 1, high: int = HISTORY_DAYS) -> int:
        # More exchanges in recent months, as a time bank grows.
        return int(self.rng.triangular(low, high + 1, low + (high - low) // 5))

    def category(self) -> str:
        names = list(CATEGORY_WEIGHTS)
        return self.rng.choices(names, weights=[CATEGORY_WEIGHTS[n] for n in names])[0]

    def minutes(self) -> int:
        return self.rng.choice(MINUTES)


def build_people(b: Builder) -> None:
    for name, email, kind in COORDINATORS:
        party = b.member(name, email, role=Role.COORDINATOR, kind=kind, consent=(True, False))
        b.coordinators.append(party.member)
    add_partner(b, *PARTNER)
    b.member(DEMO_MEMBER[0], DEMO_MEMBER[1], consent=(True, True))
    for name, job in PROFESSIONALS:
        b.member(name, email_for(name), kind=MemberKind.PROFESSIONAL, job=job)
    for name in PARTICIPANTS:
        status = MembershipStatus.APPLIED if name in APPLICANTS else MembershipStatus.ACTIVE
        b.member(name, email_for(name), status=status)
    # After everyone else and with their consents given, so the seeded history of the
    # others stays what it was.
    for name in QUIET:
        b.member(name, email_for(name), consent=(True, False))
    for name in ORGANISATIONS:
        organisation = create_organisation(
            b.session, actor=b.coordinators[0], bank=b.bank, name=name
        )
        assert organisation.account is not None  # noqa: S101 (narrows the type)
        b.people[name] = Party(name, organisation.account)


def add_partner(b: Builder, name: str, email: str) -> Membership:
    """The commissioner who reads the bank's reports: a partner membership, which holds
    no account and is none of the people members trade with (so not in ``b.people``).
    The same person may already read another demo bank's reports."""
    person = b.session.scalar(sa.select(Person).where(Person.email == email))
    if person is None:
        person = create_person(
            b.session, email=email, display_name=name, password_hash=b.password_hash
        )
    return add_membership(
        b.session,
        actor=b.coordinators[0] if b.coordinators else None,
        bank=b.bank,
        person=person,
        role=Role.PARTNER,
        kind=MemberKind.PROFESSIONAL,
    )


def fill_profiles(b: Builder, rng: random.Random) -> None:
    """Kinds of help ticked on members' profiles (a random generator of its own, so
    the history above stays the same for a seed)."""
    categories = [c for c in b.bank.categories if c.active and not c.is_sensitive]
    for party in b.people.values():
        membership = party.membership
        if membership is None or membership.status != MembershipStatus.ACTIVE:
            continue
        for category in rng.sample(categories, k=rng.randint(1, 3)):
            b.session.add(MemberSkill(membership_id=membership.id, category_id=category.id))
