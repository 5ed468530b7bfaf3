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
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.auth.passwords import hash_password
from timebank.demo_community import fill_community
from timebank.ledger.banks import (
    add_membership,
    create_organisation,
    create_person,
    create_time_bank,
)
from timebank.ledger.clock import today_in
from timebank.ledger.community_models import MemberSkill
from timebank.ledger.group import record_group_exchange
from timebank.ledger.models import (
    Account,
    AccountKind,
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
from timebank.ledger.pot import donate_to_pot, grant_from_pot
from timebank.ledger.transfers import (
    approve_transfer,
    confirm_transfer,
    record_transfer,
    reject_transfer,
    reverse_transfer,
)

DEMO_SLUG = "demo"
DEMO_NAME = "Riverside Community Time Bank"
DEMO_PASSWORD = "timebank-demo"
COORDINATOR_EMAIL = "coordinator@example.org"
PARTNER_EMAIL = "partner@example.org"
MEMBER_EMAIL = "member@example.org"
HISTORY_DAYS = 180

COORDINATORS = [
    # (name, email, kind): a council-employed broker, a charity worker, a volunteer.
    ("Sam Okafor", COORDINATOR_EMAIL, MemberKind.PROFESSIONAL),
    ("Priya Natarajan", "priya.natarajan@example.org", MemberKind.PROFESSIONAL),
    ("Gareth Hughes", "gareth.hughes@example.org", MemberKind.PARTICIPANT),
]
PARTNER = ("Helen Whitmore", PARTNER_EMAIL)  # adult social care commissioner
DEMO_MEMBER = ("Jo Bennett", MEMBER_EMAIL)

# (name, job): professionals who are members in their own right.
PROFESSIONALS = [
    ("Margaret Doyle", "district nurse"),
    ("Daniel Mensah", "social worker"),
    ("Fiona Campbell", "librarian"),
    ("Aisha Rahman", "GP receptionist"),
    ("Tom Pritchard", "housing officer"),
    ("Claire Davies", "occupational therapist"),
    ("Kwame Asante", "youth worker"),
    ("Sarah Lloyd", "health visitor"),
    ("Imran Sheikh", "community pharmacist"),
]

PARTICIPANTS = [
    "Dorothy Evans",
    "Arthur Bell",
    "Maureen Clarke",
    "Kevin O'Brien",
    "Lakshmi Patel",
    "Stanley Morris",
    "Joan Whitaker",
    "Tariq Hussain",
    "Bernadette Kelly",
    "Wei Chen",
    "Olumide Adeyemi",
    "Gwen Roberts",
    "Patrick Byrne",
    "Hannah Cohen",
    "Derek Shaw",
    "Shirley Walsh",
    "Marek Nowak",
    "Nadia Haddad",
    "Colin Fraser",
    "Eileen Murphy",
    "Ravi Sharma",
    "Brenda Hall",
    "Dylan Price",
    "Agnieszka Kowalska",
    "Ron Atkinson",
    "Yasmin Begum",
    "Graham Turner",
    "Pauline Wright",
    "Chloe Martin",
    "Ahmed Ali",
    "Irene Fletcher",
    "Liam Doherty",
    "Sophie Harris",
    "Moses Okonkwo",
    "Beryl Simmons",
    "Rhys Jenkins",
    "Mei Lin Wong",
    "Frank Dawson",
    "Zainab Osman",
    "Molly Fisher",
    "Nigel Barker",
    "Rosa Fernandes",
    "Tomasz Zielinski",
    "Victor Adebayo",
    "Ellen Parry",
    "Callum Reid",
]
# Retired volunteers who only give; people who cannot give back at present; people who
# have applied and are waiting for a coordinator.
ONLY_GIVERS = ["Stanley Morris", "Joan Whitaker", "Colin Fraser", "Beryl Simmons", "Frank Dawson"]
ONLY_RECEIVERS = ["Dorothy Evans", "Arthur Bell", "Irene Fletcher", "Nigel Barker"]
APPLICANTS = ["Ellen Parry", "Callum Reid"]

ORGANISATIONS = ["Riverside Council Adult Social Care", "Hillside Community Health Team"]

DESCRIPTIONS: dict[str, list[str]] = {
    "care": [
        "Afternoon visit and a cup of tea",
        "Companionship and a walk round the park",
        "Sat in so the family carer could have a break",
        "Weekly befriending visit",
        "Read the paper aloud and had a chat",
        "Went along to a hospital appointment for company",
    ],
    "personal-care": [
        "Help getting ready in the mornings after an operation",
        "Help washing and setting hair",
        "Help with bathing this week",
    ],
    "peer-support": [
        "Walk and talk peer support",
        "Listening session at the peer group",
        "Phone check-ins during a difficult week",
        "Shared coping strategies over coffee",
    ],
    "children": [
        "School pick-up and tea",
        "Babysat during parents' evening",
        "Homework help with maths",
        "Took the children to the park at half-term",
        "Reading practice with a Year 3 pupil",
    ],
    "neighbourhood": [
        "Put the bins out while they were away",
        "Fed the cat and watered plants",
        "Collected a prescription",
        "Picked up shopping from the market",
        "Walked the dog twice this week",
    ],
    "practical": [
        "Put up shelves in the kitchen",
        "Fixed a dripping tap",
        "Assembled a flat-pack wardrobe",
        "Hemmed curtains and mended a coat",
        "Changed the light fittings in the hall",
        "Painted the back bedroom",
    ],
    "gardening": [
        "Mowed the lawn and trimmed the hedge",
        "Planted spring bulbs",
        "Weeded the vegetable patch",
        "Cleared leaves and tidied the borders",
        "Pruned the apple tree",
    ],
    "transport": [
        "Lift to the hospital and back",
        "Drove to the GP surgery",
        "Lift to the supermarket",
        "Took a wheelchair user to the Sunday market",
        "Picked up from the railway station",
    ],
    "learning": [
        "Conversational English practice",
        "Knitting lesson",
        "Guitar lesson for a beginner",
        "Helped revise for the citizenship test",
        "Cooking lesson: a week of cheap family meals",
        "Taught basic Polish phrases",
    ],
    "digital": [
        "Set up a new smartphone and WhatsApp",
        "Showed how to video-call the grandchildren",
        "Helped book a GP appointment online",
        "Sorted out a slow laptop",
        "Set up online banking safely",
    ],
    "civic": [
        "Helped run the community café",
        "Delivered leaflets for the residents' association",
        "Stewarded the summer fair",
        "Took minutes at the tenants' meeting",
        "Litter pick along the river path",
    ],
    "admin": [
        "Help filling in a benefits form",
        "Sorted out a pile of letters and bills",
        "Helped write a CV and cover letter",
        "Helped with a housing application",
        "Read through a tenancy agreement together",
    ],
}
CATEGORY_WEIGHTS = {
    "care": 14,
    "neighbourhood": 12,
    "practical": 10,
    "gardening": 9,
    "transport": 9,
    "digital": 9,
    "learning": 8,
    "children": 7,
    "admin": 7,
    "civic": 6,
    "peer-support": 5,
    "personal-care": 3,
}
MINUTES = [30, 45, 60, 60, 60, 90, 90, 120, 120, 150, 180]

# What participants give professionals: shared roles made visible.
FOR_PROFESSIONALS = {
    "district nurse": ("practical", "Fixed the district nurse's bike so she can do her rounds"),
    "social worker": ("learning", "Taught Urdu greetings and phrases for home visits"),
    "librarian": ("civic", "Helped run the Saturday code club at the library"),
    "GP receptionist": ("children", "After-school childcare while the surgery runs late"),
    "housing officer": ("civic", "Explained what tenants find confusing in repairs letters"),
    "occupational therapist": ("learning", "Showed how the one-handed kitchen aids work at home"),
    "youth worker": ("civic", "Helped run the youth club games night"),
    "health visitor": ("civic", "Shared experience of feeding support for a new leaflet"),
    "community pharmacist": ("digital", "Set up the pharmacy's online community noticeboard"),
}
COUNCIL_GIVES = [
    ("admin", "Carer's assessment form: help from the council advice team"),
    ("admin", "Blue-badge and benefits advice session"),
    ("learning", "Falls-prevention talk led by council staff"),
]
COUNCIL_RECEIVES = [
    ("care", "Volunteered at the Tuesday lunch club at Riverside day centre"),
    ("civic", "Service-user panel redesigning the home-care leaflet"),
    ("civic", "Helped co-design the new carers' drop-in"),
]
HEALTH_GIVES = [
    ("care", "Health walk round the park led by the team's staff"),
    ("learning", "Diabetes self-care session with the practice nurse"),
]
HEALTH_RECEIVES = [
    ("care", "Befriending calls to patients home from hospital"),
    ("civic", "Helped run the queue at the flu-jab clinic"),
    ("peer-support", "Peer supporter at the Hillside wellbeing group"),
]


@dataclass
class Party:
    """Someone (or an organisation) who can trade in the demo."""

    name: str
    account: Account
    membership: Membership | None = None
    job: str | None = None

    @property
    def member(self) -> Membership:
        assert self.membership is not None, f"{self.name} is an organisation"
        return self.membership


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

    def describe(self) -> str:
        return "\n".join(
            [
                f"Created the demo time bank {self.name!r} ({self.slug}).",
                f"  {self.members} members: {self.coordinators} coordinators, {self.partners}"
                f" partner, {self.professionals} professionals, {self.applicants} waiting to join",
                f"  {self.organisations} organisations",
                f"  {self.posted + self.pending + self.rejected} entries over six months:"
                f" {self.posted} posted ({self.exchange_hours:g} h exchanged), {self.pending}"
                f" pending, {self.rejected} rejected, {self.reversals} reversal(s)",
                f"  Community pot: {self.donated_hours:g} h donated, {self.granted_hours:g} h"
                f" granted to {self.grant_recipients} members",
            ]
        )


def _email_for(name: str) -> str:
    parts = re.sub(r"[^a-z ]", "", name.lower()).split()
    return f"{''.join(parts[:-1])}.{parts[-1]}@example.org"


@dataclass
class _Builder:
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
        assert membership.account is not None
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


def _build_people(b: _Builder) -> None:
    for name, email, kind in COORDINATORS:
        party = b.member(name, email, role=Role.COORDINATOR, kind=kind, consent=(True, False))
        b.coordinators.append(party.member)
    b.member(
        PARTNER[0],
        PARTNER[1],
        role=Role.PARTNER,
        kind=MemberKind.PROFESSIONAL,
        consent=(False, False),
    )
    b.member(DEMO_MEMBER[0], DEMO_MEMBER[1], consent=(True, True))
    for name, job in PROFESSIONALS:
        b.member(name, _email_for(name), kind=MemberKind.PROFESSIONAL, job=job)
    for name in PARTICIPANTS:
        status = MembershipStatus.APPLIED if name in APPLICANTS else MembershipStatus.ACTIVE
        b.member(name, _email_for(name), status=status)
    for name in ORGANISATIONS:
        organisation = create_organisation(
            b.session, actor=b.coordinators[0], bank=b.bank, name=name
        )
        assert organisation.account is not None
        b.people[name] = Party(name, organisation.account)


def _plan_history(b: _Builder) -> None:
    rng, p = b.rng, b.people
    jo = p[DEMO_MEMBER[0]]
    professionals = [p[name] for name, _ in PROFESSIONALS]
    council, health = p[ORGANISATIONS[0]], p[ORGANISATIONS[1]]
    regular_names = [n for n in PARTICIPANTS if n not in ONLY_GIVERS + ONLY_RECEIVERS + APPLICANTS]
    rng.shuffle(regular_names)
    regulars = [p[n] for n in regular_names]
    givers = [p[n] for n in ONLY_GIVERS]
    receivers = [p[n] for n in ONLY_RECEIVERS]

    # Jo's history: helps and is helped by a few neighbours, sits in a cycle, gives time
    # to the library, volunteers for the council and gets its advice.
    for partner in regulars[:3]:
        for turn in range(rng.randint(2, 4)):
            category = b.category()
            pair = (jo, partner) if turn % 2 == 0 else (partner, jo)
            b.exchange(b.random_day(14), *pair, b.minutes(), category)
    b.exchange(150, jo, regulars[3], 120, "gardening", "Dug over the vegetable beds")
    b.exchange(141, regulars[3], regulars[4], 60, "digital", "Set up a new smartphone")
    b.exchange(133, regulars[4], jo, 90, "transport", "Lift to the hospital and back")
    b.exchange(120, jo, p["Fiona Campbell"], 120, *FOR_PROFESSIONALS["librarian"])
    b.exchange(98, jo, council, 180, *COUNCIL_RECEIVES[0])
    b.exchange(63, jo, council, 180, *COUNCIL_RECEIVES[0])
    b.exchange(88, council, jo, 60, *COUNCIL_GIVES[0])
    b.exchange(70, jo, regulars[5], 120, "practical", "Put up shelves in the kitchen", how="giver")
    b.donate(35, jo, 120, "Two hours for the pot")

    # Pairs who help each other both ways.
    for index in range(6, 22, 2):
        left, right = regulars[index], regulars[index + 1]
        for turn in range(rng.randint(2, 4)):
            pair = (left, right) if turn % 2 == 0 else (right, left)
            b.exchange(b.random_day(14), *pair, b.minutes(), b.category())

    # Chains that close: cycles of three, four and five (one through a professional).
    cycles = [
        regulars[22:25],
        regulars[25:28],
        regulars[28:32],
        [regulars[5], p["Daniel Mensah"], regulars[0], regulars[9], regulars[12]],
    ]
    for cycle in cycles:
        start = rng.randint(40, 170)
        for step, giver in enumerate(cycle):
            receiver = cycle[(step + 1) % len(cycle)]
            b.exchange(max(start - 6 * step, 15), giver, receiver, b.minutes(), b.category())

    # Shared roles: participants give time to professionals, who also give back.
    for professional in professionals:
        category, description = FOR_PROFESSIONALS[professional.job or ""]
        for giver in rng.sample(regulars, 2):
            b.exchange(
                b.random_day(14),
                giver,
                professional,
                rng.choice([60, 90, 120]),
                category,
                description,
            )
        for receiver in rng.sample(regulars + receivers, rng.randint(1, 2)):
            b.exchange(b.random_day(14), professional, receiver, rng.choice([60, 90]), b.category())

    # Organisations: staff time given, volunteering received.
    for org, gives, receives in (
        (council, COUNCIL_GIVES, COUNCIL_RECEIVES),
        (health, HEALTH_GIVES, HEALTH_RECEIVES),
    ):
        for receiver in rng.sample(regulars + receivers, 6):
            b.exchange(
                b.random_day(14), org, receiver, rng.choice([60, 90, 120]), *rng.choice(gives)
            )
        for giver in rng.sample(regulars + givers, 8):
            b.exchange(
                b.random_day(14), giver, org, rng.choice([120, 180, 240]), *rng.choice(receives)
            )

    # People who only give, mostly to the people who cannot give back.
    for giver in givers:
        for _ in range(rng.randint(4, 7)):
            receiver = rng.choice(receivers + receivers + regulars + professionals)
            b.exchange(b.random_day(14), giver, receiver, b.minutes(), b.category())

    # The community pot: donations, then grants to two people who cannot earn.
    b.donate(110, council, 600, "Council staff volunteering day, pledged to the pot")
    b.donate(95, health, 300, "Hours from the health team's wellbeing week")
    for days_ago, giver in zip((80, 60, 30), givers[:3], strict=True):
        b.donate(days_ago, giver, 120, "Spare hours for people who need them")
    dorothy, arthur = receivers[0], receivers[1]
    b.at(
        75,
        lambda: grant_from_pot(
            b.session,
            actor=b.coordinators[0],
            recipient=dorothy.account,
            minutes=480,
            reason="Housebound after a stroke; cannot earn hours for now.",
            today=b.day(75),
        ),
    )
    b.at(
        22,
        lambda: grant_from_pot(
            b.session,
            actor=b.coordinators[1],
            recipient=arthur.account,
            minutes=300,
            reason="Full-time carer for his wife; no time to give back at present.",
            today=b.day(22),
        ),
    )

    # A workshop at the library for eight people, and a working party for Dorothy.
    fiona = p["Fiona Campbell"]
    attendees = [jo, *regulars[6:12], receivers[2]]

    def workshop() -> None:
        present = [a for a in attendees if b.has_room(a, 120)]
        record_group_exchange(
            b.session,
            actor=b.coordinators[0],
            hub=fiona.account,
            hub_gives=True,
            participants=[(a.account, 120) for a in present],
            service_date=b.day(58),
            description="Smartphone and online banking workshop at the library",
            category="digital",
            today=b.day(58),
        )

    b.at(58, workshop)
    helpers = [regulars[13], regulars[14], regulars[15], givers[3]]
    b.at(
        45,
        lambda: record_group_exchange(
            b.session,
            actor=b.coordinators[1],
            hub=dorothy.account,
            hub_gives=False,
            participants=[(h.account, 90) for h in helpers],
            service_date=b.day(45),
            description="Working party: cleared the overgrown back garden",
            category="gardening",
            today=b.day(45),
        ),
    )

    # A lift recorded twice by mistake, then corrected by a reversal.
    lift_giver, lift_receiver = regulars[16], regulars[17]

    def remember(key: str) -> Callable[[Transfer], None]:
        return lambda transfer: b.marks.__setitem__(key, transfer.id)

    b.exchange(
        76,
        lift_giver,
        lift_receiver,
        120,
        "transport",
        "Lift to the eye clinic",
        how="coordinator",
        then=remember("first"),
    )
    b.exchange(
        76,
        lift_giver,
        lift_receiver,
        120,
        "transport",
        "Lift to the eye clinic",
        how="coordinator",
        then=remember("duplicate"),
    )

    def correct() -> None:
        if "duplicate" in b.marks:
            reverse_transfer(
                b.session,
                actor=b.coordinators[0],
                transfer_id=b.marks["duplicate"],
                reason=f"Recorded twice by mistake: the same lift is entry {b.marks['first']}.",
                today=b.day(73),
            )

    b.at(73, correct)

    # The volunteer coordinator is a member too: a coordinator approves his own entries.
    gareth = p[COORDINATORS[2][0]]
    b.exchange(
        112, gareth, regulars[30], 120, "civic", "Helped run the community café", how="giver"
    )
    b.exchange(67, regulars[31], gareth, 90, "practical", "Fixed a dripping tap", how="receiver")
    b.exchange(
        41, gareth, regulars[29], 60, "digital", "Sorted out a slow laptop", how="coordinator"
    )

    # Random everyday exchanges in a neighbourly network: most people trade with a few
    # neighbours, sometimes with someone new.
    traders = regulars + professionals + [jo]
    neighbours = {t.name: rng.sample([o for o in traders if o is not t], 3) for t in traders}
    for _ in range(150):
        giver = rng.choice(traders)
        receiver = (
            rng.choice(neighbours[giver.name])
            if rng.random() < 0.75
            else rng.choice([o for o in traders if o is not giver])
        )
        b.exchange(b.random_day(14), giver, receiver, b.minutes(), b.category())

    # Rejected: goods are not time; an entry withdrawn; an entry disputed.
    def reject_by(actor_of: Callable[[Transfer], Membership], reason: str):
        return lambda transfer: reject_transfer(
            b.session, actor=actor_of(transfer), transfer_id=transfer.id, reason=reason
        )

    b.exchange(
        30,
        regulars[18],
        regulars[19],
        60,
        "gardening",
        "Bought plants for the front garden (£12)",
        how="giver",
        stop="recorded",
        then=reject_by(
            lambda t: b.coordinators[0],
            "Goods and materials do not count, only time. Please record"
            " the hour of planting instead.",
        ),
    )
    b.exchange(
        26,
        jo,
        regulars[20],
        90,
        "care",
        "Afternoon visit",
        how="giver",
        stop="recorded",
        then=reject_by(lambda t: jo.member, "Recorded against the wrong person."),
    )
    b.exchange(
        19,
        regulars[21],
        regulars[6],
        120,
        "practical",
        "Painted the back bedroom",
        how="giver",
        stop="recorded",
        then=reject_by(
            lambda t: regulars[6].member, "The job was rearranged and has not happened yet."
        ),
    )

    # Still pending: waiting for the other person, or for a coordinator.
    b.exchange(
        6, jo, regulars[1], 60, "digital", "Set up video calls", how="giver", stop="recorded"
    )
    b.exchange(
        4, regulars[2], jo, 90, "gardening", "Pruned the apple tree", how="giver", stop="recorded"
    )
    b.exchange(
        9,
        regulars[7],
        regulars[8],
        60,
        "neighbourhood",
        "Fed the cat for a week",
        how="receiver",
        stop="recorded",
    )
    b.exchange(
        3, givers[4], receivers[3], 60, "care", "Afternoon visit", how="giver", stop="recorded"
    )
    b.exchange(
        8,
        jo,
        regulars[0],
        120,
        "admin",
        "Helped with a housing application",
        how="giver",
        stop="confirmed",
    )
    b.exchange(
        5,
        regulars[10],
        p["Margaret Doyle"],
        60,
        *FOR_PROFESSIONALS["district nurse"],
        how="giver",
        stop="confirmed",
    )
    b.exchange(
        2,
        regulars[11],
        regulars[12],
        90,
        "learning",
        "Knitting lesson",
        how="receiver",
        stop="confirmed",
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


def seed_demo(session: Session, *, seed: int = 2024, today: date | None = None) -> DemoSummary:
    """Create the demo time bank through the services (flushes; the caller commits).

    Raises ``DuplicateError`` if a time bank with the demo's short name exists already.
    """
    bank = create_time_bank(session, name=DEMO_NAME, slug=DEMO_SLUG)
    builder = _Builder(
        session=session,
        rng=random.Random(seed),
        today=today or today_in(bank.timezone),
        bank=bank,
        password_hash=hash_password(DEMO_PASSWORD),
    )
    _build_people(builder)
    _plan_history(builder)
    builder.run()
    _fill_profiles(builder, random.Random(seed + 1))
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
    return _summary(session, bank)


def _fill_profiles(b: _Builder, rng: random.Random) -> None:
    """Kinds of help ticked on members' profiles (a random generator of its own, so
    the history above stays the same for a seed)."""
    categories = [c for c in b.bank.categories if c.active and not c.is_sensitive]
    for party in b.people.values():
        membership = party.membership
        if membership is None or membership.status != MembershipStatus.ACTIVE:
            continue
        for category in rng.sample(categories, k=rng.randint(1, 3)):
            b.session.add(MemberSkill(membership_id=membership.id, category_id=category.id))


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
