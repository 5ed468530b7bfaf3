"""Forgotten password: ask by email, get a link in the outbox, use it once.

What a person would notice: the "forgot" page answers the same for any address, the
email has a link that lets them choose a new password and signs them in, the old
password and every other session stop working, and the link cannot be used twice, after
it expires, or after the password changed another way.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.web.support import without_tokens
from tests.web.test_auth import (
    PASSWORD,
    csrf_app,  # noqa: F401 - a fixture
    csrf_token_from,
    make_member,
    sign_in,
)
from timebank.app import create_app
from timebank.auth.reset import RedactTokens
from timebank.extensions import db
from timebank.ledger.clock import frozen_at
from timebank.ledger.models import Person
from timebank.mail import read_outbox

FORGOT = "/auth/forgot"
SENT_TEXT = "If that address belongs to an account, we have sent a link"
EXPIRED_TEXT = "This link has expired or was already used"
NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r"http://localhost(/auth/reset/[A-Za-z0-9_.\-]+)")


@pytest.fixture
def outbox(app, tmp_path) -> Path:
    folder = tmp_path / "outbox"
    app.config["MAIL_OUTBOX"] = str(folder)
    return folder


@pytest.fixture
def alice(session):
    return make_member(session, email="alice@example.org", name="Alice Ashdown")


def ask_for_link(client, email):
    return client.post(FORGOT, data={"email": email}, follow_redirects=True)


def reset_path(outbox: Path) -> str:
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 1, f"expected one message in the outbox, found {len(files)}"
    match = LINK.search(files[0].read_text())
    assert match, "the email has no reset link"
    return match.group(1)


def choose(client, path, password=NEW_PASSWORD, again=None):
    return client.post(path, data={"password": password, "password_again": again or password})


def test_the_email_has_a_link_that_sets_a_new_password_and_signs_in(client, alice, outbox):
    response = ask_for_link(client, "  Alice@Example.org ")
    assert response.status_code == 200
    assert SENT_TEXT in response.get_data(as_text=True)

    [message] = read_outbox(outbox)
    assert message.to == "alice@example.org"
    assert "new password" in message.subject
    path = reset_path(outbox)

    form = client.get(path)
    assert form.status_code == 200
    assert "Choose a new password" in form.get_data(as_text=True)

    done = choose(client, path)
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/members/")
    dashboard = client.get("/members/")
    assert dashboard.status_code == 200
    assert "Your new password is saved" in dashboard.get_data(as_text=True)

    # The new password works and the old one does not.
    other = client.application.test_client()
    assert sign_in(other, "alice@example.org", PASSWORD).status_code == 400
    assert sign_in(other, "alice@example.org", NEW_PASSWORD).status_code == 302


def test_the_link_works_once(client, alice, outbox):
    ask_for_link(client, "alice@example.org")
    path = reset_path(outbox)
    assert choose(client, path).status_code == 302
    stored = db.session.get(Person, alice.person_id)
    db.session.refresh(stored)
    hash_after_first = stored.password_hash

    again = client.application.test_client()
    page = again.get(path)
    assert page.status_code == 410
    assert EXPIRED_TEXT in page.get_data(as_text=True)
    assert 'href="/auth/forgot"' in page.get_data(as_text=True)
    second = choose(again, path, password="yet another passphrase")
    assert second.status_code == 410
    db.session.refresh(stored)
    assert stored.password_hash == hash_after_first


def test_a_reset_ends_every_other_session(client, alice, outbox):
    elsewhere = client.application.test_client()
    sign_in(elsewhere, "alice@example.org")
    assert elsewhere.get("/members/").status_code == 200

    ask_for_link(client, "alice@example.org")
    choose(client, reset_path(outbox))

    signed_out = elsewhere.get("/members/")
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"].startswith("/auth/sign-in")


def test_an_expired_link_changes_nothing(app, client, alice, outbox):
    app.config["PASSWORD_RESET_MAX_AGE"] = 3600
    sent = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with frozen_at(sent):
        ask_for_link(client, "alice@example.org")
    path = reset_path(outbox)
    stored = db.session.get(Person, alice.person_id)
    before = stored.password_hash

    with frozen_at(sent + timedelta(seconds=3600)):  # the last second it works
        assert client.get(path).status_code == 200
    with frozen_at(sent + timedelta(seconds=3601)):
        assert client.get(path).status_code == 410
        response = choose(client, path)
    assert response.status_code == 410
    assert EXPIRED_TEXT in response.get_data(as_text=True)
    db.session.refresh(stored)
    assert stored.password_hash == before


def test_a_link_stops_working_when_the_password_changed_another_way(client, alice, outbox):
    ask_for_link(client, "alice@example.org")
    path = reset_path(outbox)
    # Signing out everywhere bumps the session version, as a password change does.
    sign_in(client, "alice@example.org")
    client.post("/auth/sign-out")

    assert client.get(path).status_code == 410


def test_a_garbled_link_is_refused(client, alice, outbox):
    ask_for_link(client, "alice@example.org")
    path = reset_path(outbox)
    response = client.get(path[:-3] + "xyz")
    assert response.status_code == 400
    assert EXPIRED_TEXT in response.get_data(as_text=True)


def test_unknown_and_known_addresses_get_the_same_answer(client, alice, outbox):
    known = ask_for_link(client, "alice@example.org")
    unknown = ask_for_link(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert without_tokens(known.get_data(as_text=True)) == without_tokens(
        unknown.get_data(as_text=True)
    )
    assert len(list(outbox.glob("*.eml"))) == 1  # only the real account got mail


def test_the_new_password_is_checked(client, alice, outbox):
    ask_for_link(client, "alice@example.org")
    path = reset_path(outbox)
    short = choose(client, path, password="short")
    assert short.status_code == 400
    assert "Use at least 10 characters." in short.get_data(as_text=True)
    different = choose(client, path, password=NEW_PASSWORD, again="something else entirely")
    assert different.status_code == 400
    assert "The two passwords are not the same." in different.get_data(as_text=True)
    # Nothing was saved: the link still works.
    assert choose(client, path).status_code == 302


def test_the_forgot_form_asks_for_an_email(client, outbox):
    response = client.post(FORGOT, data={"email": "not an address"})
    assert response.status_code == 400
    assert "Enter an email address like name@example.org." in response.get_data(as_text=True)
    assert not outbox.exists() or not list(outbox.glob("*.eml"))


def test_the_forgot_form_needs_its_csrf_token(csrf_app, tmp_path):  # noqa: F811
    csrf_app.config["MAIL_OUTBOX"] = str(tmp_path / "outbox")
    with csrf_app.app_context():
        make_member(db.session, email="alice@example.org")
    client = csrf_app.test_client()

    refused = client.post(FORGOT, data={"email": "alice@example.org"})
    assert refused.status_code == 400
    assert not (tmp_path / "outbox").exists()

    token = csrf_token_from(client.get(FORGOT).get_data(as_text=True))
    accepted = client.post(FORGOT, data={"email": "alice@example.org", "csrf_token": token})
    assert accepted.status_code == 303
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_the_sign_in_page_links_to_forgot(client):
    assert 'href="/auth/forgot"' in client.get("/auth/sign-in").get_data(as_text=True)


# The outbox page -------------------------------------------------------------------


def _app(database_url, tmp_path, **config):
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
    }
    settings.update(config)
    return create_app(settings)


def test_the_outbox_page_shows_only_the_signed_in_persons_mail_newest_first(database_url, tmp_path):
    # Issue 11, finding 4: the page used to list everyone's working reset links to
    # anyone who reached a demo server.
    demo = _app(database_url, tmp_path, DEMO_OUTBOX_PAGE=True)
    with demo.app_context():
        make_member(db.session, email="alice@example.org")
        make_member(db.session, email="bob@example.org", name="Bob Brennan")
        client = demo.test_client()
        client.post(FORGOT, data={"email": "alice@example.org"})
        client.post(FORGOT, data={"email": "bob@example.org"})
        client.post(FORGOT, data={"email": "bob@example.org"})

        stranger = client.get("/auth/outbox")
        assert stranger.status_code == 302
        assert stranger.headers["Location"].startswith("/auth/sign-in")
        assert "/auth/reset/" not in stranger.get_data(as_text=True)

        sign_in(client, "bob@example.org")
        page = client.get("/auth/outbox").get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()
    assert "alice@example.org" not in page
    assert len(re.findall(r'<a href="http://127.0.0.1:5000/auth/reset/', page)) == 2


def test_there_is_no_outbox_page_unless_asked_for(database_url, tmp_path):
    plain = _app(database_url, tmp_path)
    with plain.app_context():
        assert plain.test_client().get("/auth/outbox").status_code == 404
        db.engine.dispose()


def test_with_a_mail_server_there_is_no_outbox(database_url, tmp_path):
    server = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_SERVER": "mail.example.org",
            "DEMO_OUTBOX_PAGE": True,
        }
    )
    assert server.config["MAIL_OUTBOX"] is None
    assert "outbox" not in server.view_functions
    with server.app_context():
        db.engine.dispose()


def test_the_request_log_never_shows_the_token(client, alice, outbox, caplog):
    caplog.set_level(logging.DEBUG)
    ask_for_link(client, "alice@example.org")
    path = reset_path(outbox)
    token = path.rsplit("/", 1)[1]
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - "%s" %s',
        ("127.0.0.1", f"GET {path}", 200),
        None,
    )
    assert RedactTokens().filter(record)
    line = record.getMessage()
    assert token not in line
    assert "/auth/reset/[hidden]" in line
    assert "alice@example.org" not in caplog.text
