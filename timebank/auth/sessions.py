"""The signed-in session's row (timebank.community.sign_in_sessions) from the web side.

Signing in (any ``login_user``) makes a row and puts its secret in the signed session
cookie; carrying a session over to a new session version (two-step turned on, a new
password) keeps the row. On every request the user loader refuses a cookie whose row
has ended or belongs to someone else (``auth/user.py``), and ``check_session``
(``auth/session_timeouts.py``) signs the browser out with a message and keeps "last
seen" up to date.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, g, request, session
from flask_login import login_user, user_logged_in
from sqlalchemy.orm import joinedload

from timebank.community import sign_in_sessions as rows
from timebank.community.sign_in_sessions import SignInSession
from timebank.extensions import db
from timebank.ledger.database import run_in_transaction
from timebank.ledger.models import Membership, Person

SESSION_KEY = "sid"
_CACHE = "sign_in_session"


def current_row() -> SignInSession | None:
    """The row of the secret this browser's session holds now (ended or not), read once
    per request and secret (a sign-in clears the session and starts another)."""
    secret = session.get(SESSION_KEY)
    if not isinstance(secret, str):
        return None
    cached = g.get(_CACHE)
    if cached is None or cached[0] != secret:
        cached = (secret, rows.find(db.session(), secret))
        setattr(g, _CACHE, cached)
    return cached[1]


# The user loader's query, on every request: built once, with the person and the
# secret's digest as parameters. Every page reads the person's memberships (the
# navigation, the language and time zone), each one's bank and, on most member pages,
# its account: they come in the same query rather than three more.
PERSON_WITH_ROW = (
    sa.select(Person, SignInSession)
    .join(SignInSession, SignInSession.person_id == Person.id)
    .where(
        Person.id == sa.bindparam("signed_in_person_id", type_=sa.Integer),
        SignInSession.secret_hash == sa.bindparam("signed_in_secret_hash", type_=sa.String),
    )
    .options(
        joinedload(Person.memberships).options(
            joinedload(Membership.time_bank), joinedload(Membership.account)
        )
    )
)


def person_with_open_row(person_id: int) -> Person | None:
    """The person, when this browser's session row is theirs and open: one query for
    both (the user loader's, on every request); the row is kept for the request."""
    secret = session.get(SESSION_KEY)
    if not isinstance(secret, str):
        return None
    parameters = {"signed_in_person_id": person_id, "signed_in_secret_hash": rows.digest(secret)}
    found = db.session.execute(PERSON_WITH_ROW, parameters).unique().one_or_none()
    if found is None:
        return None
    person, row = found
    setattr(g, _CACHE, (secret, row))
    return person if row.ended_at is None else None


def is_open_for(person_id: int) -> bool:
    row = current_row()
    return row is not None and row.person_id == person_id and row.ended_at is None


def current_session_id() -> int | None:
    row = current_row()
    return row.id if row is not None else None


def _started(_app, user, **_extra) -> None:
    person_id = user.person.id
    if is_open_for(person_id):
        return  # the same session carried over to a new session version
    browser, system = rows.device_of(request.user_agent.string)
    started = run_in_transaction(
        db.session(),
        lambda: rows.start(db.session(), person_id=person_id, browser=browser, system=system),
    )
    session[SESSION_KEY] = started.secret
    setattr(g, _CACHE, (started.secret, started.row))


def forget() -> None:
    """This request no longer has a session row (it was signed out)."""
    g.pop(_CACHE, None)


def end_other_sessions(person: Person, reason: str) -> int:
    """End every other session of ``person`` and carry this one over (the session
    version moves on too, so pending two-step sign-ins and reset links made before stop
    working); the caller has recorded why. Commits. How many sessions ended."""
    from timebank.auth.user import SignedInPerson

    keep = current_session_id()

    def work() -> int:
        person.session_version += 1
        return rows.end_all(db.session(), person_id=person.id, reason=reason, keep_id=keep)

    ended = run_in_transaction(db.session(), work)
    # The same session, under the new version (what it holds, the confirmation time
    # included, stays).
    login_user(SignedInPerson(person))
    return ended


def init_sessions(app: Flask) -> None:
    user_logged_in.connect(_started, app)
