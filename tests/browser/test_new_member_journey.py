"""A new member's whole journey in a real Chromium on a phone-sized screen: Nina applies
to a time bank that asks for confirmation and approval (confirming her application by
the link emailed to her), waits, is approved by a coordinator (in a browser of their
own), signs in, posts an offer, logs time she gave Bob, Bob confirms it, the
coordinator approves it, and her dashboard and network show it. Every page Nina sees
passes axe-core and fits the screen without sideways scrolling; the controls are found
by their roles and labels, so the pages are shown to be labelled.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.test_person_boxes import choose_person
from tests.factories import TimeBankFactory
from tests.two_step_support import give_code_in_browser, set_up_two_step
from tests.web.apply_support import confirm_path
from tests.web.test_auth import PASSWORD, make_member
from timebank.extensions import db
from timebank.ledger.clock import today_in
from timebank.ledger.models import Role

PHONE = {"width": 375, "height": 740}
NINA_EMAIL = "nina@example.org"
NINA_PASSWORD = "three plain words remembered"


@pytest.fixture
def riverside(live_server):
    """Riverside Time Bank: the other person confirms and a coordinator approves. Cora
    coordinates; Alice and Bob are members."""
    with live_server.app.app_context():
        session = db.session
        bank = TimeBankFactory(
            name="Riverside Time Bank",
            slug="riverside",
            requires_confirmation=True,
            requires_approval=True,
        )
        session.commit()
        make_member(
            session,
            email="cora@example.org",
            name="Cora Coordinator",
            bank=bank,
            role=Role.COORDINATOR,
        )
        make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
        make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank)
        return {"yesterday": today_in(bank.timezone) - timedelta(days=1)}


def fits_the_phone(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width} px > {PHONE['width']}"


def heading(page):
    return page.get_by_role("heading", level=1)


def sign_in(page, email, password=PASSWORD, app=None) -> None:
    """On the sign-in page: the password, then (given the app) the code from the
    authenticator when the person's role needs two-step sign-in."""
    if app is not None:
        set_up_two_step(app, email)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if app is not None:
        give_code_in_browser(page, app, email)


def test_a_new_member_from_applying_to_a_posted_exchange(
    page, new_page, live_server, riverside, axe_check
):
    def check(page) -> None:
        axe_check(page)
        fits_the_phone(page)

    page.set_viewport_size(PHONE)  # the `page` fixture, so a failure keeps a screenshot

    # 2. Nina arrives at the first page, learns what a time bank is, finds how to apply,
    # and sees that her application waits.
    page.goto(live_server.url("/"))
    expect(heading(page)).to_have_text("Sign in")
    check(page)
    page.get_by_role("link", name="How a time bank works").click()
    expect(heading(page)).to_have_text("How a time bank works")
    check(page)
    page.go_back()
    page.get_by_role("link", name="Apply to join a time bank").click()
    expect(heading(page)).to_have_text("Apply to join a time bank")
    check(page)
    page.get_by_role("link", name="Apply to join Riverside Time Bank").click()
    expect(heading(page)).to_have_text("Apply to join Riverside Time Bank")
    check(page)
    page.get_by_label("Your name").fill("Nina Newcomer")
    page.get_by_label("Email address").fill(NINA_EMAIL)
    page.get_by_label("Choose a password").fill(NINA_PASSWORD)
    page.get_by_label("Type the password again").fill(NINA_PASSWORD)
    page.get_by_label("What I can offer").fill("Gardening, and baking bread")
    page.get_by_label("What I would like help with").fill("A lift to the shops now and then")
    page.get_by_label("Include my exchanges in the reports we send to partners").check()
    page.get_by_label("I am happy to be asked to take part in research").check()
    page.get_by_role("button", name="Send my application").click()
    expect(heading(page)).to_have_text("Check your email")
    check(page)
    # She opens the link emailed to her, and confirms.
    page.goto(live_server.url(confirm_path(live_server.app, NINA_EMAIL)))
    expect(heading(page)).to_have_text("Confirm your application to Riverside Time Bank")
    check(page)
    page.get_by_role("button", name="Confirm my application").click()
    page.wait_for_url("**/members/application")
    waiting = page.get_by_role("heading", level=2)
    expect(waiting).to_have_text(
        "Your application to Riverside Time Bank is waiting for a coordinator"
    )
    check(page)

    # 3. Cora approves the application, in a browser of her own.
    cora = new_page()
    cora.goto(live_server.url("/auth/sign-in"))
    sign_in(cora, "cora@example.org", app=live_server.app)
    cora.get_by_role("navigation", name="Main").get_by_role("link", name="Coordinate").click()
    cora.get_by_role("navigation", name="Coordinator sections").get_by_role(
        "link", name="Members"
    ).click()
    expect(cora.get_by_role("heading", name="Applications waiting (1)")).to_be_visible()
    cora.get_by_role("button", name="Approve Nina Newcomer").click()
    expect(
        cora.get_by_role("status").filter(has_text="Nina Newcomer is now a member.")
    ).to_be_visible()

    page.reload()
    expect(waiting).to_have_text("You're in: you are a member of Riverside Time Bank")
    check(page)

    # 4. Nina signs in afresh and posts an offer.
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    page.goto(live_server.url("/auth/sign-in"))
    expect(heading(page)).to_have_text("Sign in")
    check(page)
    sign_in(page, NINA_EMAIL, NINA_PASSWORD)
    assert page.url == live_server.url("/members/")
    expect(heading(page)).to_have_text("My time in Riverside Time Bank")
    expect(page.locator(".balance .figure")).to_have_text("0 min")
    check(page)

    main_nav = page.get_by_role("navigation", name="Main")
    main_nav.get_by_role("link", name="Offers and requests").click()
    page.wait_for_url("**/members/listings")
    check(page)
    page.get_by_role("link", name="Post an offer or request").click()
    expect(heading(page)).to_have_text("Post an offer or request")
    check(page)
    page.get_by_label("I can offer this").check()
    page.get_by_label("Title").fill("Help with your garden")
    page.get_by_label("More about it (optional)").fill("Weeding, mowing and pruning.")
    page.get_by_label("Category (optional)").select_option(label="Gardening")
    page.get_by_role("button", name="Post it").click()
    page.wait_for_url(re.compile(r".*/members/listings/\d+$"))
    expect(heading(page)).to_have_text("Help with your garden")
    check(page)

    # 5. Nina logs the time she gave Bob, sees her balance afterwards, and records it.
    main_nav.get_by_role("link", name="My time").click()
    page.wait_for_url("**/members/")
    page.get_by_role("link", name="Log an exchange").click()
    expect(heading(page)).to_have_text("Log an exchange")
    check(page)
    page.get_by_label("I gave time").check()
    choose_person(page, "#counterpart_name", "bob", "Bob Brennan")
    page.get_by_label("Hours", exact=True).select_option("2")
    page.get_by_label("Minutes", exact=True).select_option("30")
    page.get_by_label("Date", exact=True).fill(riverside["yesterday"].isoformat())
    page.get_by_label("Kind of help (optional)").select_option(label="Gardening")
    page.get_by_label("What was it for? (optional)").fill("Weeding the front garden")
    page.get_by_role("button", name="Continue").click()
    expect(heading(page)).to_have_text("Check your entry")
    main = page.get_by_role("main").inner_text()
    assert "You gave time to Bob Brennan" in main
    assert "Now\n0 min" in main
    assert "This entry\nadds 2 h 30 min" in main
    assert "Afterwards\n2 h 30 min" in main
    assert "Your balance changes once the entry is confirmed and approved." in main
    check(page)
    page.get_by_role("button", name="Record it").click()
    page.wait_for_url(re.compile(r".*/members/log/\d+$"))
    transfer_id = int(page.url.rsplit("/", 1)[1])
    expect(heading(page)).to_have_text("Your exchange is saved")
    expect(page.get_by_role("status")).to_contain_text("Waiting for Bob Brennan to confirm")
    check(page)

    # 6. Bob confirms it, in his own browser.
    bob = new_page(viewport=PHONE)
    bob.goto(live_server.url("/auth/sign-in"))
    sign_in(bob, "bob@example.org")
    assert "Nina Newcomer gave you 2 h 30 min" in bob.get_by_role("main").inner_text()
    bob.get_by_role("link", name="Check and confirm this exchange").click()
    expect(heading(bob)).to_have_text("Exchanges to confirm")
    entry = bob.get_by_role("region", name="Nina Newcomer gave you 2 h 30 min")
    expect(entry).to_contain_text("Weeding the front garden")
    entry.get_by_role("button", name="Confirm", exact=True).click()
    expect(bob.get_by_role("status")).to_contain_text(
        "It now waits for a coordinator to approve it."
    )

    # 7. Cora approves it from the approval queue.
    cora.get_by_role("navigation", name="Coordinator sections").get_by_role(
        "link", name="Approvals"
    ).click()
    expect(heading(cora)).to_have_text("Approval queue")
    cora.get_by_role("link", name=f"Review entry {transfer_id}").click()
    expect(heading(cora)).to_contain_text("Nina Newcomer gave 2 h 30 min to Bob Brennan")
    cora.get_by_role("button", name="Approve and post").click()
    expect(cora.get_by_role("status").filter(has_text="Approved and posted")).to_be_visible()

    # 8. Nina's balance and her network show the exchange.
    page.goto(live_server.url("/members/"))
    assert page.locator(".balance .figure").inner_text() == "2 h 30 min"
    assert "You have time credits to spend." in (
        page.get_by_role("region", name="Balance").inner_text()
    )
    recent = page.get_by_role("table").filter(has_text="Weeding the front garden")
    assert "Gave 2 h 30 min" in recent.inner_text() and "Done" in recent.inner_text()
    check(page)
    page.get_by_role("link", name="My network", exact=True).click()
    page.wait_for_url("**/members/network")
    expect(heading(page)).to_have_text("My network in Riverside Time Bank")
    table = page.get_by_role("table")
    assert table.get_by_role("columnheader").all_inner_texts() == [
        "Name",
        "Time I gave them",
        "Time they gave me",
        "Exchanges",
    ]
    rows = table.get_by_role("row").filter(has=page.get_by_role("rowheader"))
    assert rows.count() == 1
    assert rows.first.get_by_role("rowheader").inner_text() == "Bob Brennan"
    assert rows.first.get_by_role("cell").all_inner_texts() == ["2 h 30 min", "0 min", "1"]
    check(page)
