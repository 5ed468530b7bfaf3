"""Background jobs on a real Redis, run by a real RQ worker (in this process, burst
mode): notification emails are queued by the request and sent by the worker, once,
retried when the mail server fails; an import runs in the worker, a killed attempt
writes nothing and its retry imports every row once, and an import nobody will run any
more is marked failed with its reason; report rebuilds fill the cache."""

from __future__ import annotations

import logging
import smtplib

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory, bank_today
from tests.importing.support import MEMBERS_CSV, ledger_state
from tests.production.conftest import work_off
from tests.web.support import sign_in
from tests.web.test_coordinators_imports import coordinator, run_id_from, upload, uploads
from tests.web.test_notification_email import (
    confirmed_exchange,
    emails,
    log_exchange,
    wants_email,
    world,
)
from timebank import notification_mail
from timebank.coordinators import imports as import_views
from timebank.importing import runs as import_runs
from timebank.importing.models import ImportRun
from timebank.jobs import report_refresh, tasks
from timebank.jobs.email_marks import EmailMarks
from timebank.jobs.queue import enqueue, is_running, job_id, queue_name, redis_connection, rq_queue
from timebank.ledger.models import Membership, Transfer, TransferStatus
from timebank.ledger.transfers import approve_transfer, confirm_transfer, record_transfer
from timebank.report_views.periods import LAST_12_MONTHS, resolve
from timebank.reports import coordinator_overview
from timebank.reports.models import ReportCache
from timebank.reports.reciprocity import Audience, BankSelection, get_report, network_cache
from timebank.reports.reciprocity.cache import generation

__all__ = ["coordinator", "world"]  # fixtures borrowed from the web tests


@pytest.fixture
def outbox(app, tmp_path):
    folder = tmp_path / "outbox"
    app.config["MAIL_OUTBOX"] = str(folder)
    return folder


@pytest.fixture(autouse=True)
def import_folder(app, tmp_path):
    app.config["IMPORT_FOLDER"] = str(tmp_path / "imports")


def queued() -> int:
    return rq_queue().count


# Emails ------------------------------------------------------------------------------


def test_a_notification_email_is_queued_then_sent_once_by_the_worker(
    on_redis, client, world, outbox
):
    wants_email(_session(), world["bob"])
    sign_in(client, "alice@example.org")
    assert log_exchange(client, world).status_code == 302
    # The request only queued it; the queue holds the notification's id, nobody's address.
    assert emails(outbox) == []
    assert queued() == 1
    [job] = rq_queue().get_jobs()
    assert "bob@example.org" not in repr(job.args) and "Bob" not in repr(job.args)

    work_off(on_redis)
    [mail] = emails(outbox)
    assert mail["to"] == "bob@example.org"
    assert mail["subject"] == "An exchange is waiting for you to confirm it"
    assert "Hello Bob Brennan," in mail["text"]

    # The same job again (queued twice, or retried after its worker died): no second email.
    [notification_id] = job.args
    enqueue(tasks.send_notification_email, notification_id, name=f"email-{notification_id}")
    work_off(on_redis)
    assert len(emails(outbox)) == 1


def test_an_email_the_mail_server_refuses_is_retried_and_sent_once(
    on_redis, client, world, outbox, monkeypatch, caplog
):
    wants_email(_session(), world["bob"])
    real_send = notification_mail.send_email
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) < 3:
            raise smtplib.SMTPServerDisconnected("the server went away")
        return real_send(*args, **kwargs)

    monkeypatch.setattr(notification_mail, "send_email", flaky)
    sign_in(client, "alice@example.org")
    with caplog.at_level(logging.WARNING):
        assert log_exchange(client, world).status_code == 302
        work_off(on_redis)
    assert len(calls) == 3
    assert len(emails(outbox)) == 1
    assert "bob@example.org" not in caplog.text and "Bob" not in caplog.text


def test_an_email_that_never_goes_fails_after_its_tries_and_can_be_sent_later(
    on_redis, client, world, outbox, monkeypatch
):
    wants_email(_session(), world["bob"])

    tries = []

    def refused(*args, **kwargs):
        tries.append(1)
        raise smtplib.SMTPServerDisconnected("down")

    monkeypatch.setattr(notification_mail, "send_email", refused)
    sign_in(client, "alice@example.org")
    log_exchange(client, world)
    [job] = rq_queue().get_jobs()
    work_off(on_redis)
    assert emails(outbox) == []
    job.refresh()
    assert job.get_status() == "failed" and job.retries_left == 0
    assert len(tries) == 1 + on_redis.config["JOB_RETRIES"]
    [notification_id] = job.args
    # The claim was given back: a later try (once the server is back) sends it.
    assert not EmailMarks(redis_connection(), queue_name()).is_sent(notification_id)
    monkeypatch.undo()
    on_redis.config["MAIL_OUTBOX"] = str(outbox)
    enqueue(tasks.send_notification_email, notification_id, name=f"email-{notification_id}")
    work_off(on_redis)
    assert len(emails(outbox)) == 1


def _session():
    from timebank.extensions import db

    return db.session


# Imports -----------------------------------------------------------------------------


def _members(session, bank_id) -> int:
    return session.scalar(
        sa.select(sa.func.count()).select_from(Membership).where(Membership.time_bank_id == bank_id)
    )


def test_an_import_runs_in_the_worker(on_redis, client, session, coordinator):
    run_id = run_id_from(upload(client, MEMBERS_CSV, "members", "members.csv"))
    assert client.post(f"/coordinators/imports/{run_id}/start").status_code == 302
    session.rollback()
    # Queued: the web process did not run it.
    assert session.get(ImportRun, run_id).status == "importing"
    assert is_running(tasks.import_job_name(run_id))
    status = client.get(f"/coordinators/imports/{run_id}/status").get_json()
    assert status["status"] == "importing" and not status["finished"]

    work_off(on_redis)
    session.expire_all()
    run = session.get(ImportRun, run_id)
    assert (run.status, run.processed_rows) == ("done", 4)
    assert _members(session, coordinator.time_bank_id) == 5
    assert client.get(f"/coordinators/imports/{run_id}/status").get_json()["finished"]
    # Its bank's reports were rebuilt afterwards, by the same worker.
    assert _cached_reports(session) == 6


def _cached_reports(session) -> int:
    """Reports in the cache (not the networks' measures or the overview kept beside)."""
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(ReportCache)
        .where(ReportCache.audience.not_in([network_cache.AUDIENCE, coordinator_overview.AUDIENCE]))
    )


def _cached_overview_generations(session) -> list[str]:
    return session.scalars(
        sa.select(ReportCache.generation).where(
            ReportCache.audience == coordinator_overview.AUDIENCE
        )
    ).all()


class WorkerKilled(BaseException):
    """What a worker's death looks like from inside the job: not an error to record."""


def test_an_import_whose_worker_dies_mid_job_writes_nothing_and_its_retry_imports_once(
    on_redis, app, client, session, coordinator, monkeypatch
):
    bank_id = coordinator.time_bank_id
    run_id = run_id_from(upload(client, MEMBERS_CSV, "members", "members.csv"))
    before = ledger_state(session, bank_id)
    assert client.post(f"/coordinators/imports/{run_id}/start").status_code == 302
    session.rollback()

    real_import = import_runs.import_file

    def dies_after_writing(session, **kwargs):
        real_import(session, **kwargs)  # every row written, not yet committed
        raise WorkerKilled

    monkeypatch.setattr(import_runs, "import_file", dies_after_writing)
    with pytest.raises(WorkerKilled):
        tasks.run_import(run_id)
    session.expire_all()
    # Nothing of it was written, the run still waits for its retry, its file is kept.
    assert ledger_state(session, bank_id) == before
    assert _members(session, bank_id) == 1
    assert session.get(ImportRun, run_id).status == "importing"
    assert len(uploads(app)) == 1

    monkeypatch.setattr(import_runs, "import_file", real_import)
    work_off(on_redis)  # the job itself, still queued: the retry
    session.expire_all()
    assert session.get(ImportRun, run_id).status == "done"
    assert _members(session, bank_id) == 5
    assert uploads(app) == []
    # Run once more (a duplicate delivery): nothing to do, nothing written twice.
    assert tasks.run_import(run_id) == "nothing to do"
    assert _members(session, bank_id) == 5


def test_an_import_no_job_will_run_is_marked_failed_with_its_reason(
    on_redis, app, client, session, coordinator, monkeypatch
):
    bank_id = coordinator.time_bank_id
    before = ledger_state(session, bank_id)
    run_id = run_id_from(upload(client, MEMBERS_CSV, "members", "members.csv"))
    client.post(f"/coordinators/imports/{run_id}/start")
    session.rollback()
    # Its worker died and its tries are spent: the job is gone from the queue.
    rq_queue().remove(job_id(tasks.import_job_name(run_id)))
    redis_connection().delete(f"rq:job:{job_id(tasks.import_job_name(run_id))}")

    # Just started: not yet called interrupted (it may be on its way to the queue).
    page = client.get(f"/coordinators/imports/{run_id}/status").get_json()
    assert page["status"] == "importing"

    monkeypatch.setattr(import_views, "INTERRUPTED_AFTER", import_views.timedelta(0))
    status = client.get(f"/coordinators/imports/{run_id}/status").get_json()
    assert status["status"] == "failed" and status["finished"]
    assert "The import was interrupted" in status["message"]
    assert "Nothing was imported" in status["message"]
    session.expire_all()
    assert ledger_state(session, bank_id) == before
    assert uploads(app) == []


def test_an_import_still_running_is_not_called_interrupted(
    on_redis, client, session, coordinator, monkeypatch
):
    run_id = run_id_from(upload(client, MEMBERS_CSV, "members", "members.csv"))
    client.post(f"/coordinators/imports/{run_id}/start")
    session.rollback()
    monkeypatch.setattr(import_views, "INTERRUPTED_AFTER", import_views.timedelta(0))
    assert client.get(f"/coordinators/imports/{run_id}/status").get_json()["status"] == (
        "importing"
    )


# Reports -----------------------------------------------------------------------------


def test_report_rebuilds_run_in_the_worker(on_redis, runner, session, world):
    result = runner.invoke(args=["timebank", "rebuild-reports", "--bank", world["bank"].slug])
    assert result.exit_code == 0, result.output
    session.rollback()
    assert _cached_reports(session) == 0
    assert queued() == 1
    work_off(on_redis)
    assert _cached_reports(session) == 6
    assert _cached_overview_generations(session) == [
        generation(session, BankSelection.one(world["bank"].id))
    ]


def test_without_redis_report_rebuilds_run_at_once(app, runner, session, world):
    result = runner.invoke(args=["timebank", "rebuild-reports"])
    assert result.exit_code == 0, result.output
    session.rollback()
    assert _cached_reports(session) == 6


def test_a_posting_queues_its_banks_report_rebuild_once(on_redis, session, world):
    on_redis.config["REBUILD_REPORTS_AFTER_POSTING"] = True
    alice, bob, cora = world["alice"], world["bob"], world["cora"]
    bank_id = world["bank"].id
    session.commit()
    # Waiting for Bob to confirm and a coordinator to approve: nothing has posted yet.
    pending = record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=60,
        service_date=bank_today(),
    )
    session.commit()
    confirm_transfer(session, actor=bob, transfer_id=pending.id)
    session.commit()
    assert queued() == 0
    # Approved, it posts: the bank's rebuild is queued, once however many post meanwhile.
    approve_transfer(session, actor=cora, transfer_id=pending.id)
    session.commit()
    assert queued() == 1
    approve_transfer(session, actor=cora, transfer_id=confirmed_exchange(session, bob, alice, 30))
    session.commit()
    assert queued() == 1
    assert is_running(report_refresh.job_name(bank_id))
    work_off(on_redis)
    assert _cached_reports(session) == 6
    # What a reader now gets comes from the cache, built after the postings.
    current = generation(session, BankSelection.one(bank_id))
    stored = session.scalars(
        sa.select(ReportCache.generation).where(ReportCache.audience != network_cache.AUDIENCE)
    ).all()
    assert set(stored) == {current}
    # The coordinators' overview too: their home page reads it without working it out.
    assert _cached_overview_generations(session) == [current]
    built_at = session.scalar(
        sa.select(ReportCache.built_at).where(ReportCache.audience == coordinator_overview.AUDIENCE)
    )
    signed_in = on_redis.test_client()
    sign_in(signed_in, "cora@example.org")
    assert signed_in.get("/coordinators/").status_code == 200
    session.rollback()
    assert (
        session.scalar(
            sa.select(ReportCache.built_at).where(
                ReportCache.audience == coordinator_overview.AUDIENCE
            )
        )
        == built_at
    )


def test_a_posting_rebuilds_the_combined_reports_partners_read_with_its_bank(
    on_redis, session, world
):
    on_redis.config["REBUILD_REPORTS_AFTER_POSTING"] = True
    bank_id = world["bank"].id
    other, unrelated = TimeBankFactory(name="Hillside"), TimeBankFactory(name="Seaside")
    session.commit()
    both = BankSelection((bank_id, other.id))
    apart = BankSelection((other.id, unrelated.id))
    period = resolve(LAST_12_MONTHS, bank_today()).period
    for selection in (both, apart):
        get_report(session, selection, period, Audience.PARTNER)  # a partner read them
    session.commit()
    approve_transfer(
        session,
        actor=world["cora"],
        transfer_id=confirmed_exchange(session, world["alice"], world["bob"]),
    )
    session.commit()
    work_off(on_redis)  # the bank's rebuild, which queues the combined one, then that
    combined = session.scalars(
        sa.select(ReportCache.generation).where(
            ReportCache.bank_ids == both.key, ReportCache.audience == str(Audience.PARTNER)
        )
    ).all()
    # This quarter, last quarter and the last 12 months, each built after the posting.
    assert len(combined) == 3
    assert set(combined) == {generation(session, both)}
    # A combined report without the bank is left as it was.
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(ReportCache)
            .where(ReportCache.bank_ids == apart.key, ReportCache.audience == str(Audience.PARTNER))
        )
        == 1
    )


def test_no_rebuild_is_queued_when_turned_off(on_redis, session, world):
    on_redis.config["REBUILD_REPORTS_AFTER_POSTING"] = False
    session.commit()
    transfer_id = confirmed_exchange(session, world["alice"], world["bob"])
    approve_transfer(session, actor=world["cora"], transfer_id=transfer_id)
    session.commit()
    assert session.get(Transfer, transfer_id).status == TransferStatus.POSTED
    assert queued() == 0
