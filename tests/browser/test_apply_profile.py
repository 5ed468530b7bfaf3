"""Applying and the profile in a real Chromium: a newcomer applies (making a mistake
first), waits, is approved and edits their profile; each page, error states included,
passes axe-core and reflows at 320 px without sideways scrolling."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import TimeBankFactory
from tests.web.apply_support import confirm_path
from tests.web.test_auth import make_member
from timebank.community.memberships import approve_application
from timebank.community.people import get_person_by_email
from timebank.extensions import db
from timebank.ledger.models import Role

NEW_PASSWORD = "a good long password"


@pytest.fixture
def riverside(live_server):
    with live_server.app.app_context():
        bank = TimeBankFactory(name="Riverside Time Bank", slug="riverside")
        db.session.commit()
        make_member(
            db.session,
            email="coord@example.org",
            name="Cora Coordinator",
            bank=bank,
            role=Role.COORDINATOR,
        )
        make_member(db.session, email="bob@example.org", name="Bob Brennan", bank=bank)
    return live_server


def _approve_nina(live_server):
    with live_server.app.app_context():
        nina = get_person_by_email(db.session, "nina@example.org")
        coordinator = get_person_by_email(db.session, "coord@example.org").memberships[0]
        approve_application(db.session, actor=coordinator, membership=nina.memberships[0])
        db.session.commit()


def _no_sideways_scroll(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page scrolls sideways: {scroll_width} > {width}"


def test_the_apply_journey_and_profile(page, live_server, riverside, axe_check):
    page.goto(live_server.url("/auth/apply"))
    axe_check(page)
    page.get_by_role("link", name="Apply to join Riverside Time Bank").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Apply to join Riverside Time Bank", use_inner_text=True
    )
    axe_check(page)
    assert not page.get_by_label("Include my exchanges in the reports").is_checked()
    assert not page.get_by_label("I am happy to be asked to take part in research").is_checked()

    page.get_by_label("Your name").fill("Nina Newcomer")
    page.get_by_label("Email address").fill("nina@example.org")
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("Type the password again").fill("not the same password")
    page.get_by_label("What I can offer").fill("Gardening and baking")
    page.get_by_label("I am happy to be asked to take part in research").check()
    page.get_by_role("button", name="Send my application").click()

    page.locator(".error-summary").wait_for()
    assert page.title().startswith("Error:")
    axe_check(page)
    # What was typed is kept, and the error is tied to its field.
    assert page.get_by_label("What I can offer").input_value() == "Gardening and baking"
    assert page.get_by_label("I am happy to be asked to take part in research").is_checked()
    again = page.get_by_label("Type the password again")
    assert again.get_attribute("aria-describedby") == "password_again-error"
    page.get_by_role("link", name="The two passwords are not the same.").click()
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    again.fill(NEW_PASSWORD)
    page.get_by_role("button", name="Send my application").click()

    # Nothing is made until Nina opens the link emailed to her and confirms.
    page.get_by_role("heading", name="Check your email").wait_for()
    axe_check(page)
    page.goto(live_server.url(confirm_path(live_server.app, "nina@example.org")))
    axe_check(page)
    page.get_by_role("button", name="Confirm my application").click()
    page.wait_for_url("**/members/application*")
    assert "is waiting for a coordinator" in page.locator("main").inner_text()
    axe_check(page)
    page.goto(live_server.url("/members/"))
    axe_check(page)
    page.get_by_role("link", name="See where my application is").click()
    page.wait_for_url("**/members/application")

    _approve_nina(live_server)
    page.reload()
    assert "You're in" in page.locator("main").inner_text()
    page.get_by_role("link", name="Go to my time in Riverside Time Bank").click()
    page.wait_for_url("**/members/")
    assert page.get_by_role("heading", level=1).inner_text() == "My time in Riverside Time Bank"
    page.get_by_role("link", name="My profile").click()
    page.wait_for_url("**/members/profile")
    assert page.get_by_role("heading", level=1).inner_text() == "My profile in Riverside Time Bank"
    axe_check(page)
    assert page.get_by_label("What I can offer").input_value() == "Gardening and baking"

    # The browser stops at maxlength; lift it to see the server's own message.
    page.eval_on_selector("#area", "el => el.removeAttribute('maxlength')")
    page.get_by_label("My area").fill("x" * 121)
    page.get_by_role("button", name="Save my profile").click()
    page.locator(".error-summary").wait_for()
    axe_check(page)
    page.get_by_label("My area").fill("Riverside North")
    page.get_by_label("When I am usually available").fill("Weekday mornings")
    page.get_by_label("By email").check()
    page.get_by_label("I am happy to be asked to take part in research").uncheck()
    page.get_by_role("button", name="Save my profile").click()
    page.get_by_text("Your profile is saved.").wait_for()
    assert page.get_by_label("By email").is_checked()
    assert not page.get_by_label("I am happy to be asked to take part in research").is_checked()
    page.get_by_role("link", name="See my profile as other members see it").click()
    page.wait_for_url("**/members/people/*")
    main = page.locator("main").inner_text()
    assert "Riverside North" in main and "nina@example.org" not in main
    axe_check(page)


@pytest.mark.parametrize("path", ["/auth/apply/riverside", "/members/profile"])
def test_pages_reflow_at_320px_with_errors(new_page, live_server, riverside, path):
    page = new_page(viewport={"width": 320, "height": 640})
    if path == "/members/profile":
        page.goto(live_server.url("/auth/sign-in"))
        page.get_by_label("Email address").fill("bob@example.org")
        page.get_by_label("Password").fill("a long enough test password")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/members/")
        page.goto(live_server.url(path))
        _no_sideways_scroll(page, 320)
        page.eval_on_selector("#area", "el => el.removeAttribute('maxlength')")
        page.get_by_label("My area").fill("x" * 121)
        page.get_by_role("button", name="Save my profile").click()
    else:
        page.goto(live_server.url(path))
        _no_sideways_scroll(page, 320)
        page.get_by_role("button", name="Send my application").click()
    page.locator(".error-summary").wait_for()
    _no_sideways_scroll(page, 320)
