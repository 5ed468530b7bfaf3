"""Logging an exchange in a real Chromium, by keyboard alone: Alice logs time she gave
Bob, checks it and records it; Bob confirms it; a coordinator approves it (through the
service) and Alice's balance shows it. axe-core finds nothing on any of the pages, and
they fit a 320 px screen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.test_pages import assert_focus_visible
from tests.browser.test_person_boxes import choose_person
from tests.factories import CoordinatorFactory, TimeBankFactory, bank_today
from tests.web.test_auth import PASSWORD, make_member
from timebank.extensions import db
from timebank.ledger.models import Membership, Transfer
from timebank.ledger.transfers import approve_transfer

TODAY = bank_today()


@pytest.fixture
def riverside(live_server):
    """A time bank with the default policy: the other person confirms, a coordinator
    approves."""
    with live_server.app.app_context():
        session = db.session
        bank = TimeBankFactory(name="Riverside Time Bank")
        make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
        make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank)
        make_member(session, email="carol@example.org", name="Carol Cheung", bank=bank)
        coordinator = CoordinatorFactory(bank=bank)
        session.commit()
        return {"bank": bank.id, "coordinator": coordinator.id}


def focused(page, selector: str) -> bool:
    return page.evaluate("(s) => document.activeElement.matches(s)", selector)


def tab_to(page, selector: str, key: str = "Tab", limit: int = 40) -> None:
    """Press Tab (or Shift+Tab) until the element matching ``selector`` has focus."""
    for _ in range(limit):
        page.keyboard.press(key)
        if focused(page, selector):
            return
    pytest.fail(f"{selector} never got the focus with {key}")


def value_of(page, selector: str) -> str:
    return page.eval_on_selector(selector, "el => el.value")


def sign_in_by_keyboard(page, live_server, email):
    page.goto(live_server.url("/auth/sign-in"))
    tab_to(page, "#email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert focused(page, "#password")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == live_server.url("/members/")


def fits_320(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 320, f"{page.url} scrolls sideways at 320 px ({width} px wide)"


def test_the_whole_journey_by_keyboard(page, new_page, live_server, riverside, axe_check):
    # Alice logs the time she gave Bob.
    sign_in_by_keyboard(page, live_server, "alice@example.org")
    tab_to(page, "a[href='/members/log']")
    assert_focus_visible(page)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", level=1).inner_text() == "Log an exchange"
    axe_check(page)

    tab_to(page, "#direction-0")
    assert_focus_visible(page)
    page.keyboard.press("Space")
    assert page.is_checked("#direction-0")
    page.keyboard.press("Tab")
    assert focused(page, "#counterpart_name")
    page.keyboard.type("Bob")  # the combobox offers the names that match
    page.locator("#person-search-0-list [role=option]").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.input_value("#counterpart_name") == "Bob Brennan"
    page.keyboard.press("Tab")
    assert focused(page, "#hours")
    page.keyboard.press("ArrowDown")  # 1 h -> 2 h
    page.keyboard.press("Tab")
    assert focused(page, "#minutes")
    page.keyboard.type("3")  # 30 min
    assert value_of(page, "#hours") == "2" and value_of(page, "#minutes") == "30"
    assert value_of(page, "#service_date") == TODAY.isoformat()
    tab_to(page, "#category")
    page.keyboard.press("ArrowDown")
    assert value_of(page, "#category") != ""
    page.keyboard.press("Tab")
    assert focused(page, "#description")
    page.keyboard.type("Weeding the front garden")
    tab_to(page, "button[value=review]")
    page.keyboard.press("Shift+Tab")
    assert focused(page, "#description")
    page.keyboard.press("Tab")
    assert_focus_visible(page)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The review step: the balance afterwards, then "Record it".
    assert page.get_by_role("heading", level=1).inner_text() == "Check your entry"
    assert "You gave time to Bob Brennan" in page.inner_text("main")
    assert "Afterwards\n2 h 30 min" in page.inner_text("main")
    axe_check(page)
    tab_to(page, "button[value=record]")
    assert_focus_visible(page)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Waiting for Bob Brennan to confirm" in page.inner_text("main")
    axe_check(page)

    # Bob confirms, in his own browser context.
    bob = new_page()
    sign_in_by_keyboard(bob, live_server, "bob@example.org")
    assert "Alice Ashdown gave you 2 h 30 min" in bob.inner_text("main")
    tab_to(bob, "a[href='/members/confirm']")
    with bob.expect_navigation():
        bob.keyboard.press("Enter")
    assert bob.get_by_role("heading", level=1).inner_text() == "Exchanges to confirm"
    axe_check(bob)
    tab_to(bob, "form[action^='/members/confirm/'] button")
    assert_focus_visible(bob)
    with bob.expect_navigation():
        bob.keyboard.press("Enter")
    assert "It now waits for a coordinator to approve it." in bob.inner_text("main")
    axe_check(bob)

    # A coordinator approves through the service; Alice's balance shows it.
    with live_server.app.app_context():
        coordinator = db.session.get(Membership, riverside["coordinator"])
        transfer = db.session.query(Transfer).one()
        approve_transfer(db.session, actor=coordinator, transfer_id=transfer.id)
        db.session.commit()
    page.goto(live_server.url("/members/"))
    assert page.inner_text(".balance .figure") == "2 h 30 min"

    # Alice can now donate some of what she earned.
    tab_to(page, "a[href='/members/donate']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "You can donate up to 2 h 30 min" in page.inner_text("main")
    axe_check(page)
    tab_to(page, "#hours")
    page.keyboard.press("Tab")
    page.keyboard.type("3")  # 30 min
    tab_to(page, "main button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Thank you. You gave 1 h 30 min to the community pot." in page.inner_text("main")
    assert page.inner_text(".balance .figure") == "1 h"


def test_errors_sit_at_their_fields_and_pass_axe(page, live_server, riverside, axe_check):
    sign_in_by_keyboard(page, live_server, "alice@example.org")
    page.goto(live_server.url("/members/log"))
    page.check("#direction-1")
    choose_person(page, "#counterpart_name", "carol", "Carol Cheung")
    page.select_option("#hours", "12")
    page.select_option("#minutes", "15")
    page.fill("#service_date", (TODAY + timedelta(days=1)).isoformat())
    page.fill("#description", "Kept as typed")
    with page.expect_navigation():
        page.click("button[value=review]")
    assert page.title().startswith("Error:")
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert page.get_by_text("The date cannot be in the future.").count() == 2  # summary + field
    assert page.get_attribute("#service_date", "aria-describedby").endswith("service_date-error")
    assert page.get_attribute("#hours", "aria-invalid") == "true"
    assert page.input_value("#description") == "Kept as typed"
    assert page.is_checked("#direction-1")
    axe_check(page)
    # The summary's link takes the focus to the field.
    summary.get_by_role("link", name="The date cannot be in the future.").click()
    assert focused(page, "#service_date")


def test_the_pages_fit_320_px(new_page, live_server, riverside, axe_check):
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in_by_keyboard(page, live_server, "alice@example.org")
    page.goto(live_server.url("/members/log"))
    fits_320(page)
    page.check("#direction-0")
    choose_person(page, "#counterpart_name", "bob", "Bob Brennan")
    page.fill("#description", "A long description " * 10)
    with page.expect_navigation():
        page.click("button[value=review]")
    fits_320(page)
    with page.expect_navigation():
        page.click("button[value=record]")
    fits_320(page)
    for path in ("/members/", "/members/donate", "/members/confirm"):
        page.goto(live_server.url(path))
        fits_320(page)
    bob = new_page(viewport={"width": 320, "height": 640})
    sign_in_by_keyboard(bob, live_server, "bob@example.org")
    bob.goto(live_server.url("/members/confirm"))
    bob.click("summary")
    fits_320(bob)
    axe_check(bob)
