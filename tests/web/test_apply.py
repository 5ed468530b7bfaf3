"""Applying to join a time bank through the real app: a new person or a signed-in
person applies, mistakes are shown at the field with what was typed kept, a known email
writes nothing, consents are stored as given, and the status page follows the
coordinator's decision."""

from __future__ import annotations

import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.apply_support import apply_and_confirm, confirm, confirm_links
from tests.web.support import PASSWORD, csrf_token_from, location_path, make_member, sign_in
from tests.web.test_auth import csrf_app  # noqa: F401 - a fixture
from timebank.auth.passwords import verify_password
from timebank.community import memberships as membership_service
from timebank.extensions import db
from timebank.ledger.models import AuditEntry, Membership, MembershipStatus, Person, Role

APPLY = "/auth/apply/riverside"
STATUS = "/members/application"
DASHBOARD = "/members/"


def _bank(session):
    bank = TimeBankFactory(name="Riverside Time Bank", slug="riverside")
    session.commit()
    return bank


def new_person(**changes):
    data = {
        "display_name": "Nina Newcomer",
        "email": "nina@example.org",
        "password": "a good long password",
        "password_again": "a good long password",
        "offers_text": "Gardening and a chat over tea",
        "needs_text": "Someone to help with my phone",
    }
    data.update(changes)
    return data


def counts(session):
    session.expire_all()
    return (
        session.scalar(sa.select(sa.func.count()).select_from(Person)),
        session.scalar(sa.select(sa.func.count()).select_from(Membership)),
    )


def nina_membership(session):
    session.expire_all()
    return session.scalar(
        sa.select(Membership).join(Person).where(Person.email == "nina@example.org")
    )


def test_the_list_links_to_each_time_bank(client, session):
    _bank(session)
    TimeBankFactory(name="Hillside Time Bank", slug="hillside")
    session.commit()
    html = client.get("/auth/apply").get_data(as_text=True)
    assert 'href="/auth/apply/riverside"' in html and "Apply to join Riverside Time Bank" in html
    assert 'href="/auth/apply/hillside"' in html


def test_unknown_time_bank_is_404(client, session):
    _bank(session)
    assert client.get("/auth/apply/nowhere").status_code == 404


def test_the_form_asks_for_consent_unticked(client, session):
    _bank(session)
    html = client.get(APPLY).get_data(as_text=True)
    assert "What I can offer" in html and "What I would like help with" in html
    assert 'id="consent_reporting" name="consent_reporting" type="checkbox" value="y"' in html
    assert 'id="consent_research" name="consent_research" type="checkbox" value="y"' in html
    assert "checked" not in html
    # Each choice is explained in a sentence tied to its checkbox.
    assert 'aria-describedby="consent_reporting-hint"' in html
    assert 'aria-describedby="consent_research-hint"' in html


def test_a_new_person_confirms_by_email_is_signed_in_and_sees_the_status(client, session):
    bank = _bank(session)
    response = apply_and_confirm(client, APPLY, new_person(consent_research="y"))
    assert response.status_code == 302 and location_path(response) == STATUS
    membership = nina_membership(session)
    assert membership.time_bank_id == bank.id
    assert membership.status == MembershipStatus.APPLIED
    assert membership.offers_text == "Gardening and a chat over tea"
    assert membership.needs_text == "Someone to help with my phone"
    assert membership.account is not None and membership.account.balance == 0
    # Consents are stored exactly as given: research yes, reporting no.
    assert membership.consent_research is True and membership.consent_reporting is False
    assert membership.person.display_name == "Nina Newcomer"
    assert verify_password(membership.person.password_hash, "a good long password")
    actions = session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.entity_id == membership.id)
    ).all()
    assert "membership.applied" in actions
    html = client.get(STATUS).get_data(as_text=True)
    assert "Your application to Riverside Time Bank is waiting for a coordinator" in html


def test_no_consent_given_means_none_stored(client, session):
    _bank(session)
    apply_and_confirm(client, APPLY, new_person())
    membership = nina_membership(session)
    assert membership.consent_reporting is False and membership.consent_research is False


def test_the_dashboard_points_an_applicant_to_the_status_page(client, session):
    _bank(session)
    apply_and_confirm(client, APPLY, new_person())
    html = client.get(DASHBOARD).get_data(as_text=True)
    assert 'href="/members/application"' in html


def test_mistakes_are_shown_at_the_field_and_typed_values_kept(client, session):
    _bank(session)
    response = client.post(
        APPLY,
        data=new_person(email="not an email", password="short", password_again="short"),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter an email address like name@example.org." in html
    assert 'aria-describedby="email-hint email-error"' in html
    assert "Use at least 10 characters." in html
    assert 'value="Nina Newcomer"' in html and 'value="not an email"' in html
    assert "Gardening and a chat over tea</textarea>" in html
    assert "There is a problem" in html and 'href="#email"' in html
    assert counts(session) == (0, 0)


def test_passwords_must_match(client, session):
    _bank(session)
    response = client.post(APPLY, data=new_person(password_again="a different password"))
    assert response.status_code == 400
    assert "The two passwords are not the same." in response.get_data(as_text=True)
    assert counts(session) == (0, 0)


def test_a_known_email_writes_nothing_and_tells_its_owner_by_email(client, session):
    # Issue 11: the page never confirms that an address has an account.
    bank = _bank(session)
    make_member(session, email="nina@example.org", name="Nina Already", bank=bank)
    before = counts(session)
    response = client.post(APPLY, data=new_person(email="Nina@Example.org"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "We have sent a message to the address you gave" in html
    assert "already has an account" not in html
    assert counts(session) == before
    # Not signed in as anyone.
    assert location_path(client.get(DASHBOARD)).startswith("/auth/sign-in")


def test_a_signed_in_person_applies_with_offers_needs_and_consent_only(client, session):
    _bank(session)
    other = make_member(session, email="nina@example.org", name="Nina Elsewhere")
    sign_in(client, "nina@example.org")
    html = client.get(APPLY).get_data(as_text=True)
    assert 'name="password"' not in html and 'name="email"' not in html
    response = client.post(
        APPLY,
        data={"offers_text": "Dog walking", "needs_text": "", "consent_reporting": "y"},
    )
    assert response.status_code == 302 and location_path(response) == STATUS
    session.expire_all()
    applied = session.scalar(
        sa.select(Membership).where(
            Membership.person_id == other.person_id, Membership.status == MembershipStatus.APPLIED
        )
    )
    assert applied.offers_text == "Dog walking"
    assert applied.consent_reporting is True and applied.consent_research is False
    assert counts(session) == (1, 2)
    # Applying again is not offered: the page points to the status instead.
    html = client.get(APPLY).get_data(as_text=True)
    assert "You have already asked to join Riverside Time Bank" in html
    assert 'name="offers_text"' not in html


def test_declined_application_shows_so_with_the_reason(client, session):
    bank = _bank(session)
    coordinator = make_member(session, email="coord@example.org", bank=bank, role=Role.COORDINATOR)
    apply_and_confirm(client, APPLY, new_person())
    membership_service.decline_application(
        session, actor=coordinator, membership=nina_membership(session), reason="We are full."
    )
    session.commit()
    html = client.get(STATUS).get_data(as_text=True)
    assert "Your application to Riverside Time Bank was declined" in html
    assert "We are full." in html
    assert "waiting for a coordinator" not in html


def test_approval_lets_the_new_member_in(client, session):
    bank = _bank(session)
    coordinator = make_member(session, email="coord@example.org", bank=bank, role=Role.COORDINATOR)
    apply_and_confirm(client, APPLY, new_person())
    membership_service.approve_application(
        session, actor=coordinator, membership=nina_membership(session)
    )
    session.commit()
    html = client.get(STATUS).get_data(as_text=True)
    assert "You're in" in html and 'href="/members/"' in html
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert "My time in Riverside Time Bank" in response.get_data(as_text=True)


def test_status_page_needs_sign_in(client, session):
    assert location_path(client.get(STATUS)).startswith("/auth/sign-in")


def test_apply_without_csrf_token_is_refused(csrf_app):  # noqa: F811
    with csrf_app.app_context():
        _bank(db.session)
    client = csrf_app.test_client()
    response = client.post(APPLY, data=new_person())
    assert response.status_code == 400
    with csrf_app.app_context():
        assert counts(db.session) == (0, 0)


def test_apply_with_csrf_token_works(csrf_app):  # noqa: F811
    with csrf_app.app_context():
        _bank(db.session)
    client = csrf_app.test_client()
    token = csrf_token_from(client.get(APPLY).get_data(as_text=True))
    response = apply_and_confirm(client, APPLY, {**new_person(), "csrf_token": token})
    assert response.status_code == 302 and location_path(response) == STATUS
    with csrf_app.app_context():
        assert counts(db.session) == (1, 1)


def test_confirming_without_csrf_token_is_refused(csrf_app):  # noqa: F811
    with csrf_app.app_context():
        _bank(db.session)
    client = csrf_app.test_client()
    token = csrf_token_from(client.get(APPLY).get_data(as_text=True))
    assert client.post(APPLY, data={**new_person(), "csrf_token": token}).status_code == 200
    [path] = confirm_links(csrf_app, "nina@example.org")
    assert client.post(path).status_code == 400
    with csrf_app.app_context():
        assert counts(db.session) == (0, 0)
    # The link still works, with the page's token.
    assert location_path(confirm(client, path)) == STATUS


def test_password_is_not_the_shared_test_one(client, session):
    # The new account signs in with the password it chose.
    _bank(session)
    apply_and_confirm(client, APPLY, new_person())
    client.post("/auth/sign-out")
    assert sign_in(client, "nina@example.org", PASSWORD).status_code == 400
    response = sign_in(client, "nina@example.org", "a good long password")
    assert location_path(response) == DASHBOARD
