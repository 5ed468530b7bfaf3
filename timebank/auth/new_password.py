"""Giving a person a new password (changed by them, or chosen from a reset link): the
hash replaces the old, every other session ends, and both go in the security log."""

from __future__ import annotations

from timebank.auth.passwords import hash_password
from timebank.community.security_events import SESSIONS_REVOKED, record_security_event
from timebank.community.sign_in_sessions import Ended, end_all
from timebank.extensions import db
from timebank.ledger.models import Person


def replace_password(
    person: Person, password: str, *, because: str, keep_session_id: int | None = None
) -> None:
    """Set ``person``'s new password and end their other sessions (all but
    ``keep_session_id``; ``because``: the event kind, PASSWORD_CHANGED or
    PASSWORD_RESET); the caller commits."""
    person.password_hash = hash_password(password)
    person.session_version += 1
    end_all(db.session(), person_id=person.id, reason=Ended.OTHERS_ENDED, keep_id=keep_session_id)
    record_security_event(db.session(), kind=because, person_id=person.id)
    record_security_event(
        db.session(), kind=SESSIONS_REVOKED, person_id=person.id, details={"because": because}
    )
