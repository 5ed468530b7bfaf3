"""Messages in a real Chromium: Alice writes to Bob, Bob signs in on his own device,
sees the conversation marked New and replies. axe-core finds nothing on the inbox
(empty and full), a conversation and the form with errors; all fit a 320 px screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_person_boxes import choose_person
from tests.factories import TimeBankFactory
from tests.web.test_auth import PASSWORD, make_member
from timebank.extensions import db


@pytest.fixture
def riverside(live_server):
    with live_server.app.app_context():
        bank = TimeBankFactory(name="Riverside Time Bank")
        make_member(db.session, email="alice@example.org", name="Alice Ashdown", bank=bank)
        bob = make_member(db.session, email="bob@example.org", name="Bob Brennan", bank=bank)
        return {"bob": bob.id}


def sign_in(page, live_server, email):
    page.goto(live_server.url("/auth/sign-in"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert page.url == live_server.url("/members/")


def fits(page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} scrolls sideways: {scroll_width} > {width}"


def test_alice_writes_and_bob_replies(page, new_page, live_server, riverside, axe_check):
    sign_in(page, live_server, "alice@example.org")
    page.get_by_role("link", name="Messages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages", use_inner_text=True)
    assert page.get_by_text("You have no messages yet").is_visible()
    axe_check(page)

    page.get_by_role("link", name="Write a new message").click()
    page.get_by_label("Your message").fill("Could you help in the garden?")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert page.get_by_label("Your message").input_value() == "Could you help in the garden?"
    assert page.locator("#recipient_name").get_attribute("aria-invalid") == "true"
    axe_check(page)

    choose_person(page, "#recipient_name", "bob", "Bob Brennan")
    page.get_by_label("Subject").fill("Garden on Saturday")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_text("Your message was sent.")).to_be_visible()
    assert page.get_by_role("heading", level=1).inner_text() == "Garden on Saturday"
    axe_check(page)

    bob = new_page()
    sign_in(bob, live_server, "bob@example.org")
    assert bob.get_by_role("link", name="Messages 1 unread").is_visible()
    bob.get_by_role("link", name="Messages 1 unread").click()
    thread = bob.locator(".message-threads li").first
    assert thread.locator(".tag").inner_text() == "New"
    assert "With Alice Ashdown" in thread.inner_text()
    axe_check(bob)
    bob.get_by_role("link", name="Garden on Saturday").click()
    expect(bob.get_by_text("Could you help in the garden?")).to_be_visible()
    bob.get_by_label("Your reply").fill("Yes, I can come at ten.")
    bob.get_by_role("button", name="Send reply").click()
    expect(bob.get_by_text("Your reply was sent.")).to_be_visible()
    assert bob.get_by_text("Yes, I can come at ten.").is_visible()
    assert bob.get_by_role("link", name="Messages", exact=True).is_visible()

    page.goto(live_server.url("/members/messages"))
    assert page.locator(".message-threads .tag").inner_text() == "New"
    page.get_by_role("link", name="Garden on Saturday").click()
    texts = page.locator(".message-body").all_inner_texts()
    assert texts == ["Could you help in the garden?", "Yes, I can come at ten."]


@pytest.mark.parametrize("path", ["/members/messages", "/members/messages/new", "thread"])
def test_pages_fit_320_px(new_page, live_server, riverside, axe_check, path):
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, live_server, "alice@example.org")
    if path == "thread":
        page.goto(live_server.url(f"/members/messages/new?to={riverside['bob']}"))
        page.get_by_label("Subject").fill("A rather long subject " * 8)
        page.get_by_label("Your message").fill("Averyveryverylongwordwithoutanyspaces" * 3)
        page.get_by_role("button", name="Send message").click()
        expect(page.get_by_text("Your message was sent.")).to_be_visible()
        fits(page, 320)
        axe_check(page)
        page.goto(live_server.url("/members/messages"))  # the inbox with a thread
    else:
        page.goto(live_server.url(path))
        if path.endswith("new"):
            page.get_by_role("button", name="Send message").click()
            expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    fits(page, 320)
    axe_check(page)
