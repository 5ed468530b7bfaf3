"""The API's token page and documentation page in a real Chromium: a member finds the
tokens page from their profile, creates a token (shown once), uses it, revokes it; the
page in Welsh; axe-core finds nothing on any state of either page."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from playwright.sync_api import expect

from tests.browser.test_pages import sign_in
from tests.factories import TimeBankFactory
from tests.web.support import make_member
from timebank.extensions import db


def _me(base_url: str, secret: str) -> int:
    request = urllib.request.Request(
        f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
    )
    try:
        with urllib.request.urlopen(request) as answer:
            json.load(answer)
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _world(live_server) -> None:
    with live_server.app.app_context():
        make_member(
            db.session, email="alice@example.org", name="Alice Ashdown", bank=TimeBankFactory()
        )
        db.session.remove()


def test_a_member_creates_uses_and_revokes_a_token(page, live_server, axe_check):
    _world(live_server)
    sign_in(page, live_server)
    page.goto(live_server.url("/members/profile"))
    page.get_by_role("link", name="Access tokens for the API").click()
    page.wait_for_url("**/auth/api-tokens")
    assert page.get_by_text("You have no tokens.").is_visible()
    axe_check(page)

    # A mistake is answered beside the field, and the page stays accessible.
    page.get_by_role("button", name="Create token").click()
    assert page.get_by_text(
        "Give the token a name, so you know where it is used."
    ).first.is_visible()
    axe_check(page)

    page.get_by_label("Name").fill("Kiosk in the library")
    page.get_by_label("What it may do").select_option("read_write")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_label("Token", exact=True).input_value()
    assert secret.startswith("tbk_")
    axe_check(page)
    assert _me(live_server.base_url, secret) == 200

    # Shown once: not on the page again.
    page.goto(live_server.url("/auth/api-tokens"))
    assert secret not in page.content()
    page.get_by_role("button", name="Revoke Kiosk in the library").click()
    expect(page.get_by_text("is revoked")).to_be_visible()
    axe_check(page)
    assert _me(live_server.base_url, secret) == 401


def test_the_tokens_page_and_the_docs_in_welsh(page, live_server, axe_check):
    _world(live_server)
    sign_in(page, live_server)
    page.goto(live_server.url("/auth/api-tokens"))
    page.get_by_role("banner").get_by_role("button", name="Cymraeg").click()
    page.wait_for_url("**/auth/api-tokens")
    assert page.get_by_role("heading", level=1).inner_text() == "Tocynnau mynediad ar gyfer yr API"
    axe_check(page)
    page.get_by_role("link", name="Darllenwch ddogfennaeth yr API").click()
    page.wait_for_url("**/api/v1/docs")
    assert page.get_by_role("heading", level=1).inner_text() == "API y banc amser"
    axe_check(page)


def test_the_tokens_page_fits_a_phone_and_its_buttons_look_like_buttons(
    page, live_server, axe_check
):
    """At 375 px the new token's box and the list of tokens stayed wider than the
    screen, and "Create token" and "Revoke" were the browser's bare grey buttons."""
    _world(live_server)
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, live_server)
    page.goto(live_server.url("/auth/api-tokens"))
    page.get_by_label("Name").fill("Kiosk in the library")
    page.get_by_role("button", name="Create token").click()
    assert page.get_by_label("Token", exact=True).input_value().startswith("tbk_")
    wide = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert wide <= 0, f"the page scrolls sideways by {wide} px"
    create = page.get_by_role("button", name="Create token")
    revoke = page.get_by_role("button", name="Revoke Kiosk in the library")
    assert "button" in create.get_attribute("class").split()
    assert "button-secondary" in revoke.get_attribute("class").split()
    axe_check(page)


def test_the_docs_fit_a_phone(page, live_server):
    """The problem types' long names (urn:timebank:problem:…) widened the page at 375 px."""
    _world(live_server)
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, live_server)
    page.goto(live_server.url("/api/v1/docs"))
    wide = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert wide <= 0, f"the page scrolls sideways by {wide} px"
