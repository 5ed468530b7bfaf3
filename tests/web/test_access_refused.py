"""Failed authorisation in the security event log (OWASP ASVS 16.3.2): a 403 writes an
``access_refused`` event with the route's pattern (not the path with its values) and no
personal data, at most once a minute per person and route, and the bank's coordinators
read it in a plain sentence. 404s are not written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.api.support import call, token_for
from tests.factories import TimeBankFactory, bank_today
from tests.web.support import table_rows
from tests.web.test_auth import make_member, sign_in
from timebank.community import security_events as ev
from timebank.community.security_events import SecurityEvent
from timebank.ledger.clock import frozen_at
from timebank.ledger.models import Role

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MEMBER_PAGE = "/coordinators/members/<int:membership_id>"


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


def refusals(session) -> list[SecurityEvent]:
    session.expire_all()
    return list(
        session.scalars(
            sa.select(SecurityEvent)
            .where(SecurityEvent.kind == ev.ACCESS_REFUSED)
            .order_by(SecurityEvent.id)
        )
    )


def test_a_member_at_a_coordinators_page_is_logged_once_a_minute_with_the_pattern(
    client, session, bank, alice, cora
):
    with frozen_at(START):
        sign_in(client, "alice@example.org")
        for _ in range(5):
            assert client.get(f"/coordinators/members/{cora.id}").status_code == 403
        assert client.post(f"/coordinators/members/{cora.id}/role").status_code == 403
    [first, other_route] = refusals(session)
    assert first.person_id == alice.person_id and first.time_bank_id == bank.id
    assert first.details == {"where": MEMBER_PAGE, "method": "GET"}
    assert other_route.details == {
        "where": "/coordinators/members/<int:membership_id>/role",
        "method": "POST",
    }
    # Never the id that was asked for, nor anything else about the request.
    assert str(cora.id) not in str(first.details)
    with frozen_at(START + timedelta(seconds=61)):
        assert client.get(f"/coordinators/members/{cora.id}").status_code == 403
    assert len(refusals(session)) == 3


def test_coordinators_read_it_in_a_plain_sentence(app, client, session, bank, alice, cora):
    member = app.test_client()
    sign_in(member, "alice@example.org")
    assert member.get("/coordinators/").status_code == 403
    sign_in(client, "cora@example.org")
    page = client.get("/coordinators/security-log?kind=access_refused")
    assert page.status_code == 200
    [_, row] = table_rows(page.get_data(as_text=True))
    assert "Page refused (not allowed)" in row
    assert "Alice Ashdown" in row
    assert "Tried to open /coordinators/, which their role does not allow." in row


def test_a_partner_at_a_coordinators_page_and_a_member_choosing_anothers_bank(
    app, client, session, bank, alice
):
    make_member(session, email="pat@example.org", name="Pat Partner", bank=bank, role=Role.PARTNER)
    sign_in(client, "pat@example.org")
    assert client.get("/coordinators/members").status_code == 403
    member = app.test_client()
    sign_in(member, "alice@example.org")
    other = make_member(session, email="olga@example.org", bank=TimeBankFactory())
    assert member.post("/members/time-banks", data={"membership_id": other.id}).status_code == 403
    wheres = [e.details["where"] for e in refusals(session)]
    assert wheres == ["/coordinators/members", "/members/time-banks"]


def test_a_404_is_not_logged(client, session, alice):
    sign_in(client, "alice@example.org")
    assert client.get("/members/nowhere-at-all").status_code == 404
    assert refusals(session) == []


def test_an_api_token_refused_by_its_role_is_logged_too(client, session, bank, alice):
    token = token_for(session, alice)
    today = bank_today()
    start = today - timedelta(days=90)
    path = f"/api/v1/reports/reciprocity?bank={bank.id}&from={start}&to={today}"
    refused = call(client, "GET", path, token)
    assert refused.status_code == 403
    assert refused.content_type == "application/problem+json"
    [event] = refusals(session)
    assert event.person_id == alice.person_id
    assert event.details == {"where": "/api/v1/reports/reciprocity", "method": "GET"}
