"""The community's tables beside the ledger: notifications, invitations, private
coordinator notes, offers and requests, kinds of help, and messages.

They share the ledger's ``Base`` (one metadata, one migration history) but the ledger
never reads them.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.ledger.clock import utcnow
from timebank.ledger.models import Base, MemberKind, Membership, Role, _enum


class Notification(Base):
    """Something a member should know: an exchange to confirm, approved, rejected,
    reversed; an application decided. Shown in the member's list (and emailed if they
    ask for it, later)."""

    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_recipient_unread", "membership_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    # English text, kept for exports and as a fallback; pages and emails render ``kind``
    # with ``details`` in the reader's language.
    message: Mapped[str] = mapped_column(sa.Text)
    details: Mapped[dict | None] = mapped_column(sa.JSON)
    transfer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("transfer.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    membership: Mapped[Membership] = relationship()


class CoordinatorNote(Base):
    """A private note coordinators keep about a member. Members never see these."""

    __tablename__ = "coordinator_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"), index=True)
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[Membership] = relationship(foreign_keys=[author_id])


class Invitation(Base):
    """An invitation link to join a time bank. Only the token's hash is stored."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))
    role: Mapped[Role] = mapped_column(_enum(Role, "invitation_role"), default=Role.MEMBER)
    kind: Mapped[MemberKind] = mapped_column(
        _enum(MemberKind, "invitation_kind"), default=MemberKind.PARTICIPANT
    )
    # A coordinator's own reminder of who it is for; shown to coordinators only.
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))
    revoked_at: Mapped[datetime | None]


class Listing(Base):
    """An offer ("I can help with...") or a request ("I would like help with...")."""

    __tablename__ = "listing"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('offer', 'request')", name="kind"),
        sa.CheckConstraint("status IN ('active', 'paused', 'closed')", name="status"),
        sa.Index("ix_listing_bank_status_kind", "time_bank_id", "status", "kind"),
        # The notice board newest first, paged by keyset (timebank.reports.keyset).
        sa.Index("ix_listing_bank_status_created", "time_bank_id", "status", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("category.id"))
    status: Mapped[str] = mapped_column(sa.String(10), default="active")
    expires_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    membership: Mapped[Membership] = relationship()


class MemberSkill(Base):
    """A kind of help (a category) a member says they can offer, on their profile."""

    __tablename__ = "member_skill"

    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("category.id"), primary_key=True, index=True
    )


class ListingExchange(Base):
    """An exchange logged in answer to an offer or request: at most one listing per
    exchange, so a listing can show the time it has brought about."""

    __tablename__ = "listing_exchange"

    transfer_id: Mapped[int] = mapped_column(sa.ForeignKey("transfer.id"), primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id"), index=True)


class MessageThread(Base):
    """A conversation between members of one time bank, perhaps about a listing."""

    __tablename__ = "message_thread"

    id: Mapped[int] = mapped_column(primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"), index=True)
    listing_id: Mapped[int | None] = mapped_column(sa.ForeignKey("listing.id"))
    subject: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ThreadParticipant(Base):
    __tablename__ = "thread_participant"

    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("message_thread.id"), primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        sa.ForeignKey("membership.id"), primary_key=True, index=True
    )
    last_read_at: Mapped[datetime | None]


class Message(Base):
    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("message_thread.id"), index=True)
    sender_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
