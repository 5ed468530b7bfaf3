"""Personal access tokens for the JSON API: a person creates, names and revokes their
own. The secret is shown once and only its SHA-256 is kept (it is 32 random bytes, so a
slow hash adds nothing); each token has an expiry and a scope, read or read-write, and
acts with exactly the memberships and roles its person holds at the moment of use."""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from timebank.ledger import errors
from timebank.ledger.clock import utcnow
from timebank.ledger.models import Base, Person

PREFIX = "tbk_"
# The lifetimes a person may choose, in days.
LIFETIMES = (7, 30, 90, 365)
MAX_TOKENS = 20


class Scope(enum.StrEnum):
    READ = "read"
    READ_WRITE = "read_write"


class ApiToken(Base):
    __tablename__ = "api_token"
    __table_args__ = (
        sa.CheckConstraint("scope IN ('read', 'read_write')", name="scope"),
        sa.Index("ix_api_token_person", "person_id", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The first characters after the prefix, so the owner can tell tokens apart.
    hint: Mapped[str] = mapped_column(sa.String(12))
    scope: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship()

    @property
    def can_write(self) -> bool:
        return self.scope == Scope.READ_WRITE

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class TokenError(errors.LedgerError):
    code = "invalid_token"


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, *, person: Person, name: str, scope: str, days: int) -> NewToken:
    """A new token for ``person``; the secret is returned once and only its hash kept."""
    name = (name or "").strip()
    if not name:
        raise TokenError("Give the token a name, so you know where it is used.", field="name")
    if len(name) > 80:
        raise TokenError("Keep the name under 80 characters.", field="name")
    if scope not in set(Scope):
        raise TokenError("Choose what the token may do.", field="scope")
    if days not in LIFETIMES:
        raise TokenError("Choose how long the token works.", field="days")
    active = session.scalar(
        sa.select(sa.func.count(ApiToken.id)).where(
            ApiToken.person_id == person.id,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > utcnow(),
        )
    )
    if (active or 0) >= MAX_TOKENS:
        raise TokenError(
            "You have %(count)s tokens working. Revoke one you no longer use first.",
            field="name",
            count=MAX_TOKENS,
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        person_id=person.id,
        name=name,
        token_hash=hash_secret(secret),
        hint=secret[len(PREFIX) : len(PREFIX) + 6],
        scope=scope,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    return NewToken(token=token, secret=secret)


def list_tokens(session: Session, person: Person) -> list[ApiToken]:
    """The person's tokens, newest first (revoked and expired ones too, marked so)."""
    return list(
        session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.person_id == person.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, *, person: Person, token_id: int) -> ApiToken:
    """Revoke one of the person's own tokens; it stops working at once."""
    token = session.get(ApiToken, token_id)
    if token is None or token.person_id != person.id:
        raise errors.NotFoundError("That token does not exist.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


def find_usable_token(session: Session, secret: str) -> ApiToken | None:
    """The working token with this secret, or None (unknown, revoked, expired, or its
    person can no longer sign in)."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    token = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or not token.is_usable(utcnow()) or not token.person.is_active:
        return None
    return token
