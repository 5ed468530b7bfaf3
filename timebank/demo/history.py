"""Six months of the demo bank's exchanges, in the shapes the reciprocity reports look
for: pairs, cycles, only-givers and only-receivers, shared roles, organisations, a
workshop, a working party, a reversal, rejections and entries still waiting."""

from __future__ import annotations

import random
from collections.abc import Callable

from timebank.demo.builder import Builder
from timebank.demo.cast import (
    APPLICANTS,
    CATEGORY_WEIGHTS,
    COORDINATORS,
    COUNCIL_GIVES,
    COUNCIL_RECEIVES,
    DEMO_MEMBER,
    DESCRIPTIONS,
    FOR_PROFESSIONALS,
    HEALTH_GIVES,
    HEALTH_RECEIVES,
    MINUTES,
    ONLY_GIVERS,
    ONLY_RECEIVERS,
    ORGANISATIONS,
    PARTICIPANTS,
    PROFESSIONALS,
)
from timebank.ledger.group import record_group_exchange
from timebank.ledger.models import (
    Membership,
    Transfer,
)
from timebank.ledger.pot import grant_from_pot
from timebank.ledger.transfers import (
    reject_transfer,
    reverse_transfer,
)


def plan_history(b: Builder) -> None:
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
    for _ in range(300):
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

    # Still pending: waiting for the other person, or for a coordinator, recorded over
    # the last three weeks (``timebank.demo.dating`` dates them), so the queue's "waiting
    # at least" filter has something to sort.
    b.exchange(
        6, jo, regulars[1], 60, "digital", "Set up video calls", how="giver", stop="recorded"
    )
    b.exchange(
        4, regulars[2], jo, 90, "gardening", "Pruned the apple tree", how="giver", stop="recorded"
    )
    b.exchange(
        16,
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
        21,
        jo,
        regulars[0],
        120,
        "admin",
        "Helped with a housing application",
        how="giver",
        stop="confirmed",
    )
    b.exchange(
        9,
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

    # The last fortnight's posted exchanges: the draws above start two weeks back (the
    # entries still waiting own the last weeks), which left "this month" empty on the
    # coordinators' overview and the reports early in a month. Who, when and what are
    # drawn from a generator of their own, so everything drawn above stays the same.
    recent = random.Random(20261207)
    # Professionals help each other too (shared roles run every way): each gives an hour
    # or two to the next, over the last ten months.
    for index, giver in enumerate(professionals):
        receiver = professionals[(index + 1) % len(professionals)]
        category = recent.choice(["learning", "digital", "practical", "transport"])
        b.exchange(
            recent.randint(20, 300),
            giver,
            receiver,
            recent.choice([60, 90, 120]),
            category,
            recent.choice(DESCRIPTIONS[category]),
            how="giver",
        )
    for _ in range(24):
        giver = recent.choice(traders)
        receiver = recent.choice(neighbours[giver.name])
        category = recent.choice(list(CATEGORY_WEIGHTS))
        b.exchange(
            recent.randint(1, 13),
            giver,
            receiver,
            recent.choice(MINUTES),
            category,
            recent.choice(DESCRIPTIONS[category]),
            how="coordinator" if recent.random() < 0.35 else "giver",
        )
