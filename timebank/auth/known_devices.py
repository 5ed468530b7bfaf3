"""Known devices: the answer to "an account lockout that cannot be used to lock someone
out" (OWASP's device-cookie design).

After a successful sign-in the browser gets a signed cookie (``timebank_device``, sent
only to /auth/, HttpOnly, for ``KNOWN_DEVICE_DAYS``) naming the accounts that have
signed in on it, each as the same keyed hash of the email address that the limits use
(never the address itself). Sign-in tries are then counted in two ways:

- from a browser *without* that account's cookie: per account, with limits that tighten
  over the minute, the hour and the day (``SIGN_IN_LIMIT_PER_ACCOUNT``). This is what a
  password-guessing attacker meets, wherever they try from;
- from a browser *with* it: per account and device, with its own limit
  (``SIGN_IN_LIMIT_PER_KNOWN_DEVICE``), and never the account's shared limit.

So an attacker who spends an account's limit only locks out strangers' browsers: the
owner still signs in from any browser they have used before, and from a new one by
choosing a new password through the emailed link (which signs them in and makes that
browser known). The per-address limit still applies to everyone.
"""

from __future__ import annotations

import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

COOKIE = "timebank_device"
SALT = "known-device"
KNOWN_DEVICE_DAYS = 180
# A shared computer keeps the last few accounts signed in on it.
MAX_ACCOUNTS = 5


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _read() -> dict:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return {}
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("accounts"), list):
        return {}
    if not isinstance(data.get("device"), str):
        return {}
    return data


def is_known_for(account: str) -> bool:
    """Whether this browser has signed in to ``account`` (an ``account_key``) before."""
    return account in _read().get("accounts", [])


def device_id() -> str | None:
    return _read().get("device")


def remember(response: Response, account: str) -> None:
    """After a successful sign-in: add the account to this browser's cookie."""
    data = _read()
    device = data.get("device") or secrets.token_urlsafe(12)
    accounts = [account, *(a for a in data.get("accounts", []) if a != account)]
    value = _serializer().dumps({"device": device, "accounts": accounts[:MAX_ACCOUNTS]})
    response.set_cookie(
        COOKIE,
        value,
        max_age=KNOWN_DEVICE_DAYS * 24 * 60 * 60,
        path="/auth/",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )
