"""SQLite: only a transaction that writes takes the write lock (BEGIN IMMEDIATE); one
that reads (a page, ``verify``) begins deferred and holds nobody off.
"""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from tests.factories import MembershipFactory, TimeBankFactory
from tests.web.test_auth import sign_in
from tests.web.test_coordinators_queue import world  # noqa: F401
from timebank.extensions import db
from timebank.ledger.database import read_snapshot, reading_only, run_in_transaction
from timebank.ledger.models import Account, Person


@pytest.fixture
def sqlite_only(engine_name):
    if engine_name != "sqlite":
        pytest.skip("SQLite's transaction modes")


def other_writer_can_write() -> bool:
    """Another process's write, waiting at most a tenth of a second for the lock."""
    path = db.engine.url.database
    connection = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE person SET display_name = display_name")
        connection.execute("COMMIT")
        return True
    except sqlite3.OperationalError as error:
        if "locked" not in str(error):
            raise
        return False
    finally:
        connection.close()


def begins(statements):
    return [s for s in statements if s.upper().startswith("BEGIN")]


def recording_begins():
    statements: list[str] = []
    sa.event.listen(
        db.engine,
        "before_cursor_execute",
        lambda c, cur, statement, *a: statements.append(statement),
    )
    return statements


def test_a_read_takes_no_write_lock_and_a_write_does(sqlite_only, session):
    MembershipFactory(bank=TimeBankFactory())
    session.commit()
    with reading_only():
        assert session.scalar(sa.select(sa.func.count(Account.id))) > 0  # a read is open
        assert other_writer_can_write()
        session.rollback()
    assert session.scalar(sa.select(sa.func.count(Account.id))) > 0  # outside: IMMEDIATE
    assert not other_writer_can_write()
    session.rollback()


def test_run_in_transaction_writes_with_the_lock_even_while_reading(sqlite_only, session):
    MembershipFactory(bank=TimeBankFactory())
    session.commit()
    with reading_only():
        session.scalar(sa.select(sa.func.count(Person.id)))  # a deferred read is open
        seen = []

        def work():
            session.execute(sa.update(Person).values(display_name=Person.display_name))
            seen.append(other_writer_can_write())

        run_in_transaction(session, work)
    assert seen == [False]


def test_a_snapshot_read_takes_no_write_lock(sqlite_only, session):
    MembershipFactory(bank=TimeBankFactory())
    session.commit()
    with read_snapshot(db.engine) as connection:
        assert connection.scalar(sa.select(sa.func.count(Person.id))) > 0
        assert other_writer_can_write()


def test_pages_read_deferred_and_forms_write_immediate(sqlite_only, client, session, world):  # noqa: F811
    sign_in(client, "cora@example.org")
    statements = recording_begins()
    assert client.get("/coordinators/approvals").status_code == 200
    assert client.get("/coordinators/audit").status_code == 200
    assert set(begins(statements)) == {"BEGIN"}
    # (The tests' requests share one session; a real request starts with a new one.)
    session.rollback()
    statements.clear()
    client.post("/auth/sign-out")
    assert set(begins(statements)) == {"BEGIN IMMEDIATE"}
