"""The demo time bank that ``make run`` seeds: ``seed_demo`` and the sign-ins it prints.

``cast`` holds its people and the shapes of their help, ``builder`` writes people and
steps through the services, ``history`` plans eighteen months of exchanges, ``community`` adds
the notice board, profiles and conversations, ``valley`` is the partner's second,
smaller bank, and ``seeding`` puts it all together.
"""

from timebank.demo.cast import (
    COORDINATOR_EMAIL,
    DEMO_PASSWORD,
    DEMO_SLUG,
    MEMBER_EMAIL,
    PARTNER_EMAIL,
)
from timebank.demo.seeding import DemoSummary, demo_sign_ins, seed_demo, seed_second_bank
from timebank.demo.valley import VALLEY_SLUG

__all__ = [
    "COORDINATOR_EMAIL",
    "DEMO_PASSWORD",
    "DEMO_SLUG",
    "MEMBER_EMAIL",
    "PARTNER_EMAIL",
    "VALLEY_SLUG",
    "DemoSummary",
    "demo_sign_ins",
    "seed_demo",
    "seed_second_bank",
]
