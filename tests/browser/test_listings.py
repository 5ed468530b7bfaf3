"""Offers and requests in a real Chromium: post an offer, find it by searching, pause
it; axe-core finds nothing on browse (with results and empty), the form with errors,
"mine" and a listing's page; every page fits a 320 px screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_pages import sign_in
from tests.factories import TimeBankFactory
from tests.web.test_auth import make_member
from timebank.community import listings
from timebank.extensions import db


@pytest.fixture
def members(live_server):
    with live_server.app.app_context():
        session = db.session
        bank = TimeBankFactory(name="Riverside Time Bank")
        make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
        bob = make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank)
        session.commit()
        return bob.id


@pytest.fixture
def with_listings(live_server, members):
    with live_server.app.app_context():
        session = db.session
        from timebank.ledger.models import Membership

        bob = session.get(Membership, members)
        listing = listings.post_listing(
            session,
            actor=bob,
            kind="request",
            title="Help setting up my new phone",
            description="I would like to send photos to my grandchildren. " * 8,
        )
        listings.post_listing(session, actor=bob, kind="offer", title="Lifts to the shops")
        session.commit()
        return listing.id


def test_post_find_and_pause_an_offer(page, live_server, members, axe_check):
    sign_in(page, live_server)
    page.goto(live_server.url("/members/listings"))
    axe_check(page)  # empty
    page.get_by_role("link", name="Post an offer or request").click()
    page.get_by_label("I can offer this").check()
    page.get_by_label("Title").fill("Xy")
    page.get_by_role("button", name="Post it").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.title().startswith("Error:")
    axe_check(page)  # form with errors
    page.get_by_label("Title").fill("Weeding and mowing")
    page.get_by_label("More about it (optional)").fill("Saturday mornings, I bring my tools.")
    page.get_by_label("Category (optional)").select_option(label="Gardening")
    page.get_by_role("button", name="Post it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Weeding and mowing", use_inner_text=True
    )
    axe_check(page)  # listing page (my own, with actions)

    page.goto(live_server.url("/members/listings"))
    page.get_by_label("Words to look for").fill("MOWING")
    page.get_by_role("button", name="Search").click()
    # The search is a new page: wait for it (count() does not wait, and CI once counted
    # while the click's navigation was still under way).
    page.wait_for_url("**/members/listings?q=MOWING*")
    results = page.locator(".listing-list li")
    expect(results).to_have_count(1)
    assert "Alice Ashdown" in results.first.inner_text()
    axe_check(page)  # with results

    page.get_by_role("link", name="My offers and requests").click()
    page.wait_for_url("**/members/listings/mine")
    axe_check(page)
    page.get_by_role("button", name="Pause “Weeding and mowing”").click()
    # The pause sends the form and comes back to the same list: wait for the new one
    # (inner_text() read the old list while the page was still being sent back).
    expect(page.locator(".listing-list")).to_contain_text("Paused (hidden from other members)")
    page.goto(live_server.url("/members/listings?q=mowing"))
    assert page.locator(".listing-list li").count() == 0
    assert "Nothing matches your search" in page.content()


def test_edit_form_and_others_listing_pass_axe(page, live_server, with_listings, axe_check):
    sign_in(page, live_server)
    page.goto(live_server.url(f"/members/listings/{with_listings}"))
    assert page.get_by_role("link", name="Log an exchange for this").is_visible()
    axe_check(page)
    page.goto(live_server.url("/members/listings"))
    axe_check(page)
    # Alice's own listing, edited badly.
    page.goto(live_server.url("/members/listings/new?kind=request"))
    page.get_by_label("Title").fill("A lift to the hospital")
    page.get_by_role("button", name="Post it").click()
    page.get_by_role("link", name="Change “A lift to the hospital”").click()
    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Save my changes").click()
    expect(page.get_by_role("alert")).to_be_visible()
    axe_check(page)


@pytest.mark.parametrize(
    "path",
    ["/members/listings", "/members/listings/new", "/members/listings/mine", "listing"],
)
def test_pages_fit_320px(new_page, live_server, with_listings, path):
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, live_server, email="bob@example.org")
    if path == "listing":
        path = f"/members/listings/{with_listings}"
    page.goto(live_server.url(path))
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 320, f"{path} scrolls sideways: {scroll_width} > 320"
