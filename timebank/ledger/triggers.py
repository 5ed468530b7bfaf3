"""Database triggers that keep history unchangeable, on SQLite and on PostgreSQL.

- ``audit_entry`` is append-only: UPDATE and DELETE are refused.
- A transfer that is posted or rejected never changes; no transfer is ever deleted.

The same statements are run by the migration and by ``metadata.create_all`` (through
the ``after_create`` events below), so both routes give the same database.
"""

from __future__ import annotations

import sqlalchemy as sa

SQLITE = [
    """CREATE TRIGGER trg_audit_entry_no_update BEFORE UPDATE ON audit_entry
    BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END""",
    """CREATE TRIGGER trg_audit_entry_no_delete BEFORE DELETE ON audit_entry
    BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END""",
    """CREATE TRIGGER trg_transfer_final_no_update BEFORE UPDATE ON transfer
    WHEN OLD.status <> 'pending'
    BEGIN SELECT RAISE(ABORT, 'a posted or rejected transfer never changes'); END""",
    """CREATE TRIGGER trg_transfer_no_delete BEFORE DELETE ON transfer
    BEGIN SELECT RAISE(ABORT, 'transfers are never deleted'); END""",
]

POSTGRESQL = [
    """CREATE FUNCTION timebank_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    """CREATE TRIGGER trg_audit_entry_no_update BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION timebank_refuse_change('audit_entry is append-only')""",
    """CREATE TRIGGER trg_transfer_final_no_update BEFORE UPDATE ON transfer
    FOR EACH ROW WHEN (OLD.status <> 'pending')
    EXECUTE FUNCTION timebank_refuse_change('a posted or rejected transfer never changes')""",
    """CREATE TRIGGER trg_transfer_no_delete BEFORE DELETE ON transfer
    FOR EACH ROW EXECUTE FUNCTION timebank_refuse_change('transfers are never deleted')""",
]

DROP_SQLITE = [
    "DROP TRIGGER IF EXISTS trg_audit_entry_no_update",
    "DROP TRIGGER IF EXISTS trg_audit_entry_no_delete",
    "DROP TRIGGER IF EXISTS trg_transfer_final_no_update",
    "DROP TRIGGER IF EXISTS trg_transfer_no_delete",
]

DROP_POSTGRESQL = [
    "DROP TRIGGER IF EXISTS trg_audit_entry_no_update ON audit_entry",
    "DROP TRIGGER IF EXISTS trg_transfer_final_no_update ON transfer",
    "DROP TRIGGER IF EXISTS trg_transfer_no_delete ON transfer",
    "DROP FUNCTION IF EXISTS timebank_refuse_change()",
]


def statements(dialect_name: str, *, drop: bool = False) -> list[str]:
    if dialect_name == "postgresql":
        return DROP_POSTGRESQL if drop else POSTGRESQL
    if dialect_name == "sqlite":
        return DROP_SQLITE if drop else SQLITE
    raise NotImplementedError(f"no history triggers for {dialect_name}")


def create_triggers(connection: sa.Connection) -> None:
    # Through text(), as the migration's op.execute does: psycopg would read the '%' in
    # the PL/pgSQL body as a placeholder if the statement went to the driver as it is.
    for statement in statements(connection.dialect.name):
        connection.execute(sa.text(statement))


def drop_triggers(connection: sa.Connection) -> None:
    for statement in statements(connection.dialect.name, drop=True):
        connection.execute(sa.text(statement))


def attach_to(metadata: sa.MetaData) -> None:
    """Create the triggers whenever ``metadata.create_all`` creates the tables."""

    def after_create(target, connection, **kw):
        create_triggers(connection)

    def before_drop(target, connection, **kw):
        drop_triggers(connection)

    sa.event.listen(metadata, "after_create", after_create)
    sa.event.listen(metadata, "before_drop", before_drop)
