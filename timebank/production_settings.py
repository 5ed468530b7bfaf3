"""What production refuses to start without.

Outside development (``ENVIRONMENT`` is not ``"development"`` and the app is not under
test) the app servers must agree on a strong secret key (a key made up on one machine
would sign sessions the others reject, and a short or well-known one lets anyone forge
a session), keep their data in PostgreSQL, share Redis for jobs and rate limits, and
know the site's public address for the links in emails. ``create_app`` raises
``UnsafeSettings`` listing every problem at once, so an operator fixes them in one go.
The messages name settings, never their values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HOST_PREFIX = "__Host-"
DEVELOPMENT = "development"
PRODUCTION = "production"
MIN_SECRET_KEY_LENGTH = 32
# Keys seen in examples and tutorials: refused whatever their length.
KNOWN_WEAK_KEYS = frozenset(
    {
        "changeme",
        "change-me",
        "secret",
        "secret-key",
        "dev",
        "development",
        "test",
        "your-secret-key",
        "replace-me-with-a-long-random-value-of-64-hex-digits",
    }
)
# Fewer distinct characters than this is no random key ("aaaa...", "0101...").
MIN_DISTINCT_CHARACTERS = 10


class UnsafeSettings(RuntimeError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "Refusing to start in production:\n"
            + "\n".join(f"- {problem}" for problem in problems)
            + '\nSee the README\'s "Running in production" section.'
        )


def is_development(config: Mapping[str, Any]) -> bool:
    return bool(config.get("TESTING")) or config.get("ENVIRONMENT", DEVELOPMENT) == DEVELOPMENT


def secret_key_problem(key: object) -> str | None:
    if not key:
        return "TIMEBANK_SECRET_KEY is not set."
    text = str(key)
    if text.strip().lower() in KNOWN_WEAK_KEYS:
        return "TIMEBANK_SECRET_KEY is a well-known example value."
    if len(text) < MIN_SECRET_KEY_LENGTH:
        return (
            f"TIMEBANK_SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters"
            ' (make one with: python3 -c "import secrets; print(secrets.token_hex(32))").'
        )
    if len(set(text)) < MIN_DISTINCT_CHARACTERS:
        return "TIMEBANK_SECRET_KEY repeats a few characters: use a random value."
    return None


def production_problems(config: Mapping[str, Any]) -> list[str]:
    """Every reason this configuration is not fit for production (empty: fit)."""
    problems = []
    key_problem = secret_key_problem(config.get("SECRET_KEY"))
    if key_problem:
        problems.append(key_problem)
    database = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if not database.startswith("postgresql"):
        problems.append(
            "TIMEBANK_SQLALCHEMY_DATABASE_URI must name a PostgreSQL database"
            " (postgresql+psycopg://user@host/db)."
        )
    if not config.get("REDIS_URL"):
        problems.append("TIMEBANK_REDIS_URL is not set (redis://host:6379/0).")
    if not config.get("EXTERNAL_ORIGIN"):
        problems.append(
            "TIMEBANK_EXTERNAL_ORIGIN is not set (https://timebank.example.org; the links in"
            " emails)."
        )
    if config.get("DEMO_OUTBOX_PAGE"):
        problems.append("TIMEBANK_DEMO_OUTBOX_PAGE shows every email sent: demos only.")
    if not (config.get("SESSION_COOKIE_SECURE") and config.get("REMEMBER_COOKIE_SECURE")):
        problems.append(
            "TIMEBANK_SESSION_COOKIE_SECURE / TIMEBANK_REMEMBER_COOKIE_SECURE are false:"
            " sessions would travel over plain HTTP."
        )
    if config.get("SESSION_COOKIE_DOMAIN"):
        problems.append(
            "TIMEBANK_SESSION_COOKIE_DOMAIN is set: the session cookie is for this host"
            " only (its name starts with __Host-), so leave it unset."
        )
    return problems


def host_only_session_cookie(config: dict[str, Any]) -> None:
    """Over HTTPS (``SESSION_COOKIE_SECURE``) the session cookie is named with the
    ``__Host-`` prefix, with path ``/`` and no domain: a browser then takes it only from
    this very host over HTTPS, so a neighbouring subdomain or a plain-HTTP page cannot
    set or overwrite it (cookie tossing). Development over plain HTTP keeps the plain
    name, which browsers would refuse with the prefix."""
    if not config.get("SESSION_COOKIE_SECURE"):
        return
    name = str(config.get("SESSION_COOKIE_NAME") or "session")
    if not name.startswith(HOST_PREFIX):
        config["SESSION_COOKIE_NAME"] = HOST_PREFIX + name
    config["SESSION_COOKIE_PATH"] = "/"
    if not config.get("SESSION_COOKIE_DOMAIN"):
        config["SESSION_COOKIE_DOMAIN"] = None


def check(config: Mapping[str, Any]) -> None:
    if is_development(config):
        return
    if config.get("ENVIRONMENT") != PRODUCTION:
        raise UnsafeSettings(
            [
                f"TIMEBANK_ENVIRONMENT is {config.get('ENVIRONMENT')!r}:"
                f" use {DEVELOPMENT!r} or {PRODUCTION!r}."
            ]
        )
    problems = production_problems(config)
    if problems:
        raise UnsafeSettings(problems)
