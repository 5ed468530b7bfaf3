"""The pages that exist, in a real Chromium: axe-core finds nothing, the sign-in journey
works by keyboard alone with a visible focus, errors are tied to their fields, and the
dashboard reflows at 320 px and at 200 % zoom without sideways scrolling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory, PersonFactory, TimeBankFactory, bank_today
from tests.two_step_support import give_code_in_browser, set_up_two_step
from tests.web.test_auth import PASSWORD, make_member
from timebank.auth.passwords import hash_password
from timebank.community.people import get_person_by_email
from timebank.extensions import db
from timebank.ledger.banks import update_policy
from timebank.ledger.transfers import record_transfer

TODAY = bank_today()

FOCUS_STYLE = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow && style.boxShadow !== 'none';
    return {tag: el.tagName, id: el.id, text: (el.innerText || el.value || '').trim(),
            outline: style.outlineStyle + ' ' + style.outlineWidth, shadow: style.boxShadow,
            visible: outline || shadow};
}"""


def _give(session, giver, receiver, minutes, description, days_ago=0):
    record_transfer(
        session,
        actor=giver,
        giver=giver.account,
        receiver=receiver.account,
        minutes=minutes,
        service_date=TODAY - timedelta(days=days_ago),
        description=description,
    )


@pytest.fixture
def riverside(live_server):
    """Alice with a few exchanges (one still waiting) in Riverside Time Bank."""
    with live_server.app.app_context():
        session = db.session
        bank = TimeBankFactory(name="Riverside Time Bank")
        update_policy(
            session, actor=None, bank=bank, requires_confirmation=False, requires_approval=False
        )
        alice = make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
        bob = make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank)
        carol = make_member(session, email="carol@example.org", name="Carol Cheung", bank=bank)
        _give(session, alice, bob, 90, "Weeding the front garden", days_ago=3)
        _give(session, carol, alice, 45, "Fixing a bicycle puncture", days_ago=2)
        _give(session, alice, carol, 120, "Reading to a neighbour with sight loss", days_ago=1)
        update_policy(session, actor=None, bank=bank, requires_confirmation=True)
        _give(session, bob, alice, 30, "A lift to the surgery")
        session.commit()
        return bank.id


@pytest.fixture
def two_banks(live_server, riverside):
    """Alice also belongs to Hillside Time Bank (with Dora)."""
    with live_server.app.app_context():
        hillside = TimeBankFactory(name="Hillside Time Bank")
        make_member(db.session, email="dora@example.org", name="Dora Dunn", bank=hillside)
        alice = get_person_by_email(db.session, "alice@example.org")
        membership = MembershipFactory(bank=hillside, person=alice)
        db.session.commit()
        return membership.id


def sign_in(page, live_server, email="alice@example.org", password=PASSWORD):
    """The password, then the code from the authenticator when the person's role needs
    two-step sign-in (tests/two_step_support.py)."""
    set_up_two_step(live_server.app, email)
    page.goto(live_server.url("/auth/sign-in"))
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    give_code_in_browser(page, live_server.app, email)


def assert_focus_visible(page):
    focus = page.evaluate(FOCUS_STYLE)
    assert focus["visible"], f"no visible focus indicator on {focus}"
    return focus


# axe-core ---------------------------------------------------------------------------


def test_sign_in_page_passes_axe(page, live_server, axe_check):
    page.goto(live_server.url("/auth/sign-in"))
    assert page.title() == "Sign in · timebank"
    axe_check(page)


def test_sign_in_page_with_errors_passes_axe(page, live_server, riverside, axe_check):
    sign_in(page, live_server, password="not the password")
    assert page.locator(".error-summary").is_visible()
    axe_check(page)


def test_dashboard_passes_axe(page, live_server, riverside, axe_check):
    sign_in(page, live_server)
    assert page.url == live_server.url("/members/")
    assert page.locator("section[aria-labelledby=recent-title] tbody tr").count() == 4
    assert page.get_by_role("heading", level=1).inner_text() == "My time in Riverside Time Bank"
    axe_check(page)


def test_chooser_passes_axe(page, live_server, two_banks, axe_check):
    sign_in(page, live_server)
    assert page.url == live_server.url("/members/time-banks")
    assert page.get_by_role("radio").count() == 2
    axe_check(page)
    page.get_by_label("Hillside Time Bank").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "My time in Hillside Time Bank", use_inner_text=True
    )
    axe_check(page)


def test_no_membership_and_not_found_pages_pass_axe(page, live_server, axe_check):
    with live_server.app.app_context():
        PersonFactory(
            email="new@example.org",
            display_name="New Person",
            password_hash=hash_password(PASSWORD),
        )
        db.session.commit()
    sign_in(page, live_server, email="new@example.org")
    assert "not an active member" in page.locator("main").inner_text()
    axe_check(page)
    response = page.goto(live_server.url("/no-such-page"))
    assert response.status == 404
    axe_check(page)


# Keyboard and focus -----------------------------------------------------------------


def test_sign_in_by_keyboard_alone(page, live_server, riverside):
    page.goto(live_server.url("/auth/sign-in"))
    skip = page.locator(".skip-link")
    assert skip.bounding_box()["x"] < 0, "the skip link is off screen until focused"

    page.keyboard.press("Tab")
    focus = assert_focus_visible(page)
    assert focus["text"] == "Skip to main content"
    box = skip.bounding_box()
    viewport = page.viewport_size
    assert box["x"] >= 0 and box["y"] >= 0, "the focused skip link is on screen"
    assert box["x"] + box["width"] <= viewport["width"] and box["width"] > 10
    assert skip.is_visible()

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"
    assert_focus_visible(page)
    page.keyboard.type("alice@example.org")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    assert_focus_visible(page)
    page.keyboard.type(PASSWORD)

    page.keyboard.press("Tab")
    focus = assert_focus_visible(page)
    assert (focus["tag"], focus["text"]) == ("BUTTON", "Sign in")

    with page.expect_navigation():
        page.keyboard.press("Enter")
    # The browser keeps the "#main" of the skip link across the redirect; harmless.
    assert page.url.split("#")[0] == live_server.url("/members/")
    assert page.get_by_role("heading", level=1).inner_text() == "My time in Riverside Time Bank"


def test_enter_in_the_password_field_submits(page, live_server, riverside):
    page.goto(live_server.url("/auth/sign-in"))
    page.focus("#email")
    page.keyboard.type("alice@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == live_server.url("/members/")


def test_every_focus_stop_on_the_dashboard_is_visible(page, live_server, riverside):
    sign_in(page, live_server)
    stops = []
    for _ in range(80):  # the dashboard has many links and fields now
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break
        focus = assert_focus_visible(page)
        key = (focus["tag"], focus["id"], focus["text"][:30])
        if stops and key == stops[0]:
            break
        stops.append(key)
    texts = [text for _, _, text in stops]
    assert texts[0] == "Skip to main content"
    for expected in ("timebank", "My time", "Sign out"):
        assert expected in texts, f"{expected!r} is not reachable by Tab: {texts}"
    # The scrollable table can be reached, so it can be scrolled by keyboard.
    assert any(tag == "DIV" for tag, _, _ in stops), stops


def test_sign_out_by_keyboard(page, live_server, riverside):
    sign_in(page, live_server)
    page.get_by_role("button", name="Sign out").focus()
    assert_focus_visible(page)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == live_server.url("/auth/sign-in")
    assert "You have signed out." in page.get_by_role("status").inner_text()
    page.goto(live_server.url("/members/"))
    assert page.url.startswith(live_server.url("/auth/sign-in"))


# Errors tied to their fields --------------------------------------------------------


def test_wrong_password_error_is_tied_to_the_field(page, live_server, riverside):
    sign_in(page, live_server, password="not the password")
    assert page.title() == "Error: Sign in · timebank"
    password = page.locator("#password")
    assert password.get_attribute("aria-invalid") == "true"
    described = password.get_attribute("aria-describedby")
    assert described, "the password field points at its error"
    texts = page.evaluate(
        "(ids) => ids.split(' ').map(id => document.getElementById(id)?.textContent.trim())",
        described,
    )
    assert any(t and "do not match" in t for t in texts), texts
    # The error is announced and the summary link moves focus to the field.
    assert page.get_by_role("alert").is_visible()
    page.get_by_role("link", name="That email address and password do not match.").click()
    assert page.evaluate("document.activeElement.id") == "password"
    # The email field has no error of its own.
    assert page.locator("#email").get_attribute("aria-invalid") is None
    assert page.locator("#email").input_value() == "alice@example.org"


def test_missing_email_error_is_tied_to_the_email_field(page, live_server):
    page.goto(live_server.url("/auth/sign-in"))
    page.click("main button[type=submit]")
    email = page.locator("#email")
    assert email.get_attribute("aria-invalid") == "true"
    error_id = email.get_attribute("aria-describedby")
    assert page.locator(f"#{error_id}").inner_text().endswith("Enter your email address.")


# Reflow -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "scale"),
    [(320, 1), (640, 2)],
    ids=["320px", "200pc-zoom-of-1280"],
)
def test_dashboard_reflows_without_sideways_scroll(new_page, live_server, riverside, width, scale):
    page = new_page(viewport={"width": width, "height": 640}, device_scale_factor=scale)
    sign_in(page, live_server)
    assert page.url == live_server.url("/members/")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page scrolls sideways: {scroll_width} > {width}"
    for locator in (
        page.locator(".balance .figure"),
        page.get_by_role("heading", level=1),
        page.get_by_role("button", name="Sign out"),
    ):
        box = locator.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box


@pytest.mark.parametrize("width", [320, 640])
def test_sign_in_page_reflows(new_page, live_server, width):
    page = new_page(viewport={"width": width, "height": 640})
    page.goto(live_server.url("/auth/sign-in"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    box = page.locator("#password").bounding_box()
    assert box["x"] + box["width"] <= width


def test_css_zoom_200_keeps_the_dashboard_within_the_window(new_page, live_server, riverside):
    page = new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, live_server)
    page.evaluate("document.documentElement.style.zoom = '2'")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    inner_width = page.evaluate("window.innerWidth")
    assert scroll_width <= inner_width, (scroll_width, inner_width)
