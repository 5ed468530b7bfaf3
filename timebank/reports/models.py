"""The reports' own table: built reciprocity reports, kept until the ledger changes.

It shares the ledger's ``Base`` (one metadata, one migration history); the ledger never
reads it.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from timebank.ledger.clock import utcnow
from timebank.ledger.models import Base


class ReportCache(Base):
    """One built report for a selection of banks, a period and an audience.

    ``generation`` names the state of every bank it was built from ("3:120,5:88": each
    bank's last audit sequence number outside reading actions); a different generation
    means something has posted, been reversed or changed since, and the row is rebuilt.
    """

    __tablename__ = "report_cache"
    __table_args__ = (
        sa.UniqueConstraint("selection_hash", "period_start", "period_end", "audience"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the bank ids ("3,5,9"): a combined report may cover hundreds of banks.
    selection_hash: Mapped[str] = mapped_column(sa.String(64))
    bank_ids: Mapped[str] = mapped_column(sa.Text)
    period_start: Mapped[date]
    period_end: Mapped[date]
    audience: Mapped[str] = mapped_column(sa.String(20))
    generation: Mapped[str] = mapped_column(sa.Text)
    payload: Mapped[str] = mapped_column(sa.Text)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
