"""Sign-in, password-reset, password-change and apply attempts limited per client
address and per account (Flask-Limiter); for sign-in, a browser the account has signed
in on before is counted on its own (``known_devices``), so nobody can lock the owner out.

Each app gets its own ``Limiter`` (kept in ``app.extensions["timebank_limiter"]``), so a
test's app starts with empty counters. The account key is an HMAC of the normalised
email address: the address itself is never stored in the limiter's storage or logged.
Over a limit the request is answered 429 with a plain page before the view runs, so no
password is checked (and no timing tells anything).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user

from timebank.auth import known_devices
from timebank.auth.security_log import record_sign_in_limited
from timebank.auth.signing_in import pending_person_id

# The views limited on POST: endpoint -> (address config key, account config key).
LIMITED_VIEWS = {
    "auth.sign_in": ("SIGN_IN_LIMIT_PER_ADDRESS", "SIGN_IN_LIMIT_PER_ACCOUNT"),
    # The two-step code after the password, and "confirm it's you": counted per person.
    "auth.sign_in_code": ("SIGN_IN_LIMIT_PER_ADDRESS", "SIGN_IN_LIMIT_PER_ACCOUNT"),
    "auth.confirm": ("SIGN_IN_LIMIT_PER_ADDRESS", "SIGN_IN_LIMIT_PER_ACCOUNT"),
    "auth.forgot": ("RESET_LIMIT_PER_ADDRESS", "RESET_LIMIT_PER_ACCOUNT"),
    "auth.change_email": ("EMAIL_CHANGE_LIMIT_PER_ADDRESS", "EMAIL_CHANGE_LIMIT_PER_ACCOUNT"),
    "auth.apply": ("APPLY_LIMIT_PER_ADDRESS", "APPLY_LIMIT_PER_ACCOUNT"),
    "auth.change_password": (
        "PASSWORD_CHANGE_LIMIT_PER_ADDRESS",
        "PASSWORD_CHANGE_LIMIT_PER_ACCOUNT",
    ),
}
# Sign-in from a browser that has signed in to the account before skips the account's
# shared limit and has one of its own (timebank/auth/known_devices.py).
KNOWN_DEVICE_VIEWS = {"auth.sign_in": "SIGN_IN_LIMIT_PER_KNOWN_DEVICE"}


def submitted_email() -> str:
    """The email address the form will read: from the form, or from a JSON body (which
    Flask-WTF reads as the form too), normalised."""
    email = request.form.get("email")
    if email is None and request.is_json:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    return email.strip().lower() if isinstance(email, str) else ""


def account_key() -> str:
    """The submitted email, normalised and hashed with the app's secret key. With no
    email there is no account to count: the client's address is counted instead, so no
    one bucket is shared by every request without one."""
    email = submitted_email()
    if not email:
        if current_user.is_authenticated:
            return f"person:{current_user.person.id}"
        waiting = pending_person_id()
        if waiting is not None:
            return f"person:{waiting}"
        return address_key()
    return key_for_email(email)


def key_for_email(email: str) -> str:
    """The account's key: its normalised email address, hashed with the secret key."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, email.strip().lower().encode(), hashlib.sha256).hexdigest()
    return f"account:{digest[:32]}"


def known_device_key() -> str:
    return f"{account_key()}:device:{known_devices.device_id()}"


def _on_known_device() -> bool:
    return known_devices.is_known_for(account_key())


def _on_unknown_device() -> bool:
    return not _on_known_device()


def address_key() -> str:
    return f"address:{get_remote_address()}"


def _too_many(_error):
    if request.endpoint == "auth.sign_in":
        record_sign_in_limited(submitted_email())
    if request.endpoint == "auth.apply":
        # Applications are counted by the hour: each sends an email to the address.
        body = render_template(
            "error.html",
            title=_("Too many applications"),
            detail=_(
                "Too many applications have been sent from here, or for this email address."
                " Nothing was sent this time. Wait an hour and try again."
            ),
            code=429,
        )
        return body, 429, [("Retry-After", "3600")]
    body = render_template(
        "error.html",
        title=_("Too many tries"),
        detail=_("Too many tries. Wait a minute and try again."),
        code=429,
    )
    return body, 429, [("Retry-After", "60")]


def init_limits(app: Flask) -> Limiter:
    limiter = Limiter(
        key_func=address_key,
        storage_uri=(
            app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL") or "memory://"
        ),
        key_prefix=app.config.get("RATELIMIT_KEY_PREFIX") or "timebank",
        strategy="moving-window",
        headers_enabled=False,
    )
    limiter.init_app(app)
    for endpoint, (per_address, per_account) in LIMITED_VIEWS.items():
        view: Callable[..., Any] = app.view_functions[endpoint]
        per_device = KNOWN_DEVICE_VIEWS.get(endpoint)
        if per_device:
            view = limiter.limit(
                app.config[per_account],
                key_func=account_key,
                methods=["POST"],
                exempt_when=_on_known_device,
            )(view)
            view = limiter.limit(
                app.config[per_device],
                key_func=known_device_key,
                methods=["POST"],
                exempt_when=_on_unknown_device,
            )(view)
        else:
            view = limiter.limit(app.config[per_account], key_func=account_key, methods=["POST"])(
                view
            )
        view = limiter.limit(app.config[per_address], key_func=address_key, methods=["POST"])(view)
        app.view_functions[endpoint] = view
    app.register_error_handler(429, _too_many)
    app.extensions["timebank_limiter"] = limiter
    return limiter


def reset_limits(app: Flask) -> None:
    """Forget every counted attempt (tests; or after an incident)."""
    app.extensions["timebank_limiter"].reset()
