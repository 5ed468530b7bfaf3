"""Two-step sign-in in real Chromium, on a 320-pixel-wide phone, in English and Welsh.

A coordinator of a bank that requires it signs in with the password, is taken to the
set-up page, reads the key off the page (as someone typing it into an app would), types
the code pyotp makes from it, sees the recovery codes, carries on to the overview; then
signs out and in again with the password and the next code. Every page passes axe-core
and reflows without sideways scrolling; screenshots go to test-artifacts/.
"""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.browser.conftest import ARTIFACTS
from tests.factories import TimeBankFactory
from tests.web.test_auth import PASSWORD, make_member
from timebank.extensions import db
from timebank.ledger.models import Role

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"

WORDS = {
    "en": {
        "set_up": "Set up two-step sign-in",
        "codes": "Your recovery codes",
        "code_page": "Type your sign-in code",
        "carry_on": "I have kept my codes: carry on",
    },
    "cy": {
        "set_up": "Gosod mewngofnodi dau gam",
        "codes": "Eich codau adfer",
        "code_page": "Teipiwch eich cod mewngofnodi",
        "carry_on": "Rwyf wedi cadw fy nghodau: ymlaen",
    },
}


@pytest.fixture
def riverside(live_server):
    with live_server.app.app_context():
        bank = TimeBankFactory(name="Riverside Time Bank")
        make_member(
            db.session,
            email="cora@example.org",
            name="Cora Coordinator",
            bank=bank,
            role=Role.COORDINATOR,
        )
        db.session.commit()


def check(page, axe_check, name: str) -> None:
    assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{name} scrolls sideways at 320px"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"two-step-{name}.png"), full_page=True)
    axe_check(page)


def password_step(page, live_server) -> None:
    page.goto(live_server.url("/auth/sign-in"))
    page.fill("#email", "cora@example.org")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_coordinator_sets_up_two_step_and_signs_in_with_a_code(
    new_page, live_server, riverside, axe_check, language
):
    words = WORDS[language]
    page = new_page(viewport={"width": 320, "height": 640}, locale=f"{language}-GB")

    password_step(page, live_server)
    # Required for a coordinator: the set-up page before anything else.
    assert page.url.endswith("/auth/security/two-step")
    assert page.get_attribute("html", "lang") == language
    assert page.get_by_role("heading", level=1).inner_text() == words["set_up"]
    assert page.locator(".qr svg").is_visible()
    check(page, axe_check, f"set-up-{language}")
    page.goto(live_server.url("/coordinators/"))
    assert page.url.endswith("/auth/security/two-step")

    secret = page.inner_text("#setup-key").replace(" ", "")
    app = pyotp.TOTP(secret)
    page.fill("#code", app.now())
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.get_by_role("heading", level=1).inner_text() == words["codes"]
    assert page.locator(".recovery-codes li").count() == 10
    check(page, axe_check, f"recovery-codes-{language}")
    with page.expect_navigation():
        page.get_by_role("link", name=words["carry_on"]).click()
    page.goto(live_server.url("/coordinators/"))
    assert page.url.endswith("/coordinators/")
    # The security page (ten codes left) and the "confirm it's you" form.
    page.goto(live_server.url("/auth/security"))
    assert page.locator("main form").count() == 2
    check(page, axe_check, f"security-{language}")
    page.goto(live_server.url("/auth/confirm?next=/auth/security"))
    assert page.locator("#password").is_visible() and page.locator("#code").is_visible()
    check(page, axe_check, f"confirm-{language}")

    # Sign out, and in again: the password, then the next code the app shows.
    page.context.clear_cookies()
    password_step(page, live_server)
    assert page.url.endswith("/auth/sign-in/code")
    assert page.get_by_role("heading", level=1).inner_text() == words["code_page"]
    check(page, axe_check, f"code-{language}")
    # The next step's code: the one used at set-up is never accepted again.
    page.fill("#code", app.at(time.time() + 30))
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url.endswith("/coordinators/")
