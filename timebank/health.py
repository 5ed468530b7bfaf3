"""``/healthz`` and ``/readyz`` for the load balancer and the orchestrator.

- ``/healthz``: the process answers (nothing else is asked, so a database outage does
  not make every app server look dead and get restarted).
- ``/readyz``: this app server can serve: the database answers, Redis answers (when it
  is configured), and the database's migrations are at the head of this code's. 503
  with the failing check's name otherwise.

Both say only "ok" or what failed, in English, as JSON: no names, no counts, no
addresses, not even the error's text (which could carry a host name or a user).
Never cached, never rate-limited, never behind a sign-in, and answered whatever the
Host header says: a load balancer's or orchestrator's probe names the app server by its
own address, which is not one of the site's trusted hosts (every other page answers
such a request with 400).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, jsonify

from timebank.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
PROBES = frozenset({"/healthz", "/readyz"})


class AnyHostForProbes:
    """WSGI middleware: a GET or HEAD of a probe is handed to the app as if addressed to
    the site's first trusted host, so the host check lets it through. Nothing else is
    changed; the probes build no links."""

    def __init__(self, wsgi_app: Callable, host: str) -> None:
        self.wsgi_app = wsgi_app
        self.host = host

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in PROBES and environ.get("REQUEST_METHOD") in (
            "GET",
            "HEAD",
        ):
            environ = {**environ, "HTTP_HOST": self.host}
        return self.wsgi_app(environ, start_response)


def init_health(app: Flask) -> None:
    """The probes' routes, answered whatever the Host header (after ``init_links``, which
    settles the trusted hosts)."""
    app.register_blueprint(bp)
    trusted = app.config.get("TRUSTED_HOSTS")
    if trusted:
        # ".example.org" trusts example.org and its subdomains: hand over example.org.
        host = trusted[0].lstrip(".")
        app.wsgi_app = AnyHostForProbes(app.wsgi_app, host)  # type: ignore[method-assign]


def _answer(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    return _answer({"status": "ok"}, 200)


def migration_heads() -> set[str]:
    """The head revision(s) of this code's migrations (read once per app)."""
    heads = current_app.extensions.get("timebank_migration_heads")
    if heads is None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        heads = set(ScriptDirectory.from_config(config).get_heads())
        current_app.extensions["timebank_migration_heads"] = heads
    return heads


def _database() -> tuple[str, str]:
    try:
        applied = set(db.session.scalars(sa.text("SELECT version_num FROM alembic_version")))
    except Exception as error:
        db.session.rollback()
        log.warning("readiness: database check failed (%s)", type(error).__name__)
        return "unreachable", "unknown"
    finally:
        db.session.rollback()
    return "ok", ("ok" if applied == migration_heads() else "not at head")


def _redis() -> str:
    from timebank.jobs.queue import redis_connection

    connection = redis_connection()
    if connection is None:
        return "not configured"
    try:
        connection.ping()
    except Exception as error:
        log.warning("readiness: Redis check failed (%s)", type(error).__name__)
        return "unreachable"
    return "ok"


@bp.get("/readyz")
def readyz():
    database, migrations = _database()
    redis = _redis()
    checks = {"database": database, "migrations": migrations, "redis": redis}
    ready = database == "ok" and migrations == "ok" and redis in ("ok", "not configured")
    return _answer(
        {"status": "ok" if ready else "not ready", "checks": checks}, 200 if ready else 503
    )
