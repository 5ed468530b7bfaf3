"""The security event log: sign-ins and their failures, sign-outs, password changes and
resets, sign-in limits reached, MFA events, role changes and sessions ended.

One row per event, append-only (nothing here updates or deletes). An event concerns a
person (``person_id``), may have been done by someone else (``actor_id``: a coordinator
changing a role), and belongs to a time bank when it happened inside one
(``time_bank_id``); account-wide events (signing in) have none, and a bank's
coordinators read them for the people who are members there now. ``details`` holds a few
plain values; it never holds a password, a token, a code or an email address (the
record function refuses keys and values that look like them). Times are naive UTC, as
everywhere in the ledger.

Other modules call ``record_security_event``; it flushes and never commits.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from timebank.ledger.clock import utcnow
from timebank.ledger.models import Base, Membership, MembershipStatus

log = logging.getLogger("timebank.security")

# The kinds of event, in the order the filter lists them.
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_IN_LIMITED = "sign_in_limited"
SIGN_OUT = "sign_out"
SESSION_EXPIRED = "session_expired"
SESSIONS_REVOKED = "sessions_revoked"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event kind)
PASSWORD_RESET_REQUESTED = "password_reset_requested"  # noqa: S105 (an event kind)
PASSWORD_RESET = "password_reset"  # noqa: S105 (an event kind)
ROLE_CHANGED = "role_changed"
MFA_ENABLED = "mfa_enabled"
MFA_DISABLED = "mfa_disabled"
MFA_FAILED = "mfa_failed"
MFA_RECOVERY_CODE_USED = "mfa_recovery_code_used"
MFA_RECOVERY_CODES_RENEWED = "mfa_recovery_codes_renewed"
REAUTHENTICATED = "reauthenticated"
REAUTHENTICATION_FAILED = "reauthentication_failed"
SESSION_ENDED = "session_ended"
EMAIL_CHANGE_REQUESTED = "email_change_requested"
EMAIL_CHANGED = "email_changed"
ACCESS_REFUSED = "access_refused"

KINDS = (
    SIGN_IN,
    SIGN_IN_FAILED,
    SIGN_IN_LIMITED,
    SIGN_OUT,
    SESSION_EXPIRED,
    SESSIONS_REVOKED,
    PASSWORD_CHANGED,
    PASSWORD_RESET_REQUESTED,
    PASSWORD_RESET,
    ROLE_CHANGED,
    MFA_ENABLED,
    MFA_DISABLED,
    MFA_FAILED,
    MFA_RECOVERY_CODE_USED,
    MFA_RECOVERY_CODES_RENEWED,
    REAUTHENTICATED,
    REAUTHENTICATION_FAILED,
    SESSION_ENDED,
    EMAIL_CHANGE_REQUESTED,
    EMAIL_CHANGED,
    ACCESS_REFUSED,
)

# Keys and values that must never reach the log.
_SECRET_KEY = re.compile(
    r"pass|token|secret|email|hash|cookie|^(totp|otp|code|recovery_code)$", re.IGNORECASE
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
MAX_DETAIL_LENGTH = 200
PER_PAGE = 50


class SecurityEvent(Base):
    __tablename__ = "security_event"
    __table_args__ = (
        sa.Index("ix_security_event_time_bank", "time_bank_id", "id"),
        sa.Index("ix_security_event_person", "person_id", "id"),
        sa.Index("ix_security_event_kind", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(40))
    # The account the event concerns; None for a failed sign-in with an unknown address.
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    # Who did it, when not the person themselves (a coordinator changing a role).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    time_bank_id: Mapped[int | None] = mapped_column(sa.ForeignKey("time_bank.id"))
    details: Mapped[dict | None] = mapped_column(sa.JSON)


class SecurityEventError(ValueError):
    """A programming mistake: an unknown kind, or details that may hold a secret."""


def _checked_details(details: dict | None) -> dict | None:
    if not details:
        return None
    checked: dict = {}
    for key, value in details.items():
        if not isinstance(key, str) or _SECRET_KEY.search(key):
            raise SecurityEventError(f"detail {key!r} may hold a secret or an address")
        if value is not None and not isinstance(value, str | int | bool):
            raise SecurityEventError(f"detail {key!r} must be text, a number or true/false")
        if isinstance(value, str) and (len(value) > MAX_DETAIL_LENGTH or _EMAIL.search(value)):
            raise SecurityEventError(f"detail {key!r} is too long or holds an address")
        checked[key] = value
    return checked


def record_security_event(
    session: Session,
    *,
    kind: str,
    person_id: int | None = None,
    time_bank_id: int | None = None,
    actor_id: int | None = None,
    details: dict | None = None,
) -> SecurityEvent:
    """Add one event to the log (and to the application log) and flush. ``kind`` is one
    of ``KINDS``; ``details`` a few plain values (no passwords, tokens, codes or email
    addresses: those raise ``SecurityEventError``)."""
    if kind not in KINDS:
        raise SecurityEventError(f"unknown security event kind {kind!r}")
    event = SecurityEvent(
        kind=kind,
        person_id=person_id,
        time_bank_id=time_bank_id,
        actor_id=actor_id,
        details=_checked_details(details),
        occurred_at=utcnow(),
    )
    session.add(event)
    session.flush()
    log.info(
        "security event %s person=%s bank=%s actor=%s",
        kind,
        person_id,
        time_bank_id,
        actor_id,
    )
    return event


def recorded_since(session: Session, *, kind: str, person_id: int, minutes: int) -> bool:
    """Whether an event of this kind was recorded for this person in the last minutes
    (so a repeated event, such as a limit reached many times, is logged once)."""
    since = utcnow() - timedelta(minutes=minutes)
    found = session.scalar(
        sa.select(SecurityEvent.id)
        .where(
            SecurityEvent.kind == kind,
            SecurityEvent.person_id == person_id,
            SecurityEvent.occurred_at >= since,
        )
        .limit(1)
    )
    return found is not None


@dataclass(frozen=True)
class EventPage:
    rows: list[SecurityEvent]
    # The id to pass as ``before`` for older events, or ``after`` for newer ones.
    older_before: int | None
    newer_after: int | None


def _bank_events(time_bank_id: int):
    """The events a bank's coordinators read: those in the bank, and the account-wide
    ones of its current members (active or suspended): never those of someone who only
    applied, was declined or has left."""
    members = sa.select(Membership.person_id).where(
        Membership.time_bank_id == time_bank_id,
        Membership.status.in_([MembershipStatus.ACTIVE, MembershipStatus.SUSPENDED]),
    )
    return sa.or_(
        SecurityEvent.time_bank_id == time_bank_id,
        sa.and_(SecurityEvent.time_bank_id.is_(None), SecurityEvent.person_id.in_(members)),
    )


def list_bank_events(
    session: Session,
    time_bank_id: int,
    *,
    kind: str | None = None,
    person_id: int | None = None,
    before: int | None = None,
    after: int | None = None,
    per_page: int = PER_PAGE,
) -> EventPage:
    """One page of a bank's security events, newest first (keyset paging by id)."""
    query = sa.select(SecurityEvent).where(_bank_events(time_bank_id))
    if kind:
        query = query.where(SecurityEvent.kind == kind)
    if person_id is not None:
        query = query.where(SecurityEvent.person_id == person_id)
    return _page(session, query, before=before, after=after, per_page=per_page)


def list_own_events(session: Session, person_id: int, *, limit: int = 20) -> list[SecurityEvent]:
    """A person's most recent events across every bank ("recent activity")."""
    query = (
        sa.select(SecurityEvent)
        .where(SecurityEvent.person_id == person_id)
        .order_by(SecurityEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def _page(session: Session, query, *, before, after, per_page) -> EventPage:
    if after is not None:
        rows = list(
            session.scalars(
                query.where(SecurityEvent.id > after)
                .order_by(SecurityEvent.id.asc())
                .limit(per_page + 1)
            )
        )
        more_newer = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        return EventPage(
            rows=rows,
            older_before=rows[-1].id if rows else None,
            newer_after=rows[0].id if rows and more_newer else None,
        )
    if before is not None:
        query = query.where(SecurityEvent.id < before)
    rows = list(session.scalars(query.order_by(SecurityEvent.id.desc()).limit(per_page + 1)))
    more_older = len(rows) > per_page
    rows = rows[:per_page]
    return EventPage(
        rows=rows,
        older_before=rows[-1].id if rows and more_older else None,
        newer_after=rows[0].id if rows and before is not None else None,
    )
