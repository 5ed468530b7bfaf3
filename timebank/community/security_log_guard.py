"""Database triggers that keep the security event log append-only, on SQLite and on
PostgreSQL (OWASP ASVS 16.4.2), and the one way rows go: the retention prune.

UPDATE is always refused. DELETE is refused unless the deleting transaction holds a
permit row in ``security_event_prune`` whose ``older_than`` is later than the event:
``prune_security_events`` writes that row, deletes the older events and deletes the
row again in one transaction, so no other transaction ever sees a permit. The command
``flask security-log prune --older-than-days N`` is its only caller. (Someone with the
database owner's rights can always drop a trigger; the events also go to the
``timebank.security`` logger, for the host's log collector.)

The same statements are run by the migration (0016) and by ``metadata.create_all``.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from timebank.community.security_events import SecurityEvent
from timebank.ledger.models import Base


class SecurityEventPrune(Base):
    """A permit to delete events older than ``older_than``, held only inside the
    prune's own transaction (the table is empty otherwise)."""

    __tablename__ = "security_event_prune"

    id: Mapped[int] = mapped_column(primary_key=True)
    older_than: Mapped[datetime]


SQLITE = [
    """CREATE TRIGGER trg_security_event_no_update BEFORE UPDATE ON security_event
    BEGIN SELECT RAISE(ABORT, 'security_event is append-only'); END""",
    """CREATE TRIGGER trg_security_event_no_delete BEFORE DELETE ON security_event
    WHEN NOT EXISTS (
        SELECT 1 FROM security_event_prune WHERE OLD.occurred_at < security_event_prune.older_than
    )
    BEGIN SELECT RAISE(ABORT, 'security_event is append-only'); END""",
]

POSTGRESQL = [
    """CREATE FUNCTION timebank_guard_security_event() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND EXISTS (
            SELECT 1 FROM security_event_prune p WHERE OLD.occurred_at < p.older_than
        ) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'security_event is append-only'
            USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    """CREATE TRIGGER trg_security_event_append_only BEFORE UPDATE OR DELETE ON security_event
    FOR EACH ROW EXECUTE FUNCTION timebank_guard_security_event()""",
]

DROP_SQLITE = [
    "DROP TRIGGER IF EXISTS trg_security_event_no_update",
    "DROP TRIGGER IF EXISTS trg_security_event_no_delete",
]

DROP_POSTGRESQL = [
    "DROP TRIGGER IF EXISTS trg_security_event_append_only ON security_event",
    "DROP FUNCTION IF EXISTS timebank_guard_security_event()",
]


def statements(dialect_name: str, *, drop: bool = False) -> list[str]:
    if dialect_name == "postgresql":
        return DROP_POSTGRESQL if drop else POSTGRESQL
    if dialect_name == "sqlite":
        return DROP_SQLITE if drop else SQLITE
    raise NotImplementedError(f"no security log triggers for {dialect_name}")


def attach_to(metadata: sa.MetaData) -> None:
    """Create the triggers whenever ``metadata.create_all`` creates the tables."""

    def after_create(target, connection, **kw):
        for statement in statements(connection.dialect.name):
            connection.execute(sa.text(statement))

    def before_drop(target, connection, **kw):
        for statement in statements(connection.dialect.name, drop=True):
            connection.execute(sa.text(statement))

    sa.event.listen(metadata, "after_create", after_create)
    sa.event.listen(metadata, "before_drop", before_drop)


def prune_security_events(session: Session, *, older_than: datetime) -> int:
    """Delete the events that happened before ``older_than`` (naive UTC); how many.
    Flushes, never commits: the caller's transaction holds the permit and removes it."""
    permit = SecurityEventPrune(older_than=older_than)
    session.add(permit)
    session.flush()
    result = session.execute(
        sa.delete(SecurityEvent)
        .where(SecurityEvent.occurred_at < older_than)
        .execution_options(synchronize_session=False)
    )
    session.delete(permit)
    session.flush()
    return cast(sa.CursorResult, result).rowcount
