"""The second, smaller demo time bank: the demo partner (a council commissioner) holds a
partner membership here too, so the partners' combined report over both banks means
something.

About thirty people and a family centre over fifteen months, growing as a young time
bank does: a founding group, newcomers who are helped first and soon give, pairs and
circles of help, professionals who receive time from the people they serve, quiet
members who joined and have not started yet, and a community pot. Nearly everyone
agreed to partner reporting, so most of a partner's figures are shown. Written through
the ledger's services like the first demo bank, with a seeded random generator.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from timebank.demo.builder import Builder, Party, add_partner, email_for, fill_profiles
from timebank.demo.cast import PARTNER
from timebank.ledger.banks import create_organisation, create_time_bank
from timebank.ledger.models import MemberKind, Membership, Role, TimeBank
from timebank.ledger.pot import grant_from_pot

VALLEY_SLUG = "demo-valley"
VALLEY_NAME = "Valley Community Time Bank"
VALLEY_DAYS = 450

COORDINATORS = [
    ("Carys Pritchard", MemberKind.PROFESSIONAL),
    ("Owen Lewis", MemberKind.PARTICIPANT),
]
PROFESSIONALS = [
    ("Sian Morgan", "GP"),
    ("Ffion Davies", "school nurse"),
    ("Huw Thomas", "community connector"),
    ("Bethan Rees", "librarian"),
    ("Gethin Evans", "housing officer"),
    ("Nia Hughes", "support worker"),
]
# The founders joined at the start; the newcomers later, each with the day they joined.
FOUNDERS = [
    "Eleri Jones",
    "Dai Williams",
    "Margaret Price",
    "Tom Parry",
    "Angharad Lloyd",
    "Ifan Roberts",
    "Janet Bowen",
    "Rhodri Griffiths",
    "Mair Edwards",
    "Peter Vaughan",
    "Lowri Jenkins",
    "Kevin Morris",
]
NEWCOMERS = [
    ("Sara Khan", 300),
    ("Tudor Owen", 250),
    ("Alys Harries", 210),
    ("Mohammed Idris", 160),
    ("Gwyneth Ellis", 120),
    ("Ben Watkins", 90),
    ("Catrin Bevan", 70),
    ("Wyn Powell", 45),
]
# Retired neighbours who only give (and donate what they earn); people who, for now,
# only receive (a new baby, an illness, caring full time).
ONLY_GIVE = [
    "Alun Rowlands",
    "Glenys Thomas",
    "Emrys Pugh",
    "Olwen Jarvis",
    "Brian Cole",
    "Nerys Lake",
]
ONLY_RECEIVE = [
    "Lisa Grant",
    "Ceri Baker",
    "Anwen Prosser",
    "Jack Holt",
    "Mari Tudor",
    "Gwen Morgan",
]
# Joined and not yet started: they count as registered, not as active.
QUIET = [
    ("Elin Howells", 200),
    ("Robert Skinner", 140),
    ("Hywel Davies", 100),
    ("Menna Price", 60),
    ("Gareth Pugh", 30),
    ("Delyth Moss", 12),
]
# Two members (quiet so far) have not agreed to partner reporting.
NOT_REPORTING = {"Robert Skinner", "Gareth Pugh"}
ORGANISATION = "Valley Family Centre"

FOR_PROFESSIONALS = {
    "GP": ("civic", "Patient panel: redesigned the surgery's repeat-prescription letter"),
    "school nurse": ("children", "Ran the breakfast club so the nurse could see pupils"),
    "community connector": ("learning", "Taught the connector some Welsh for home visits"),
    "librarian": ("digital", "Helped at the library's digital drop-in"),
    "housing officer": ("civic", "Tenants' group: tested the new repairs form"),
    "support worker": ("practical", "Fixed the support worker's car boot lock"),
}


def _joined(membership: Membership, today: date, days_ago: int) -> None:
    """When the member joined (the demo writes its past in one go)."""
    membership.joined_at = datetime.combine(today - timedelta(days=days_ago), time(10, 0))


def seed_valley(session: Session, *, seed: int = 2025, today: date, password_hash: str) -> TimeBank:
    """Create the second demo bank (flushes; the caller commits). The demo partner
    (``PARTNER``) must exist already: they get a partner membership here."""
    bank = create_time_bank(
        session,
        name=VALLEY_NAME,
        slug=VALLEY_SLUG,
        # The demo signs in with the password alone; a real bank requires two-step
        # sign-in of its coordinators and partners (README, "Two-step sign-in").
        two_step_required_for_staff=False,
    )
    b = Builder(
        session=session,
        rng=random.Random(seed),
        today=today,
        bank=bank,
        password_hash=password_hash,
    )
    rng, start = b.rng, VALLEY_DAYS + 20
    for name, kind in COORDINATORS:
        party = b.member(
            name, email_for(name), role=Role.COORDINATOR, kind=kind, consent=(True, True)
        )
        b.coordinators.append(party.member)
        _joined(party.member, today, start)
    professionals = []
    for name, job in PROFESSIONALS:
        party = b.member(
            name, email_for(name), kind=MemberKind.PROFESSIONAL, job=job, consent=(True, False)
        )
        _joined(party.member, today, start - rng.randint(0, 30))
        professionals.append(party)
    joined: dict[str, int] = {}
    for name in FOUNDERS + ONLY_GIVE + ONLY_RECEIVE:
        joined[name] = start - rng.randint(0, 60)
    joined.update(dict(NEWCOMERS))
    for name, days_ago in joined.items():
        party = b.member(name, email_for(name), consent=(name not in NOT_REPORTING, False))
        _joined(party.member, today, days_ago)
    for name, days_ago in QUIET:
        party = b.member(name, email_for(name), consent=(name not in NOT_REPORTING, False))
        _joined(party.member, today, days_ago)
    organisation = create_organisation(
        session, actor=b.coordinators[0], bank=bank, name=ORGANISATION
    )
    assert organisation.account is not None  # noqa: S101 (narrows the type)
    centre = Party(ORGANISATION, organisation.account)
    add_partner(b, *PARTNER)
    _plan(b, professionals, centre, joined)
    b.run()
    # The kinds of help each member offers on their profile (assets).
    fill_profiles(b, random.Random(seed + 1))
    session.flush()
    return bank


def _plan(b: Builder, professionals: list[Party], centre: Party, joined: dict[str, int]) -> None:
    rng, p = b.rng, b.people
    founders = [p[n] for n in FOUNDERS]
    everyone = founders + [p[n] for n, _ in NEWCOMERS]

    def since(*parties: Party) -> int:
        """The latest day (days ago) by which all of them had joined."""
        return min(joined.get(x.name, VALLEY_DAYS) for x in parties) - 2

    def swap(days_ago: int, giver: Party, receiver: Party, minutes: int, category: str) -> None:
        b.exchange(days_ago, giver, receiver, minutes, category, how="coordinator")

    def when(*parties: Party) -> int:
        # More exchanges in recent months, as a young time bank grows.
        return b.random_day(3, min(since(*parties), VALLEY_DAYS))

    # Founders pair up and help each other both ways.
    for left, right in zip(founders[0::2], founders[1::2], strict=True):
        for turn in range(rng.randint(3, 6)):
            pair = (left, right) if turn % 2 == 0 else (right, left)
            swap(when(*pair), *pair, b.minutes(), b.category())

    # Circles of help: A helps B, B helps C, C helps A.
    for circle in (founders[0:3], founders[3:7], [founders[8], everyone[13], founders[10]]):
        begin = rng.randint(60, since(*circle))
        for step, giver in enumerate(circle):
            swap(
                max(begin - 5 * step, 3),
                giver,
                circle[(step + 1) % len(circle)],
                b.minutes(),
                b.category(),
            )

    # Newcomers are helped first, then soon give their own time.
    for name, days_ago in NEWCOMERS:
        newcomer = p[name]
        helper = rng.choice(founders)
        swap(days_ago - 3, helper, newcomer, 60, rng.choice(["digital", "admin", "transport"]))
        for _ in range(rng.randint(2, 4)):
            other = rng.choice(founders + professionals)
            swap(b.random_day(3, days_ago - 10), newcomer, other, b.minutes(), b.category())

    # Shared roles: participants give professionals time, professionals give back.
    for professional in professionals:
        category, description = FOR_PROFESSIONALS[professional.job or ""]
        for giver in rng.sample(everyone, 3):
            b.exchange(
                when(giver),
                giver,
                professional,
                rng.choice([60, 90, 120]),
                category,
                description,
                how="coordinator",
            )
        for receiver in rng.sample(everyone, 2):
            swap(when(receiver), professional, receiver, rng.choice([60, 90]), b.category())

    # The family centre: parenting sessions given, volunteering received.
    for receiver in rng.sample(everyone, 9):
        b.exchange(
            b.random_day(3, min(since(receiver), 300)),
            centre,
            receiver,
            90,
            "children",
            "Parenting group session",
            how="coordinator",
        )
    for giver in rng.sample(everyone, 9):
        b.exchange(
            when(giver),
            giver,
            centre,
            rng.choice([120, 180]),
            "civic",
            "Helped at the family fun day",
            how="coordinator",
        )

    # Everyday neighbourly exchanges, more of them as the bank grows.
    traders = everyone + professionals
    for _ in range(170):
        giver, receiver = rng.sample(traders, 2)
        swap(when(giver, receiver), giver, receiver, b.minutes(), b.category())

    # Some only give, some (for now) only receive.
    givers, receivers = [p[n] for n in ONLY_GIVE], [p[n] for n in ONLY_RECEIVE]
    for giver in givers:
        for _ in range(rng.randint(4, 7)):
            receiver = rng.choice(receivers + receivers + professionals + [centre])
            swap(when(giver, receiver), giver, receiver, b.minutes(), b.category())
    for receiver in receivers:
        swap(b.random_day(3, 150), rng.choice(givers), receiver, b.minutes(), b.category())

    # The pot: donations from members and the centre, grants to people who cannot earn.
    b.donate(200, centre, 480, "Family centre staff hours pledged to the pot")
    b.donate(160, centre, 480, "Family centre volunteering week, pledged to the pot")
    for giver in givers:
        b.donate(rng.randint(10, 40), giver, 60, "An hour for someone who needs it")
    for index, recipient in enumerate(receivers):
        days_ago = 15 + 12 * index

        def grant(recipient: Party = recipient, days_ago: int = days_ago) -> object:
            return grant_from_pot(
                b.session,
                actor=b.coordinators[0],
                recipient=recipient.account,
                minutes=180,
                reason="Cannot give time at the moment; help from the pot meanwhile.",
                today=b.day(days_ago),
            )

        b.at(days_ago, grant)
