"""The coordinators' security log and a person's own "Your sign-in and security" page in
a real Chromium at 320 px, in English and in Welsh: axe-core finds nothing, nothing
scrolls sideways, the kind filter works, and the Welsh page is in Welsh."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from tests.browser.test_pages import sign_in
from tests.factories import TimeBankFactory
from tests.web.test_auth import make_member
from timebank.community import security_events as ev
from timebank.community.security_events import record_security_event
from timebank.extensions import db
from timebank.ledger.models import Role

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"
SHOTS = os.environ.get("TIMEBANK_SCREENSHOTS")


@pytest.fixture
def riverside(live_server):
    with live_server.app.app_context():
        session = db.session
        bank = TimeBankFactory(name="Riverside Time Bank", slug="riverside")
        cora = make_member(
            session,
            email="cora@example.org",
            name="Cora Coordinator",
            bank=bank,
            role=Role.COORDINATOR,
        )
        ann = make_member(session, email="ann@example.org", name="Ann Archer", bank=bank)
        record_security_event(session, kind=ev.SIGN_IN_FAILED, person_id=ann.person_id)
        record_security_event(session, kind=ev.SIGN_IN_LIMITED, person_id=ann.person_id)
        record_security_event(
            session,
            kind=ev.ROLE_CHANGED,
            person_id=ann.person_id,
            actor_id=cora.person_id,
            time_bank_id=bank.id,
            details={"from": "member", "to": "coordinator"},
        )
        session.commit()


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_the_security_log_at_320px_in_english_and_welsh(
    new_page, live_server, riverside, axe_check
):
    page = new_page(viewport={"width": 320, "height": 700})
    sign_in(page, live_server, email="cora@example.org")
    page.goto(live_server.url("/coordinators/security-log"))
    assert page.title() == "Security log · timebank"
    what = page.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert what == [
        "Signed in",
        "Role changed",
        "Too many sign-in tries: new browsers held back",
        "Sign-in failed (wrong password)",
    ]
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    axe_check(page)
    _shot(page, "security-log-en-320")

    page.select_option("#kind", ev.ROLE_CHANGED)
    with page.expect_navigation():
        page.get_by_role("button", name="Show events").click()
    assert page.locator("tbody tr td:nth-child(4)").all_inner_texts() == [
        "By Cora Coordinator. From member to coordinator."
    ]
    axe_check(page)

    with page.expect_navigation():
        page.get_by_role("banner").get_by_role("button", name="Cymraeg").click()
    assert page.get_attribute("html", "lang") == "cy"
    assert page.locator("h1").inner_text() == "Log diogelwch"
    assert page.locator("tbody tr td:nth-child(3)").all_inner_texts() == ["Rôl wedi newid"]
    assert page.locator("tbody tr td:nth-child(4)").all_inner_texts() == [
        "Gan Cora Coordinator. Rôl flaenorol: aelod. Rôl newydd: cydlynydd."
    ]
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    axe_check(page)
    _shot(page, "security-log-cy-320")


def test_your_sign_in_and_security_at_320px_in_welsh(new_page, live_server, riverside, axe_check):
    page = new_page(viewport={"width": 320, "height": 700})
    sign_in(page, live_server, email="ann@example.org")
    with page.expect_navigation():
        page.get_by_role("banner").get_by_role("button", name="Cymraeg").click()
    page.goto(live_server.url("/auth/security"))
    assert page.get_attribute("html", "lang") == "cy"
    assert page.locator("h1").inner_text() == "Eich mewngofnodi a'ch diogelwch"
    assert page.locator("tbody tr").count() == 4
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    axe_check(page)
    _shot(page, "own-security-cy-320")
    page.get_by_role("link", name="Newid eich cyfrinair").click()
    page.wait_for_url("**/auth/password")
    axe_check(page)


FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0"


def test_where_you_are_signed_in_at_320px_in_english_and_welsh(
    new_page, live_server, riverside, axe_check
):
    phone = new_page(viewport={"width": 360, "height": 700}, user_agent=FIREFOX_ANDROID)
    sign_in(phone, live_server, email="ann@example.org")
    page = new_page(viewport={"width": 320, "height": 700})
    sign_in(page, live_server, email="ann@example.org")
    page.goto(live_server.url("/auth/security"))
    sessions = page.locator("section[aria-labelledby=sessions-title]")
    devices = sessions.locator("li strong").all_inner_texts()
    assert devices == ["Chrome on Linux", "Firefox on Android"]
    assert sessions.locator("li").first.locator(".tag").inner_text() == "This device"
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    axe_check(page)
    _shot(page, "sessions-en-320")

    with page.expect_navigation():
        sessions.get_by_role("button", name="End the session on Firefox on Android").click()
    expect(page.locator("main")).to_contain_text("That session has ended", use_inner_text=True)
    assert sessions.locator("li strong").all_inner_texts() == ["Chrome on Linux"]
    phone.goto(live_server.url("/members/"))
    assert "/auth/sign-in" in phone.url
    assert "You were signed out on this device" in phone.locator("main").inner_text()

    with page.expect_navigation():
        page.get_by_role("banner").get_by_role("button", name="Cymraeg").click()
    page.goto(live_server.url("/auth/security"))
    assert page.get_attribute("html", "lang") == "cy"
    assert sessions.locator("h2").inner_text() == "Ble rydych wedi mewngofnodi"
    assert sessions.locator("li strong").all_inner_texts() == ["Chrome ar Linux"]
    assert sessions.locator(".tag").inner_text() == "Y ddyfais hon"
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    axe_check(page)
    _shot(page, "sessions-cy-320")


def test_changing_the_email_address_at_320px(new_page, live_server, riverside, axe_check):
    page = new_page(viewport={"width": 320, "height": 700})
    sign_in(page, live_server, email="ann@example.org")
    page.goto(live_server.url("/auth/security"))
    with page.expect_navigation():
        page.get_by_role("link", name="Change your email address").click()
    expect(page.locator("h1")).to_have_text("Change your email address", use_inner_text=True)
    page.fill("#new_email", "not an address")
    with page.expect_navigation():
        page.get_by_role("button", name="Send the link").click()
    expect(page.locator("main")).to_contain_text(
        "Enter an email address like name@example.org.", use_inner_text=True
    )
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    axe_check(page)
    page.fill("#new_email", "ann.new@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Send the link").click()
    expect(page.locator("h1")).to_have_text("Check your new email address", use_inner_text=True)
    axe_check(page)
    _shot(page, "email-change-sent-320")


def test_changing_ones_name_at_320px_in_english_and_welsh(
    new_page, live_server, riverside, axe_check
):
    page = new_page(viewport={"width": 320, "height": 700})
    sign_in(page, live_server, email="ann@example.org")
    page.goto(live_server.url("/auth/security"))
    with page.expect_navigation():
        page.get_by_role("link", name="Change your name").click()
    expect(page.locator("h1")).to_have_text("Change your name", use_inner_text=True)
    assert page.input_value("#display_name") == "Ann Archer"
    page.fill("#display_name", "   ")
    with page.expect_navigation():
        page.get_by_role("button", name="Save your name").click()
    expect(page.locator("main")).to_contain_text("Enter your name.", use_inner_text=True)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    axe_check(page)
    page.fill("#display_name", "Ann Wright")
    with page.expect_navigation():
        page.get_by_role("button", name="Save your name").click()
    expect(page.locator("h1")).to_have_text("Your sign-in and security", use_inner_text=True)
    assert "Your name is now Ann Wright." in page.locator("main").inner_text()
    assert "The other members see you as Ann Wright." in page.locator("main").inner_text()
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("banner").get_by_role("button", name="Cymraeg").click()
    page.goto(live_server.url("/auth/name"))
    assert page.locator("h1").inner_text() == "Newid eich enw"
    assert page.input_value("#display_name") == "Ann Wright"
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    axe_check(page)
    _shot(page, "name-change-cy-320")
