"""Prometheus metrics at ``/metrics``, for a bearer token only.

- ``timebank_request_seconds{endpoint, method}``: how long requests take (a histogram);
- ``timebank_request_errors_total{endpoint, status}``: answers of 500 and over;
- ``timebank_transfers_posted_total``: transfers posted by this app (a counter: the
  posting rate is its ``rate()``), counted when their transaction commits;
- ``timebank_pending_entries``: entries waiting for a confirmation or an approval,
  over every bank (read at each scrape);
- ``timebank_jobs_queued`` / ``timebank_jobs_failed``: the job queue (with Redis).

Labels are endpoint names and status codes only: nothing about anyone. The endpoint
answers 404 unless ``METRICS_TOKEN`` is set, and 401 to a request without that token
(``Authorization: Bearer <token>``), so it can sit on the public site; bind a
Prometheus-only proxy path to it, or keep it off the proxy altogether.

Under gunicorn's several processes set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder
(emptied on each deploy): every process then writes its figures there and any of them
answers for all (gunicorn.conf.py tells the library when a process ends).
"""

from __future__ import annotations

import hmac
import os
import time

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event
from sqlalchemy.orm import Session

from timebank.extensions import db
from timebank.ledger.models import Transfer, TransferStatus

bp = Blueprint("metrics", __name__)

REQUEST_SECONDS = Histogram(
    "timebank_request_seconds",
    "Time taken to answer a request, by endpoint",
    ["endpoint", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10),
)
REQUEST_ERRORS = Counter(
    "timebank_request_errors_total", "Requests answered with 500 or over", ["endpoint", "status"]
)
TRANSFERS_POSTED = Counter("timebank_transfers_posted_total", "Transfers posted (committed)")
_POSTED = "timebank_metrics_posted"


def _observe(response):
    started = g.get("request_started")
    endpoint = request.endpoint or "(no route)"
    if started is not None:
        REQUEST_SECONDS.labels(endpoint, request.method).observe(time.perf_counter() - started)
    if response.status_code >= 500:
        REQUEST_ERRORS.labels(endpoint, str(response.status_code)).inc()
    return response


# Posted transfers, counted on commit ---------------------------------------------------


def _count_posted(session: Session, flush_context) -> None:
    posted = 0
    for item in list(session.new) + list(session.dirty):
        if isinstance(item, Transfer) and item.status == TransferStatus.POSTED:
            history = sa.inspect(item).attrs.status.history
            if item in session.new or history.added:
                posted += 1
    if posted:
        session.info[_POSTED] = session.info.get(_POSTED, 0) + posted


def _after_commit(session: Session) -> None:
    if session.get_nested_transaction() is None:
        posted = session.info.pop(_POSTED, 0)
        if posted:
            TRANSFERS_POSTED.inc(posted)


def _after_rollback(session: Session) -> None:
    # The transaction is gone: nothing it flushed was posted (a retry counts afresh).
    session.info.pop(_POSTED, None)


# The scrape ---------------------------------------------------------------------------


class DomainCollector:
    """Figures read from the database and the queue when Prometheus asks."""

    def __init__(self, app) -> None:
        self.app = app

    def collect(self):
        pending = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Transfer)
            .where(Transfer.status == TransferStatus.PENDING)
        )
        db.session.rollback()
        yield GaugeMetricFamily(
            "timebank_pending_entries", "Entries waiting for a confirmation or approval", pending
        )
        from timebank.jobs.queue import redis_connection, rq_queue

        if redis_connection(self.app) is not None:
            queue = rq_queue(self.app)
            yield GaugeMetricFamily("timebank_jobs_queued", "Jobs waiting to run", queue.count)
            yield GaugeMetricFamily(
                "timebank_jobs_failed",
                "Jobs failed after every try",
                queue.failed_job_registry.count,
            )


def _authorised() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    offered = request.headers.get("Authorization", "")
    return hmac.compare_digest(offered.encode(), f"Bearer {token}".encode())


@bp.get("/metrics")
def metrics():
    if not _authorised():
        return Response("A bearer token is needed.\n", 401, {"WWW-Authenticate": "Bearer"})
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        body = generate_latest(processes)
    else:
        body = generate_latest(REGISTRY)
    domain = CollectorRegistry()
    domain.register(DomainCollector(current_app._get_current_object()))
    body += generate_latest(domain)
    return Response(body, 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})


def init_metrics(app) -> None:
    """After ``init_request_log`` (which times each request)."""
    app.after_request(_observe)
    app.register_blueprint(bp)
    for name, listener in (
        ("after_flush", _count_posted),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
