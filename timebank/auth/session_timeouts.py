"""Sessions end after ``SESSION_IDLE_TIMEOUT`` seconds without a request and, whatever
happens, ``SESSION_ABSOLUTE_TIMEOUT`` seconds after signing in (OWASP ASVS V7.3).

The server decides, on every request: the signed session cookie carries when the person
signed in and when they were last seen (the cookie is signed, so neither can be moved),
and both are checked against the bank's clock before any view runs. An ended session is
cleared (its row marked ended) and the person sent to the sign-in page, which says why.
A session whose row was ended elsewhere (timebank/auth/sessions.py) is signed out the
same way; an open one has its row's "last seen" written at most once a minute. Signing out, changing
or resetting the password still end every session at once (the session version in
``auth/user.py``); a copied cookie also stops working at the absolute limit, and at the
idle limit after its own last use.
"""

from __future__ import annotations

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import logout_user, user_logged_in

from timebank.auth import sessions
from timebank.auth.security_log import log_event
from timebank.community import sign_in_sessions as rows
from timebank.community.security_events import SESSION_EXPIRED
from timebank.extensions import db
from timebank.ledger import clock
from timebank.ledger.database import run_in_transaction

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# "Last seen" is written to the cookie at most this often (seconds), not on every request.
SEEN_RESOLUTION = 60
# Requests that never need a session (and must not end one).
_SKIP_ENDPOINTS = {"static"}


def _now() -> int:
    return int(clock.now().timestamp())


def _started(_app, **_extra) -> None:
    now = _now()
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


def _person_id() -> int | None:
    user_id = session.get("_user_id")
    try:
        return int(str(user_id).split(":", 1)[0])
    except ValueError:
        return None


def _expired_reason(now: int) -> str | None:
    config = current_app.config
    signed_in_at = session.get(SIGNED_IN_AT)
    seen_at = session.get(SEEN_AT)
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        return "absolute"  # a cookie from before these limits (or altered): start again
    if now - signed_in_at > config["SESSION_ABSOLUTE_TIMEOUT"]:
        return "absolute"
    if now - seen_at > config["SESSION_IDLE_TIMEOUT"]:
        return "idle"
    return None


def _message(reason: str) -> str:
    config = current_app.config
    if reason == "idle":
        minutes = max(1, config["SESSION_IDLE_TIMEOUT"] // 60)
        return ngettext(
            "You were signed out because nothing happened for %(num)d minute."
            " Sign in again to carry on.",
            "You were signed out because nothing happened for %(num)d minutes."
            " Sign in again to carry on.",
            minutes,
        )
    hours = max(1, config["SESSION_ABSOLUTE_TIMEOUT"] // 3600)
    return ngettext(
        "You were signed out because you had been signed in for %(num)d hour."
        " Sign in again to carry on.",
        "You were signed out because you had been signed in for %(num)d hours."
        " Sign in again to carry on.",
        hours,
    )


def _signed_out(message: str, code: int = 303):
    logout_user()
    session.clear()
    sessions.forget()
    flash(message)
    target = None
    if request.method == "GET" and not request.path.startswith("/auth/"):
        target = request.full_path.rstrip("?")
    return redirect(url_for("auth.sign_in", next=target), code=code)


def check_session():
    if "_user_id" not in session or request.endpoint in _SKIP_ENDPOINTS:
        return None
    now = _now()
    reason = _expired_reason(now)
    person_id = _person_id()
    row = sessions.current_row()
    if reason is not None:
        if person_id is not None:
            if row is not None and row.person_id == person_id:
                row_id = row.id
                run_in_transaction(
                    db.session(),
                    lambda: rows.end_one(
                        db.session(), person_id=person_id, session_id=row_id, reason=reason
                    ),
                )
            log_event(SESSION_EXPIRED, person_id=person_id, details={"reason": reason})
        return _signed_out(_message(reason))
    if person_id is None or not sessions.is_open_for(person_id):
        # Ended on another device, by signing out everywhere, or by a coordinator.
        message = _("You were signed out on this device. Sign in again to carry on.")
        return _signed_out(message, code=302)
    if now - session[SEEN_AT] >= SEEN_RESOLUTION:
        session[SEEN_AT] = now
    if row is not None and rows.needs_touch(row):
        touched = row
        run_in_transaction(db.session(), lambda: rows.touch(db.session(), touched))
    return None


def init_session_timeouts(app: Flask) -> None:
    user_logged_in.connect(_started, app)
    app.before_request(check_session)
