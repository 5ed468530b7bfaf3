"""The member pages in Welsh, in a real Chromium, on the demo time bank's data.

A member switches to Cymraeg with the button at the foot of the page; from then on
every member page is in Welsh (html lang="cy", so screen readers use a Welsh voice),
shows none of the English sentences the catalogue translates, and passes axe-core.
The choice is remembered after signing out.
"""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from tests.browser.test_coordinators_every_page import (  # noqa: F401 - a fixture
    demo_server,
    pages_of,
)
from tests.browser.test_pages import sign_in
from tests.web.test_translations import WELSH
from timebank.demo import DEMO_PASSWORD

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def english_sentences() -> list[str]:
    """English texts long enough not to occur by chance in people's own words, that
    read differently in Welsh."""
    with WELSH.open("rb") as handle:
        catalogue = read_po(handle)
    found = []
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple):
            continue
        if "%" in message.id or "<" in message.id or len(message.id) < 14:
            continue
        if message.string and message.string != message.id:
            found.append(message.id)
    return found


def member_pages(app) -> list[str]:
    return pages_of(app, "members")


@pytest.fixture
def welsh_member(page, demo_server):  # noqa: F811 - fixture from the import
    sign_in(page, demo_server, "member@example.org", DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("banner").get_by_role("button", name="Cymraeg").click()
    assert page.get_attribute("html", "lang") == "cy"
    return page


def test_every_member_page_is_in_welsh_and_passes_axe(welsh_member, demo_server, axe_check):  # noqa: F811
    page = welsh_member
    english = english_sentences()
    assert len(english) > 100
    pages = member_pages(demo_server.app)
    assert "/members/" in pages and len(pages) >= 8
    # Pages reached from a list: the first offer, the first conversation.
    page.goto(demo_server.url("/members/listings"))
    first_listing = page.locator("main a[href^='/members/listings/']").first.get_attribute("href")
    pages.append(first_listing)
    # A category, with the members who offer that kind of help.
    with demo_server.app.app_context():
        from timebank.extensions import db
        from timebank.ledger.models import Category

        gardening = db.session.scalar(db.select(Category.id).where(Category.slug == "gardening"))
    pages.append(f"/members/listings?category={gardening}")
    for path in pages:
        response = page.goto(demo_server.url(path))
        assert response.status == 200, path
        assert page.get_attribute("html", "lang") == "cy", path
        text = " ".join(page.locator("body").inner_text().split())
        left_in_english = [sentence for sentence in english if sentence in text]
        assert left_in_english == [], f"{path} shows English: {left_in_english[:5]}"
        axe_check(page)
    assert "Aelodau sy'n gallu helpu gyda hyn" in page.locator("main").inner_text()


def test_welsh_pages_fit_a_320_px_screen(new_page, demo_server):  # noqa: F811
    page = new_page(viewport={"width": 320, "height": 800})
    sign_in(page, demo_server, "member@example.org", DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("banner").get_by_role("button", name="Cymraeg").click()
    for path in member_pages(demo_server.app):
        page.goto(demo_server.url(path))
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{path} scrolls sideways at 320 px in Welsh"


def test_the_choice_outlives_signing_out(welsh_member, demo_server):  # noqa: F811
    page = welsh_member
    with page.expect_navigation():
        page.locator("form.sign-out button").click()
    assert page.get_attribute("html", "lang") == "cy"
    # And back to English with one press.
    with page.expect_navigation():
        page.get_by_role("banner").get_by_role("button", name="English").click()
    assert page.get_attribute("html", "lang") == "en"
    assert re.search("Sign in", page.locator("h1").inner_text())


def test_every_coordinator_page_is_in_welsh_and_passes_axe(page, demo_server, axe_check):  # noqa: F811
    from tests.browser.test_coordinators_every_page import coordinator_pages

    english = english_sentences()
    sign_in(page, demo_server, "coordinator@example.org", DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("banner").get_by_role("button", name="Cymraeg").click()
    for path in coordinator_pages(demo_server.app):
        response = page.goto(demo_server.url(path))
        assert response.status == 200, path
        assert page.get_attribute("html", "lang") == "cy", path
        text = " ".join(page.locator("body").inner_text().split())
        left_in_english = [sentence for sentence in english if sentence in text]
        assert left_in_english == [], f"{path} shows English: {left_in_english[:5]}"
        axe_check(page)
