"""Writes with an ``Idempotency-Key``: the first answer is kept with a fingerprint of
the request, in the same transaction as the write. The same key with the same request
gets that answer again (nothing is written twice, ``Idempotent-Replayed: true``); the
same key with another request gets 409. Two requests racing with one key: the unique
key lets one commit, the other is rolled back and then replays the first answer. A
refused request keeps nothing, so it may be corrected and sent again with its key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Response, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from timebank.api.auth import caller
from timebank.api.models import ApiIdempotencyKey
from timebank.api.problems import from_ledger_error, problem
from timebank.extensions import db
from timebank.ledger.database import run_in_transaction
from timebank.ledger.errors import LedgerError, NotFoundError

HEADER = "Idempotency-Key"
MAX_KEY = 200


class Written:
    """What a write answers: the body (already dumped), the status and a Location."""

    def __init__(self, body: Any, status: int = 200, location: str | None = None) -> None:
        self.body, self.status, self.location = body, status, location


def _fingerprint() -> str:
    try:
        body = request.get_json(silent=True)
    except Exception:
        body = None
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    text = f"{request.method} {request.path}\n{canonical}"
    return hashlib.sha256(text.encode()).hexdigest()


def _response(body: str, status: int, location: str | None, replayed: bool) -> Response:
    response = Response(body, status=status, mimetype="application/json")
    if location:
        response.headers["Location"] = location
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def key_problem() -> Response | None:
    """A problem answer when the key header is missing or malformed, else None."""
    key = request.headers.get(HEADER)
    if key is None or not key.strip():
        return problem(
            400,
            "idempotency_key_missing",
            _("Send an Idempotency-Key header with every write, new for each new request."),
            field=HEADER,
        )
    if len(key) > MAX_KEY or not key.isprintable() or not key.isascii():
        return problem(
            400,
            "idempotency_key_invalid",
            _("The Idempotency-Key must be up to 200 printable ASCII characters."),
            field=HEADER,
        )
    return None


def run_write(
    work: Callable[[], Written],
    *,
    field_names: dict[str, str] | None = None,
    own_account_id: int | None = None,
) -> Response:
    """Run one write as one transaction under the request's Idempotency-Key.
    ``work`` does the domain work (it flushes, never commits) and returns the answer."""
    refused = key_problem()
    if refused is not None:
        return refused
    key = request.headers[HEADER]
    person_id = caller().id
    fingerprint = _fingerprint()

    def attempt() -> tuple[Written, bool]:
        kept = db.session.scalar(
            sa.select(ApiIdempotencyKey).where(
                ApiIdempotencyKey.person_id == person_id, ApiIdempotencyKey.key == key
            )
        )
        if kept is not None:
            if kept.fingerprint != fingerprint:
                raise _KeyReused()
            return Written(kept.body, kept.status, kept.location), True
        written = work()
        text = json.dumps(written.body)
        db.session.add(
            ApiIdempotencyKey(
                person_id=person_id,
                key=key,
                fingerprint=fingerprint,
                status=written.status,
                body=text,
                location=written.location,
            )
        )
        db.session.flush()
        return Written(text, written.status, written.location), False

    try:
        for tries in range(2):
            try:
                written, replayed = run_in_transaction(db.session(), attempt)
                break
            except IntegrityError as error:
                # Another request with this key committed first: replay its answer.
                if tries or "api_idempotency_key" not in str(error.orig):
                    raise
    except _KeyReused:
        return problem(
            409,
            "idempotency_key_reused",
            _("This Idempotency-Key was already used for a different request."),
            field=HEADER,
        )
    except NotFoundError:
        return problem(404, "not_found", _("There is nothing here, or it is not yours to see."))
    except LedgerError as error:
        return from_ledger_error(error, field_names, own_account_id=own_account_id)
    return _response(written.body, written.status, written.location, replayed)


class _KeyReused(Exception):
    pass
