"""Giving a person a new password (changed by them, or chosen from a reset link): the
hash replaces the old, every other session ends, and both go in the security log."""

from __future__ import annotations

from timebank.auth.passwords import hash_password
from timebank.community.security_events import SESSIONS_REVOKED, record_security_event
from timebank.extensions import db
from timebank.ledger.models import Person


def replace_password(person: Person, password: str, *, because: str) -> None:
    """Set ``person``'s new password and end their other sessions (``because``: the
    event kind, PASSWORD_CHANGED or PASSWORD_RESET); the caller commits."""
    person.password_hash = hash_password(password)
    person.session_version += 1
    record_security_event(db.session(), kind=because, person_id=person.id)
    record_security_event(
        db.session(), kind=SESSIONS_REVOKED, person_id=person.id, details={"because": because}
    )
