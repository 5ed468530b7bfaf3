"""People: one record per person, found by email, whatever banks they belong to."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger import errors
from timebank.ledger.audit import append_audit
from timebank.ledger.models import Membership, Person, sort_name_of

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME_LENGTH = 120


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise errors.InvalidPolicyError("Give a valid email address.", field="email")
    return email


def checked_name(display_name: str | None) -> str:
    """The name as kept: spaces at the ends removed, 1 to 120 characters."""
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > MAX_NAME_LENGTH:
        raise errors.InvalidPolicyError(
            "Give a name of up to 120 characters.", field="display_name"
        )
    return display_name


def create_person(
    session: Session, *, email: str, display_name: str, password_hash: str | None = None
) -> Person:
    email = normalise_email(email)
    display_name = checked_name(display_name)
    if session.scalar(sa.select(Person.id).where(Person.email == email)) is not None:
        raise errors.DuplicateError(
            "Someone has already signed up with that email address.", field="email"
        )
    person = Person(email=email, display_name=display_name, password_hash=password_hash)
    session.add(person)
    session.flush()
    return person


def get_person_by_email(session: Session, email: str) -> Person | None:
    return session.scalar(sa.select(Person).where(Person.email == (email or "").strip().lower()))


def rename_person(
    session: Session, person: Person, display_name: str, *, by: Membership | None = None
) -> bool:
    """Give ``person`` a new name, the one every bank they belong to shows (lists sort
    by it at once). Each of their banks' audit logs records that the name changed, but
    not the names: the log is kept for ever, and a name someone has left behind (after a
    marriage, a divorce, a transition) should not follow them there. False when the name
    is the same as before.

    Who did it, in each bank's log: the person themselves (``by`` None); or ``by``, a
    coordinator correcting the name, in their own bank, and no one (the system) in the
    person's other banks, where that coordinator has no say and may not be a member."""
    display_name = checked_name(display_name)
    if display_name == person.display_name:
        return False
    memberships = session.scalars(
        sa.select(Membership).where(Membership.person_id == person.id).order_by(Membership.id)
    ).all()
    person.display_name = display_name
    for membership in memberships:
        membership.sort_name = sort_name_of(display_name)
    session.flush()
    for membership in memberships:
        if by is None:
            actor: Membership | None = membership
        else:
            actor = by if by.time_bank_id == membership.time_bank_id else None
        append_audit(
            session,
            time_bank_id=membership.time_bank_id,
            actor=actor,
            action="membership.renamed",
            entity_type="membership",
            entity_id=membership.id,
        )
    return True
