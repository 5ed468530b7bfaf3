"""The security log in the reader's words: a label for each kind of event and a short
line for its details, for the coordinators' page and each person's own page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from timebank.community import security_events as ev
from timebank.ledger.models import Person, Role
from timebank.quick_gettext import lazy_gettext as _l

KIND_LABELS = {
    ev.SIGN_IN: _l("Signed in"),
    ev.SIGN_IN_FAILED: _l("Sign-in failed (wrong password)"),
    ev.SIGN_IN_LIMITED: _l("Too many sign-in tries: new browsers held back"),
    ev.SIGN_OUT: _l("Signed out everywhere"),
    ev.SESSION_EXPIRED: _l("Session ended by itself"),
    ev.SESSIONS_REVOKED: _l("Other sessions ended"),
    ev.PASSWORD_CHANGED: _l("Password changed"),
    ev.PASSWORD_RESET_REQUESTED: _l("Password reset link asked for"),
    ev.PASSWORD_RESET: _l("New password chosen by emailed link"),
    ev.ROLE_CHANGED: _l("Role changed"),
    ev.MFA_ENABLED: _l("Two-step sign-in turned on"),
    ev.MFA_DISABLED: _l("Two-step sign-in turned off"),
    ev.MFA_FAILED: _l("Two-step sign-in code refused"),
    ev.MFA_RECOVERY_CODE_USED: _l("Recovery code used"),
    ev.MFA_RECOVERY_CODES_RENEWED: _l("New recovery codes made"),
    ev.REAUTHENTICATED: _l("Password confirmed again"),
    ev.REAUTHENTICATION_FAILED: _l("Password confirmation failed"),
    ev.SESSION_ENDED: _l("Signed out on one device"),
    ev.EMAIL_CHANGE_REQUESTED: _l("New email address asked for"),
    ev.EMAIL_CHANGED: _l("Email address changed"),
    ev.ACCESS_REFUSED: _l("Page refused (not allowed)"),
}

_ROLES = {
    Role.MEMBER.value: _l("member"),
    Role.COORDINATOR.value: _l("coordinator"),
    Role.PARTNER.value: _l("partner"),
}


@dataclass(frozen=True)
class EventRow:
    id: int
    kind: str
    label: str
    when: datetime
    occurred_at: datetime
    person_name: str | None
    actor_name: str | None
    note: str | None


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def _note(event: ev.SecurityEvent) -> str | None:
    details = event.details or {}
    if event.kind == ev.SIGN_IN:
        if details.get("known_device"):
            return _("From a browser used before.")
        return _("From a browser not used before.")
    if event.kind == ev.SESSION_EXPIRED:
        if details.get("reason") == "absolute":
            return _("Signed in for too long.")
        return _("No activity for too long.")
    if event.kind == ev.SESSIONS_REVOKED:
        if details.get("because") == ev.PASSWORD_RESET:
            return _("Because a new password was chosen by emailed link.")
        if details.get("because") == ev.PASSWORD_CHANGED:
            return _("Because the password was changed.")
        if details.get("because") == "signed_out_elsewhere":
            return _("Signed out everywhere else, from “Your sign-in and security”.")
        if details.get("because") == "coordinator":
            return _("Every session ended by a coordinator.")
    if event.kind == ev.SESSION_ENDED:
        return _("Ended from “Your sign-in and security” on another device.")
    if event.kind == ev.EMAIL_CHANGE_REQUESTED:
        return _("A link to confirm it was sent to the new address.")
    if event.kind == ev.EMAIL_CHANGED:
        return _("Confirmed by the link sent to the new address; the old address was told.")
    if event.kind == ev.ACCESS_REFUSED:
        where = details.get("where")
        if isinstance(where, str) and where:
            return _(
                "Tried to open %(where)s, which their role does not allow.",
                where=where,
            )
    if event.kind == ev.ROLE_CHANGED:
        before = _ROLES.get(str(details.get("from")))
        after = _ROLES.get(str(details.get("to")))
        if before and after:
            return _("From %(before)s to %(after)s.", before=before, after=after)
    return None


def event_rows(
    session: Session, events: Sequence[ev.SecurityEvent], timezone: str = "UTC"
) -> list[EventRow]:
    """The events as rows to show, with names and times in ``timezone``."""
    ids = {e.person_id for e in events} | {e.actor_id for e in events}
    ids.discard(None)
    names: dict[int, str] = {}
    if ids:
        query = sa.select(Person.id, Person.display_name).where(Person.id.in_(ids))
        names = dict(session.execute(query).all())
    zone = ZoneInfo(timezone)
    return [
        EventRow(
            id=event.id,
            kind=event.kind,
            label=kind_label(event.kind),
            when=event.occurred_at.replace(tzinfo=UTC).astimezone(zone),
            occurred_at=event.occurred_at,
            person_name=names.get(event.person_id) if event.person_id else None,
            actor_name=names.get(event.actor_id) if event.actor_id else None,
            note=_note(event),
        )
        for event in events
    ]
