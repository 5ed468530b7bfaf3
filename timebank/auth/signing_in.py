"""Starting a signed-in session, and the wait between the password and the two-step
code (timebank.auth.second_step): the session then holds only the person's id, their
session version, where to go next and when the wait began, and nobody is signed in."""

from __future__ import annotations

from flask import current_app, session
from flask_login import login_user

from timebank.auth.recent import mark_confirmed
from timebank.auth.security_log import log_event
from timebank.auth.user import SignedInPerson
from timebank.community.security_events import SIGN_IN
from timebank.extensions import db
from timebank.ledger.clock import now
from timebank.ledger.models import Person
from timebank.safe_redirect import is_local_path

PENDING_KEY = "two_step_pending"


def finish_sign_in(person: Person, **details: bool) -> None:
    """Sign ``person`` in on a fresh session (nothing from before carries over) and
    write the sign-in to the security event log, with ``details`` (e.g. whether the
    browser was known, whether a second step was given)."""
    log_event(SIGN_IN, person_id=person.id, details=details or None)
    session.clear()
    login_user(SignedInPerson(person))
    mark_confirmed()


def begin_second_step(person: Person, target: str | None) -> None:
    session.clear()
    session[PENDING_KEY] = {
        "person_id": person.id,
        "version": person.session_version,
        "next": target if is_local_path(target) else None,
        "started": int(now().timestamp()),
    }


def pending_person_id() -> int | None:
    """The person waiting to give their code (the rate limit counts by it)."""
    pending = session.get(PENDING_KEY)
    return pending.get("person_id") if isinstance(pending, dict) else None


def pending() -> tuple[Person, str | None] | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    started = pending.get("started")
    limit = int(current_app.config["TWO_STEP_PENDING_MINUTES"]) * 60
    if not isinstance(started, int) or not 0 <= int(now().timestamp()) - started <= limit:
        return None
    person = db.session.get(Person, pending.get("person_id"))
    if person is None or not person.is_active or person.session_version != pending.get("version"):
        return None
    return person, pending.get("next")
