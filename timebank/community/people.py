"""People: one record per person, found by email, whatever banks they belong to."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger import errors
from timebank.ledger.models import Person

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise errors.InvalidPolicyError("Give a valid email address.", field="email")
    return email


def create_person(
    session: Session, *, email: str, display_name: str, password_hash: str | None = None
) -> Person:
    email = normalise_email(email)
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 120:
        raise errors.InvalidPolicyError(
            "Give a name of up to 120 characters.", field="display_name"
        )
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
