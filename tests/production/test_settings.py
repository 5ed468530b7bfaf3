"""Outside development the app refuses to start without what production needs: a
strong secret key (the same on every app server), PostgreSQL, Redis and its public
address; and it believes X-Forwarded-* headers only when told how many proxies set
them."""

from __future__ import annotations

import pytest

from timebank.app import create_app
from timebank.production_settings import UnsafeSettings, production_problems

STRONG_KEY = "9f2c4e7a1b8d3f6e0a5c2b9d4e7f1a3c6b8d0e2f4a6c8e0b"
PRODUCTION = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": STRONG_KEY,
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://timebank@127.0.0.1:5432/timebank",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EXTERNAL_ORIGIN": "https://timebank.example.org",
    "SESSION_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_SECURE": True,
}


def refusal(**changes) -> str:
    with pytest.raises(UnsafeSettings) as refused:
        create_app({**PRODUCTION, **changes})
    return str(refused.value)


def test_a_complete_production_configuration_starts():
    assert production_problems(PRODUCTION) == []
    app = create_app(PRODUCTION)
    assert app.config["SECRET_KEY"] == STRONG_KEY


@pytest.mark.parametrize(
    ("key", "said"),
    [
        (None, "TIMEBANK_SECRET_KEY is not set."),
        ("", "TIMEBANK_SECRET_KEY is not set."),
        ("changeme", "well-known example value"),
        ("a-short-but-random-key-9f2c", "shorter than 32 characters"),
        ("ab" * 20, "repeats a few characters"),
    ],
)
def test_a_missing_or_weak_secret_key_is_refused(key, said):
    message = refusal(SECRET_KEY=key)
    assert said in message
    # The refusal names the setting, never its value.
    if key:
        assert key not in message


def test_every_problem_is_named_at_once():
    message = refusal(
        SECRET_KEY=None,
        SQLALCHEMY_DATABASE_URI="sqlite:///timebank.sqlite3",
        REDIS_URL=None,
        EXTERNAL_ORIGIN=None,
        DEMO_OUTBOX_PAGE=True,
        SESSION_COOKIE_SECURE=False,
    )
    for setting in (
        "TIMEBANK_SECRET_KEY",
        "TIMEBANK_SQLALCHEMY_DATABASE_URI must name a PostgreSQL database",
        "TIMEBANK_REDIS_URL is not set",
        "TIMEBANK_EXTERNAL_ORIGIN is not set",
        "TIMEBANK_DEMO_OUTBOX_PAGE",
        "TIMEBANK_SESSION_COOKIE_SECURE",
    ):
        assert setting in message
    assert "sqlite:///timebank.sqlite3" not in message


def test_over_https_the_session_cookie_is_for_this_host_only():
    app = create_app(PRODUCTION)
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert app.config["SESSION_COOKIE_PATH"] == "/"
    assert app.config["SESSION_COOKIE_DOMAIN"] is None
    assert app.config["SESSION_COOKIE_SECURE"] is True
    # A domain would make browsers refuse a __Host- cookie (and share it with
    # subdomains): production refuses it, naming the setting.
    assert "TIMEBANK_SESSION_COOKIE_DOMAIN is set" in refusal(
        SESSION_COOKIE_DOMAIN="timebank.example.org"
    )


def test_over_plain_http_in_development_the_name_stays_plain(database_url):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": STRONG_KEY,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    assert app.config["SESSION_COOKIE_NAME"] == "session"


def test_an_unknown_environment_is_refused():
    assert "TIMEBANK_ENVIRONMENT is 'staging'" in refusal(ENVIRONMENT="staging")


def test_the_wsgi_entry_point_is_production_unless_told_otherwise(monkeypatch, database_url):
    """gunicorn serves timebank.wsgi: without its settings it refuses to start instead
    of making up a key and using SQLite."""
    for name in ("TIMEBANK_ENVIRONMENT", "TIMEBANK_SECRET_KEY", "TIMEBANK_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UnsafeSettings):
        create_app(environment="production")
    monkeypatch.setenv("TIMEBANK_ENVIRONMENT", "development")
    monkeypatch.setenv("TIMEBANK_SECRET_KEY", "a development key")
    monkeypatch.setenv("TIMEBANK_SQLALCHEMY_DATABASE_URI", database_url)
    assert create_app(environment="production").config["ENVIRONMENT"] == "development"


def test_development_and_tests_need_none_of_it(app):
    # The test app: a short key, SQLite or PostgreSQL, no Redis.
    assert app.config["TESTING"] and not app.config.get("REDIS_URL")


# Proxy headers -------------------------------------------------------------------------


def _client_seen_by(app):
    from flask import request

    app.add_url_rule(
        "/test-who-am-i", "who", lambda: f"{request.remote_addr} {request.scheme} {request.host}"
    )
    return app.test_client()


FORWARDED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "timebank.example.org",
}


def test_forwarded_headers_are_ignored_unless_configured(database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url})
    seen = _client_seen_by(app).get("/test-who-am-i", headers=FORWARDED).get_data(as_text=True)
    # Anyone can send these headers: believed, they would dodge the per-address limits.
    assert seen == "127.0.0.1 http localhost"


def test_forwarded_headers_are_believed_from_the_configured_proxy(database_url):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PROXY_COUNT": 1,
        }
    )
    seen = _client_seen_by(app).get("/test-who-am-i", headers=FORWARDED).get_data(as_text=True)
    # The client's address and scheme; never the host (links come from EXTERNAL_ORIGIN).
    assert seen == "203.0.113.9 https localhost"
    # Only the last hop is believed: a client's own forged entry is not its address.
    forged = {**FORWARDED, "X-Forwarded-For": "10.9.9.9, 203.0.113.9"}
    seen = _client_seen_by_again(app, forged)
    assert seen.startswith("203.0.113.9 ")


def _client_seen_by_again(app, headers) -> str:
    return app.test_client().get("/test-who-am-i", headers=headers).get_data(as_text=True)
