"""Applying to join a time bank and keeping one's member profile.

An application is a membership with status APPLIED and an account of its own (empty
until a coordinator approves it). The profile is what other members of the same time
bank see: offers and needs first. Services flush and never commit; every change is in
the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from timebank.community.models import MemberSkill
from timebank.community.notifications import Kind, notify
from timebank.ledger import errors
from timebank.ledger.audit import append_audit
from timebank.ledger.banks import add_membership
from timebank.ledger.models import (
    MEMBER_ROLES,
    AuditEntry,
    Category,
    Membership,
    MembershipStatus,
    Person,
    TimeBank,
)

MAX_TEXT = 2000
MAX_AVAILABILITY = 200
MAX_AREA = 120
CONTACT_PREFERENCES = ("messages", "email")

PROFILE_FIELDS = (
    "offers_text",
    "needs_text",
    "availability",
    "area",
    "contact_preference",
    "email_notifications",
    "consent_reporting",
    "consent_research",
)


def _too_long(field: str, limit: int, length: int) -> errors.InvalidPolicyError:
    """One whole sentence for each profile field, so that each can be translated."""
    params: dict[str, int] = {"most": limit, "length": length}
    if field == "offers_text":
        return errors.InvalidPolicyError(
            "Keep what you can offer under %(most)s characters (it has %(length)s).",
            field=field,
            **params,
        )
    if field == "needs_text":
        return errors.InvalidPolicyError(
            "Keep what you would like help with under %(most)s characters (it has %(length)s).",
            field=field,
            **params,
        )
    if field == "availability":
        return errors.InvalidPolicyError(
            "Keep when you are available under %(most)s characters (it has %(length)s).",
            field=field,
            **params,
        )
    return errors.InvalidPolicyError(
        "Keep your area under %(most)s characters (it has %(length)s).", field=field, **params
    )


def _text(value: str | None, limit: int, field: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise _too_long(field, limit, len(value))
    return value


def _profile_of(membership: Membership) -> dict:
    return {field: getattr(membership, field) for field in PROFILE_FIELDS}


def apply_to_join(
    session: Session,
    *,
    bank: TimeBank,
    person: Person,
    offers: str,
    needs: str,
    consent_reporting: bool = False,
    consent_research: bool = False,
) -> Membership:
    """Ask to join ``bank``: a membership waiting for a coordinator, with its account."""
    offers = _text(offers, MAX_TEXT, "offers_text")
    needs = _text(needs, MAX_TEXT, "needs_text")
    if not bank.accepts_applications:
        raise errors.NotAllowedError(
            "%(bank)s is not taking applications through the website at the moment."
            " Ask a coordinator there for an invitation.",
            bank=bank.name,
        )
    existing = session.scalar(
        sa.select(Membership).where(
            Membership.person_id == person.id, Membership.time_bank_id == bank.id
        )
    )
    if existing is not None:
        if existing.status == MembershipStatus.APPLIED:
            raise errors.DuplicateError("You have already applied to %(bank)s.", bank=bank.name)
        if existing.status == MembershipStatus.DECLINED:
            raise errors.DuplicateError(
                "Your application to %(bank)s was not accepted. "
                "Please talk to a coordinator there.",
                bank=bank.name,
            )
        raise errors.DuplicateError("You already have a membership of %(bank)s.", bank=bank.name)
    membership = add_membership(
        session,
        actor=None,
        bank=bank,
        person=person,
        status=MembershipStatus.APPLIED,
        consent_reporting=bool(consent_reporting),
        consent_research=bool(consent_research),
    )
    membership.offers_text = offers
    membership.needs_text = needs
    session.flush()
    append_audit(
        session,
        time_bank_id=bank.id,
        actor=membership,
        action="membership.applied",
        entity_type="membership",
        entity_id=membership.id,
        after=_profile_of(membership),
    )
    # Acknowledged at once, by email as every application decision is: the applicant
    # knows it arrived and that a coordinator will decide.
    notify(
        session,
        recipient=membership,
        kind=Kind.APPLICATION,
        message=(
            f"We have your application to join {bank.name}. A coordinator will look at it"
            " and we will email you their decision."
        ),
        details={"outcome": "received", "bank": bank.name},
    )
    return membership


# Built once: every view of a profile asks.
SKILLS_OF = (
    sa.select(Category)
    .join(MemberSkill, MemberSkill.category_id == Category.id)
    .where(MemberSkill.membership_id == sa.bindparam("membership_id"))
    .order_by(Category.name)
)


def skills_of(session: Session, membership: Membership) -> list[Category]:
    """The kinds of help (categories) a member says they can offer, by name."""
    return list(session.scalars(SKILLS_OF, {"membership_id": membership.id}))


def members_offering(
    session: Session, time_bank_id: int, category_id: int, limit: int = 100
) -> list[tuple[int, str]]:
    """Active members of the bank who say they can help with a category: (membership
    id, name), by name; one query."""
    return [
        (row.id, row.display_name)
        for row in session.execute(
            sa.select(Membership.id, Person.display_name)
            .join(Person, Person.id == Membership.person_id)
            .join(MemberSkill, MemberSkill.membership_id == Membership.id)
            .where(
                Membership.time_bank_id == time_bank_id,
                Membership.status == MembershipStatus.ACTIVE,
                Membership.role.in_(MEMBER_ROLES),
                MemberSkill.category_id == category_id,
            )
            .order_by(Person.display_name, Membership.id)
            .limit(limit)
        )
    ]


def _checked_skills(session: Session, actor: Membership, category_ids: Iterable[int]) -> set[int]:
    wanted = {int(i) for i in category_ids}
    if not wanted:
        return wanted
    usable = set(
        session.scalars(
            sa.select(Category.id).where(
                Category.id.in_(wanted),
                Category.time_bank_id == actor.time_bank_id,
                Category.active.is_(True),
            )
        )
    )
    if usable != wanted:
        raise errors.InvalidPolicyError(
            "Choose the kinds of help from the list.", field="skill_category_ids"
        )
    return wanted


def _set_skills(session: Session, actor: Membership, wanted: set[int], have: set[int]) -> None:
    if have - wanted:
        session.execute(
            sa.delete(MemberSkill).where(
                MemberSkill.membership_id == actor.id,
                MemberSkill.category_id.in_(have - wanted),
            )
        )
    session.add_all(
        MemberSkill(membership_id=actor.id, category_id=i) for i in sorted(wanted - have)
    )


def update_profile(
    session: Session,
    *,
    actor: Membership,
    offers_text: str,
    needs_text: str,
    availability: str,
    area: str,
    contact_preference: str,
    email_notifications: bool,
    consent_reporting: bool,
    consent_research: bool,
    skill_category_ids: Iterable[int] | None = None,
) -> Membership:
    """A member changes their own profile in this time bank, consents included.
    ``skill_category_ids``: the kinds of help offered, by category (None: unchanged)."""
    if actor.status not in (MembershipStatus.ACTIVE, MembershipStatus.APPLIED):
        raise errors.NotAllowedError("This membership cannot be changed now.")
    if actor.is_partner:
        raise errors.NotAllowedError("A partner has no member profile here.")
    values: dict[str, str | bool] = {
        "offers_text": _text(offers_text, MAX_TEXT, "offers_text"),
        "needs_text": _text(needs_text, MAX_TEXT, "needs_text"),
        "availability": _text(availability, MAX_AVAILABILITY, "availability"),
        "area": _text(area, MAX_AREA, "area"),
    }
    if contact_preference not in CONTACT_PREFERENCES:
        raise errors.InvalidPolicyError(
            "Choose how you would like to be contacted.", field="contact_preference"
        )
    values["contact_preference"] = contact_preference
    values["email_notifications"] = bool(email_notifications)
    values["consent_reporting"] = bool(consent_reporting)
    values["consent_research"] = bool(consent_research)
    before = _profile_of(actor)
    changed: dict[str, object] = {k: v for k, v in values.items() if before[k] != v}
    if skill_category_ids is not None:
        wanted = _checked_skills(session, actor, skill_category_ids)
        have = set(
            session.scalars(
                sa.select(MemberSkill.category_id).where(MemberSkill.membership_id == actor.id)
            )
        )
        if wanted != have:
            before["skill_category_ids"] = sorted(have)
            changed["skill_category_ids"] = sorted(wanted)
            _set_skills(session, actor, wanted, have)
    if not changed:
        return actor
    for field, value in changed.items():
        if field in PROFILE_FIELDS:
            setattr(actor, field, value)
    session.flush()
    append_audit(
        session,
        time_bank_id=actor.time_bank_id,
        actor=actor,
        action="membership.profile_updated",
        entity_type="membership",
        entity_id=actor.id,
        before={k: before[k] for k in changed},
        after=changed,
    )
    return actor


def visible_profile(session: Session, *, viewer: Membership, membership_id: int) -> Membership:
    """Another member's profile as a member of the same time bank may see it: only
    active members of the viewer's own bank exist here (NotFoundError otherwise). A
    partner neither sees profiles nor has one to be seen."""
    # With the person: the page shows their name.
    other = session.get(Membership, membership_id, options=[joinedload(Membership.person)])
    if (
        other is None
        or not viewer.is_active
        or viewer.is_partner
        or other.is_partner
        or other.time_bank_id != viewer.time_bank_id
        or other.status != MembershipStatus.ACTIVE
    ):
        raise errors.NotFoundError("There is no such member here.")
    return other


def applications_of(session: Session, person: Person) -> list[Membership]:
    """The person's memberships in every state, newest first (for the status page)."""
    return list(
        session.scalars(
            sa.select(Membership)
            .where(Membership.person_id == person.id)
            .order_by(Membership.joined_at.desc(), Membership.id.desc())
        )
    )


def decline_reason(session: Session, membership: Membership) -> str | None:
    """The reason a coordinator gave when declining this application, from the audit log."""
    after = session.scalar(
        sa.select(AuditEntry.after)
        .where(
            AuditEntry.time_bank_id == membership.time_bank_id,
            AuditEntry.entity_type == "membership",
            AuditEntry.entity_id == membership.id,
            AuditEntry.action == "membership.application_declined",
        )
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    )
    if not after:
        return None
    try:
        return json.loads(after).get("reason")
    except (ValueError, AttributeError):
        return None
