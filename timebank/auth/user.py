"""The signed-in person as Flask-Login sees them.

The id in the session cookie is "person id:session version"; signing out (or changing
the password) bumps the version, so a copied cookie stops working on the server side.
The cookie also carries its session's secret (timebank/auth/sessions.py): a session
ended on "Your sign-in and security", or by a coordinator, is refused too.
"""

from __future__ import annotations

from flask import session
from flask_login import UserMixin

from timebank.auth.sessions import person_with_open_row
from timebank.extensions import login_manager
from timebank.ledger.models import Membership, MembershipStatus, Person
from timebank.quick_gettext import lazy_gettext as _l


class SignedInPerson(UserMixin):
    def __init__(self, person: Person) -> None:
        self.person = person

    def get_id(self) -> str:
        return f"{self.person.id}:{self.person.session_version}"

    @property
    def is_active(self) -> bool:
        return self.person.is_active

    @property
    def display_name(self) -> str:
        return self.person.display_name

    def active_memberships(self) -> list[Membership]:
        """The active memberships that open the member area (members and coordinators;
        a partner membership opens only the partners' area)."""
        return [
            m
            for m in self.person.memberships
            if m.status == MembershipStatus.ACTIVE and not m.is_partner
        ]

    def partner_memberships(self) -> list[Membership]:
        """The active partner memberships: the banks whose reports this person reads."""
        active = MembershipStatus.ACTIVE
        return [m for m in self.person.memberships if m.status == active and m.is_partner]

    @property
    def is_partner(self) -> bool:
        return bool(self.partner_memberships())

    def current_membership(self) -> Membership | None:
        """The member-area membership chosen for this session, or the only one there is
        (never a partner membership)."""
        memberships = self.active_memberships()
        chosen = session.get("membership_id")
        for membership in memberships:
            if membership.id == chosen:
                return membership
        return memberships[0] if len(memberships) == 1 else None


@login_manager.user_loader
def load_user(user_id: str) -> SignedInPerson | None:
    try:
        person_id, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    # The person and this browser's session row, in one query: an ended (or unknown)
    # session is refused as a stale session version is.
    person = person_with_open_row(person_id)
    if person is None or person.session_version != version or not person.is_active:
        return None
    return SignedInPerson(person)


login_manager.login_view = "auth.sign_in"
login_manager.login_message = _l("Please sign in to see that page.")
# Flashed messages are kept in the session cookie: store the translated text itself.
login_manager.localize_callback = str
login_manager.session_protection = "strong"
