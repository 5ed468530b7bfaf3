"""Big exports are written by a background job, with their progress on a page: the
request records the download in the audit log and sends the coordinator to the
export's page; the page shows rows written of rows expected while the job writes, and
offers the file (the same CSV the request would have streamed) when it is complete. A
job that dies is retried from the start or the page says the export was interrupted;
another bank's coordinator never reaches the file."""

from __future__ import annotations

import pytest

from tests.production.conftest import work_off
from tests.web.support import sign_in
from tests.web.test_coordinators_exports import audit_actions, banks, csv_rows
from timebank.coordinators import exports as export_views
from timebank.jobs import tasks
from timebank.jobs.queue import job_id, redis_connection, rq_queue, wait_in_process
from timebank.reports import export_files

__all__ = ["banks"]


@pytest.fixture(autouse=True)
def small_exports(app, tmp_path):
    """Anything over one row is "big" here; the files go to the test's own folder."""
    app.config["EXPORT_IN_REQUEST_MAX_ROWS"] = 1
    app.config["EXPORT_FOLDER"] = str(tmp_path / "exports")


def token_of(response) -> str:
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    assert location.startswith("/coordinators/exports/")
    return location.rsplit("/", 1)[-1]


def folder(app):
    with app.app_context():
        return tasks.export_folder()


def test_a_big_export_is_written_in_the_background_and_offered_when_ready(
    app, client, session, banks
):
    sign_in(client, "coord@example.org")
    before = audit_actions(session, banks["bank"].id)
    token = token_of(client.get("/coordinators/exports/transfers.csv"))
    # Recorded in the audit log when asked for, as a download in the request is.
    assert audit_actions(session, banks["bank"].id) == [*before, "export.transfers"]
    session.rollback()
    wait_in_process(tasks.export_job_name(token))

    page = client.get(f"/coordinators/exports/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "The file is ready: 2 rows." in html
    download = client.get(f"/coordinators/exports/{token}/file")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Cache-Control"] == "no-store"
    assert "riverside-transfers-" in download.headers["Content-Disposition"]
    # The same file the request streams when the export is small.
    app.config["EXPORT_IN_REQUEST_MAX_ROWS"] = 1000
    streamed = client.get("/coordinators/exports/transfers.csv")
    assert csv_rows(download) == csv_rows(streamed)
    assert [r["description"] for r in csv_rows(download)] == ["Gardening", "Shopping"]


def test_the_page_shows_the_rows_written_while_the_job_writes(
    on_redis, client, session, banks, monkeypatch
):
    sign_in(client, "coord@example.org")
    token = token_of(client.get("/coordinators/exports/members.csv"))
    # Queued: nothing written yet, and the page says how many rows are to come.
    status = client.get(f"/coordinators/exports/{token}/status").get_json()
    assert status == {
        "status": "waiting",
        "processed_rows": 0,
        "total_rows": 3,
        "finished": False,
        "message": "",
    }
    html = client.get(f"/coordinators/exports/{token}").get_data(as_text=True)
    assert 'max="3" value="0"' in html and "0 of 3 rows written to the file." in html

    seen = []
    real_rows = export_files.rows_of

    def one_row_at_a_time(session, state):
        header, *rest = "".join(real_rows(session, state)).splitlines(keepends=True)
        yield header
        for line in rest:
            yield line
            # What the page's status shows after each piece.
            seen.append(client.get(f"/coordinators/exports/{token}/status").get_json())

    monkeypatch.setattr(export_files, "rows_of", one_row_at_a_time)
    work_off(on_redis)
    assert [(s["status"], s["processed_rows"], s["total_rows"]) for s in seen] == [
        ("writing", 1, 3),
        ("writing", 2, 3),
        ("writing", 3, 3),
    ]
    final = client.get(f"/coordinators/exports/{token}/status").get_json()
    assert (final["status"], final["processed_rows"], final["finished"]) == ("done", 3, True)


def test_a_job_that_fails_is_retried_from_the_start(on_redis, client, banks, monkeypatch):
    sign_in(client, "coord@example.org")
    token = token_of(client.get("/coordinators/exports/transfers.csv"))
    real_rows = export_files.rows_of
    tries = []

    def dies_once(session, state):
        tries.append(state.status)
        for piece in real_rows(session, state):
            yield piece
            if len(tries) == 1:
                raise OSError("disk full")

    monkeypatch.setattr(export_files, "rows_of", dies_once)
    work_off(on_redis)  # the first try fails; its retry (at once here) writes it all
    assert len(tries) == 2
    download = client.get(f"/coordinators/exports/{token}/file")
    assert [r["description"] for r in csv_rows(download)] == ["Gardening", "Shopping"]
    assert list(folder(on_redis).path.glob("*.part")) == []


def test_an_export_no_job_will_write_is_called_interrupted(on_redis, client, banks, monkeypatch):
    sign_in(client, "coord@example.org")
    token = token_of(client.get("/coordinators/exports/transfers.csv"))
    # Its worker died and its tries are spent: the job is gone.
    name = job_id(tasks.export_job_name(token))
    rq_queue().remove(name)
    redis_connection().delete(f"rq:job:{name}")
    # Just asked for: not yet called interrupted.
    assert client.get(f"/coordinators/exports/{token}/status").get_json()["status"] == "waiting"

    monkeypatch.setattr(export_views, "INTERRUPTED_AFTER", export_views.timedelta(0))
    status = client.get(f"/coordinators/exports/{token}/status").get_json()
    assert status["status"] == "failed" and status["finished"]
    assert "The export was interrupted" in status["message"]
    html = client.get(f"/coordinators/exports/{token}").get_data(as_text=True)
    assert "The file was not written" in html
    assert client.get(f"/coordinators/exports/{token}/file").status_code == 404


def test_a_queued_export_is_not_called_interrupted(on_redis, client, banks, monkeypatch):
    sign_in(client, "coord@example.org")
    token = token_of(client.get("/coordinators/exports/transfers.csv"))
    monkeypatch.setattr(export_views, "INTERRUPTED_AFTER", export_views.timedelta(0))
    assert client.get(f"/coordinators/exports/{token}/status").get_json()["status"] == "waiting"


def test_only_this_banks_coordinators_reach_the_export(app, client, session, banks):
    sign_in(client, "coord@example.org")
    token = token_of(client.get("/coordinators/exports/members.csv"))
    session.rollback()
    wait_in_process(tasks.export_job_name(token))
    assert client.get(f"/coordinators/exports/{token}/file").status_code == 200
    client.post("/auth/sign-out")

    other = app.test_client()
    sign_in(other, "coord-b@example.org")
    for path in ("", "/status", "/file"):
        assert other.get(f"/coordinators/exports/{token}{path}").status_code == 404
    assert other.get("/coordinators/exports/not-a-token/file").status_code == 404
    assert other.get("/coordinators/exports/..%2F..%2Fsecret/file").status_code == 404

    member = app.test_client()
    sign_in(member, "ann@example.org")
    assert member.get(f"/coordinators/exports/{token}/file").status_code in (302, 403)


def test_a_small_export_still_streams_in_the_request(app, client, banks):
    app.config["EXPORT_IN_REQUEST_MAX_ROWS"] = 2
    sign_in(client, "coord@example.org")
    response = client.get("/coordinators/exports/transfers.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert client.get("/coordinators/exports/members.csv").status_code == 302  # 3 rows
