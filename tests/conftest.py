"""Fixtures: a real database (SQLite file or a fresh PostgreSQL schema), the app, a
session, a client and a CLI runner.

Choose the engine with ``--engine sqlite`` (default) or ``--engine postgresql``.
``make test`` runs the whole suite on SQLite, then again on PostgreSQL only what the
engine can change: the tests marked ``both_engines`` (every test under tests/ledger and
tests/importing, and the concurrency tests) and those marked ``postgres_only``. Both
runs use pytest-xdist: each worker has its own temporary folder (so its own SQLite
files) and its own PostgreSQL schema. The schema is built by the migrations, once
per run: on SQLite into a template file copied for every test, on PostgreSQL into a
schema of its own that is truncated after every test and dropped at the end.
"""

from __future__ import annotations

import contextvars
import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient, FlaskCliRunner

from timebank.app import create_app
from timebank.extensions import db

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# A time bank and its people (alice, bob, a coordinator), for the folders that use them.
pytest_plugins = ["tests.bank_people"]


def pytest_addoption(parser):
    parser.addoption(
        "--engine",
        choices=["sqlite", "postgresql"],
        default=os.environ.get("TIMEBANK_TEST_ENGINE", "sqlite"),
    )


# Folders whose every test runs on both engines (make test); the markers follow the path.
# The API: its issue asks for every endpoint and refusal on both.
BOTH_ENGINES = {"ledger", "importing", "api"}


def pytest_collection_modifyitems(config, items):
    tests = ROOT / "tests"
    for item in items:
        folder = item.path.relative_to(tests).parts[0]
        if folder in BOTH_ENGINES:
            item.add_marker(pytest.mark.both_engines)
        if folder == "browser":
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
    if config.getoption("--engine") == "postgresql":
        return
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres_only") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def pytest_report_header(config):
    return f"timebank database engine: {config.getoption('--engine')}"


@pytest.fixture(scope="session")
def engine_name(pytestconfig) -> str:
    return pytestconfig.getoption("--engine")


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "t"})
    with app.app_context():
        upgrade(directory=str(ROOT / "timebank" / "migrations"))
        db.engine.dispose()


def pg_url_with_schema(schema: str) -> str:
    base = os.environ.get("TIMEBANK_TEST_POSTGRES_URL", DEFAULT_PG)
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def database_template(engine_name, tmp_path_factory):
    """A migrated database for this run: a SQLite file, or a PostgreSQL schema."""
    if engine_name == "sqlite":
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        _migrate(f"sqlite:///{path}")
        yield path
        return
    schema = f"tb_test_{uuid.uuid4().hex[:12]}"
    base = os.environ.get("TIMEBANK_TEST_POSTGRES_URL", DEFAULT_PG)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        _migrate(pg_url_with_schema(schema))
        yield schema
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def database_url(engine_name, database_template, tmp_path):
    if engine_name == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(database_template, path)
        yield f"sqlite:///{path}"
        return
    url = pg_url_with_schema(database_template)
    yield url
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        tables = (
            connection.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    " AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        if tables:
            # TRUNCATE does not fire the row triggers that protect history.
            connection.exec_driver_sql(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
            )
    engine.dispose()


def in_own_context(call, *args, **kwargs):
    """Run a request or a command as production does: in an app context of its own, so
    with its own database session, never the test's.

    The ``app`` fixture keeps one app context pushed for the whole test, so that tests
    can use the session directly; a request made inside it would share that context's
    session (and ``g``), and a view that forgot to commit would still pass. So: what the
    test built is committed first; the call runs in an empty ``contextvars`` context,
    where Flask pushes a fresh app context (and Flask-SQLAlchemy removes its session,
    rolling back anything uncommitted, when it ends); then everything the test's session
    holds is expired, so the test's assertions read the database afresh.
    """
    db.session.commit()
    try:
        return contextvars.Context().run(call, *args, **kwargs)
    finally:
        db.session.expire_all()


class RequestScopedClient(FlaskClient):
    """A test client whose every request runs in its own app context and session."""

    def open(self, *args, **kwargs):
        if has_app_context():
            # Buffered: a streamed response (CSV exports) is read to its end inside the
            # request's own context, which its generator holds.
            kwargs.setdefault("buffered", True)
            return in_own_context(super().open, *args, **kwargs)
        return super().open(*args, **kwargs)


class CommandScopedRunner(FlaskCliRunner):
    """A CLI runner whose every command runs in its own app context and session."""

    def invoke(self, *args, **kwargs):
        if has_app_context():
            return in_own_context(super().invoke, *args, **kwargs)
        return super().invoke(*args, **kwargs)


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            # Emails land in the test's own folder, never in the repository's instance/.
            "MAIL_OUTBOX": str(tmp_path / "outbox"),
            "SECRET_KEY": "test-secret-key",
            # The test client's host: links in emails start with it.
            "EXTERNAL_ORIGIN": "http://localhost",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            # Tests that want report rebuilds queued after postings turn this on.
            "REBUILD_REPORTS_AFTER_POSTING": False,
        }
    )
    app.test_client_class = RequestScopedClient
    app.test_cli_runner_class = CommandScopedRunner
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
