"""Who is calling: a personal access token in ``Authorization: Bearer <token>``, never a
cookie (a signed-in browser gets 401 like anyone without a token, so no page can be
made to call the API for its reader, and the API needs no CSRF token). Every use is
counted per token (``API_RATE_LIMIT``); a token that may only read is refused writes."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, request
from flask_babel import gettext as _
from limits import parse

from timebank.api.problems import problem, unauthorized
from timebank.community.api_tokens import ApiToken, find_usable_token
from timebank.extensions import db
from timebank.ledger.clock import utcnow
from timebank.ledger.models import Person

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# Answered without a token: the description and its page.
OPEN_ENDPOINTS = {"api-docs.openapi_json", "api_docs.page"}
LAST_USED_STEP = timedelta(minutes=5)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def _over_limit(token: ApiToken) -> bool:
    limiter = current_app.extensions["timebank_limiter"].limiter
    item = parse(current_app.config["API_RATE_LIMIT"])
    return not limiter.hit(item, "api-token", str(token.id))


def authenticate():
    """Before every API request: the token, its limit and its scope."""
    if request.endpoint in OPEN_ENDPOINTS or request.endpoint is None:
        return None
    secret = _bearer()
    token = find_usable_token(db.session(), secret) if secret else None
    if token is None:
        return unauthorized()
    if _over_limit(token):
        return problem(
            429,
            "rate_limited",
            _("Too many requests with this token. Wait a minute and try again."),
            headers={"Retry-After": "60"},
        )
    if request.method not in READ_METHODS and not token.can_write:
        return problem(
            403,
            "token_read_only",
            _("This token may only read. Create a token that may also write."),
        )
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_STEP:
        token.last_used_at = now
        db.session.commit()
    g.api_token = token
    g.api_person = token.person
    return None


def caller() -> Person:
    return g.api_person
