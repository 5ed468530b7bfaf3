"""A client that retries after a timeout never records an exchange twice: eight
requests with one Idempotency-Key, at once, against a live threaded server, record one
transfer and all get its answer (the key's unique constraint lets one commit; the
others replay it)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tests.api.support import build_world, exchange
from timebank.app import create_app
from timebank.extensions import db
from timebank.ledger.models import Transfer

# Writes through the ledger: run on both engines (make test).
pytestmark = pytest.mark.both_engines


def _post(url: str, token: str, body: dict, key: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_racing_retries_with_one_key_record_one_exchange(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "race",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_OUTBOX": str(tmp_path / "outbox"),
        }
    )
    with app.app_context():
        world = build_world(db.session)
        body = exchange(world)
        token = world["tokens"]["alice"]
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/api/v1/transfers"
    try:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: _post(url, token, body, "one-key"), range(8)))
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    assert {status for status, _ in answers} == {201}, answers
    assert len({answer["id"] for _, answer in answers}) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Transfer.id))) == 1
        db.session.remove()
        db.engine.dispose()
