"""The migrations build exactly the models' schema, undo cleanly and install the history
triggers, on the engine of this run (a throwaway SQLite file or PostgreSQL schema)."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy.exc import DBAPIError

from tests.conftest import DEFAULT_PG, ROOT, pg_url_with_schema
from tests.factories import CoordinatorFactory, MembershipFactory, TimeBankFactory, bank_today
from timebank.app import create_app
from timebank.extensions import db
from timebank.ledger.models import AuditEntry, Base, Transfer, TransferStatus
from timebank.ledger.transfers import record_transfer

MIGRATIONS = str(ROOT / "timebank" / "migrations")
SQLITE_TRIGGERS = {
    "trg_audit_entry_no_update",
    "trg_audit_entry_no_delete",
    "trg_transfer_final_no_update",
    "trg_transfer_no_delete",
    "trg_security_event_no_update",
    "trg_security_event_no_delete",
}
POSTGRESQL_TRIGGERS = {
    ("audit_entry", "trg_audit_entry_no_update"),
    ("transfer", "trg_transfer_final_no_update"),
    ("transfer", "trg_transfer_no_delete"),
    ("security_event", "trg_security_event_append_only"),
}


@pytest.fixture
def empty_app(engine_name, tmp_path):
    """An app on a database with nothing in it, not even the migrations."""
    admin, schema = None, None
    if engine_name == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    else:
        schema = f"tb_migr_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(
            os.environ.get("TIMEBANK_TEST_POSTGRES_URL", DEFAULT_PG), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = pg_url_with_schema(schema)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "t"})
    try:
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()


def schema_differences(connection):
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return compare_metadata(context, Base.metadata)


def check_constraint_names(inspector, table):
    return {c["name"] for c in inspector.get_check_constraints(table)}


def history_triggers(connection):
    if connection.dialect.name == "sqlite":
        return set(
            connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            ).scalars()
        )
    return {
        tuple(row)
        for row in connection.exec_driver_sql(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
        )
    }


def expected_triggers(dialect):
    return SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGERS


def test_upgrade_builds_exactly_the_models_schema(empty_app):
    upgrade(directory=MIGRATIONS)
    with db.engine.connect() as connection:
        assert schema_differences(connection) == []
        inspector = sa.inspect(connection)
        assert set(inspector.get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
        # compare_metadata does not look at CHECK constraints or partial-index predicates.
        for table in Base.metadata.sorted_tables:
            declared = {str(c.name) for c in table.constraints if isinstance(c, sa.CheckConstraint)}
            assert check_constraint_names(inspector, table.name) == declared, table.name
        (one_pot,) = [
            i
            for i in inspector.get_indexes("account")
            if i["name"] == "uq_account_one_pot_per_bank"
        ]
        assert one_pot["unique"]
        assert one_pot["column_names"] == ["time_bank_id", "kind"]
        where = one_pot["dialect_options"][f"{connection.dialect.name}_where"]
        assert "pot" in str(where) and "equity" in str(where)
        assert history_triggers(connection) == expected_triggers(connection.dialect.name)
        assert (
            connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            == head_revision()
        )


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "timebank" / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def leftovers(connection):
    """Everything in the database apart from the alembic_version table."""
    if connection.dialect.name == "sqlite":
        return connection.exec_driver_sql(
            "SELECT type, name FROM sqlite_master WHERE tbl_name <> 'alembic_version'"
        ).all()
    objects = connection.exec_driver_sql(
        "SELECT relkind::text, relname FROM pg_class"
        " WHERE relnamespace = current_schema()::regnamespace"
        " AND relname NOT IN ('alembic_version', 'alembic_version_pkc')"
    ).all()
    functions = connection.exec_driver_sql(
        "SELECT 'function', proname::text FROM pg_proc"
        " WHERE pronamespace = current_schema()::regnamespace"
    ).all()
    return objects + functions


def test_downgrade_to_base_leaves_nothing_and_upgrade_works_again(empty_app):
    upgrade(directory=MIGRATIONS)
    downgrade(directory=MIGRATIONS, revision="base")
    with db.engine.connect() as connection:
        assert sa.inspect(connection).get_table_names() == ["alembic_version"]
        assert leftovers(connection) == []
        assert connection.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 0
    db.engine.dispose()

    upgrade(directory=MIGRATIONS)
    with db.engine.connect() as connection:
        assert schema_differences(connection) == []
        assert history_triggers(connection) == expected_triggers(connection.dialect.name)


def test_the_migrated_database_protects_history(empty_app):
    upgrade(directory=MIGRATIONS)
    session = db.session
    bank = TimeBankFactory()
    coordinator = CoordinatorFactory(bank=bank)
    alice, bob = MembershipFactory(bank=bank), MembershipFactory(bank=bank)
    posted = record_transfer(
        session,
        actor=coordinator,
        giver=alice.account,
        receiver=bob.account,
        minutes=60,
        service_date=bank_today(),
    )
    pending = record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=30,
        service_date=bank_today(),
    )
    assert posted.status == TransferStatus.POSTED and pending.status == TransferStatus.PENDING
    session.commit()

    for statement in (
        sa.update(Transfer).where(Transfer.id == posted.id).values(minutes=600),
        sa.delete(Transfer).where(Transfer.id == pending.id),
        sa.update(AuditEntry).values(action="tampered"),
        sa.delete(AuditEntry),
    ):
        with pytest.raises(DBAPIError):
            session.execute(statement)
        session.rollback()
    # A pending transfer may still change (that is how it gets confirmed and approved).
    session.execute(
        sa.update(Transfer).where(Transfer.id == pending.id).values(description="Shopping")
    )
    session.commit()
    assert session.get(Transfer, posted.id).minutes == 60


def test_0006_removes_the_unused_accounts_of_partner_memberships(empty_app):
    from timebank.ledger.models import Account, Membership, Role

    # The data is made with today's models, then taken back to 0005 (later migrations
    # may add columns the models write), as the software before 0006 left it.
    upgrade(directory=MIGRATIONS)
    session = db.session
    bank = TimeBankFactory()
    coordinator = CoordinatorFactory(bank=bank)
    member = MembershipFactory(bank=bank)
    idle, busy = MembershipFactory(bank=bank), MembershipFactory(bank=bank)
    record_transfer(
        session,
        actor=coordinator,
        giver=busy.account,
        receiver=member.account,
        minutes=60,
        service_date=bank_today(),
    )
    # As the software before 0006 left them: partner memberships with accounts.
    session.execute(
        sa.update(Membership).where(Membership.id.in_([idle.id, busy.id])).values(role="partner")
    )
    session.commit()
    ids = {m.id: m.account.id for m in (member, idle, busy)}
    session.remove()
    downgrade(directory=MIGRATIONS, revision="0005")
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(Account).where(Account.id == ids[idle.id])
    )
    db.session.remove()

    upgrade(directory=MIGRATIONS)
    remaining = set(db.session.scalars(sa.select(Account.id)))
    assert ids[idle.id] not in remaining
    assert ids[busy.id] in remaining and ids[member.id] in remaining
    assert db.session.get(Membership, idle.id).role == Role.PARTNER
    db.session.remove()

    downgrade(directory=MIGRATIONS, revision="0005")
    db.session.remove()
    restored = db.session.scalar(sa.select(Account).where(Account.membership_id == idle.id))
    assert restored is not None and restored.balance == 0
