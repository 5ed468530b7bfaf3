"""A signed-out visitor finds how to join from the first page, learns what a time bank
is, and is never sent to a dashboard they do not have."""

from __future__ import annotations

import pytest

from tests.factories import TimeBankFactory
from tests.web.support import make_member, sign_in
from timebank.ledger.models import Role

SIGN_IN = "/auth/sign-in"


@pytest.fixture
def bank(session):
    bank = TimeBankFactory(name="Riverside Time Bank", slug="riverside")
    session.commit()
    return bank


def test_the_sign_in_page_explains_and_links_to_applying(client, bank):
    page = client.get(SIGN_IN).get_data(as_text=True)
    assert "New here?" in page
    assert "one time credit" in page
    assert 'href="/auth/apply"' in page
    assert 'href="/about"' in page
    apply_list = client.get("/auth/apply").get_data(as_text=True)
    assert 'href="/auth/apply/riverside"' in apply_list


def test_the_header_offers_a_visitor_how_it_works_applying_and_signing_in(client, bank):
    page = client.get("/about").get_data(as_text=True)
    assert "How a time bank works" in page
    header = page.split("</header>")[0]
    for href in ('href="/about"', 'href="/auth/apply"', 'href="/auth/sign-in"'):
        assert href in header
    assert "Sign out" not in header


def test_a_visitor_who_is_lost_is_offered_the_start_and_applying(client, bank):
    response = client.get("/members/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "dashboard" not in page.lower()
    assert 'href="/auth/apply"' in page and f'href="{SIGN_IN}"' in page


def test_a_member_who_is_lost_is_offered_their_own_page(client, session, bank):
    make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
    sign_in(client, "alice@example.org")
    page = client.get("/members/no-such-page").get_data(as_text=True)
    assert 'href="/members/"' in page and "Go to my time" in page


def test_the_other_language_is_at_the_top_of_every_page(client, bank):
    header = client.get(SIGN_IN).get_data(as_text=True).split("</header>")[0]
    assert 'name="language" value="cy"' in header


def test_a_partner_who_is_lost_is_offered_the_partners_reports(client, session, bank):
    """A partner has no "My time": the error pages offered them one all the same."""
    make_member(session, email="pat@example.org", name="Pat Partner", bank=bank, role=Role.PARTNER)
    sign_in(client, "pat@example.org")
    for path in ("/members/no-such-page", "/coordinators/"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="/partners/"' in page and "Go to the partners' reports" in page, path
        assert "Go to my time" not in page, path
