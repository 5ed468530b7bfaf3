"""Applications waiting for their email address to be confirmed.

Someone signed out who applies to join a time bank becomes nobody yet: what they typed
(the password already hashed) waits here, and a link is emailed to the address. Only
when the address's owner opens the link and confirms are the person and the
application written, in one transaction, with the address marked as verified. So the
apply page can answer everybody alike, whether or not the address has an account, and
nobody can make an account with an address that is not theirs.

Only the token's SHA-256 is stored. One application waits per address and bank: applying
again replaces it (and the older link stops working). A link works once and for
``VALID_HOURS``. Expired rows are cleared whenever a new one is held.
Services flush and never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from timebank.community.people import create_person, get_person_by_email, normalise_email
from timebank.community.profiles import MAX_TEXT, apply_to_join
from timebank.ledger import errors
from timebank.ledger.clock import utcnow
from timebank.ledger.database import retry_on_unique_conflict
from timebank.ledger.models import Base, Membership, Person, TimeBank

VALID_HOURS = 24


class PendingApplication(Base):
    """An application to join a bank from someone with no account yet, waiting for them
    to confirm their email address. Only the token's hash is stored."""

    __tablename__ = "pending_application"
    __table_args__ = (sa.UniqueConstraint("email", "time_bank_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    display_name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    offers_text: Mapped[str] = mapped_column(sa.Text, default="")
    needs_text: Mapped[str] = mapped_column(sa.Text, default="")
    consent_reporting: Mapped[bool] = mapped_column(default=False)
    consent_research: Mapped[bool] = mapped_column(default=False)
    # The language they applied in: the email, and their pages afterwards, stay in it.
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


# Two submissions for one address at once: both delete nothing, both insert; the one
# refused by the unique index runs again, replacing the other's row.
retry_on_unique_conflict("uq_pending_application_email_time_bank_id")


class PendingLinkError(Exception):
    """A confirmation link that cannot be used; ``status`` is the HTTP status (404: no
    such link, or used already; 410: expired). Not a rule broken by what was typed, so
    not a LedgerError: the page says it, never a form."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hold_application(
    session: Session,
    *,
    bank: TimeBank,
    email: str,
    display_name: str,
    password_hash: str,
    offers: str = "",
    needs: str = "",
    consent_reporting: bool = False,
    consent_research: bool = False,
    locale: str | None = None,
) -> tuple[PendingApplication, str]:
    """Keep an application until its address is confirmed. Returns it and the raw token
    (only its hash is stored: this is the one chance to send it). Replaces any
    application waiting for the same address and bank."""
    email = normalise_email(email)
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 120:
        raise errors.InvalidPolicyError(
            "Give a name of up to 120 characters.", field="display_name"
        )
    offers, needs = (offers or "").strip(), (needs or "").strip()
    if len(offers) > MAX_TEXT or len(needs) > MAX_TEXT:
        raise errors.InvalidPolicyError("Keep this under %(num)s characters.", num=MAX_TEXT)
    now = utcnow()
    # Housekeeping: links past their time are of no use to anyone.
    session.execute(sa.delete(PendingApplication).where(PendingApplication.expires_at <= now))
    session.execute(
        sa.delete(PendingApplication).where(
            PendingApplication.email == email, PendingApplication.time_bank_id == bank.id
        )
    )
    token = secrets.token_urlsafe(32)
    pending = PendingApplication(
        time_bank_id=bank.id,
        token_hash=hash_token(token),
        email=email,
        display_name=display_name,
        password_hash=password_hash,
        offers_text=offers,
        needs_text=needs,
        consent_reporting=bool(consent_reporting),
        consent_research=bool(consent_research),
        locale=locale,
        created_at=now,
        expires_at=now + timedelta(hours=VALID_HOURS),
    )
    session.add(pending)
    session.flush()
    return pending, token


def find_pending(session: Session, token: str) -> PendingApplication:
    """The application waiting for this link, or PendingLinkError saying why not."""
    pending = None
    if token and len(token) <= 200:
        pending = session.scalar(
            sa.select(PendingApplication).where(PendingApplication.token_hash == hash_token(token))
        )
    if pending is None:
        raise PendingLinkError(404)
    if pending.expires_at <= utcnow():
        raise PendingLinkError(410)
    return pending


def confirm_application(session: Session, *, token: str) -> Membership | None:
    """The address is confirmed: create the person (address verified) and their
    application, and use up the link. Single use even when the link is opened twice at
    once: the row is claimed by deleting it. If the address has an account by now,
    nothing is created and None is returned (the link is used up all the same)."""
    pending = find_pending(session, token)
    claimed = session.execute(
        sa.delete(PendingApplication)
        .where(PendingApplication.id == pending.id)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise PendingLinkError(404)
    # What it held stays readable; the row itself is gone.
    session.expunge(pending)
    if get_person_by_email(session, pending.email) is not None:
        return None
    person: Person = create_person(
        session,
        email=pending.email,
        display_name=pending.display_name,
        password_hash=pending.password_hash,
    )
    person.email_verified_at = utcnow()
    person.preferred_locale = pending.locale
    return apply_to_join(
        session,
        bank=session.get_one(TimeBank, pending.time_bank_id),
        person=person,
        offers=pending.offers_text,
        needs=pending.needs_text,
        consent_reporting=pending.consent_reporting,
        consent_research=pending.consent_research,
    )
