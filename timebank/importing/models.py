"""The record of one CSV import: its dry run, its progress and its outcome."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from timebank.ledger.clock import utcnow
from timebank.ledger.models import Base


class ImportRun(Base):
    """One CSV import: its dry run, its progress and its outcome."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))
    layout: Mapped[str] = mapped_column(sa.String(40))
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    # (mapping: its columns to be chosen ->) checking -> checked (dry run) | importing ->
    # done | failed
    status: Mapped[str] = mapped_column(sa.String(20), default="checking")
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    # The first errors found, as JSON [[line, message], ...].
    errors_json: Mapped[str] = mapped_column(sa.Text, default="[]")
    message: Mapped[str] = mapped_column(sa.Text, default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class ImportedRow(Base):
    """One imported row of past history, recognised by what it says rather than where it
    stood in its file: a later file that repeats it (a newer export holding the old rows,
    or the same rows with other spacing) finds its key here and does not post it again.

    ``row_key`` is the row's identity (a hash of its accounts, amount, moment and
    description, or of the old software's own id for it) and the occurrence of that
    identity in its file (":0", ":1"...), so two identical rows of one file stay two."""

    __tablename__ = "imported_row"
    __table_args__ = (sa.UniqueConstraint("time_bank_id", "row_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"))
    row_key: Mapped[str] = mapped_column(sa.String(80))
    transfer_id: Mapped[int] = mapped_column(sa.ForeignKey("transfer.id"), unique=True)
    import_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_run.id"), index=True)
