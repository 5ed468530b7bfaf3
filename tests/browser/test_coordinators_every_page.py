"""Every coordinator page, on the demo time bank's realistic data, in a real Chromium:
axe-core finds no WCAG 2.2 A/AA violation and nothing scrolls sideways at 320 px.

The pages are read from the app's URL map, so a new coordinator page is checked the
day it is added."""

from __future__ import annotations

import pytest

from tests.browser.test_pages import sign_in
from timebank.demo import DEMO_PASSWORD, seed_demo
from timebank.extensions import db
from timebank.ledger.database import run_in_transaction

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def demo_server(live_server):
    with live_server.app.app_context():
        run_in_transaction(db.session, lambda: seed_demo(db.session, seed=2024))
        db.session.remove()
    return live_server


# GET routes that answer data for a page's script, not a page.
NOT_PAGES = {"/coordinators/people/search"}


def pages_of(app, blueprint: str) -> list[str]:
    """The blueprint's GET pages that need no argument (downloads and the JSON a page's
    script asks for left out)."""
    pages = []
    for rule in app.url_map.iter_rules():
        if (
            rule.endpoint.startswith(f"{blueprint}.")
            and "GET" in rule.methods
            and not rule.arguments
            and not rule.rule.endswith((".csv", ".pdf"))
            and rule.rule not in NOT_PAGES
        ):
            pages.append(rule.rule)
    return sorted(pages)


def coordinator_pages(app) -> list[str]:
    return pages_of(app, "coordinators")


def test_every_coordinator_page_passes_axe(page, demo_server, axe_check):
    sign_in(page, demo_server, "coordinator@example.org", DEMO_PASSWORD)
    pages = coordinator_pages(demo_server.app)
    assert "/coordinators/" in pages and len(pages) >= 10
    for path in pages:
        response = page.goto(demo_server.url(path))
        assert response.status == 200, path
        axe_check(page)


def test_every_coordinator_page_fits_a_320_px_screen(new_page, demo_server):
    page = new_page(viewport={"width": 320, "height": 800})
    sign_in(page, demo_server, "coordinator@example.org", DEMO_PASSWORD)
    for path in coordinator_pages(demo_server.app):
        page.goto(demo_server.url(path))
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{path} scrolls sideways at 320 px"


def test_the_navigation_shows_how_many_wait_for_approval(page, demo_server):
    sign_in(page, demo_server, "coordinator@example.org", DEMO_PASSWORD)
    page.goto(demo_server.url("/coordinators/"))
    link = page.get_by_role("link", name="Coordinate")
    assert "waiting for approval" in link.inner_text()


def test_member_pages_pass_axe(page, demo_server, axe_check):
    from timebank.community.notifications import notify
    from timebank.ledger.models import Membership, Person

    with demo_server.app.app_context():
        member = db.session.scalar(
            db.select(Membership).join(Person).where(Person.email == "member@example.org")
        )
        notify(db.session, recipient=member, kind="transfer_approved", message="Approved.")
        db.session.commit()
    sign_in(page, demo_server, "member@example.org", DEMO_PASSWORD)
    for path in ("/members/", "/members/notifications", "/members/notifications"):
        assert page.goto(demo_server.url(path)).status == 200
        axe_check(page)
