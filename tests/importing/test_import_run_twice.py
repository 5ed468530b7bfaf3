"""An import run delivered twice (its job run again while the first run still goes on,
as when a worker is killed and its work-horse is not) writes once: the second run
stops before writing, and a failure recorded late never overwrites the outcome of the
run that finished."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.importing.support import MEMBERS_CSV, ledger_state, make_bank, write
from tests.importing.test_import_services import _checked_run
from timebank.importing import runs as import_runs
from timebank.importing.models import ImportRun
from timebank.importing.rows import Layout
from timebank.ledger.models import Membership


def members(session, bank_id: int) -> int:
    return session.scalar(
        sa.select(sa.func.count()).select_from(Membership).where(Membership.time_bank_id == bank_id)
    )


@pytest.fixture
def claimed(session, tmp_path):
    bank, coordinator = make_bank(session)
    path = write(tmp_path, "members.csv", MEMBERS_CSV)
    run = _checked_run(session, coordinator, bank, path, Layout.MEMBERS)
    return bank, run.id, path


@pytest.mark.postgres_only  # SQLite's writers take turns: a second run waits for the first
def test_a_second_run_while_the_first_holds_the_import_writes_nothing(session, claimed):
    bank, run_id, path = claimed
    before = ledger_state(session, bank.id)
    session.rollback()
    # The first run, elsewhere: its transaction holds the run's lock.
    with session.get_bind().connect() as first:
        assert first.scalar(sa.select(import_runs.import_lock_key(run_id)))
        with pytest.raises(import_runs.AlreadyRunning):
            import_runs.execute(session, run_id, path, remove_file=False)
        first.rollback()
    session.expire_all()
    assert session.get(ImportRun, run_id).status == import_runs.IMPORTING
    assert ledger_state(session, bank.id) == before
    assert path.exists()
    # Once the first has ended (here: without finishing), the retry imports it.
    result = import_runs.execute(session, run_id, path)
    assert result.ok and result.ran
    assert members(session, bank.id) == 5


def test_a_run_that_finished_elsewhere_is_not_run_again(session, claimed):
    bank, run_id, path = claimed
    assert import_runs.execute(session, run_id, path, remove_file=False).ok
    assert members(session, bank.id) == 5
    again = import_runs.execute(session, run_id, path)
    assert (again.ok, again.ran) == (False, False)
    session.expire_all()
    assert session.get(ImportRun, run_id).status == import_runs.DONE
    assert members(session, bank.id) == 5


def test_a_failure_recorded_after_the_import_finished_leaves_it_done(session, claimed):
    _, run_id, path = claimed
    assert import_runs.execute(session, run_id, path).ok
    import_runs.mark_failed(session, run_id, import_runs.INTERRUPTED)
    session.expire_all()
    run = session.get(ImportRun, run_id)
    assert (run.status, run.processed_rows) == (import_runs.DONE, 4)


@pytest.mark.postgres_only
def test_a_run_with_the_same_id_in_another_schema_does_not_hold_this_one(session, claimed):
    """Advisory locks belong to the whole database and run ids count from 1 in every
    schema: another installation's (or test worker's) run with the same id once held
    this one, which then never started (a CI run timed out waiting for it)."""
    bank, run_id, path = claimed
    session.rollback()
    other = f"tb_other_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(session.get_bind().url)
    try:
        with engine.connect() as elsewhere:
            elsewhere.exec_driver_sql(f'CREATE SCHEMA "{other}"')
            elsewhere.exec_driver_sql(f'SET LOCAL search_path TO "{other}"')
            # The other schema's run number `run_id`, held by its own import.
            assert elsewhere.scalar(sa.select(import_runs.import_lock_key(run_id)))
            result = import_runs.execute(session, run_id, path)
            assert result.ok and result.ran
            assert members(session, bank.id) == 5
            elsewhere.rollback()  # the schema goes with it
    finally:
        engine.dispose()
