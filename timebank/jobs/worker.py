"""The worker: runs the app's jobs from Redis (``make worker``).

RQ's ``Worker`` forks a fresh process for each job, so a job that crashes or hangs
(it is stopped after its timeout) takes nothing else down; the jobs' database
connections are made in that process. The worker also takes back the jobs of workers
that died mid-job (RQ's maintenance: their jobs are retried, or failed when their tries
are spent) and runs retries when they fall due (``with_scheduler``).
"""

from __future__ import annotations

from flask import Flask

from timebank.extensions import db
from timebank.jobs.queue import redis_connection, rq_queue


class NoRedis(RuntimeError):
    pass


def _in_process_worker_class():
    from rq import SimpleWorker

    class InProcessWorker(SimpleWorker):
        """Runs jobs in this process, without the channel for remote commands ("stop
        that job"): stopping its listener waits up to a minute, and a burst run in a
        test is over long before anyone could send one."""

        def subscribe(self) -> None:
            self.pubsub = None

        def unsubscribe(self) -> None:
            pass

    return InProcessWorker


def run_worker(app: Flask, *, burst: bool = False, simple: bool = False) -> bool:
    """Work until stopped (or, with ``burst``, until the queue is empty). ``simple``:
    run each job in this process (tests; no fork)."""
    from rq import Worker

    connection = redis_connection(app)
    if connection is None:
        raise NoRedis("TIMEBANK_REDIS_URL is not set: there is no queue to work on.")
    with app.app_context():
        # No connection of this process is handed down to a forked job.
        db.engine.dispose()
        worker_class = _in_process_worker_class() if simple else Worker
        worker = worker_class([rq_queue(app)], connection=connection)
        return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
