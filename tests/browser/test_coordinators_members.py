"""Members, invitations and settings in a real Chromium: approving and declining
applications, inviting by link and joining in a fresh browser, changing the floor, and
axe-core on every page of this area (the join page included)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.factories import TimeBankFactory
from tests.two_step_support import give_code_in_browser, set_up_two_step
from tests.web.test_auth import PASSWORD, make_member
from timebank.extensions import db
from timebank.ledger.models import Membership, MembershipStatus, Person, Role, TimeBank

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def riverside(live_server):
    """A coordinator, a member and two applications in Riverside Time Bank."""
    with live_server.app.app_context():
        session = db.session
        bank = TimeBankFactory(name="Riverside Time Bank")
        make_member(
            session,
            email="cora@example.org",
            name="Cora Coordinator",
            bank=bank,
            role=Role.COORDINATOR,
        )
        make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
        for email, name in (("amir@example.org", "Amir Ahmed"), ("bea@example.org", "Bea Brook")):
            make_member(session, email=email, name=name, bank=bank, status=MembershipStatus.APPLIED)
        session.commit()
        return bank.id


def sign_in(page, live_server, email="cora@example.org"):
    set_up_two_step(live_server.app, email)
    page.goto(live_server.url("/auth/sign-in"))
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    give_code_in_browser(page, live_server.app, email)


def status_of(live_server, email):
    with live_server.app.app_context():
        return db.session.scalar(
            sa.select(Membership.status)
            .join(Person, Person.id == Membership.person_id)
            .where(Person.email == email)
        )


def test_approving_and_declining_applications(page, live_server, riverside, axe_check):
    sign_in(page, live_server)
    page.goto(live_server.url("/coordinators/members"))
    assert page.get_by_role("heading", name="Applications waiting (2)").is_visible()
    axe_check(page)

    page.get_by_role("button", name="Approve Amir Ahmed").click()
    expect(
        page.get_by_role("status").filter(has_text="Amir Ahmed is now a member.")
    ).to_be_visible()
    assert status_of(live_server, "amir@example.org") == MembershipStatus.ACTIVE

    # Declining without a reason is refused, with the message at the field.
    page.get_by_role("button", name="Decline").click()
    assert (
        page.locator("#decline-reason-error")
        .inner_text()
        .endswith("Give a reason; it is kept in the record.")
    )
    assert page.title().startswith("Error:")
    axe_check(page)
    page.get_by_label("Reason").fill("We only serve Riverside ward; try Hillside Time Bank.")
    page.get_by_role("button", name="Decline the application").click()
    expect(page.get_by_text("The application from Bea Brook was declined.")).to_be_visible()
    assert status_of(live_server, "bea@example.org") == MembershipStatus.DECLINED

    page.goto(live_server.url("/coordinators/members"))
    assert page.get_by_text("No one is waiting to join.").is_visible()
    assert page.get_by_role("link", name="Amir Ahmed").is_visible()


def test_a_member_profile_with_notes(page, live_server, riverside, axe_check):
    sign_in(page, live_server)
    page.goto(live_server.url("/coordinators/members"))
    page.get_by_role("link", name="Alice Ashdown").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alice Ashdown", use_inner_text=True)
    page.get_by_label("New note").fill("Prefers a phone call to an email.")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_text("Prefers a phone call to an email.")).to_be_visible()
    axe_check(page)
    page.get_by_label("Reason").fill("Did not turn up to three visits.")
    page.get_by_role("button", name="Suspend Alice Ashdown").click()
    expect(page.get_by_text("Alice Ashdown is suspended.")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Reactivate Alice Ashdown").click()
    expect(page.get_by_text("Alice Ashdown is active again.")).to_be_visible()


def test_inviting_by_link_and_joining_in_a_fresh_browser(
    page, new_page, live_server, riverside, axe_check
):
    sign_in(page, live_server)
    page.goto(live_server.url("/coordinators/members/invitations"))
    axe_check(page)
    page.get_by_label("Who is it for? (optional)").fill("Nina from the allotments")
    page.get_by_role("button", name="Make invitation link").click()
    link = page.get_by_label("Invitation link").input_value()
    assert link.startswith(live_server.url("/auth/join/"))
    axe_check(page)

    visitor = new_page()  # another person, another browser: no cookies shared
    visitor.goto(link)
    assert visitor.get_by_role("heading", level=1).inner_text() == "Join Riverside Time Bank"
    assert not visitor.get_by_label("I am happy to be asked to take part in research").is_checked()
    axe_check(visitor)
    visitor.get_by_label("Your name").fill("Nina Newcomer")
    visitor.get_by_label("Email address").fill("nina@example.org")
    visitor.get_by_label("Choose a password").fill("short")
    visitor.get_by_label("Type the password again").fill("short")
    visitor.get_by_role("button", name="Join Riverside Time Bank").click()
    expect(visitor.locator("#password-error")).to_be_visible()
    axe_check(visitor)
    visitor.get_by_label("Choose a password").fill("a good long password")
    visitor.get_by_label("Type the password again").fill("a good long password")
    visitor.get_by_label("Include my exchanges in the reports we send to partners").check()
    visitor.get_by_role("button", name="Join Riverside Time Bank").click()
    assert visitor.url == live_server.url("/members/")
    assert visitor.get_by_role("heading", level=1).inner_text() == "My time in Riverside Time Bank"
    assert status_of(live_server, "nina@example.org") == MembershipStatus.ACTIVE

    # The link is spent: opening it again says so plainly.
    third = new_page()
    response = third.goto(link)
    assert response.status == 410
    assert "already been used" in third.locator("main").inner_text()
    axe_check(third)

    page.reload()
    assert page.get_by_role("link", name="Nina Newcomer").is_visible()


def test_changing_the_floor_in_settings(page, live_server, riverside, axe_check):
    sign_in(page, live_server)
    page.goto(live_server.url("/coordinators/settings"))
    axe_check(page)
    floor = page.get_by_label("Lowest balance allowed (hours below zero)")
    assert floor.input_value() == "10"
    floor.fill("lots")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#floor_hours-error")).to_be_visible()
    assert page.locator("#floor_hours").get_attribute("aria-invalid") == "true"
    axe_check(page)
    page.get_by_label("Lowest balance allowed (hours below zero)").fill("5")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("The settings were saved.")).to_be_visible()
    assert page.get_by_label("Lowest balance allowed (hours below zero)").input_value() == "5"
    with live_server.app.app_context():
        assert db.session.get(TimeBank, riverside).floor_minutes == -300

    page.get_by_label("Name of the new category").fill("Dog walking")
    page.get_by_role("button", name="Add category").click()
    expect(page.get_by_text("The category Dog walking was added.")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Retire it\W+Dog walking$")).click()
    expect(page.get_by_text("Dog walking is retired.")).to_be_visible()
    # The time zone: a region's places in a group, the bank's own chosen.
    zone = page.get_by_label("Time zone")
    assert zone.input_value() == "Europe/London"
    assert zone.locator("optgroup[label='Europe'] option:checked").inner_text() == "London"
    axe_check(page)


def test_pages_fit_a_narrow_screen(new_page, live_server, riverside):
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, live_server)
    for path in (
        "/coordinators/members",
        "/coordinators/members/invitations",
        "/coordinators/settings",
    ):
        page.goto(live_server.url(path))
        assert page.evaluate(NO_SIDEWAYS_SCROLL), path
