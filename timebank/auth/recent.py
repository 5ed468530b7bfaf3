"""Re-authentication: "confirm it's you" before changing roles, a bank's settings or
one's own sign-in.

The session keeps when the person last gave their password (and two-step code, when
they have it on): at sign-in and on the confirm page. A view wrapped in
:func:`recent_sign_in_required` sends anyone whose confirmation is older than
``REAUTHENTICATE_AFTER_MINUTES`` to ``/auth/confirm`` and then back: to the page itself
for a GET, or to the page the form was on (``back``) for a POST, which is never replayed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, redirect, request, session, url_for
from flask_login import current_user

from timebank.ledger.clock import now

SESSION_KEY = "confirmed_at"


def mark_confirmed() -> None:
    """The person has just given their password (and code): start the clock again."""
    session[SESSION_KEY] = int(now().timestamp())


def is_recent() -> bool:
    confirmed = session.get(SESSION_KEY)
    if not isinstance(confirmed, int):
        return False
    age = int(now().timestamp()) - confirmed
    return 0 <= age <= int(current_app.config["REAUTHENTICATE_AFTER_MINUTES"]) * 60


def _here() -> str:
    query = request.query_string.decode("utf-8", "replace")
    return f"{request.path}?{query}" if query else request.path


def recent_sign_in_required(back: Callable[..., str] | None = None):
    """Send a person whose last confirmation is too old to the confirm page first.
    ``back(**view_args)`` gives the page to return to after a POST (default: this URL,
    which must then answer GET)."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if current_user.is_authenticated and not is_recent():
                if request.method in ("GET", "HEAD"):
                    target = _here()
                else:
                    target = back(**kwargs) if back is not None else request.path
                return redirect(url_for("auth.confirm", next=target))
            return view(*args, **kwargs)

        return wrapped

    return decorate
