"""Failed authorisation in the security event log (OWASP ASVS 16.3.2).

Every 403 answer (a member at a coordinator's page, a partner at a member's, a token
whose role does not reach a resource) writes an ``access_refused`` event: who, the
route's pattern (``/coordinators/members/<int:membership_id>``, never the path with its
values) and the method; the bank when the person had chosen one. A crawler cannot flood
the table: the same person (or, signed out, anyone) at the same route is written once
a minute (``REFUSALS_LOGGED_EVERY_SECONDS``). 404s are not written: a bank's objects
answer 404 to other banks precisely so that nothing is learnt from them.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, Response, g, request
from flask_login import current_user

from timebank.community.security_events import (
    ACCESS_REFUSED,
    SecurityEvent,
    record_security_event,
)
from timebank.extensions import db
from timebank.ledger.clock import utcnow
from timebank.ledger.database import run_in_transaction

REFUSALS_LOGGED_EVERY_SECONDS = 60
# Enough to find the same route among one person's refusals of the last minute.
_RECENT = 200


def _who() -> tuple[int | None, int | None]:
    """(person id, bank id) of whoever was refused."""
    api_person = g.get("api_person")
    if api_person is not None:
        return api_person.id, None
    if current_user.is_authenticated:
        membership = current_user.current_membership()
        return current_user.person.id, membership.time_bank_id if membership else None
    return None, None


def _logged_lately(person_id: int | None, where: str) -> bool:
    since = utcnow() - timedelta(seconds=REFUSALS_LOGGED_EVERY_SECONDS)
    person = (
        SecurityEvent.person_id.is_(None)
        if person_id is None
        else SecurityEvent.person_id == person_id
    )
    recent = db.session.scalars(
        sa.select(SecurityEvent.details)
        .where(SecurityEvent.kind == ACCESS_REFUSED, person, SecurityEvent.occurred_at >= since)
        .order_by(SecurityEvent.id.desc())
        .limit(_RECENT)
    )
    return any(isinstance(d, dict) and d.get("where") == where for d in recent)


def record_refusal(response: Response) -> Response:
    if response.status_code != 403 or request.url_rule is None:
        return response
    where = request.url_rule.rule[:200]
    method = request.method
    person_id, bank_id = _who()
    # Nothing the refused request left unsaved goes with the event.
    db.session.rollback()

    def work() -> None:
        if not _logged_lately(person_id, where):
            record_security_event(
                db.session(),
                kind=ACCESS_REFUSED,
                person_id=person_id,
                time_bank_id=bank_id,
                details={"where": where, "method": method},
            )

    run_in_transaction(db.session(), work)
    return response


def init_refusals(app: Flask) -> None:
    app.after_request(record_refusal)
