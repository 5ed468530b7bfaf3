"""Signed-in sessions as rows, so a person can see where they are signed in and end any
of those sessions, and a coordinator can end all of a member's (OWASP ASVS 7.4.5, 7.5.2).

A session is made at sign-in: a random 256-bit secret goes into the signed session
cookie and only its SHA-256 is kept here (a copy of the database alone opens no
session). Each row has when it began, when it was last seen (written at most once a
minute), a coarse name for the device ("Firefox on Android", from the User-Agent; no IP
address is kept) and, once it is over, when and why it ended. Every request refuses a
session whose row has ended (timebank/auth/sessions.py).

Services flush, never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from timebank.ledger import errors
from timebank.ledger.audit import append_audit
from timebank.ledger.clock import utcnow
from timebank.ledger.models import Base, Membership

# "Last seen" is written at most this often (seconds).
SEEN_RESOLUTION = 60


class Ended:
    """Why a session ended (``ended_reason``)."""

    SIGNED_OUT = "signed_out"  # the person signed out (every session ends)
    ENDED_BY_PERSON = "ended_by_person"  # "End" on "Your sign-in and security"
    OTHERS_ENDED = "others_ended"  # "Sign out everywhere else", a password change...
    ENDED_BY_COORDINATOR = "ended_by_coordinator"
    IDLE = "idle"
    ABSOLUTE = "absolute"


class SignInSession(Base):
    __tablename__ = "sign_in_session"
    __table_args__ = (sa.Index("ix_sign_in_session_person", "person_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the secret in the cookie (hex).
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Coarse names from the User-Agent ("Firefox", "Android"); None when not recognised.
    browser: Mapped[str | None] = mapped_column(sa.String(40))
    system: Mapped[str | None] = mapped_column(sa.String(40))
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(sa.String(40))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Started:
    row: SignInSession
    secret: str  # goes into the cookie; never stored


def start(session: Session, *, person_id: int, browser: str | None, system: str | None) -> Started:
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    row = SignInSession(
        secret_hash=digest(secret),
        person_id=person_id,
        created_at=now,
        last_seen_at=now,
        browser=browser,
        system=system,
    )
    session.add(row)
    session.flush()
    return Started(row=row, secret=secret)


def find(session: Session, secret: str | None) -> SignInSession | None:
    """The session a cookie's secret belongs to, ended or not."""
    if not isinstance(secret, str) or not secret:
        return None
    return session.scalar(
        sa.select(SignInSession).where(SignInSession.secret_hash == digest(secret))
    )


def needs_touch(row: SignInSession) -> bool:
    return utcnow() - row.last_seen_at >= timedelta(seconds=SEEN_RESOLUTION)


def touch(session: Session, row: SignInSession) -> bool:
    """Write "last seen" when it is at least ``SEEN_RESOLUTION`` seconds old (one
    conditional UPDATE; two app servers touching at once write it once)."""
    now = utcnow()
    if not needs_touch(row):
        return False
    result = session.execute(
        sa.update(SignInSession)
        .where(
            SignInSession.id == row.id,
            SignInSession.ended_at.is_(None),
            SignInSession.last_seen_at <= now - timedelta(seconds=SEEN_RESOLUTION),
        )
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return cast(sa.CursorResult, result).rowcount == 1


def end_one(session: Session, *, person_id: int, session_id: int, reason: str) -> bool:
    """End one of the person's sessions; False when it is not theirs or already over."""
    return (
        _end(session, reason, SignInSession.person_id == person_id, SignInSession.id == session_id)
        > 0
    )


def end_all(session: Session, *, person_id: int, reason: str, keep_id: int | None = None) -> int:
    """End every open session of the person (but ``keep_id``); how many ended."""
    conditions = [SignInSession.person_id == person_id]
    if keep_id is not None:
        conditions.append(SignInSession.id != keep_id)
    return _end(session, reason, *conditions)


def _end(session: Session, reason: str, *conditions) -> int:
    result = session.execute(
        sa.update(SignInSession)
        .where(SignInSession.ended_at.is_(None), *conditions)
        .values(ended_at=utcnow(), ended_reason=reason)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return cast(sa.CursorResult, result).rowcount


def list_open(
    session: Session, person_id: int, *, idle_seconds: int, absolute_seconds: int
) -> list[SignInSession]:
    """The person's sessions still open: not ended, seen within the idle limit, begun
    within the absolute limit; the most recently seen first."""
    now = utcnow()
    return list(
        session.scalars(
            sa.select(SignInSession)
            .where(
                SignInSession.person_id == person_id,
                SignInSession.ended_at.is_(None),
                SignInSession.last_seen_at >= now - timedelta(seconds=idle_seconds),
                SignInSession.created_at >= now - timedelta(seconds=absolute_seconds),
            )
            .order_by(SignInSession.last_seen_at.desc(), SignInSession.id.desc())
        )
    )


def prune(session: Session, *, older_than: datetime) -> int:
    """Delete the sessions that were last seen before ``older_than`` (every one of them
    has ended by then, by itself or by hand); how many went."""
    result = session.execute(
        sa.delete(SignInSession)
        .where(SignInSession.last_seen_at < older_than)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return cast(sa.CursorResult, result).rowcount


# Browsers and systems, in the order they are tried (Edge and Opera say "Chrome" too;
# Chrome says "Safari").
_BROWSERS = (
    ("SamsungBrowser/", "Samsung Internet"),
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device_of(user_agent: str | None) -> tuple[str | None, str | None]:
    """(browser, system) named coarsely from a User-Agent, each None when unknown: no
    version numbers, nothing that tells one person's device from another's."""
    text = (user_agent or "")[:512]
    browser = next((name for mark, name in _BROWSERS if mark in text), None)
    system = next((name for mark, name in _SYSTEMS if mark in text), None)
    return browser, system


class CannotEndSessions(errors.LedgerError):
    """A coordinator asked to end sessions they may not end."""

    code = "sessions"


def end_for_member(session: Session, *, actor: Membership, membership: Membership) -> int:
    """A coordinator ends every session of a member of their bank (a lost phone, a
    shared computer, a suspicion): the member is signed out everywhere, pending two-step
    sign-ins and reset links stop working (the session version moves on). Audited.
    How many sessions ended."""
    if not actor.is_coordinator or actor.time_bank_id != membership.time_bank_id:
        raise errors.NotAllowedError("Only a coordinator of this time bank can do that.")
    if actor.person_id == membership.person_id:
        raise CannotEndSessions("End your own sessions on your “Your sign-in and security” page.")
    person = membership.person
    person.session_version += 1
    ended = end_all(session, person_id=person.id, reason=Ended.ENDED_BY_COORDINATOR)
    append_audit(
        session,
        time_bank_id=membership.time_bank_id,
        actor=actor,
        action="membership.sessions_ended",
        entity_type="membership",
        entity_id=membership.id,
        before=None,
        after={"sessions_ended": ended},
    )
    return ended
