"""Request tests for the import pages: upload and dry run, the list of bad rows, the
real import in a background thread with its progress, refusals and the size limit."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.importing.support import MEMBERS_CSV, ledger_state
from tests.web.support import make_member, sign_in
from timebank.coordinators.imports import wait_for_import
from timebank.importing.models import ImportRun
from timebank.ledger.models import Membership, Role, Transfer, TransferKind
from timebank.ledger.verify import verify_ledger


@pytest.fixture(autouse=True)
def import_folder(app, tmp_path):
    app.config["IMPORT_FOLDER"] = str(tmp_path / "imports")


@pytest.fixture
def coordinator(client, session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    membership = make_member(session, email="coord@example.org", bank=bank, role=Role.COORDINATOR)
    sign_in(client, "coord@example.org")
    return membership


def upload(client, text: str, layout: str, name: str = "file.csv"):
    return client.post(
        "/coordinators/imports",
        data={"layout": layout, "file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
    )


def run_id_from(response) -> int:
    assert response.status_code == 302, response.status_code
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def uploads(app) -> list[Path]:
    return sorted(Path(app.config["IMPORT_FOLDER"]).glob("*.csv"))


def import_for_real(client, session, run_id: int):
    response = client.post(f"/coordinators/imports/{run_id}/start")
    assert response.status_code == 302
    session.rollback()  # hold no transaction while the import thread writes
    wait_for_import(run_id)
    session.expire_all()


def test_upload_page_offers_the_layouts(client, coordinator):
    page = client.get("/coordinators/imports").get_data(as_text=True)
    assert "Import members and past exchanges" in page
    assert "Past exchanges exported from TimeOverflow (no header row)" in page
    assert 'enctype="multipart/form-data"' in page


def test_a_file_with_bad_rows_lists_them_with_line_numbers_and_writes_nothing(
    app, client, session, coordinator
):
    before = ledger_state(session, coordinator.time_bank_id)
    text = MEMBERS_CSV + "5,Eve,alice@example.org,,,,\n6,,eve@example.org,,,abc,\n"
    run_id = run_id_from(upload(client, text, "members", "members.csv"))
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "2 bad rows out of 6" in page
    assert "<td>6</td><td>duplicate email &#39;alice@example.org&#39; (also on line 2)</td>" in page
    assert (
        "<td>7</td><td>the name is missing; the opening balance &#39;abc&#39; is not a number"
        in page
    )
    assert "for real" not in page
    assert ledger_state(session, coordinator.time_bank_id) == before
    assert uploads(app) == []  # a file with bad rows is not kept


def test_many_bad_rows_are_paginated(client, session, coordinator):
    rows = "".join(f"{n},Member,{n + 1},Member,60,2020-01-01,x,\n" for n in range(250))
    run_id = run_id_from(upload(client, rows, "timeoverflow-transfers"))
    first = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "250 bad rows out of 250" in first and "page 1 of 3" in first
    assert "<td>1</td><td>unknown member &#39;0&#39;; unknown member &#39;1&#39;</td>" in first
    third = client.get(f"/coordinators/imports/{run_id}?page=3").get_data(as_text=True)
    assert "<td>250</td>" in third and "<td>200</td>" not in third
    assert client.get(f"/coordinators/imports/{run_id}?page=4").status_code == 404


def test_a_good_file_is_checked_then_imported_in_the_background(app, client, session, coordinator):
    bank_id = coordinator.time_bank_id
    run_id = run_id_from(upload(client, MEMBERS_CSV, "members", "members.csv"))
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "4 rows ready to import" in page and "Import 4 rows for real" in page
    assert len(uploads(app)) == 1
    # Nothing is written by the dry run.
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(Membership.time_bank_id == bank_id)
        )
        == 1
    )

    import_for_real(client, session, run_id)

    run = session.get(ImportRun, run_id)
    assert (run.status, run.processed_rows) == ("done", 4)
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(Membership.time_bank_id == bank_id)
        )
        == 5
    )
    assert verify_ledger(session, bank_id) == []
    assert uploads(app) == []  # removed after the import
    status = client.get(f"/coordinators/imports/{run_id}/status").get_json()
    assert status["status"] == "done" and status["finished"] is True
    assert status["processed_rows"] == 4 and "4 members added" in status["message"]
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "Import finished" in page and "4 members added, 2 with an opening balance" in page

    # Then the members' past exchanges, in TimeOverflow's layout.
    transfers = "1,Member,2,Member,5400,2014-05-06 10:00:00 UTC,Gardening,\n"
    second = run_id_from(upload(client, transfers, "timeoverflow-transfers"))
    import_for_real(client, session, second)
    assert session.get(ImportRun, second).status == "done"
    assert (
        session.scalar(sa.select(Transfer.minutes).where(Transfer.kind == TransferKind.EXCHANGE))
        == 90
    )

    # The same file again is recognised and refused.
    again = upload(client, transfers, "timeoverflow-transfers")
    assert again.status_code == 200
    assert "This file was already imported on" in again.get_data(as_text=True)
    assert f"(import {second}). Nothing was done." in again.get_data(as_text=True)


def test_the_progress_page_shows_a_progress_bar_and_a_refresh_link(client, session, coordinator):
    run_id = run_id_from(upload(client, MEMBERS_CSV, "members"))
    # Mark it as running without running it, to see the page as it is mid-way.
    session.execute(
        sa.update(ImportRun)
        .where(ImportRun.id == run_id)
        .values(status="importing", processed_rows=2)
    )
    session.commit()
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert '<progress id="import-progress-bar" max="4" value="2">' in page
    assert "2 of 4 rows written" in page
    assert f'href="/coordinators/imports/{run_id}">Refresh</a>' in page
    assert 'src="/static/js/import-progress.js"' in page
    status = client.get(f"/coordinators/imports/{run_id}/status").get_json()
    assert status == {
        "status": "importing",
        "processed_rows": 2,
        "total_rows": 4,
        "finished": False,
        "message": "",
    }


def test_an_import_that_fails_writes_nothing_and_says_why(client, session, coordinator):
    bank_id = coordinator.time_bank_id
    run_id = run_id_from(upload(client, MEMBERS_CSV, "members"))
    # Between the dry run and the import, someone with one of the emails joins.
    make_member(
        session, email="carol@example.org", bank=session.get(Membership, coordinator.id).time_bank
    )
    before = ledger_state(session, bank_id)
    import_for_real(client, session, run_id)
    run = session.get(ImportRun, run_id)
    assert run.status == "failed"
    assert json.loads(run.errors_json) == [
        [4, "'carol@example.org' is already a member of this time bank"]
    ]
    assert ledger_state(session, bank_id) == before
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "The import did not go through" in page
    assert "Nothing was imported. line 4: &#39;carol@example.org&#39; is already a member" in page


def test_an_import_starts_only_once_and_not_with_bad_rows(client, session, coordinator):
    good = run_id_from(upload(client, MEMBERS_CSV, "members"))
    import_for_real(client, session, good)
    response = client.post(f"/coordinators/imports/{good}/start", follow_redirects=True)
    assert "cannot be started" in response.get_data(as_text=True)
    bad = run_id_from(upload(client, "name,email\nEve,not-an-email\n", "members"))
    response = client.post(f"/coordinators/imports/{bad}/start", follow_redirects=True)
    assert "cannot be started" in response.get_data(as_text=True)
    assert session.get(ImportRun, bad).status == "checked"


def test_missing_file_and_oversized_upload_are_refused_plainly(app, client, coordinator):
    response = client.post("/coordinators/imports", data={"layout": "members"})
    assert response.status_code == 200
    assert "Choose a CSV file to upload." in response.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = upload(client, "x" * 5000, "members")
    assert response.status_code == 413
    assert "The file is larger than the 1 KB limit. Nothing was uploaded." in response.get_data(
        as_text=True
    )
    assert "That file is too large" in response.get_data(as_text=True)
    assert uploads(app) == []


# The formats page, templates, a plain name-and-email list, the preview, passwords ------


def test_the_formats_are_a_page_with_templates_that_pass_the_check(client, session, coordinator):
    imports = client.get("/coordinators/imports").get_data(as_text=True)
    assert 'href="/coordinators/imports/formats"' in imports
    assert "docs/import-formats.md" not in imports
    # Members are the first layout offered, and chosen.
    select = imports[imports.index('name="layout"') :]
    assert select.index('value="members"') < select.index('value="transfers"')
    assert '<option selected value="members">' in select

    page = client.get("/coordinators/imports/formats").get_data(as_text=True)
    for column in ("external_ref", "opening_balance_hours", "giver_email", "transfer_id"):
        assert f"<code>{column}</code>" in page
    for name in ("members", "transfers"):
        assert f'href="/coordinators/imports/templates/{name}.csv"' in page

    members = client.get("/coordinators/imports/templates/members.csv")
    assert members.status_code == 200 and members.mimetype == "text/csv"
    assert "attachment" in members.headers["Content-Disposition"]
    text = members.get_data(as_text=True).lstrip("\ufeff")
    assert text.splitlines()[0].startswith("name,email,external_ref")
    # The template, as downloaded, passes the check; then its exchanges template does too.
    run_id = run_id_from(upload(client, text, "members", "members-template.csv"))
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "2 rows ready to import" in page
    import_for_real(client, session, run_id)
    transfers = client.get("/coordinators/imports/templates/transfers.csv").get_data(as_text=True)
    run_id = run_id_from(upload(client, transfers.lstrip("\ufeff"), "transfers", "t.csv"))
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "2 rows ready to import" in page, page
    assert client.get("/coordinators/imports/templates/secrets.csv").status_code == 404


def test_a_name_and_email_list_is_read_as_members_and_previewed(client, session, coordinator):
    text = "Name,Email\nNia Jones,nia@example.org\nOwen Price,owen@example.org\n"
    run_id = run_id_from(upload(client, text, "members", "people.csv"))
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "2 rows ready to import" in page
    assert "The start of the file, as it was read" in page
    assert "<td>Name</td><td>Email</td>" in page and "<td>Nia Jones</td>" in page

    # The same file as exchanges: not "1 bad row out of 0", but its columns to choose,
    # with the kind of file named and the way back to choose another.
    response = upload(client, text, "transfers", "people-again.csv")
    assert response.headers["Location"].endswith("/columns")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "bad row out of 0" not in page
    assert "Past exchanges (generic layout, with a header row)" in page
    assert "Choose the needed columns to see the first rows as they would be read." in page
    assert 'href="/coordinators/imports/formats"' in page
    assert ">Choose another kind of file</a>" in page


def test_people_imported_are_offered_a_link_to_choose_a_password(app, client, session, coordinator):
    text = "Name,Email\nNia Jones,nia@example.org\nOwen Price,owen@example.org\n"
    run_id = run_id_from(upload(client, text, "members", "people.csv"))
    import_for_real(client, session, run_id)
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "2 members of this time bank have no password yet" in page
    outbox = Path(app.config["MAIL_OUTBOX"])
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()

    # The links come from the configured origin, not the request's host (issue 11).
    app.config["EXTERNAL_ORIGIN"] = "https://timebank.example.org"
    response = client.post(f"/coordinators/imports/{run_id}/invite")
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sent 2 people a link to choose a password." in follow
    sent = [
        p.read_text(encoding="utf-8", errors="replace") for p in set(outbox.glob("*.eml")) - before
    ]
    assert len(sent) == 2
    assert any("nia@example.org" in m for m in sent) and any("owen@example.org" in m for m in sent)
    assert all("https://timebank.example.org/auth/reset/" in m for m in sent)
    # A member cannot send them.
    client.post("/auth/sign-out")
    make_member(session, email="alice@example.org", bank=coordinator.time_bank)
    sign_in(client, "alice@example.org")
    assert client.post(f"/coordinators/imports/{run_id}/invite").status_code == 403


def test_an_unclosed_quote_is_shown_as_a_bad_row(client, session, coordinator):
    text = (
        'name,email\nNia Jones,nia@example.org\n"Owen Price,owen@example.org\nPat,pat@example.org\n'
    )
    run_id = run_id_from(upload(client, text, "members", "quote.csv"))
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "1 bad row out of 2" in page
    assert "<td>3</td><td>a quote mark (&#34;) in this row is never closed, so lines 3 to 4" in page
    assert session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 1


@pytest.mark.parametrize("text", ["name,email\n", ""])
def test_a_file_with_no_rows_says_so_plainly(client, session, coordinator, text):
    run_id = run_id_from(upload(client, text, "members", "empty.csv"))
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "bad row" not in page and "ready to import" not in page
    assert "This file has no rows to import" in page
    assert "for real" not in page
