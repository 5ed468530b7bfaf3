"""A coordinator signs a member out everywhere (OWASP ASVS 7.4.5): only after confirming
it's them, only for a member of their own bank (404 otherwise), written to the audit log
and the security event log, and the member is told by email."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.test_auth import location_path, make_member, sign_in
from timebank.community import security_events as ev
from timebank.community.security_events import SecurityEvent
from timebank.community.sign_in_sessions import SignInSession
from timebank.ledger import clock
from timebank.ledger.models import AuditEntry, Role

DASHBOARD = "/members/"


@pytest.fixture
def bank(session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    session.commit()
    return bank


@pytest.fixture
def alice(session, bank):
    return make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)


@pytest.fixture
def cora(session, bank):
    return make_member(
        session, email="cora@example.org", name="Cora Coordinator", bank=bank, role=Role.COORDINATOR
    )


def end_url(membership) -> str:
    return f"/coordinators/members/{membership.id}/sessions/end"


def open_rows(session, person_id) -> list[SignInSession]:
    session.expire_all()
    return list(
        session.scalars(
            sa.select(SignInSession).where(
                SignInSession.person_id == person_id, SignInSession.ended_at.is_(None)
            )
        )
    )


def mails(app) -> list[str]:
    return [f.read_text() for f in sorted(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))]


def test_a_coordinator_signs_a_member_out_everywhere_audited_logged_and_told(
    app, client, session, bank, alice, cora
):
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, "alice@example.org")
    sign_in(laptop, "alice@example.org")
    sign_in(client, "cora@example.org")
    detail = client.get(f"/coordinators/members/{alice.id}").get_data(as_text=True)
    assert "Sign Alice Ashdown out everywhere" in detail

    response = client.post(end_url(alice))
    assert location_path(response) == f"/coordinators/members/{alice.id}"
    page = client.get(f"/coordinators/members/{alice.id}").get_data(as_text=True)
    assert "Alice Ashdown is signed out everywhere and has been told by email." in page
    assert location_path(phone.get(DASHBOARD)) == "/auth/sign-in"
    assert location_path(laptop.get(DASHBOARD)) == "/auth/sign-in"
    assert open_rows(session, alice.person_id) == []
    assert len(open_rows(session, cora.person_id)) == 1

    entry = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.time_bank_id == bank.id)
        .order_by(AuditEntry.seq.desc())
    ).first()
    assert entry.action == "membership.sessions_ended" and entry.entity_id == alice.id
    assert "Signed out everywhere: Alice Ashdown" in client.get("/coordinators/audit").get_data(
        as_text=True
    )
    [revoked] = session.scalars(
        sa.select(SecurityEvent).where(SecurityEvent.kind == ev.SESSIONS_REVOKED)
    )
    assert revoked.person_id == alice.person_id and revoked.actor_id == cora.person_id
    assert revoked.time_bank_id == bank.id
    assert revoked.details == {"because": "coordinator", "count": 2}
    log = client.get("/coordinators/security-log").get_data(as_text=True)
    assert "Every session ended by a coordinator." in log

    [mail] = mails(app)
    assert "To: alice@example.org" in mail
    assert "A coordinator of Riverside Time Bank signed you out" in mail
    # She signs in again as usual.
    assert location_path(sign_in(phone, "alice@example.org")) == DASHBOARD


def test_it_asks_the_coordinator_to_confirm_it_is_them_first(client, session, alice, cora):
    member_browser = client.application.test_client()
    sign_in(member_browser, "alice@example.org")
    sign_in(client, "cora@example.org")
    with clock.frozen_at(clock.now() + timedelta(minutes=11)):
        response = client.post(end_url(alice))
        assert location_path(response) == "/auth/confirm"
        assert response.headers["Location"].endswith(f"next=/coordinators/members/{alice.id}")
    assert len(open_rows(session, alice.person_id)) == 1


def test_a_coordinator_of_another_bank_gets_404_and_ends_nothing(client, session, alice):
    make_member(session, email="olga@example.org", bank=TimeBankFactory(), role=Role.COORDINATOR)
    member_browser = client.application.test_client()
    sign_in(member_browser, "alice@example.org")
    sign_in(client, "olga@example.org")
    assert client.post(end_url(alice)).status_code == 404
    assert len(open_rows(session, alice.person_id)) == 1
    assert member_browser.get(DASHBOARD).status_code == 200


def test_a_member_cannot_and_a_coordinator_uses_their_own_page_for_themselves(
    app, client, session, bank, alice, cora
):
    bob = make_member(session, email="bob@example.org", name="Bob Baker", bank=bank)
    bobs = app.test_client()
    sign_in(bobs, "bob@example.org")
    sign_in(client, "alice@example.org")
    assert client.post(end_url(bob)).status_code == 403
    assert bobs.get(DASHBOARD).status_code == 200

    coras = app.test_client()
    sign_in(coras, "cora@example.org")
    coras.post(end_url(cora))
    assert coras.get(f"/coordinators/members/{cora.id}").status_code == 200
    assert len(open_rows(session, cora.person_id)) == 1
    assert mails(app) == []
