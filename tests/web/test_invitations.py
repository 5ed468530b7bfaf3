"""The public join page, /auth/join/<token>: a new person makes an account and joins,
a signed-in person joins with one click, and a bad link writes nothing."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.support import PASSWORD, make_member, sign_in
from timebank.auth.passwords import verify_password
from timebank.community import invitations as invitation_service
from timebank.community.models import Invitation
from timebank.ledger.clock import utcnow
from timebank.ledger.models import MemberKind, Membership, MembershipStatus, Person, Role


@pytest.fixture
def bank(session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    session.commit()
    return bank


@pytest.fixture
def coordinator(session, bank):
    return make_member(session, email="coord@example.org", bank=bank, role=Role.COORDINATOR)


@pytest.fixture
def invite(session, coordinator):
    def make(**kw):
        invitation, token = invitation_service.create_invitation(session, actor=coordinator, **kw)
        session.commit()
        return invitation, token

    return make


def new_person(**changes):
    data = {
        "display_name": "Nina Newcomer",
        "email": "nina@example.org",
        "password": "a good long password",
        "password_again": "a good long password",
    }
    data.update(changes)
    return data


def counts(session):
    session.expire_all()
    return (
        session.scalar(sa.select(sa.func.count()).select_from(Person)),
        session.scalar(sa.select(sa.func.count()).select_from(Membership)),
    )


def test_the_page_says_which_time_bank_invites_you(client, invite):
    _, token = invite()
    response = client.get(f"/auth/join/{token}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Join Riverside Time Bank" in html
    # Consent is asked for, never assumed.
    assert 'id="consent_reporting" name="consent_reporting" type="checkbox" value="y">' in html
    assert "checked" not in html


def test_the_choices_are_worded_and_explained_as_on_the_apply_page(client, bank, invite):
    _, token = invite()
    join = client.get(f"/auth/join/{token}").get_data(as_text=True)
    apply = client.get(f"/auth/apply/{bank.slug}").get_data(as_text=True)
    for words in (
        "Include my exchanges in the reports we send to partners",
        "Partners such as the council or funders see only totals",
        "I am happy to be asked to take part in research",
        "A researcher may ask you to take part",
    ):
        assert words in join and words in apply
    # Each explanation is tied to its box for screen readers.
    for html in (join, apply):
        assert 'aria-describedby="consent_reporting-hint"' in html
        assert 'id="consent_reporting-hint"' in html


def test_a_new_person_joins_and_is_signed_in(client, session, bank, invite, caplog):
    invitation, token = invite(kind=MemberKind.PROFESSIONAL)
    caplog.set_level(logging.DEBUG)
    response = client.post(f"/auth/join/{token}", data=new_person(consent_research="y"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/members/")
    nina = session.scalar(sa.select(Person).where(Person.email == "nina@example.org"))
    assert nina.display_name == "Nina Newcomer"
    assert nina.password_hash.startswith("$argon2id$")
    assert verify_password(nina.password_hash, "a good long password")
    membership = nina.memberships[0]
    assert membership.time_bank_id == bank.id and membership.status == MembershipStatus.ACTIVE
    assert membership.kind == MemberKind.PROFESSIONAL and membership.role == Role.MEMBER
    assert (membership.consent_reporting, membership.consent_research) == (False, True)
    session.expire_all()
    assert session.get(Invitation, invitation.id).used_by_id == membership.id
    dashboard = client.get("/members/").get_data(as_text=True)
    assert "My time in Riverside Time Bank" in dashboard
    assert token not in caplog.text


def test_the_link_works_once(client, session, invite):
    _, token = invite()
    client.post(f"/auth/join/{token}", data=new_person())
    client.post("/auth/sign-out")
    before = counts(session)
    response = client.post(f"/auth/join/{token}", data=new_person(email="other@example.org"))
    assert response.status_code == 410
    assert "already been used" in response.get_data(as_text=True)
    assert counts(session) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"display_name": ""}, "display_name", "Enter your name."),
        ({"email": "not-an-email"}, "email", "Enter an email address like"),
        ({"password": "short", "password_again": "short"}, "password", "at least 10"),
        ({"password_again": "something else"}, "password_again", "not the same"),
        ({"email": "coord@example.org"}, "email", "already signed up"),
    ],
)
def test_form_errors_write_nothing(client, session, invite, changes, field, message):
    invitation, token = invite()
    before = counts(session)
    response = client.post(f"/auth/join/{token}", data=new_person(**changes))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in html
    assert counts(session) == before
    session.expire_all()
    assert session.get(Invitation, invitation.id).used_at is None


def test_a_signed_in_person_joins_with_one_click(client, session, invite):
    other_bank = TimeBankFactory(name="Hillside Time Bank")
    session.commit()
    make_member(session, email="dora@example.org", name="Dora Dunn", bank=other_bank)
    _, token = invite()
    sign_in(client, "dora@example.org", PASSWORD)
    html = client.get(f"/auth/join/{token}").get_data(as_text=True)
    assert "Join Riverside Time Bank as Dora Dunn" in html and "password" not in html
    response = client.post(f"/auth/join/{token}", data={"consent_reporting": "y"})
    assert response.status_code == 302
    # The new time bank is the one chosen for this session.
    assert "My time in Riverside Time Bank" in client.get("/members/").get_data(as_text=True)
    dora = session.scalar(sa.select(Person).where(Person.email == "dora@example.org"))
    assert len(dora.memberships) == 2


def test_a_declined_applicant_invited_by_a_coordinator_joins(client, session, bank, invite):
    """Told "talk to a coordinator" when their application was declined, the applicant
    gets an invitation link from one and comes in on it."""
    nell = make_member(
        session,
        email="nell@example.org",
        name="Nell Newby",
        bank=bank,
        status=MembershipStatus.DECLINED,
    )
    _, token = invite()
    sign_in(client, "nell@example.org", PASSWORD)
    html = client.get(f"/auth/join/{token}").get_data(as_text=True)
    assert "Join Riverside Time Bank as Nell Newby" in html and "already a member" not in html

    response = client.post(f"/auth/join/{token}", data={"consent_reporting": "y"})

    assert response.status_code == 302
    assert "My time in Riverside Time Bank" in client.get("/members/").get_data(as_text=True)
    session.expire_all()
    again = session.get(Membership, nell.id)
    assert again.status == MembershipStatus.ACTIVE and again.consent_reporting


def test_a_suspended_member_is_told_and_the_link_stays_unused(client, session, bank, invite):
    make_member(
        session,
        email="sid@example.org",
        name="Sid Stone",
        bank=bank,
        status=MembershipStatus.SUSPENDED,
    )
    invitation, token = invite()
    sign_in(client, "sid@example.org", PASSWORD)
    response = client.post(f"/auth/join/{token}", data={})
    assert response.status_code == 400
    assert "suspended" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Invitation, invitation.id).used_at is None


def test_an_existing_member_is_told_and_the_link_stays_unused(client, session, invite):
    invitation, token = invite()
    sign_in(client, "coord@example.org")
    assert "already a member" in client.get(f"/auth/join/{token}").get_data(as_text=True)
    response = client.post(f"/auth/join/{token}", data={})
    assert response.status_code == 400
    session.expire_all()
    assert session.get(Invitation, invitation.id).used_at is None


def test_unknown_expired_and_withdrawn_links(client, session, coordinator, invite):
    before = counts(session)
    unknown = client.get("/auth/join/made-up-token")
    assert unknown.status_code == 404 and "not valid" in unknown.get_data(as_text=True)
    assert client.post("/auth/join/made-up-token", data=new_person()).status_code == 404

    expired, expired_token = invite()
    expired.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    response = client.post(f"/auth/join/{expired_token}", data=new_person())
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)

    withdrawn, withdrawn_token = invite()
    invitation_service.revoke_invitation(session, actor=coordinator, invitation=withdrawn)
    session.commit()
    response = client.get(f"/auth/join/{withdrawn_token}")
    assert response.status_code == 410 and "withdrawn" in response.get_data(as_text=True)
    assert counts(session) == before
