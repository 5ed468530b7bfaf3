"""An upload's dry run holds no write lock on SQLite (issue 11, finding 9): a 50 MB file
kept every member's write waiting for 8.6 s, because the sign-in check had begun the
request's transaction with BEGIN IMMEDIATE and the upload was received, hashed, read and
checked inside it. Another connection now writes while the file is being hashed and
while its rows are checked."""

from __future__ import annotations

import io
import sqlite3

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.support import make_member, sign_in
from timebank.coordinators import imports as import_views
from timebank.importing import checking
from timebank.importing.models import ImportRun
from timebank.ledger.models import Person, Role


@pytest.fixture(autouse=True)
def import_folder(app, tmp_path):
    app.config["IMPORT_FOLDER"] = str(tmp_path / "imports")


@pytest.fixture
def sqlite_path(app, engine_name):
    if engine_name != "sqlite":
        pytest.skip("SQLite's write lock")
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


def test_members_can_write_while_an_upload_is_hashed_and_checked(
    client, session, sqlite_path, monkeypatch
):
    bank = TimeBankFactory(name="Riverside Time Bank")
    make_member(session, email="coord@example.org", bank=bank, role=Role.COORDINATOR)
    alice = make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
    alice_id = alice.person_id
    sign_in(client, "coord@example.org")
    writes: list[str] = []

    def another_member_writes(when: str) -> None:
        # Another process: it waits at most 0.2 s for the write lock, then gives up.
        connection = sqlite3.connect(sqlite_path, timeout=0.2, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "UPDATE person SET display_name = ? WHERE id = ?",
                (f"Alice ({when})", alice_id),
            )
            connection.execute("COMMIT")
            writes.append(when)
        except sqlite3.OperationalError as error:
            writes.append(f"{when}: {error}")
        finally:
            connection.close()

    hash_file = import_views.file_sha256
    read_rows = checking.read_rows

    def hashing(path):
        another_member_writes("hashing")
        return hash_file(path)

    def reading(*args, **kwargs):
        for number, item in enumerate(read_rows(*args, **kwargs)):
            if number == 1:
                another_member_writes("checking")
            yield item

    monkeypatch.setattr(import_views, "file_sha256", hashing)
    monkeypatch.setattr(checking, "read_rows", reading)
    text = "name,email\nNia Jones,nia@example.org\nOwen Price,owen@example.org\n"
    response = client.post(
        "/coordinators/imports",
        data={"layout": "members", "file": (io.BytesIO(text.encode()), "people.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert writes == ["hashing", "checking"]
    session.rollback()
    assert session.get(Person, alice_id).display_name == "Alice (checking)"
    # And the dry run still did its work, recorded in its own short transaction.
    run = session.scalar(sa.select(ImportRun))
    assert (run.status, run.total_rows, run.error_count) == ("checked", 2, 0)
