"""My profile and other members' profiles through the real app: I change what I offer
and need, how I am contacted and my consents (withdrawn as easily as given); other
members of my time bank see my profile without my email; nobody else sees it."""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.support import location_path, make_member, sign_in
from timebank.ledger.models import AuditEntry, MembershipStatus

PROFILE = "/members/profile"


def profile_data(**changes):
    data = {
        "offers_text": "Gardening\nBaking bread",
        "needs_text": "Help with forms",
        "availability": "Weekday mornings",
        "area": "Riverside North",
        "contact_preference": "email",
        "email_notifications": "y",
        "consent_reporting": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def setup_bank(session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    session.commit()
    alice = make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
    bob = make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank)
    return bank, alice, bob


def test_the_profile_shows_my_name_and_email_and_saves_changes(client, session):
    _, alice, _ = setup_bank(session)
    sign_in(client, "alice@example.org")
    html = client.get(PROFILE).get_data(as_text=True)
    assert "My profile in Riverside Time Bank" in html
    assert "Alice Ashdown" in html and "alice@example.org" in html
    response = client.post(PROFILE, data=profile_data())
    assert response.status_code == 302 and location_path(response) == PROFILE
    session.expire_all()
    assert alice.offers_text == "Gardening\nBaking bread"
    assert alice.needs_text == "Help with forms"
    assert alice.availability == "Weekday mornings"
    assert alice.area == "Riverside North"
    assert alice.contact_preference == "email"
    assert alice.email_notifications is True
    assert alice.consent_reporting is True and alice.consent_research is False
    html = client.get(PROFILE).get_data(as_text=True)
    assert "Your profile is saved." in html
    assert 'value="Weekday mornings"' in html
    assert 'checked id="contact_preference-1" name="contact_preference"' in html
    entry = session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "membership.profile_updated", AuditEntry.entity_id == alice.id
        )
    ).one()
    assert "Riverside North" in entry.after


def test_consent_is_withdrawn_as_easily_as_given(client, session):
    _, alice, _ = setup_bank(session)
    # The factory gives reporting consent; Alice unticks it and ticks research.
    assert alice.consent_reporting is True
    sign_in(client, "alice@example.org")
    html = client.get(PROFILE).get_data(as_text=True)
    assert 'id="consent_reporting" name="consent_reporting" type="checkbox" value="y">' in html
    client.post(PROFILE, data=profile_data(consent_reporting=None, consent_research="y"))
    session.expire_all()
    assert alice.consent_reporting is False and alice.consent_research is True
    client.post(PROFILE, data=profile_data(consent_reporting=None, consent_research=None))
    session.expire_all()
    assert alice.consent_reporting is False and alice.consent_research is False


def test_too_long_text_is_refused_at_the_field_keeping_what_was_typed(client, session):
    _, alice, _ = setup_bank(session)
    sign_in(client, "alice@example.org")
    response = client.post(PROFILE, data=profile_data(area="x" * 121))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Keep this under 120 characters." in html
    assert 'aria-describedby="area-hint area-error"' in html
    assert "Gardening\nBaking bread</textarea>" in html
    session.expire_all()
    assert alice.area == "" and alice.offers_text == ""


def test_an_unknown_contact_choice_is_refused(client, session):
    _, alice, _ = setup_bank(session)
    sign_in(client, "alice@example.org")
    response = client.post(PROFILE, data=profile_data(contact_preference="pigeon"))
    assert response.status_code == 400
    session.expire_all()
    assert alice.contact_preference == "messages"


def test_another_member_sees_my_profile_without_my_email(client, session):
    _, alice, _ = setup_bank(session)
    sign_in(client, "alice@example.org")
    client.post(PROFILE, data=profile_data())
    client.post("/auth/sign-out")
    sign_in(client, "bob@example.org")
    response = client.get(f"/members/people/{alice.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Alice Ashdown" in html and "Gardening" in html and "Help with forms" in html
    assert "Weekday mornings" in html and "Riverside North" in html
    assert "alice@example.org" not in html
    assert "@example.org" not in html.replace("bob@example.org", "")


def test_members_of_other_banks_and_inactive_members_are_404(client, session):
    bank, _, bob = setup_bank(session)
    other_bank = TimeBankFactory(name="Hillside Time Bank")
    session.commit()
    carol = make_member(session, email="carol@example.org", name="Carol", bank=other_bank)
    dave = make_member(
        session, email="dave@example.org", bank=bank, status=MembershipStatus.APPLIED
    )
    erin = make_member(
        session, email="erin@example.org", bank=bank, status=MembershipStatus.SUSPENDED
    )
    sign_in(client, "alice@example.org")
    assert client.get(f"/members/people/{bob.id}").status_code == 200
    for other in (carol, dave, erin):
        assert client.get(f"/members/people/{other.id}").status_code == 404
    assert client.get("/members/people/999999").status_code == 404


def test_the_dashboard_links_to_my_profile(client, session):
    setup_bank(session)
    sign_in(client, "alice@example.org")
    html = client.get("/members/").get_data(as_text=True)
    assert 'href="/members/profile"' in html and "My profile" in html


def test_profile_needs_an_active_membership(client, session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    session.commit()
    make_member(session, email="dave@example.org", bank=bank, status=MembershipStatus.APPLIED)
    sign_in(client, "dave@example.org")
    assert location_path(client.get(PROFILE)) == "/members/"


# Kinds of help offered, by category ---------------------------------------------------


def _category_ids(session, bank, *names):
    from timebank.ledger.models import Category

    return [
        session.scalar(
            sa.select(Category.id).where(Category.time_bank_id == bank.id, Category.name == name)
        )
        for name in names
    ]


def test_kinds_of_help_are_ticked_saved_audited_and_shown_to_members(client, session):
    bank, alice, _ = setup_bank(session)
    gardening, transport = _category_ids(session, bank, "Gardening", "Lifts and transport")
    sign_in(client, "alice@example.org")
    page = client.get(PROFILE).get_data(as_text=True)
    assert f'id="skill-{gardening}"' in page and "Kinds of help I can offer" in page

    response = client.post(
        PROFILE, data={**profile_data(), "skill_category_ids": [gardening, transport]}
    )
    assert response.status_code == 302
    page = client.get(PROFILE).get_data(as_text=True)
    assert f'id="skill-{gardening}" value="{gardening}" checked' in page
    entry = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "membership.profile_updated")
        .order_by(AuditEntry.seq.desc())
    ).first()
    assert sorted(json.loads(entry.after)["skill_category_ids"]) == sorted([gardening, transport])

    sign_in(client, "bob@example.org")
    other = client.get(f"/members/people/{alice.id}").get_data(as_text=True)
    assert "Kinds of help" in other and "Gardening, Lifts and transport" in other

    # Unticking them all is as easy as ticking.
    sign_in(client, "alice@example.org")
    client.post(PROFILE, data=profile_data())
    sign_in(client, "bob@example.org")
    assert "Kinds of help" not in client.get(f"/members/people/{alice.id}").get_data(as_text=True)


def test_a_kind_of_help_from_another_bank_is_refused_and_nothing_changes(client, session):
    bank, _, _ = setup_bank(session)
    other_bank = TimeBankFactory(name="Hillside Time Bank")
    session.commit()
    (foreign,) = _category_ids(session, other_bank, "Gardening")
    (mine,) = _category_ids(session, bank, "Gardening")
    sign_in(client, "alice@example.org")
    before = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    response = client.post(PROFILE, data={**profile_data(), "skill_category_ids": [mine, foreign]})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="skill_category_ids-error"' in page
    assert 'value="Help with forms"' in page or "Help with forms" in page
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before


def test_members_who_ticked_a_kind_of_help_are_found_by_its_category(client, session):
    bank, alice, _ = setup_bank(session)
    (gardening,) = _category_ids(session, bank, "Gardening")
    sign_in(client, "alice@example.org")
    client.post(PROFILE, data={**profile_data(), "skill_category_ids": [gardening]})
    sign_in(client, "bob@example.org")
    page = client.get(f"/members/listings?category={gardening}").get_data(as_text=True)
    assert "Members who can help with this" in page
    assert f'href="/members/people/{alice.id}">Alice Ashdown</a>' in page
    assert "Members who can help with this" not in client.get("/members/listings").get_data(
        as_text=True
    )
