"""Sign-in and password-reset attempts limited per client address and per account
(Flask-Limiter).

Each app gets its own ``Limiter`` (kept in ``app.extensions["timebank_limiter"]``), so a
test's app starts with empty counters. The account key is an HMAC of the normalised
email address: the address itself is never stored in the limiter's storage or logged.
Over a limit the request is answered 429 with a plain page before the view runs, so no
password is checked (and no timing tells anything).
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# The views limited on POST: endpoint -> (address config key, account config key).
LIMITED_VIEWS = {
    "auth.sign_in": ("SIGN_IN_LIMIT_PER_ADDRESS", "SIGN_IN_LIMIT_PER_ACCOUNT"),
    "auth.forgot": ("RESET_LIMIT_PER_ADDRESS", "RESET_LIMIT_PER_ACCOUNT"),
}


def account_key() -> str:
    """The submitted email, normalised and hashed with the app's secret key."""
    email = (request.form.get("email") or "").strip().lower()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, email.encode(), hashlib.sha256).hexdigest()
    return f"account:{digest[:32]}"


def address_key() -> str:
    return f"address:{get_remote_address()}"


def _too_many(_error):
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
        storage_uri=app.config.get("RATELIMIT_STORAGE_URI") or "memory://",
        key_prefix=app.config.get("RATELIMIT_KEY_PREFIX") or "timebank",
        strategy="moving-window",
        headers_enabled=False,
    )
    limiter.init_app(app)
    for endpoint, (per_address, per_account) in LIMITED_VIEWS.items():
        view = app.view_functions[endpoint]
        view = limiter.limit(app.config[per_account], key_func=account_key, methods=["POST"])(view)
        view = limiter.limit(app.config[per_address], key_func=address_key, methods=["POST"])(view)
        app.view_functions[endpoint] = view
    app.register_error_handler(429, _too_many)
    app.extensions["timebank_limiter"] = limiter
    return limiter


def reset_limits(app: Flask) -> None:
    """Forget every counted attempt (tests; or after an incident)."""
    app.extensions["timebank_limiter"].reset()
