"""Signing in and out through the real app (Flask test client, real database).

What a person would notice: the right password takes them to their dashboard, a wrong
one gives the same plain message whether or not the email is known, a link cannot
bounce them to another site, signing out really ends the session (a copied cookie
stops working), forms refuse requests without the CSRF token, and cookies, headers
and stored passwords follow the security defaults.
"""

from __future__ import annotations

import functools
import re
import tempfile
from urllib.parse import urljoin, urlsplit

import pytest
from argon2 import PasswordHasher

from tests.factories import MembershipFactory, PersonFactory, TimeBankFactory
from tests.two_step_support import sign_in_with_code
from timebank.app import create_app
from timebank.auth.passwords import hash_password
from timebank.extensions import db
from timebank.ledger.models import Person

PASSWORD = "a long enough test password"
SIGN_IN = "/auth/sign-in"
SIGN_OUT = "/auth/sign-out"
DASHBOARD = "/members/"
WRONG_DETAILS = "That email address and password do not match."


# Helpers shared with test_members.py -------------------------------------------------


@functools.cache
def _hash_of(password: str) -> str:
    # A real argon2id hash, computed once per password to keep the suite quick.
    return hash_password(password)


def make_member(session, *, email, name="Alice Example", bank=None, password=PASSWORD, **kw):
    """A person with a real argon2id password and an active membership, committed."""
    person = PersonFactory(email=email, display_name=name, password_hash=_hash_of(password))
    membership = MembershipFactory(bank=bank or TimeBankFactory(), person=person, **kw)
    session.commit()
    return membership


def sign_in(client, email, password=PASSWORD, **kw):
    """Sign in as a person would: the password, then the code from their authenticator
    when their role needs two-step sign-in (tests/two_step_support.py)."""
    return sign_in_with_code(client, email, password, **kw)


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "the page has no CSRF token field"
    return match.group(1)


def location_path(response) -> str:
    return urlsplit(response.headers["Location"]).path


def as_browser_resolves(location: str, page: str = "http://localhost/auth/sign-in"):
    """Where a browser goes for this Location header: it drops tabs and newlines and
    reads a backslash as a slash (WHATWG URL parsing for http and https)."""
    cleaned = location.strip(" \t\r\n\x00").translate({9: None, 10: None, 13: None})
    return urlsplit(urljoin(page, cleaned.replace("\\", "/")))


def session_cookie(client, app):
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, "no session cookie was set"
    return cookie.value


def app_with(database_url, **config):
    """A second app on the test database with different settings (the ``app`` fixture
    turns CSRF and Secure cookies off)."""
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_OUTBOX": tempfile.mkdtemp(prefix="timebank-outbox-"),
    }
    settings.update(config)
    return create_app(settings)


def _own_context_app(database_url, **config):
    # No app context stays pushed during the test: each request then gets its own, as
    # in production (a shared context would keep one CSRF token in ``g`` across
    # requests). Set-up and checks use ``with app.app_context()``.
    app = app_with(database_url, **config)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def csrf_app(database_url):
    """Like ``app`` but with CSRF protection on, as in production."""
    yield from _own_context_app(
        database_url,
        WTF_CSRF_ENABLED=True,
        SESSION_COOKIE_SECURE=False,
        REMEMBER_COOKIE_SECURE=False,
    )


@pytest.fixture
def default_app(database_url):
    """The production configuration: only the database and key are given."""
    yield from _own_context_app(database_url)


def member_in(app, email):
    with app.app_context():
        membership = make_member(db.session, email=email)
        return membership.id, membership.person_id


def session_version_of(app, person_id):
    with app.app_context():
        return db.session.get(Person, person_id).session_version


@pytest.fixture
def alice(session):
    return make_member(session, email="alice@example.org", name="Alice Example")


# Signing in -------------------------------------------------------------------------


def test_sign_in_page_is_a_plain_form(client):
    response = client.get(SIGN_IN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<label for="email">Email address</label>' in html
    assert 'autocomplete="current-password"' in html


def test_right_password_signs_in_and_goes_to_the_dashboard(client, alice):
    response = sign_in(client, "alice@example.org")
    assert response.status_code == 302
    assert location_path(response) == DASHBOARD
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    assert f"My time in {alice.time_bank.name}" in page.get_data(as_text=True)


def test_email_is_matched_whatever_its_case(client, alice):
    response = sign_in(client, "Alice@Example.ORG")
    assert location_path(response) == DASHBOARD


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("alice@example.org", "not the password at all"),
        ("nobody@example.org", PASSWORD),
    ],
    ids=["wrong-password", "unknown-email"],
)
def test_wrong_details_give_one_plain_error_and_do_not_sign_in(client, alice, email, password):
    response = sign_in(client, email, password)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert WRONG_DETAILS in html
    # Screen-reader users hear the problem first, in the page title.
    assert "<title>Error: Sign in" in html
    # Nothing tells whether the email address is known.
    assert "not found" not in html.lower() and "no account" not in html.lower()
    follow = client.get(DASHBOARD)
    assert follow.status_code == 302
    assert location_path(follow) == SIGN_IN


def test_wrong_password_and_unknown_email_pages_are_the_same(client, alice):
    wrong = sign_in(client, "alice@example.org", "not the password at all")
    unknown = sign_in(client, "nobody@example.org", "not the password at all")

    def without_email(response, email):
        # The CSRF token carries a timestamp: two requests a second apart differ there.
        page = re.sub(
            r'name="csrf_token"( type="hidden")? value="[^"]+"',
            "CSRF",
            response.get_data(as_text=True),
        )
        return page.replace(email, "EMAIL")

    assert wrong.status_code == unknown.status_code == 400
    assert without_email(wrong, "alice@example.org") == without_email(unknown, "nobody@example.org")


def test_deactivated_person_cannot_sign_in(client, session, alice):
    alice.person.is_active = False
    session.commit()
    response = sign_in(client, "alice@example.org")
    assert response.status_code == 400
    assert WRONG_DETAILS in response.get_data(as_text=True)


def test_empty_form_says_what_is_missing(client):
    response = client.post(SIGN_IN, data={"email": "", "password": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter your email address." in html
    assert "Enter your password." in html


@pytest.mark.parametrize(
    "next_url",
    ["/members/time-banks", "/members/?tab=recent"],
)
def test_next_sends_back_to_a_local_page(client, alice, next_url):
    response = sign_in(client, "alice@example.org", query_string={"next": next_url})
    assert response.status_code == 302
    assert response.headers["Location"] == next_url


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example",
        "//evil.example/members/",
        "https://evil.example",
        "https://evil.example/members/",
        "http:evil.example",
        "javascript:alert(1)",
        # Browsers read a backslash as a slash: "/\evil.example" is "//evil.example".
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/%2F/evil.example",
        " //evil.example",
    ],
)
def test_next_never_leaves_the_site(client, alice, next_url):
    response = sign_in(client, "alice@example.org", query_string={"next": next_url})
    assert response.status_code == 302
    target = as_browser_resolves(response.headers["Location"])
    # Either the dashboard or some page of this site, never another host.
    assert (target.scheme, target.netloc) == ("http", "localhost")


def test_signed_in_person_visiting_sign_in_goes_to_dashboard(client, alice):
    sign_in(client, "alice@example.org")
    response = client.get(SIGN_IN)
    assert response.status_code == 302
    assert location_path(response) == DASHBOARD


# Signing out ------------------------------------------------------------------------


def test_sign_out_is_post_only(client, alice):
    sign_in(client, "alice@example.org")
    response = client.get(SIGN_OUT)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert client.get(DASHBOARD).status_code == 200, "a GET must not sign anyone out"


def test_sign_out_ends_the_session(client, alice):
    sign_in(client, "alice@example.org")
    response = client.post(SIGN_OUT)
    assert response.status_code == 302
    assert location_path(response) == SIGN_IN
    assert "You have signed out." in client.get(SIGN_IN).get_data(as_text=True)
    follow = client.get(DASHBOARD)
    assert follow.status_code == 302 and location_path(follow) == SIGN_IN


def test_cookie_copied_before_sign_out_no_longer_works(app, alice):
    browser = app.test_client()
    sign_in(browser, "alice@example.org")
    stolen = session_cookie(browser, app)

    attacker = app.test_client()
    attacker.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    assert attacker.get(DASHBOARD).status_code == 200, "the copy works while signed in"

    assert browser.post(SIGN_OUT).status_code == 302

    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    response = replay.get(DASHBOARD)
    assert response.status_code == 302
    assert location_path(response) == SIGN_IN
    # The old copy also cannot sign out (or do anything else) for her.
    refused = attacker.get(DASHBOARD)
    assert refused.status_code == 302 and location_path(refused) == SIGN_IN


def test_signing_in_again_after_sign_out_works(client, alice):
    sign_in(client, "alice@example.org")
    client.post(SIGN_OUT)
    assert location_path(sign_in(client, "alice@example.org")) == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200


def test_sign_out_ends_sessions_on_other_devices_too(app, alice):
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, "alice@example.org")
    sign_in(laptop, "alice@example.org")
    laptop.post(SIGN_OUT)
    assert location_path(phone.get(DASHBOARD)) == SIGN_IN


def test_session_does_not_carry_over_from_before_sign_in(client, app, alice):
    client.get(SIGN_IN)
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    sign_in(client, "alice@example.org")
    with client.session_transaction() as after:
        assert "planted" not in after


# CSRF -------------------------------------------------------------------------------


def test_sign_in_without_csrf_token_is_refused(csrf_app):
    member_in(csrf_app, "alice@example.org")
    client = csrf_app.test_client()
    response = sign_in(client, "alice@example.org")
    assert response.status_code == 400
    assert "Something in the request was not right" in response.get_data(as_text=True)
    assert location_path(client.get(DASHBOARD)) == SIGN_IN


def test_sign_in_with_csrf_token_works(csrf_app):
    member_in(csrf_app, "alice@example.org")
    client = csrf_app.test_client()
    token = csrf_token_from(client.get(SIGN_IN).get_data(as_text=True))
    response = client.post(
        SIGN_IN, data={"email": "alice@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302 and location_path(response) == DASHBOARD


def test_sign_out_without_csrf_token_is_refused_and_changes_nothing(csrf_app):
    _, person_id = member_in(csrf_app, "alice@example.org")
    client = csrf_app.test_client()
    token = csrf_token_from(client.get(SIGN_IN).get_data(as_text=True))
    client.post(
        SIGN_IN, data={"email": "alice@example.org", "password": PASSWORD, "csrf_token": token}
    )
    version = session_version_of(csrf_app, person_id)

    response = client.post(SIGN_OUT)
    assert response.status_code == 400
    assert session_version_of(csrf_app, person_id) == version
    assert client.get(DASHBOARD).status_code == 200, "still signed in"

    # With the token from the page it works.
    token = csrf_token_from(client.get(DASHBOARD).get_data(as_text=True))
    assert client.post(SIGN_OUT, data={"csrf_token": token}).status_code == 302
    assert session_version_of(csrf_app, person_id) == version + 1


def test_csrf_token_from_another_session_is_refused(csrf_app):
    member_in(csrf_app, "alice@example.org")
    other = csrf_app.test_client()
    foreign_token = csrf_token_from(other.get(SIGN_IN).get_data(as_text=True))
    client = csrf_app.test_client()
    client.get(SIGN_IN)
    response = client.post(
        SIGN_IN,
        data={"email": "alice@example.org", "password": PASSWORD, "csrf_token": foreign_token},
    )
    assert response.status_code == 400
    assert location_path(client.get(DASHBOARD)) == SIGN_IN


# Headers, cookies and stored passwords ----------------------------------------------


@pytest.mark.parametrize("path", [SIGN_IN, "/no-such-page"])
def test_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "no-referrer",
    }


def test_signed_in_pages_carry_the_headers_too(client, alice):
    sign_in(client, "alice@example.org")
    response = client.get(DASHBOARD)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_lax_and_secure_by_default(default_app):
    member_in(default_app, "alice@example.org")
    assert default_app.config["SESSION_COOKIE_SECURE"] is True
    client = default_app.test_client()
    base = "https://localhost"
    token = csrf_token_from(client.get(SIGN_IN, base_url=base).get_data(as_text=True))
    response = client.post(
        SIGN_IN,
        data={"email": "alice@example.org", "password": PASSWORD, "csrf_token": token},
        base_url=base,
        # Over HTTPS Flask-WTF also checks that the form came from this site.
        headers={"Referer": f"{base}{SIGN_IN}"},
    )
    assert response.status_code == 302 and location_path(response) == DASHBOARD
    cookie_name = default_app.config["SESSION_COOKIE_NAME"]
    set_cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(cookie_name)]
    assert set_cookies, "signing in sets the session cookie"
    for header in set_cookies:
        attributes = {part.strip().split("=")[0].lower(): part for part in header.split(";")[1:]}
        assert "httponly" in attributes
        assert "secure" in attributes
        assert attributes["samesite"].strip().lower() == "samesite=lax"


def test_over_https_the_session_cookie_is_host_prefixed_with_path_and_no_domain(default_app):
    member_in(default_app, "alice@example.org")
    client = default_app.test_client()
    base = "https://localhost"
    token = csrf_token_from(client.get(SIGN_IN, base_url=base).get_data(as_text=True))
    response = client.post(
        SIGN_IN,
        data={"email": "alice@example.org", "password": PASSWORD, "csrf_token": token},
        base_url=base,
        headers={"Referer": f"{base}{SIGN_IN}"},
    )
    assert response.status_code == 302
    [header] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-")]
    assert header.startswith("__Host-session=")
    attributes = {part.strip().split("=")[0].lower(): part for part in header.split(";")[1:]}
    assert "secure" in attributes and attributes["path"].strip() == "Path=/"
    assert "domain" not in attributes
    # The browser keeps it and stays signed in.
    assert client.get(DASHBOARD, base_url=base).status_code == 200


def test_session_cookie_is_httponly_and_lax_in_the_test_config(client, alice):
    response = sign_in(client, "alice@example.org")
    header = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")
    ).lower()
    assert "httponly" in header and "samesite=lax" in header


def test_stored_password_hash_is_argon2id(alice):
    stored = alice.person.password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_weak_old_hash_is_upgraded_to_current_argon2id_on_sign_in(client, session):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    person = PersonFactory(email="old@example.org", display_name="Old Hash", password_hash=weak)
    MembershipFactory(person=person)
    session.commit()
    assert location_path(sign_in(client, "old@example.org")) == DASHBOARD
    session.expire_all()
    upgraded = db.session.get(Person, person.id).password_hash
    assert upgraded != weak
    assert upgraded.startswith("$argon2id$")
    assert not PasswordHasher().check_needs_rehash(upgraded)
    # And the upgraded hash still signs in.
    client.post(SIGN_OUT)
    assert location_path(sign_in(client, "old@example.org")) == DASHBOARD


# Error pages ------------------------------------------------------------------------


def test_unknown_page_is_a_plain_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<h1>Page not found</h1>" in html
    assert '<html lang="en">' in html
    assert "Traceback" not in html and "werkzeug" not in html.lower()
