"""Every form that names a person, in a real Chromium: no drop-down of the bank's
members, a combobox that offers names as you type (from the JSON search, by POST),
chosen by keyboard, the chosen id sent with the form; axe-core finds nothing at 320 px
with the list open, in English and in Welsh; and without JavaScript the form still
works in two steps."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_pages import sign_in
from tests.factories import OrganisationFactory, TimeBankFactory
from tests.web.test_auth import make_member
from timebank.extensions import db
from timebank.ledger.banks import update_policy
from timebank.ledger.models import Role
from timebank.ledger.pot import donate_to_pot


def choose_person(page, box: str, typed: str, name: str) -> None:
    """Type into a person box and choose ``name`` from the names offered, by keyboard."""
    page.locator(box).click()
    page.keyboard.type(typed)
    options = page.locator(f"#{page.get_attribute(box, 'aria-controls')} [role=option]")
    options.first.wait_for()
    for _ in range(options.count()):
        page.keyboard.press("ArrowDown")
        active = page.get_attribute(box, "aria-activedescendant")
        if page.locator(f"#{active}").inner_text() == name:
            page.keyboard.press("Enter")
            break
    assert page.input_value(box) == name


@pytest.fixture
def riverside(live_server):
    with live_server.app.app_context():
        session = db.session
        bank = TimeBankFactory(name="Riverside Time Bank", slug="riverside")
        update_policy(session, actor=None, bank=bank, requires_confirmation=False)
        cora = make_member(
            session,
            email="cora@example.org",
            name="Cora Coordinator",
            bank=bank,
            role=Role.COORDINATOR,
        )
        make_member(session, email="ann@example.org", name="Ann Archer", bank=bank)
        make_member(session, email="bob@example.org", name="Bob Baker", bank=bank)
        other = TimeBankFactory(name="Hillside Time Bank", slug="hillside")
        make_member(session, email="anna@example.org", name="Anna Far", bank=other)
        organisation = OrganisationFactory(bank=bank, name="Youth Team")
        donate_to_pot(session, actor=cora, donor=organisation.account, minutes=120)
        session.commit()
        return {"organisation": organisation.id}


# (who signs in, the page, the box, what to type, the name chosen, the hidden field)
ANN, CORA = "ann@example.org", "cora@example.org"
POT, GROUP = "/coordinators/pot", "/coordinators/group-exchange"
STAFF = "/coordinators/organisations/{organisation}"
YOUTH = "Youth Team (organisation)"
FORMS = [
    (ANN, "/members/log", "#counterpart_name", "bak", "Bob Baker", "counterpart"),
    (ANN, "/members/messages/new", "#recipient_name", "bak", "Bob Baker", "recipient"),
    (CORA, POT, "#grant-counterpart_name", "arch", "Ann Archer", "grant-counterpart"),
    (CORA, POT, "#donate-donor_name", "youth", YOUTH, "donate-donor"),
    (CORA, GROUP, "#hub_name", "bak", "Bob Baker", "hub"),
    (CORA, STAFF, "#membership_name", "arch", "Ann Archer", "membership_id"),
]


@pytest.mark.parametrize(("email", "path", "box_id", "typed", "name", "hidden"), FORMS)
def test_each_person_box_is_a_combobox_chosen_by_keyboard_at_320_pixels(
    new_page, live_server, riverside, axe_check, email, path, box_id, typed, name, hidden
):
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, live_server, email=email)
    page.goto(live_server.url(path.format(**riverside)))
    # No drop-down lists the bank's members.
    assert page.locator("select option", has_text="Bob Baker").count() == 0
    box = page.locator(box_id)
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-expanded") == "false"
    asked = []
    page.on("request", lambda r: asked.append(r) if "/people/search" in r.url else None)
    box.click()
    page.keyboard.type(typed)
    list_id = box.get_attribute("aria-controls")
    options = page.locator(f"#{list_id} [role=option]")
    options.first.wait_for()
    assert options.all_inner_texts() == [name]  # nobody of another bank, nobody else
    assert box.get_attribute("aria-expanded") == "true"
    # Asked by POST: the typed text is never in an address.
    assert asked and all(r.method == "POST" and "?" not in r.url for r in asked)
    status = page.locator(f"#{list_id} + [role=status]")
    assert "1" in status.inner_text()
    page.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == f"{list_id}-0"
    axe_check(page)  # with the list open
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    page.keyboard.press("Enter")
    assert box.input_value() == name
    assert box.get_attribute("aria-expanded") == "false"
    chosen = page.locator(f'input[type=hidden][name="{hidden}"]')
    assert chosen.count() == 1 and chosen.input_value().isdigit()
    # Typing again forgets the choice.
    page.keyboard.type("x")
    assert chosen.input_value() == ""


def test_an_exchange_logged_with_the_combobox_in_welsh(new_page, live_server, riverside, axe_check):
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, live_server, email="ann@example.org")
    page.goto(live_server.url("/members/log"))
    with page.expect_navigation():
        page.get_by_role("button", name="Cymraeg").first.click()
    assert page.get_attribute("html", "lang") == "cy"
    page.check("#direction-0")
    page.locator("#counterpart_name").click()
    page.keyboard.type("bob")
    page.locator("#person-search-0-list [role=option]").first.wait_for()
    page.keyboard.press("ArrowDown")
    axe_check(page)
    page.keyboard.press("Enter")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    expect(page.locator("main")).to_contain_text(
        "Bob Baker", use_inner_text=True
    )  # the review step
    axe_check(page)


def test_without_javascript_a_name_is_chosen_in_a_second_step(
    new_page, live_server, riverside, axe_check
):
    page = new_page(java_script_enabled=False)
    sign_in(page, live_server, email="cora@example.org")
    page.goto(live_server.url("/coordinators/pot"))
    page.fill("#grant-counterpart_name", "a")  # Ann Archer, Bob Baker, Cora Coordinator
    page.fill("#grant-reason", "Thank you")
    with page.expect_navigation():
        page.get_by_role("button", name="Grant from the pot").click()
    expect(page.locator("main")).to_contain_text(
        "Choose one of the names below.", use_inner_text=True
    )
    page.get_by_label("Ann Archer").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Grant from the pot").click()
    expect(page.locator("main")).to_contain_text("to Ann Archer", use_inner_text=True)
    # (axe-core needs the script: the same step, reached with it, passes at 320 px.)
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, live_server, email="cora@example.org")
    page.goto(live_server.url("/coordinators/pot"))
    page.fill("#grant-counterpart_name", "a")
    page.fill("#grant-reason", "Thank you")
    with page.expect_navigation():
        page.get_by_role("button", name="Grant from the pot").click()
    expect(page.get_by_label("Bob Baker")).to_be_visible()
    axe_check(page)
