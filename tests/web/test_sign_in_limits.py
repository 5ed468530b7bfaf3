"""Sign-in and "forgot password" attempts are limited per account and per address.

What a person would notice: after a few tries in a minute they get a plain "Too many
tries" page (status 429) and nothing else happens, not even a password check, while
other accounts can still sign in (up to the per-address limit). Each test's app has
its own counters, so tests do not affect each other.
"""

from __future__ import annotations

import uuid

import pytest

from tests.web.test_auth import PASSWORD, make_member, sign_in
from timebank.app import create_app
from timebank.auth.limits import reset_limits
from timebank.extensions import db
from timebank.ledger.models import Person

TOO_MANY = "Too many tries. Wait a minute and try again."
REDIS_URL = "redis://127.0.0.1:6379"


@pytest.fixture
def alice(session):
    return make_member(session, email="alice@example.org", name="Alice Ashdown")


def test_the_sixth_try_for_one_account_in_a_minute_is_refused(client, alice):
    for _ in range(5):
        assert sign_in(client, "alice@example.org", "wrong password!").status_code == 400
    refused = sign_in(client, "alice@example.org", PASSWORD)
    assert refused.status_code == 429
    assert TOO_MANY in refused.get_data(as_text=True)
    # Even the right password does not get in while the limit holds.
    still_out = client.get("/members/")
    assert still_out.status_code == 302
    assert still_out.headers["Location"].startswith("/auth/sign-in")


def test_the_account_key_ignores_case_and_spaces(client, alice):
    for email in ["alice@example.org", "ALICE@example.org", " Alice@Example.org "] * 2:
        sign_in(client, email, "wrong password!")
    assert sign_in(client, "alice@example.org").status_code == 429


def test_over_the_limit_no_password_is_checked_and_nothing_changes(client, session, alice):
    for _ in range(5):
        sign_in(client, "alice@example.org", "wrong password!")
    person = session.get(Person, alice.person_id)
    # A hash argon2 cannot read: a checked password would raise or fail as 400, and a
    # successful rehash would write a new one.
    person.password_hash = "not-a-hash"
    session.commit()
    assert sign_in(client, "alice@example.org", PASSWORD).status_code == 429
    session.refresh(person)
    assert person.password_hash == "not-a-hash"


def test_other_accounts_still_sign_in(client, session, alice):
    make_member(session, email="bob@example.org", name="Bob Brennan")
    for _ in range(5):
        sign_in(client, "alice@example.org", "wrong password!")
    assert sign_in(client, "alice@example.org").status_code == 429
    assert sign_in(client, "bob@example.org").status_code == 302


def test_one_address_trying_many_accounts_is_stopped(client, alice):
    for number in range(10):
        assert sign_in(client, f"guess{number}@example.org", "wrong password!").status_code == 400
    refused = sign_in(client, "alice@example.org")
    assert refused.status_code == 429


def test_viewing_the_sign_in_page_is_not_limited(client):
    for _ in range(20):
        assert client.get("/auth/sign-in").status_code == 200


def test_reset_clears_the_counts(app, client, alice):
    for _ in range(5):
        sign_in(client, "alice@example.org", "wrong password!")
    assert sign_in(client, "alice@example.org").status_code == 429
    reset_limits(app)
    assert sign_in(client, "alice@example.org").status_code == 302


def test_the_forgot_form_is_limited_too(client, alice, app, tmp_path):
    app.config["MAIL_OUTBOX"] = str(tmp_path / "outbox")
    for _ in range(3):
        assert client.post("/auth/forgot", data={"email": "alice@example.org"}).status_code == 303
    refused = client.post("/auth/forgot", data={"email": "alice@example.org"})
    assert refused.status_code == 429
    assert TOO_MANY in refused.get_data(as_text=True)
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.exceptions.ConnectionError:
        return False


def test_limits_hold_with_redis_storage(database_url):
    """Several workers share counts through Redis (as the README recommends)."""
    if not _redis_answers():
        pytest.fail(
            f"Redis does not answer on {REDIS_URL}. Start it (`redis-server --daemonize yes`"
            " or `service redis-server start`) and run the tests again.",
            pytrace=False,
        )
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        # Its own keys, so parallel runs on the same Redis do not share counts.
        "RATELIMIT_KEY_PREFIX": f"timebank-test-{uuid.uuid4().hex}",
    }
    first, second = create_app(settings), create_app(settings)  # two "workers"
    with first.app_context():
        make_member(db.session, email="alice@example.org")
        db.session.remove()
    try:
        for number in range(5):
            worker = first if number % 2 else second
            response = sign_in(worker.test_client(), "alice@example.org", "wrong password!")
            assert response.status_code == 400
        refused = sign_in(first.test_client(), "alice@example.org", PASSWORD)
        assert refused.status_code == 429
        assert TOO_MANY in refused.get_data(as_text=True)
        assert sign_in(second.test_client(), "alice@example.org").status_code == 429
    finally:
        # No reset here: it would clear every run's keys on this Redis. The unique
        # prefix keeps them apart, and they expire within a minute.
        for worker in (first, second):
            with worker.app_context():
                db.session.remove()
                db.engine.dispose()
