"""A backup restored into an empty database passes ``timebank verify``, and its audit
chains hold the heads recorded in the backup's manifest; history rewritten after a
backup is found by checking against that manifest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import DEFAULT_PG
from tests.factories import TimeBankFactory, bank_today
from tests.web.support import make_member
from timebank.ledger.transfers import confirm_transfer, record_transfer

pytestmark = pytest.mark.postgres_only
ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def run(*command: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMEBANK_")}
    env["FLASK"] = FLASK
    env["PYTHON"] = sys.executable
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def empty_database():
    base = os.environ.get("TIMEBANK_TEST_POSTGRES_URL", DEFAULT_PG)
    name = f"tb_restore_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_a_backup_restores_whole_and_its_manifest_catches_rewritten_history(
    session, database_url, database_template, empty_database, tmp_path
):
    bank = TimeBankFactory(name="Riverside Time Bank", slug="riverside")
    alice = make_member(session, email="alice@example.org", bank=bank)
    bob = make_member(session, email="bob@example.org", bank=bank)
    for minutes in (30, 90):
        transfer = record_transfer(
            session,
            actor=alice,
            giver=alice.account,
            receiver=bob.account,
            minutes=minutes,
            service_date=bank_today(),
        )
        confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    session.commit()
    session.close()

    schema = database_template
    backup = run(
        "scripts/backup.sh", libpq(database_url), str(tmp_path / "backups"), f"--schema={schema}"
    )
    assert backup.returncode == 0, backup.stderr
    dump, manifest_path = (Path(line) for line in backup.stdout.split())
    manifest = json.loads(manifest_path.read_text())
    head = manifest["audit_heads"]["riverside"]
    assert head["seq"] >= 4 and len(head["hash"]) == 64

    restored_url = f"{empty_database}?options=-csearch_path%3D{schema}"
    restore = run("scripts/restore.sh", str(dump), str(manifest_path), libpq(restored_url))
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "The ledger is consistent" in restore.stdout
    assert "Every audit chain holds the head recorded in the manifest" in restore.stdout

    # Someone with the database's keys rewrites an entry recorded before the backup.
    engine = sa.create_engine(restored_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE audit_entry DISABLE TRIGGER USER")
        connection.execute(
            sa.text("UPDATE audit_entry SET hash = :fake WHERE seq = :seq"),
            {"fake": "0" * 64, "seq": head["seq"]},
        )
    engine.dispose()
    check = subprocess.run(
        [FLASK, "--app", "timebank.app", "timebank", "audit-heads", "--check", str(manifest_path)],
        cwd=ROOT,
        env={**os.environ, "TIMEBANK_SQLALCHEMY_DATABASE_URI": restored_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 1
    assert f"riverside: audit entry {head['seq']} has changed since the backup" in check.stderr


def test_a_damaged_dump_is_refused_before_anything_is_loaded(tmp_path, empty_database):
    dump = tmp_path / "timebank.dump"
    dump.write_bytes(b"not a dump")
    manifest = tmp_path / "timebank.json"
    manifest.write_text(json.dumps({"sha256": "0" * 64, "audit_heads": {}}))
    restore = run("scripts/restore.sh", str(dump), str(manifest), libpq(empty_database))
    assert restore.returncode == 1
    assert "damaged or not this backup" in restore.stderr
