"""/healthz says the process answers; /readyz says whether this app server can serve
(database, Redis, migrations at head). Neither says anything about anyone."""

from __future__ import annotations

import sqlalchemy as sa

from tests.web.support import make_member
from timebank.extensions import db
from timebank.health import migration_heads

READY = {
    "status": "ok",
    "checks": {"database": "ok", "migrations": "ok", "redis": "not configured"},
}


def test_healthz_answers_without_asking_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_checks_the_database_and_the_migrations(client, session):
    # Someone is in the database; the answer still names nobody.
    make_member(session, email="alice@example.org", name="Alice Ashdown")
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == READY
    assert "alice" not in response.get_data(as_text=True).lower()


def test_readyz_is_not_ready_when_the_migrations_are_behind(client, session):
    [head] = migration_heads()
    session.execute(sa.text("UPDATE alembic_version SET version_num = 'older'"))
    session.commit()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["checks"]["migrations"] == "not at head"
        assert response.get_json()["status"] == "not ready"
    finally:
        session.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        session.commit()
    assert client.get("/readyz").status_code == 200


def test_readyz_is_not_ready_without_the_database(app, client):
    db.session.remove()
    engines = app.extensions["sqlalchemy"]._app_engines[app]
    working = engines[None]
    engines[None] = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        response = client.get("/readyz")
    finally:
        engines[None].dispose()
        engines[None] = working
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "unreachable"
    # No host, port, user or driver message in the answer.
    assert "127.0.0.1" not in response.get_data(as_text=True)
    assert "nobody" not in response.get_data(as_text=True)


def test_readyz_asks_redis_when_there_is_one(on_redis, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"] == "ok"


def test_readyz_is_not_ready_when_redis_does_not_answer(on_redis, client):
    on_redis.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    on_redis.extensions.pop("timebank_redis", None)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"] == "unreachable"


def test_health_pages_need_no_sign_in(client):
    for path in ("/healthz", "/readyz"):
        assert client.get(path).status_code == 200
