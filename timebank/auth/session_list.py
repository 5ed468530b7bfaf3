"""Where you are signed in (OWASP ASVS 7.5.2): the person's open sessions on "Your
sign-in and security", this one marked, each with an "End" button, and "Sign out
everywhere else". Both are written to the security event log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from timebank.auth.security import ActionForm
from timebank.auth.sessions import current_session_id, end_other_sessions
from timebank.auth.views import bp
from timebank.community import sign_in_sessions as rows
from timebank.community.security_events import (
    SESSION_ENDED,
    SESSIONS_REVOKED,
    record_security_event,
)
from timebank.community.sign_in_sessions import Ended, SignInSession
from timebank.extensions import db
from timebank.ledger.database import run_in_transaction

# The "because" of a sessions_revoked event written by "Sign out everywhere else".
SIGNED_OUT_ELSEWHERE = "signed_out_elsewhere"


@dataclass(frozen=True)
class SessionRow:
    id: int
    device: str
    signed_in: datetime
    last_seen: datetime
    this_device: bool


def device_label(browser: str | None, system: str | None) -> str:
    """ "Firefox on Android", in the reader's language."""
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    if browser:
        return _("%(browser)s on an unknown system", browser=browser)
    if system:
        return _("A browser on %(system)s", system=system)
    return _("An unknown browser")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def open_sessions(person_id: int) -> list[SessionRow]:
    config = current_app.config
    here = current_session_id()
    found: list[SignInSession] = rows.list_open(
        db.session(),
        person_id,
        idle_seconds=int(config["SESSION_IDLE_TIMEOUT"]),
        absolute_seconds=int(config["SESSION_ABSOLUTE_TIMEOUT"]),
    )
    shown = [
        SessionRow(
            id=row.id,
            device=device_label(row.browser, row.system),
            signed_in=_utc(row.created_at),
            last_seen=_utc(row.last_seen_at),
            this_device=row.id == here,
        )
        for row in found
    ]
    # This device first, then the most recently seen.
    return sorted(shown, key=lambda row: not row.this_device)


@bp.post("/security/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.security"))
    person_id = current_user.person.id

    def work() -> bool:
        ended = rows.end_one(
            db.session(), person_id=person_id, session_id=session_id, reason=Ended.ENDED_BY_PERSON
        )
        if ended:
            record_security_event(db.session(), kind=SESSION_ENDED, person_id=person_id)
        return ended

    if run_in_transaction(db.session(), work):
        if session_id == current_session_id():
            # This device's own session: the next request signs it out.
            return redirect(url_for("auth.sign_in"))
        flash(_("That session has ended: that device is signed out."))
    return redirect(url_for("auth.security") + "#sessions-title")


@bp.post("/security/sessions/end-others")
@login_required
def end_other_sessions_view():
    form = ActionForm()
    if form.validate_on_submit():
        person = current_user.person
        ended = end_other_sessions(person, Ended.OTHERS_ENDED)
        run_in_transaction(
            db.session(),
            lambda: record_security_event(
                db.session(),
                kind=SESSIONS_REVOKED,
                person_id=person.id,
                details={"because": SIGNED_OUT_ELSEWHERE, "count": ended},
            ),
        )
        flash(_("You are signed out everywhere else. You are still signed in here."))
    return redirect(url_for("auth.security") + "#sessions-title")
