"""A time bank can take new members by invitation only (a referral-based service, a
bank that is full): coordinators switch applications off in the settings, the bank
leaves the list of banks to apply to, its apply page says how to join instead, and an
application sent anyway is refused with nothing written. Invitations still work."""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.support import make_member, sign_in
from tests.web.test_apply import counts, new_person
from tests.web.test_coordinators_settings import current_form
from timebank.ledger.models import AuditEntry, Role, TimeBank

CLOSED_MESSAGE = "is not taking applications through the website at the moment"


def closed_bank(session):
    bank = TimeBankFactory(name="Riverside Time Bank", slug="riverside")
    bank.accepts_applications = False
    TimeBankFactory(name="Hillside Time Bank", slug="hillside")
    session.commit()
    return bank


def test_a_closed_bank_is_not_in_the_list(client, session):
    closed_bank(session)
    page = client.get("/auth/apply").get_data(as_text=True)
    assert "Hillside Time Bank" in page
    assert "Riverside Time Bank" not in page


def test_its_apply_page_explains_how_to_join_and_has_no_form(client, session):
    closed_bank(session)
    response = client.get("/auth/apply/riverside")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert CLOSED_MESSAGE in page and "invitation" in page
    assert 'name="password"' not in page


def test_an_application_sent_anyway_writes_nothing(client, session):
    closed_bank(session)
    before = counts(session)
    response = client.post("/auth/apply/riverside", data=new_person())
    assert response.status_code == 200
    assert CLOSED_MESSAGE in response.get_data(as_text=True)
    assert counts(session) == before


def test_a_signed_in_person_cannot_apply_either(client, session):
    bank = closed_bank(session)
    hillside = session.scalar(sa.select(TimeBank).where(TimeBank.slug == "hillside"))
    make_member(session, email="nina@example.org", bank=hillside)
    sign_in(client, "nina@example.org")
    before = counts(session)
    response = client.post(
        f"/auth/apply/{bank.slug}", data={"offers_text": "Tea", "needs_text": "Lifts"}
    )
    assert CLOSED_MESSAGE in response.get_data(as_text=True)
    assert counts(session) == before


def test_coordinators_switch_applications_off_and_on_audited(client, session):
    bank = TimeBankFactory(name="Riverside Time Bank", slug="riverside")
    session.commit()
    assert bank.accepts_applications is True
    make_member(session, email="coord@example.org", bank=bank, role=Role.COORDINATOR)
    sign_in(client, "coord@example.org")
    assert 'name="accepts_applications"' in client.get("/coordinators/settings").get_data(
        as_text=True
    )

    client.post("/coordinators/settings", data=current_form(accepts_applications=None))
    session.expire_all()
    assert session.get(TimeBank, bank.id).accepts_applications is False
    entry = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.time_bank_id == bank.id)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).one()
    assert entry.action == "time_bank.policy_changed"
    assert json.loads(entry.before)["accepts_applications"] is True
    assert json.loads(entry.after)["accepts_applications"] is False

    client.post("/coordinators/settings", data=current_form())
    session.expire_all()
    assert session.get(TimeBank, bank.id).accepts_applications is True
