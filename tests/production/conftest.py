"""Fixtures for running as in production: a real Redis (127.0.0.1:6379, or
``TIMEBANK_TEST_REDIS_URL``) with a queue and key prefix of this test's own, so parallel
runs on one Redis never see each other's jobs or counts, and an RQ worker run in this
process (``SimpleWorker``, burst mode) over that queue."""

from __future__ import annotations

import os
import uuid

import pytest

REDIS_URL = os.environ.get("TIMEBANK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_answers(url: str = REDIS_URL) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture
def redis_settings():
    """Settings that put an app on Redis under names of this test's own; every key made
    under them is removed afterwards."""
    if not redis_answers():
        pytest.fail(
            f"Redis does not answer on {REDIS_URL}. Run scripts/ensure-services.sh (or"
            " `make services`) and the tests again.",
            pytrace=False,
        )
    import redis

    name = f"timebank-test-{uuid.uuid4().hex[:12]}"
    yield {
        "REDIS_URL": REDIS_URL,
        "JOB_QUEUE": name,
        "RATELIMIT_KEY_PREFIX": name,
        # Retries at once, so a burst worker runs them before it stops.
        "JOB_RETRY_INTERVALS": [0],
    }
    connection = redis.Redis.from_url(REDIS_URL)
    keys = list(connection.scan_iter(match=f"*{name}*", count=1000))
    if keys:
        connection.delete(*keys)
    connection.close()


@pytest.fixture
def on_redis(app, redis_settings):
    """The test's app with its jobs and counts on Redis."""
    app.config.update(redis_settings)
    app.extensions.pop("timebank_redis", None)
    return app


def work_off(app) -> None:
    """Run every queued job (and its retries) in this process, as the worker would.
    The test's session holds no transaction meanwhile (on SQLite it would hold the
    write lock the jobs need)."""
    from timebank.extensions import db
    from timebank.jobs.worker import run_worker

    db.session.rollback()
    run_worker(app, burst=True, simple=True)
