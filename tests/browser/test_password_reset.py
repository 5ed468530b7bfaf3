"""Forgotten password in a real Chromium: ask for a link, open it from the email (the
demo outbox page shows mail only to its owner), choose a new password, arrive signed in.
axe-core finds nothing on any page of the journey, on the error state of the form, on a
used link and on "too many tries"."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.browser.conftest import LiveServer
from tests.web.test_auth import PASSWORD, make_member
from timebank.app import create_app
from timebank.extensions import db

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def demo_server(database_url, tmp_path):
    """The app as `make run` serves it (outbox page on), CSRF and Secure cookies on."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-test-secret-key",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_OUTBOX": str(tmp_path / "outbox"),
            "DEMO_OUTBOX_PAGE": True,
        }
    )
    with app.app_context():
        make_member(db.session, email="alice@example.org", name="Alice Ashdown")
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="demo-server", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["EXTERNAL_ORIGIN"] = base_url
    try:
        yield LiveServer(app=app, base_url=base_url)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_forgot_outbox_reset_signed_in(demo_server, page, axe_check):
    page.goto(demo_server.url("/auth/sign-in"))
    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_url("**/auth/forgot")
    axe_check(page)

    page.get_by_label("Email address").fill("alice@example.org")
    page.get_by_role("button", name="Send me a link").click()
    page.wait_for_url("**/auth/forgot/sent")
    assert page.get_by_text("If that address belongs to an account").is_visible()
    axe_check(page)

    # The outbox page shows mail only to the person it was sent to (issue 11): a
    # signed-out visitor is sent to sign in, so the link is read from the folder.
    page.goto(demo_server.url("/auth/outbox"))
    page.wait_for_url("**/auth/sign-in**")
    [mail] = Path(demo_server.app.config["MAIL_OUTBOX"]).glob("*.eml")
    link = re.search(r"http://127\.0\.0\.1:\d+/auth/reset/[A-Za-z0-9_.\-]+", mail.read_text())
    page.goto(link.group(0))
    page.wait_for_url("**/auth/reset/**")
    reset_url = page.url
    axe_check(page)

    # The error state: passwords that do not match.
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill("something else entirely")
    page.get_by_role("button", name="Save my new password").click()
    message = page.locator("#password_again-error")
    assert "The two passwords are not the same." in message.inner_text()
    described = page.get_by_label("Type the new password again").get_attribute("aria-describedby")
    assert "password_again-error" in described
    axe_check(page)

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save my new password").click()
    page.wait_for_url("**/members/**")
    assert page.get_by_text("Your new password is saved and you are signed in.").is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()

    # The same link again: a plain page, and a way to ask for a new one.
    page.goto(reset_url)
    assert page.get_by_role(
        "heading", name="This link has expired or was already used"
    ).is_visible()
    assert page.get_by_role("link", name="Ask for a new link").is_visible()
    axe_check(page)


def test_too_many_tries_page(demo_server, page, axe_check):
    page.goto(demo_server.url("/auth/sign-in"))
    for _ in range(5):
        page.get_by_label("Email address").fill("alice@example.org")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        assert page.get_by_text("That email address and password do not match.").first.is_visible()
    page.get_by_label("Email address").fill("alice@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response("**/auth/sign-in") as response:
        page.get_by_role("button", name="Sign in").click()
    assert response.value.status == 429
    assert page.get_by_text("Too many tries. Wait a minute and try again.").is_visible()
    axe_check(page)
