"""The coordinators' overview in a real Chromium: a coordinator signs in and lands on
it, follows it to the waiting entries and an application; axe-core finds nothing, and
it fits a 375 px phone and uses the width of a 1,280 px screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_pages import sign_in
from tests.factories import TimeBankFactory, bank_today
from tests.web.test_auth import make_member
from timebank.extensions import db
from timebank.ledger.models import MembershipStatus, Role
from timebank.ledger.transfers import confirm_transfer, record_transfer

TODAY = bank_today()


@pytest.fixture
def riverside(live_server):
    with live_server.app.app_context():
        session = db.session
        bank = TimeBankFactory(name="Riverside Time Bank")
        cora = make_member(
            session,
            email="cora@example.org",
            name="Cora Coordinator",
            bank=bank,
            role=Role.COORDINATOR,
        )
        alice = make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
        bob = make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank)
        make_member(
            session,
            email="ellen@example.org",
            name="Ellen Applicant",
            bank=bank,
            status=MembershipStatus.APPLIED,
        )
        record_transfer(
            session,
            actor=cora,
            giver=alice.account,
            receiver=bob.account,
            minutes=90,
            service_date=TODAY,
        )
        waiting = record_transfer(
            session,
            actor=bob,
            giver=bob.account,
            receiver=alice.account,
            minutes=60,
            service_date=TODAY,
            description="Weeding the front garden",
        )
        confirm_transfer(session, actor=alice, transfer_id=waiting.id)
        session.commit()


def test_a_coordinator_lands_on_the_overview_and_follows_it(
    page, live_server, riverside, axe_check
):
    sign_in(page, live_server, email="cora@example.org")
    assert page.url == live_server.url("/coordinators/")
    assert page.get_by_role("heading", level=1).inner_text() == "Coordinating Riverside Time Bank"
    main = " ".join(page.locator("main").inner_text().split())
    assert "Entries to approve 1 " in main
    assert "Bob Brennan: received 1 h 30 min" in main
    axe_check(page)
    # The overview's main column uses the screen: wider than the old 60rem column.
    width = page.evaluate("() => document.querySelector('main').getBoundingClientRect().width")
    assert width > 1100

    page.get_by_role("link", name="Review the approval queue").click()
    expect(page.locator("tbody")).to_contain_text("Weeding the front garden", use_inner_text=True)
    page.go_back()
    page.get_by_role("link", name="Ellen Applicant").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Ellen Applicant")


def test_the_overview_fits_a_phone(new_page, live_server, riverside, axe_check):
    page = new_page(viewport={"width": 375, "height": 740})
    sign_in(page, live_server, email="cora@example.org")
    assert page.url == live_server.url("/coordinators/")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    axe_check(page)
