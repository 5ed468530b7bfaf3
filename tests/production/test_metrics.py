"""/metrics: request latency by endpoint, errors, posted transfers, pending entries and
the job queue, for Prometheus with its token only, naming nobody."""

from __future__ import annotations

import re

import pytest

from tests.factories import TimeBankFactory, bank_today
from tests.web.support import make_member
from timebank.ledger.transfers import confirm_transfer, record_transfer

TOKEN = "a-metrics-token-for-the-tests-1234567890"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def with_token(app):
    app.config["METRICS_TOKEN"] = TOKEN
    return app


def value(text: str, name: str, **labels) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}(\{{[^}}]*\}})? (\S+)$"
    for match in re.finditer(pattern, text, re.MULTILINE):
        if wanted in (match.group(1) or ""):
            return float(match.group(2))
    raise AssertionError(f"{name} {labels} not in the metrics")


def test_metrics_are_hidden_without_a_token_configured(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_token(with_token, client):
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401
    assert client.get("/metrics", headers=AUTH).status_code == 200


def test_metrics_count_requests_posted_transfers_and_pending_entries(with_token, client, session):
    # The other person confirms; no coordinator's approval.
    bank = TimeBankFactory(name="Riverside Time Bank", requires_approval=False)
    alice = make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
    bob = make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank)
    before = client.get("/metrics", headers=AUTH).get_data(as_text=True)
    healthz_before = _count(before, "health.healthz")
    posted_before = value(before, "timebank_transfers_posted_total")

    for _ in range(3):
        client.get("/healthz")
    waiting = record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=60,
        service_date=bank_today(),
    )
    session.commit()
    text = client.get("/metrics", headers=AUTH).get_data(as_text=True)
    assert _count(text, "health.healthz") == healthz_before + 3
    assert value(text, "timebank_pending_entries") == 1

    confirm_transfer(session, actor=bob, transfer_id=waiting.id)
    session.commit()
    text = client.get("/metrics", headers=AUTH).get_data(as_text=True)
    assert value(text, "timebank_transfers_posted_total") == posted_before + 1
    assert value(text, "timebank_pending_entries") == 0
    for private in ("alice", "Alice", "bob@", "Brennan", "Riverside"):
        assert private not in text


def test_metrics_count_server_errors_by_endpoint(with_token, app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/test-broken", "test_broken", broken)
    before = client.get("/metrics", headers=AUTH).get_data(as_text=True)
    try:
        errors_before = value(
            before, "timebank_request_errors_total", endpoint="test_broken", status="500"
        )
    except AssertionError:
        errors_before = 0
    assert client.get("/test-broken").status_code == 500
    text = client.get("/metrics", headers=AUTH).get_data(as_text=True)
    errors = value(text, "timebank_request_errors_total", endpoint="test_broken", status="500")
    assert errors == errors_before + 1


def test_metrics_show_the_job_queue_with_redis(with_token, on_redis, client):
    text = client.get("/metrics", headers=AUTH).get_data(as_text=True)
    assert value(text, "timebank_jobs_queued") == 0
    assert value(text, "timebank_jobs_failed") == 0


def _count(text: str, endpoint: str) -> float:
    try:
        return value(text, "timebank_request_seconds_count", endpoint=endpoint, method="GET")
    except AssertionError:
        return 0
