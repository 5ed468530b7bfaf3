"""Writing security events from the web layer: each in its own short transaction, so an
event is kept even when the request goes on to fail (a refused sign-in)."""

from __future__ import annotations

from timebank.community.people import get_person_by_email
from timebank.community.security_events import (
    SIGN_IN_LIMITED,
    record_security_event,
    recorded_since,
)
from timebank.extensions import db
from timebank.ledger.database import run_in_transaction

# A limit reached again and again is logged once in this many minutes per account.
LIMITED_LOGGED_EVERY_MINUTES = 15


def log_event(kind: str, **fields) -> None:
    """Record one event (see ``record_security_event``) and commit it."""
    run_in_transaction(
        db.session(), lambda: record_security_event(db.session(), kind=kind, **fields)
    )


def record_sign_in_limited(email: str) -> None:
    """A sign-in refused by a limit: logged against the account when the address has
    one (never the address itself), at most once per ``LIMITED_LOGGED_EVERY_MINUTES``."""
    if not email:
        return
    person = get_person_by_email(db.session(), email)
    if person is None:
        return
    person_id = person.id

    def work() -> None:
        if not recorded_since(
            db.session(),
            kind=SIGN_IN_LIMITED,
            person_id=person_id,
            minutes=LIMITED_LOGGED_EVERY_MINUTES,
        ):
            record_security_event(db.session(), kind=SIGN_IN_LIMITED, person_id=person_id)

    run_in_transaction(db.session(), work)
