"""Two app servers sharing one database and one Redis hold no state of their own: a
sign-in made on one is good on the other, signing out on one ends the session on the
other too, and the sign-in limit counts tries made on both.

Each instance is a real HTTP server on its own port (its own app, its own connection
pool and Redis client, as two gunicorn machines would have), with CSRF on."""

from __future__ import annotations

import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from tests.web.support import PASSWORD, csrf_token_from, make_member
from timebank.app import create_app
from timebank.extensions import db

EMAIL = "alice@example.org"


@dataclass
class Instance:
    app: object
    base_url: str


@contextmanager
def serving(settings: dict):
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Instance(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def instances(database_url, redis_settings, tmp_path):
    settings = {
        "TESTING": True,
        "SECRET_KEY": "the key every app server of this site shares",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        # Plain http on loopback: the cookie jar would not send a Secure cookie.
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        **redis_settings,
    }
    with serving(settings) as first, serving(settings) as second:
        with first.app.app_context():
            make_member(db.session, email=EMAIL, name="Alice Ashdown")
            db.session.remove()
        yield first, second


class Device:
    """One browser: its own cookies (sent to both servers, as a browser sends cookies
    by host name whatever the port)."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, url: str, data: dict | None = None) -> tuple[int, str, str]:
        """(status, final path after redirects, body)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, data=body, timeout=30) as response:
                final = urllib.parse.urlsplit(response.geturl()).path
                return response.status, final, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, urllib.parse.urlsplit(error.url).path, error.read().decode()

    def sign_in(self, instance: Instance, password: str = PASSWORD) -> tuple[int, str, str]:
        _, _, page = self.request(instance.base_url + "/auth/sign-in")
        form = {"csrf_token": csrf_token_from(page), "email": EMAIL, "password": password}
        return self.request(instance.base_url + "/auth/sign-in", form)

    def sign_out(self, instance: Instance) -> tuple[int, str, str]:
        _, _, page = self.request(instance.base_url + "/members/")
        return self.request(
            instance.base_url + "/auth/sign-out", {"csrf_token": csrf_token_from(page)}
        )

    def copy(self) -> Device:
        other = Device()
        for cookie in self.cookies:
            other.cookies.set_cookie(cookie)
        return other


def test_a_session_made_on_one_instance_works_on_the_other_until_signed_out_on_either(
    instances,
):
    first, second = instances
    phone, laptop = Device(), Device()

    status, path, _ = phone.sign_in(first)
    assert (status, path) == (200, "/members/")
    # The same cookie on the other app server: still signed in.
    assert phone.request(second.base_url + "/members/")[:2] == (200, "/members/")
    assert laptop.sign_in(second)[:2] == (200, "/members/")
    stolen = phone.copy()  # a copy of the phone's cookie, kept by someone else

    # Signing out on the first instance ends every session, on the second one too.
    assert phone.sign_out(first)[1] == "/auth/sign-in"
    assert laptop.request(second.base_url + "/members/")[1] == "/auth/sign-in"
    assert stolen.request(second.base_url + "/members/")[1] == "/auth/sign-in"
    assert stolen.request(first.base_url + "/members/")[1] == "/auth/sign-in"


def test_the_sign_in_limit_counts_tries_on_both_instances(instances):
    first, second = instances
    device = Device()
    # Five wrong passwords for one account, alternating between the two app servers.
    for number in range(5):
        instance = (first, second)[number % 2]
        status, _, page = device.sign_in(instance, password="not the password at all")
        assert status == 400, page
    # The sixth try is refused on either one, even with the right password.
    for instance in (first, second):
        status, _, page = device.sign_in(instance)
        assert status == 429
        assert "Too many tries" in page
