"""Applying signed out, on a phone 320 px wide, in English and in Welsh, on a demo
server (`make run`: no mail server, the demo outbox page on): the form, "Check your
email", the message in the demo outbox, "Confirm my application", the application's
status; and the page a used link gives. Every page passes axe-core and fits the screen
without sideways scrolling (issue 11, finding 3)."""

from __future__ import annotations

import threading

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.browser.conftest import LiveServer
from tests.factories import TimeBankFactory
from tests.web.test_auth import make_member
from tests.web.test_translations import WELSH
from timebank.app import create_app
from timebank.extensions import db

PHONE = {"width": 320, "height": 640}
PASSWORD = "three plain words remembered"


@pytest.fixture
def demo_live_server(database_url, tmp_path):
    """The app as `make run` serves it: mail written to a folder, the outbox page on."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-test-secret-key",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_OUTBOX": str(tmp_path / "outbox"),
            "DEMO_OUTBOX_PAGE": True,
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["EXTERNAL_ORIGIN"] = base_url
    with app.app_context():
        bank = TimeBankFactory(name="Riverside Time Bank", slug="riverside")
        db.session.commit()
        make_member(db.session, email="bob@example.org", name="Bob Brennan", bank=bank)
    try:
        yield LiveServer(app=app, base_url=base_url)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def words(language: str):
    """The page's words in ``language``: English as written, Welsh from the catalogue."""
    if language == "en":
        return lambda text, **values: text % values if values else text
    with WELSH.open("rb") as handle:
        catalogue = read_po(handle)

    def welsh(text, **values):
        message = catalogue.get(text)
        assert message is not None and message.string, f"not translated: {text!r}"
        return message.string % values if values else message.string

    return welsh


@pytest.mark.parametrize("language", ["en", "cy"])
def test_applying_and_confirming_on_a_phone(page, demo_live_server, axe_check, language):
    say = words(language)
    bank = "Riverside Time Bank"
    page.set_viewport_size(PHONE)

    def check(expected_heading: str) -> None:
        expect(page.get_by_role("heading", level=1)).to_have_text(expected_heading)
        assert page.get_attribute("html", "lang") == language
        axe_check(page)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width} px"

    page.goto(demo_live_server.url("/auth/apply/riverside"))
    if language == "cy":
        with page.expect_navigation():
            page.get_by_role("banner").get_by_role("button", name="Cymraeg").click()
    check(say("Apply to join %(bank)s", bank=bank))
    page.get_by_label(say("Your name")).fill("Nia Newydd")
    page.get_by_label(say("Email address")).fill("nia@example.org")
    page.get_by_label(say("Choose a password")).fill(PASSWORD)
    page.get_by_label(say("Type the password again")).fill(PASSWORD)
    page.get_by_label(say("What I can offer")).fill("Gardening")
    page.get_by_role("button", name=say("Send my application")).click()

    # The same page whoever typed which address: nothing is made yet.
    check(say("Check your email"))
    page.locator('main a[href="/auth/outbox"]').click()
    check(say("Outbox"))
    outbox = page.locator("main").inner_text()
    assert say("Confirm your application to %(bank)s", bank=bank) in outbox
    page.locator('main a[href*="/auth/apply/confirm/"]').click()

    check(say("Confirm your application to %(bank)s", bank=bank))
    link = page.url
    page.get_by_role("button", name=say("Confirm my application")).click()
    page.wait_for_url("**/members/application")
    axe_check(page)
    assert (
        say("Your application to %(bank)s is waiting for a coordinator", bank=bank)
        in page.locator("main").inner_text()
    )

    # The link worked once.
    page.goto(link)
    check(say("This link has expired or was already used"))
    assert page.get_by_role("link", name=say("Apply again")).is_visible()
