"""Logging an exchange in answer to an offer, in a real Chromium: from Bob's offer, Alice
follows "Log an exchange for this", finds the offer and Bob already chosen, records it,
and the status page and the offer's page say so. axe-core finds nothing on the pages,
and they fit a 320 px screen."""

from __future__ import annotations

from tests.browser.test_member_exchanges import fits_320, riverside, sign_in_by_keyboard
from timebank.community import listings
from timebank.extensions import db
from timebank.ledger.models import Membership, Person

__all__ = ["riverside"]  # the fixture, shared with the exchange tests


def bobs_offer(live_server) -> int:
    with live_server.app.app_context():
        bob = db.session.scalar(
            db.select(Membership).join(Person).where(Person.email == "bob@example.org")
        )
        offer = listings.post_listing(
            db.session, actor=bob, kind="offer", title="Lifts to the shops"
        )
        db.session.commit()
        return offer.id


def test_logging_an_exchange_from_an_offer(new_page, live_server, riverside, axe_check):
    offer = bobs_offer(live_server)
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in_by_keyboard(page, live_server, "alice@example.org")
    page.goto(live_server.url(f"/members/listings/{offer}"))
    assert "No exchanges have been logged in answer to this yet." in page.inner_text("main")
    with page.expect_navigation():
        page.click(f"a[href='/members/log?listing={offer}']")
    assert page.input_value("#listing") == str(offer)
    assert page.input_value("#counterpart_name") == "Bob Brennan"
    assert page.get_attribute("#listing", "aria-describedby") == "listing-hint"
    fits_320(page)
    axe_check(page)

    page.check("#direction-1")  # Alice received the lift
    with page.expect_navigation():
        page.click("button[value=review]")
    assert "What it answers\nOffer by Bob Brennan: Lifts to the shops" in page.inner_text("main")
    fits_320(page)
    with page.expect_navigation():
        page.click("button[value=record]")
    link = page.get_by_role("link", name="Lifts to the shops")
    assert "This answers: Lifts to the shops" in page.inner_text("main")
    fits_320(page)
    axe_check(page)

    with page.expect_navigation():
        link.click()
    assert page.url == live_server.url(f"/members/listings/{offer}")
    assert "Waiting\n1 exchange, 1 h" in page.inner_text(".listing-time")
    fits_320(page)
    axe_check(page)
