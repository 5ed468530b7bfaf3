"""One JSON line per request, and JSON logs in production, without personal data.

Each request gets an id (the proxy's ``X-Request-Id`` when it is a plain token, else a
new one), sent back as ``X-Request-Id`` and put on every log record made while the
request runs. The request's line (logger ``timebank.requests``) holds the id, the
method, the route's *pattern* (``/members/messages/<int:thread_id>``: never the path,
which can hold a token, nor the query string, which can hold a search), the endpoint,
the status and the milliseconds taken. Never an address, a name, a form's field, a
cookie or the client's IP address.

Outside development ``configure_logging`` sends every record to standard error as JSON
(time, level, logger, message, request id).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

log = logging.getLogger("timebank.requests")
_SAFE_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


def _request_id() -> str:
    offered = request.headers.get("X-Request-Id", "")
    return offered if _SAFE_ID.fullmatch(offered) else uuid.uuid4().hex


def _start() -> None:
    g.request_id = _request_id()
    g.request_started = time.perf_counter()


def _finish(response):
    request_id = g.get("request_id")
    if request_id is None:
        return response
    rule = request.url_rule.rule if request.url_rule is not None else None
    elapsed = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
    log.info(
        "request",
        extra={
            "fields": {
                "method": request.method,
                "route": rule or "(no route)",
                "endpoint": request.endpoint,
                "status": response.status_code,
                "ms": round(elapsed, 1),
            }
        },
    )
    response.headers["X-Request-Id"] = request_id
    return response


def init_request_log(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id") if has_request_context() else None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            # The exception's kind and where it was raised, not its text: a database
            # error's text quotes the row ("Key (email)=(...) already exists").
            kind, _error, trace = record.exc_info
            entry["error"] = kind.__name__ if kind else None
            entry["where"] = [
                f"{frame.filename}:{frame.lineno} {frame.name}"
                for frame in traceback.extract_tb(trace)
            ]
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on standard error for every logger (once per process)."""
    root = logging.getLogger()
    if any(getattr(h, "timebank_json", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.timebank_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
