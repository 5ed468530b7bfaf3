"""gunicorn's settings for timebank (`make serve`; `gunicorn -c gunicorn.conf.py
timebank.wsgi:app`). Every value comes from the environment, with these defaults."""

import gc
import os

bind = os.environ.get("TIMEBANK_BIND", "127.0.0.1:8000")
# WEB_CONCURRENCY is the usual name (Heroku, Render, gunicorn's own default reads it).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("TIMEBANK_THREADS", "4"))
# A slow report or export may take a while; an import never runs here (the worker).
timeout = int(os.environ.get("TIMEBANK_REQUEST_TIMEOUT", "60"))
graceful_timeout = 30
# Seconds an idle kept-alive connection stays open. Longer than the client (or the load
# balancer) keeps an idle connection before reusing it, or a reused one is reset
# mid-request: with the default 2 s, a load test whose people pause 1 to 3 s got
# "connection reset by peer" on about 1 request in 15.
keepalive = int(os.environ.get("TIMEBANK_KEEPALIVE", "75"))
# Restarted now and then, so that a leak cannot grow for ever. Not often: a new worker
# imports and builds the app again (about 1.5 s of CPU on a 2-core machine) and starts
# with cold caches, so every 2,000 requests cost each request about 0.7 ms, a third of
# the sign-in page's own time; at 20,000 it is under a tenth of a millisecond.
max_requests = int(os.environ.get("TIMEBANK_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Each worker builds its own app (and database pool) after the fork; a settings error
# stops the first worker at boot, and gunicorn with it.
preload_app = False
# One line per request is logged by the app itself (timebank/request_log.py), without
# personal data; gunicorn's own access log would print paths and addresses.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("TIMEBANK_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("TIMEBANK_FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    """Prometheus' multiprocess mode: forget the figures of a process that has ended."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Move everything the worker has made so far (modules, the app, its pools) out of
    the cyclic garbage collector's sight: a full collection then walks only what
    requests make. Without it, a request that reads a big cached report (many small
    objects) now and then paid a full walk of the whole process: 100-120 ms more of CPU
    for the partners' network page of the bench's largest bank (45-50 ms otherwise)."""
    gc.collect()
    gc.freeze()
