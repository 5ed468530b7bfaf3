"""A process killed with SIGKILL in the middle of an import loses nothing and leaves
nothing half-written, and the import never says "importing" for ever.

These start real processes: an RQ worker (``flask timebank worker``, which forks a
work-horse for each job) on Redis, or an app server without Redis (where the import
runs in a thread of the web process), both on this test's database. The import is a
members file big enough to be caught half-way: the worker is killed (its whole process
group, as when a machine dies) once the import has written its first batch of rows in
its transaction. Then:

- with tries left, RQ's maintenance (which any worker runs) finds the job abandoned
  once the dead worker's last heartbeat has run out (90 s; the test moves RQ's clock
  on rather than waiting), a new worker runs it again, and every row is there once;
- with no tries left, the job fails and the import's page says it was interrupted
  and that nothing was imported;
- an app server killed mid-import: its thread died with it, and the page, opened on
  another server, says the import was interrupted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.importing.support import ledger_state
from tests.two_step_support import code_for, set_up_two_step
from tests.web.test_auth import PASSWORD
from tests.web.test_coordinators_imports import coordinator, run_id_from, upload, uploads
from timebank.coordinators import imports as import_views
from timebank.importing.models import ImportRun
from timebank.jobs import tasks
from timebank.jobs.queue import job_id, redis_connection, rq_queue
from timebank.ledger.models import Membership

__all__ = ["coordinator"]

# PostgreSQL only (make test runs it there): "half-way" is seen from outside by the
# import's progress row, which only PostgreSQL writes while the import runs (SQLite
# keeps an import's progress in the importing process).
pytestmark = [pytest.mark.postgres_only, pytest.mark.both_engines, pytest.mark.slow]


ROWS = 12_000  # a little over two batches of 5,000: the first is written early
FLASK = [sys.executable, "-m", "flask", "--app", "timebank.app"]
HEARTBEAT_RUN_OUT = 91  # RQ: a started job's entry lasts 30 s past its heartbeat + 60 s


def members_csv(rows: int = ROWS) -> str:
    lines = ["external_ref,name,email,kind,role,opening_balance_hours,joined_on"]
    lines += [f"m{i},Member {i},member{i}@example.org,participant,member,," for i in range(rows)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def settings(app, database_url, redis_settings, tmp_path):
    """The settings every process of this "site" shares (the test's app too)."""
    folder = tmp_path / "imports"
    shared = {
        "SECRET_KEY": "the key every process of this site shares",
        "IMPORT_FOLDER": str(folder),
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        **redis_settings,
    }
    app.config.update(shared)
    app.extensions.pop("timebank_redis", None)
    return {**shared, "SQLALCHEMY_DATABASE_URI": database_url}


def environment(settings: dict, **more) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMEBANK_")}
    for key, value in {**settings, **more}.items():
        if value is None:
            continue
        env[f"TIMEBANK_{key}"] = value if isinstance(value, str) else repr(value).lower()
    env["TIMEBANK_ENVIRONMENT"] = "development"
    env["TIMEBANK_JOB_RETRY_INTERVALS"] = "[0]"
    return env


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the work-horse dies with it
    )


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL to the process, its group and its children: RQ's work-horse and
    scheduler run in process groups of their own, and a machine that dies takes them
    all."""
    for child in children(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def progress(session, run_id: int) -> tuple[str, int]:
    session.rollback()
    run = session.get(ImportRun, run_id)
    session.refresh(run)
    return run.status, run.processed_rows


def wait_until_half_way(session, run_id: int, process, log: Path) -> None:
    """Until the import has written its first batch in its transaction: its progress row
    (written beside the import's transaction, on a connection of its own) says so. Gives
    up well inside the test's own timeout, so that a failure shows the server's log."""
    deadline = time.monotonic() + 200
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        status, processed = progress(session, run_id)
        assert status == "importing", (status, log.read_text()[-3000:])
        if 0 < processed < ROWS:
            return
        time.sleep(0.05)
    raise AssertionError("the import never got half-way: " + log.read_text()[-3000:])


def members(session, bank_id: int) -> int:
    session.rollback()
    return session.scalar(
        sa.select(sa.func.count()).select_from(Membership).where(Membership.time_bank_id == bank_id)
    )


def job_status(run_id: int) -> str:
    from rq.job import Job

    job = Job.fetch(job_id(tasks.import_job_name(run_id)), connection=redis_connection())
    status = job.get_status()
    return str(getattr(status, "value", status))


def abandoned_jobs_found_by_maintenance() -> None:
    """What RQ's maintenance in any worker does once the dead worker's heartbeat has run
    out (the clock moved on instead of waiting)."""
    from rq.registry import StartedJobRegistry

    registry = StartedJobRegistry(queue=rq_queue())
    registry.cleanup(timestamp=time.time() + HEARTBEAT_RUN_OUT)


def start_import(client, session) -> int:
    run_id = run_id_from(upload(client, members_csv(), "members", "members.csv"))
    assert client.post(f"/coordinators/imports/{run_id}/start").status_code == 302
    session.rollback()
    return run_id


def test_a_worker_killed_mid_import_writes_nothing_and_a_new_worker_imports_every_row_once(
    settings, client, session, coordinator, engine_name, tmp_path
):
    bank_id = coordinator.time_bank_id
    before = ledger_state(session, bank_id)
    log = tmp_path / "worker.log"
    env = environment(settings, JOB_RETRIES="3")
    run_id = start_import(client, session)  # queued on Redis by the request

    worker = start([*FLASK, "timebank", "worker"], env, log)
    try:
        wait_until_half_way(session, run_id, worker, log)
    finally:
        kill_group(worker)

    # Nothing of it was written; it waits for its retry, with its file kept.
    assert members(session, bank_id) == 1
    assert ledger_state(session, bank_id) == before
    assert progress(session, run_id)[0] == "importing"
    assert len(uploads(client.application)) == 1
    assert job_status(run_id) == "started"  # as the dead worker left it

    abandoned_jobs_found_by_maintenance()
    assert job_status(run_id) in ("queued", "scheduled")
    # Not called interrupted while a retry is due, however long ago it started.
    import_views.INTERRUPTED_AFTER, saved = (
        import_views.timedelta(0),
        import_views.INTERRUPTED_AFTER,
    )
    try:
        page = client.get(f"/coordinators/imports/{run_id}/status").get_json()
    finally:
        import_views.INTERRUPTED_AFTER = saved
    assert page["status"] == "importing"

    again = start([*FLASK, "timebank", "worker", "--burst"], env, log)
    assert again.wait(timeout=600) == 0, log.read_text()[-3000:]
    status, processed = progress(session, run_id)
    message = session.get(ImportRun, run_id).message
    assert (status, processed) == ("done", ROWS), (message, log.read_text()[-4000:])
    assert members(session, bank_id) == ROWS + 1
    emails = session.scalars(
        sa.text(
            "SELECT p.email FROM person p JOIN membership m ON m.person_id = p.id"
            " WHERE m.time_bank_id = :bank AND p.email LIKE 'member%'"
        ),
        {"bank": bank_id},
    ).all()
    assert sorted(emails) == sorted(f"member{i}@example.org" for i in range(ROWS))
    assert uploads(client.application) == []
    # A duplicate delivery of the job changes nothing.
    assert tasks.run_import(run_id) == "nothing to do"
    assert members(session, bank_id) == ROWS + 1


def test_a_worker_killed_on_the_last_try_leaves_the_import_failed_with_its_reason(
    settings, client, session, coordinator, engine_name, tmp_path, monkeypatch
):
    bank_id = coordinator.time_bank_id
    before = ledger_state(session, bank_id)
    log = tmp_path / "worker.log"
    client.application.config["JOB_RETRIES"] = 0
    run_id = start_import(client, session)

    worker = start([*FLASK, "timebank", "worker"], environment(settings, JOB_RETRIES="0"), log)
    try:
        wait_until_half_way(session, run_id, worker, log)
    finally:
        kill_group(worker)
    abandoned_jobs_found_by_maintenance()
    assert job_status(run_id) == "failed"

    monkeypatch.setattr(import_views, "INTERRUPTED_AFTER", import_views.timedelta(0))
    status = client.get(f"/coordinators/imports/{run_id}/status").get_json()
    assert status["status"] == "failed" and status["finished"]
    assert "The import was interrupted" in status["message"]
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "The import was interrupted" in page
    assert members(session, bank_id) == 1
    assert ledger_state(session, bank_id) == before
    assert uploads(client.application) == []


def _serve(env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start([*FLASK, "run", "--port", str(port), "--no-reload"], env, log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return server, base
        except OSError:
            assert server.poll() is None, log.read_text()[-3000:]
            time.sleep(0.25)
    kill_group(server)
    raise AssertionError("the app server did not start: " + log.read_text()[-3000:])


def test_an_app_server_killed_mid_import_writes_nothing_and_the_page_says_so(
    settings, client, session, coordinator, engine_name, tmp_path, monkeypatch
):
    """Without Redis the import runs in a thread of the web process that started it."""
    bank_id = coordinator.time_bank_id
    before = ledger_state(session, bank_id)
    log = tmp_path / "server.log"
    run_id = run_id_from(upload(client, members_csv(), "members", "members.csv"))
    no_redis = {k: v for k, v in settings.items() if k not in ("REDIS_URL",)}
    env = environment(no_redis, WTF_CSRF_ENABLED="false", SESSION_COOKIE_SECURE="false")
    server, base = _serve(env, log)
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        sign_in = urllib.parse.urlencode({"email": "coord@example.org", "password": PASSWORD})
        opener.open(base + "/auth/sign-in", data=sign_in.encode(), timeout=60).read()
        if set_up_two_step(client.application, "coord@example.org"):
            # A coordinator gives the code from their authenticator too.
            code = urllib.parse.urlencode(
                {"code": code_for(client.application, "coord@example.org")}
            )
            opener.open(base + "/auth/sign-in/code", data=code.encode(), timeout=60).read()
        response = opener.open(f"{base}/coordinators/imports/{run_id}/start", data=b"", timeout=60)
        assert urllib.parse.urlsplit(response.geturl()).path == f"/coordinators/imports/{run_id}"
        wait_until_half_way(session, run_id, server, log)
    finally:
        kill_group(server)

    assert members(session, bank_id) == 1
    assert ledger_state(session, bank_id) == before
    # Opened on another server (this test's app, also without the thread): the import
    # is no longer running anywhere, so it is called interrupted, its file removed.
    client.application.config.pop("REDIS_URL", None)
    client.application.extensions.pop("timebank_redis", None)
    monkeypatch.setattr(import_views, "INTERRUPTED_AFTER", import_views.timedelta(0))
    status = client.get(f"/coordinators/imports/{run_id}/status").get_json()
    assert status["status"] == "failed" and "The import was interrupted" in status["message"]
    assert members(session, bank_id) == 1
    assert uploads(client.application) == []
