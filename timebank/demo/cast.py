"""The demo's people, organisations and the shapes of their help: names, jobs, who only
gives and who only receives, what participants do for professionals, and the sign-ins."""

from __future__ import annotations

from timebank.ledger.models import (
    MemberKind,
)

DEMO_SLUG = "demo"


DEMO_NAME = "Riverside Community Time Bank"


DEMO_PASSWORD = "timebank-demo"  # noqa: S105 (the demo's published password)


COORDINATOR_EMAIL = "coordinator@example.org"


PARTNER_EMAIL = "partner@example.org"


MEMBER_EMAIL = "member@example.org"


# Eighteen months: a partner's default report (the last 12 months) then compares with
# a previous period that had exchanges too, fewer as the bank was younger.
HISTORY_DAYS = 540


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


# Joined and not started yet: registered, not active (so "active members" is not a
# number a partner could work the few inactive members out from).
QUIET = ["Hazel Brooks", "Owain Jones", "Priya Raman"]


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
