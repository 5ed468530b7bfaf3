"""Putting a job on the queue, and asking whether it is still to run or running.

Each job has a name of our own (``import-12``, ``email-340``), made unique per queue by
the queue's name, so a job queued twice is one job and its state can be asked for from
any process. Jobs are retried ``JOB_RETRIES`` times, ``JOB_RETRY_INTERVALS`` seconds
apart (a worker killed mid-job counts as a failure, so its job runs again).

Without ``REDIS_URL`` the job runs in this process: at once (``background=False``) or in
a thread (``background=True``; ``THREADS`` keeps them so tests can wait for them). A
failure in-process is logged by the job's name only, never with its arguments.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

log = logging.getLogger(__name__)

# Background jobs run in this process when there is no Redis, by job id.
THREADS: dict[str, threading.Thread] = {}
# The states of a job that will still run (or is running) on RQ.
_PENDING_STATES = {"queued", "started", "deferred", "scheduled"}


def redis_connection(app: Flask | None = None):
    """The app's Redis client (one per app), or None without ``REDIS_URL``."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    connection = app.extensions.get("timebank_redis")
    if connection is None:
        from redis import Redis

        connection = Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        app.extensions["timebank_redis"] = connection
    return connection


def queue_name(app: Flask | None = None) -> str:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return str(app.config.get("JOB_QUEUE") or "timebank")


def job_id(name: str, app: Flask | None = None) -> str:
    """The RQ job id of our job ``name`` on this app's queue (letters, digits, - and _)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{queue_name(app)}-{name}")


def rq_queue(app: Flask | None = None):
    from rq import Queue

    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return Queue(queue_name(app), connection=redis_connection(app))


def enqueue(
    task: Callable[..., Any],
    *args: Any,
    name: str,
    background: bool = True,
    timeout: int | None = None,
) -> None:
    """Run ``task(*args)`` as the job ``name``: on the queue when there is Redis, else in
    this process. ``args`` must be plain values (ids, not objects)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if redis_connection(app) is None:
        _run_in_process(app, task, args, name, background)
        return
    from rq import Retry

    retries = int(app.config.get("JOB_RETRIES") or 0)
    options: dict[str, Any] = {
        "job_id": job_id(name, app),
        "description": name,
        "job_timeout": timeout,
        "result_ttl": 24 * 60 * 60,
        "failure_ttl": 7 * 24 * 60 * 60,
    }
    if retries:
        options["retry"] = Retry(max=retries, interval=list(app.config["JOB_RETRY_INTERVALS"]))
    rq_queue(app).enqueue(task, *args, **options)


def _run_in_process(app: Flask, task, args, name: str, background: bool) -> None:
    def work() -> None:
        with app.app_context():
            try:
                task(*args)
            except Exception:
                log.exception("job %s failed", name)
            finally:
                from timebank.extensions import db

                db.session.remove()

    if not background:
        try:
            task(*args)
        except Exception:
            log.exception("job %s failed", name)
        return
    thread = threading.Thread(target=work, name=f"job-{name}", daemon=True)
    THREADS[job_id(name, app)] = thread
    thread.start()


def is_running(name: str) -> bool:
    """Whether the job ``name`` is still waiting, running or due to be retried."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    connection = redis_connection(app)
    key = job_id(name, app)
    if connection is None:
        thread = THREADS.get(key)
        return thread is not None and thread.is_alive()
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(key, connection=connection)
    except NoSuchJobError:
        return False
    status = job.get_status()
    return status is not None and str(getattr(status, "value", status)) in _PENDING_STATES


def wait_in_process(name: str, timeout: float = 60) -> None:
    """Wait for a job of this process (no Redis) to end (used by tests)."""
    key = job_id(name)
    thread = THREADS.get(key)
    if thread is not None:
        thread.join(timeout)
        if not thread.is_alive():
            THREADS.pop(key, None)
