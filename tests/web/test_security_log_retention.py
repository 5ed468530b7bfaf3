"""The security event log is append-only in the database (OWASP ASVS 16.4.2): triggers
refuse UPDATE and DELETE on SQLite and PostgreSQL, and ``flask security-log prune
--older-than-days N`` is the one way rows go, through a permit that covers only events
older than its cut-off and lives only inside the prune's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.web.test_auth import make_member
from timebank.community import security_events as ev
from timebank.community import sign_in_sessions
from timebank.community.security_events import SecurityEvent, record_security_event
from timebank.community.security_log_guard import SecurityEventPrune, prune_security_events
from timebank.community.sign_in_sessions import SignInSession
from timebank.ledger.clock import frozen_at

pytestmark = pytest.mark.both_engines

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
REFUSED = (IntegrityError, DBAPIError)


@pytest.fixture
def alice(session):
    return make_member(session, email="alice@example.org", name="Alice Ashdown")


def event_at(session, moment: datetime, person_id: int) -> int:
    with frozen_at(moment):
        event = record_security_event(session, kind=ev.SIGN_IN, person_id=person_id)
        sign_in_sessions.start(session, person_id=person_id, browser="Firefox", system="Linux")
    session.commit()
    return event.id


def ids(session) -> list[int]:
    session.expire_all()
    return list(session.scalars(sa.select(SecurityEvent.id).order_by(SecurityEvent.id)))


def test_the_database_refuses_to_change_or_delete_an_event(session, alice):
    event_id = event_at(session, NOW - timedelta(days=400), alice.person_id)
    for statement in (
        sa.update(SecurityEvent).values(kind=ev.SIGN_OUT),
        sa.update(SecurityEvent).values(person_id=None),
        sa.delete(SecurityEvent),
        sa.delete(SecurityEvent).where(SecurityEvent.id == event_id),
    ):
        with pytest.raises(REFUSED):
            session.execute(statement)
        session.rollback()
    assert ids(session) == [event_id]


def test_a_permit_covers_only_events_older_than_its_cut_off(session, alice):
    old = event_at(session, NOW - timedelta(days=400), alice.person_id)
    new = event_at(session, NOW - timedelta(days=10), alice.person_id)
    session.add(SecurityEventPrune(older_than=(NOW - timedelta(days=365)).replace(tzinfo=None)))
    session.flush()
    with pytest.raises(REFUSED):
        session.execute(sa.delete(SecurityEvent).where(SecurityEvent.id == new))
    session.rollback()
    # Still no updating, even with a permit.
    session.add(SecurityEventPrune(older_than=(NOW - timedelta(days=365)).replace(tzinfo=None)))
    session.flush()
    with pytest.raises(REFUSED):
        session.execute(sa.update(SecurityEvent).where(SecurityEvent.id == old).values(kind="x"))
    session.rollback()
    with frozen_at(NOW):
        gone = prune_security_events(
            session, older_than=(NOW - timedelta(days=365)).replace(tzinfo=None)
        )
    session.commit()
    assert gone == 1 and ids(session) == [new]
    assert session.scalar(sa.select(sa.func.count()).select_from(SecurityEventPrune)) == 0


def test_the_prune_command_deletes_what_is_older_than_n_days_and_nothing_else(
    runner, session, alice
):
    old = event_at(session, NOW - timedelta(days=400), alice.person_id)
    kept = event_at(session, NOW - timedelta(days=300), alice.person_id)
    with frozen_at(NOW):
        result = runner.invoke(args=["security-log", "prune", "--older-than-days", "365"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "Deleted 1 security events and 1 sign-in sessions from before 2025-12-01 12:00 UTC."
    )
    assert old not in ids(session) and ids(session) == [kept]
    remaining = session.scalars(sa.select(SignInSession.last_seen_at)).all()
    assert remaining == [(NOW - timedelta(days=300)).replace(tzinfo=None)]
    assert session.scalar(sa.select(sa.func.count()).select_from(SecurityEventPrune)) == 0


def test_the_prune_command_refuses_a_short_retention(runner, session, alice):
    event_id = event_at(session, NOW - timedelta(days=400), alice.person_id)
    result = runner.invoke(args=["security-log", "prune", "--older-than-days", "7"])
    assert result.exit_code != 0
    assert "7 is not in the range 30<=x<=36500" in result.output
    missing = runner.invoke(args=["security-log", "prune"])
    assert missing.exit_code != 0
    assert ids(session) == [event_id]
