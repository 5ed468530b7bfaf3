"""What the API keeps besides the ledger: the first answer to each write sent with an
``Idempotency-Key``, so a client that retries gets that answer again instead of a
second exchange."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from timebank.ledger.clock import utcnow
from timebank.ledger.models import Base


class ApiIdempotencyKey(Base):
    __tablename__ = "api_idempotency_key"
    __table_args__ = (sa.UniqueConstraint("person_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Keys are the caller's: one person's key never replays another person's answer.
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    key: Mapped[str] = mapped_column(sa.String(200))
    # sha256 of the method, the path and the body as canonical JSON.
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[int]
    body: Mapped[str] = mapped_column(sa.Text)
    location: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
