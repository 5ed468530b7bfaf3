"""Request tests for choosing which column is which: a file whose header names its
columns otherwise is sent to the columns page with the best guess chosen and a preview,
bad choices are answered at the field and change nothing, and the columns chosen are
used by the dry run and the real import. Coordinators only, with CSRF."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.importing.support import ledger_state
from tests.two_step_support import give_code_with_csrf_token, set_up_two_step
from tests.web.support import (
    PASSWORD,
    csrf_token_from,
    make_member,
    sign_in,
    table_rows,
)
from tests.web.test_auth import csrf_app  # noqa: F401 - a fixture
from tests.web.test_coordinators_imports import import_for_real, run_id_from, upload, uploads
from timebank.extensions import db
from timebank.importing.models import ImportRun
from timebank.ledger.models import Membership, Person, Role

NATURAL = "Full name,E-mail,Phone\nNia Jones,nia@example.org,0123\nOwen Price,owen@example.org,\n"


@pytest.fixture(autouse=True)
def import_folder(app, tmp_path):
    app.config["IMPORT_FOLDER"] = str(tmp_path / "imports")


@pytest.fixture
def coordinator(client, session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    membership = make_member(session, email="coord@example.org", bank=bank, role=Role.COORDINATOR)
    sign_in(client, "coord@example.org")
    return membership


def columns_url(run_id: int) -> str:
    return f"/coordinators/imports/{run_id}/columns"


def members_of(session, bank_id: int) -> int:
    session.expire_all()
    return session.scalar(
        sa.select(sa.func.count()).select_from(Membership).where(Membership.time_bank_id == bank_id)
    )


def selected(page: str, name: str) -> str | None:
    """The value chosen in the drop-down ``name``."""
    start = page.index(f'id="{name}"')
    end = page.index("</select>", start)
    options = page[start:end].split("<option")[1:]
    for option in options:
        if "selected" in option:
            return option.split('value="', 1)[1].split('"', 1)[0]
    return None


def test_a_file_with_other_column_names_goes_to_the_columns_page_with_a_guess(
    app, client, session, coordinator
):
    response = upload(client, NATURAL, "members", "people.csv")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/columns")
    run_id = int(response.headers["Location"].split("/")[-2])
    run = session.get(ImportRun, run_id)
    assert run.status == "mapping" and run.error_count == 0
    assert len(uploads(app)) == 1  # kept for the check

    page = client.get(columns_url(run_id)).get_data(as_text=True)
    assert "Which column is which?" in page
    assert (selected(page, "name"), selected(page, "email")) == ("0", "1")
    assert selected(page, "external_ref") == ""  # not in the file
    assert "Column 3: Phone" in page
    rows = table_rows(page)
    assert ["Line", "Name", "Email", "What the check says"] in rows
    assert ["2", "Nia Jones", "nia@example.org", "Ready"] in rows
    assert ["3", "Owen Price", "owen@example.org", "Ready"] in rows
    # The list of imports says what it waits for.
    assert "Columns to choose" in client.get("/coordinators/imports").get_data(as_text=True)
    detail = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "Choose the columns" in detail


def test_a_natural_file_is_mapped_checked_and_imported(app, client, session, coordinator):
    bank_id = coordinator.time_bank_id
    run_id = int(upload(client, NATURAL, "members").headers["Location"].split("/")[-2])
    response = client.post(columns_url(run_id), data={"name": "0", "email": "1", "action": "check"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/coordinators/imports/{run_id}")
    run = session.get(ImportRun, run_id)
    assert (run.status, run.total_rows, run.error_count) == ("checked", 2, 0)
    assert json.loads(run.message)["mapping"] == {"name": 0, "email": 1}
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "2 rows ready to import" in page
    assert "Name: Column 1: Full name" in page and "Email: Column 2: E-mail" in page
    assert "Choose the columns again" in page
    assert members_of(session, bank_id) == 1  # the check wrote nothing

    import_for_real(client, session, run_id)
    assert session.get(ImportRun, run_id).status == "done"
    assert members_of(session, bank_id) == 3
    names = session.scalars(
        sa.select(Person.display_name).where(
            Person.email.in_(["nia@example.org", "owen@example.org"])
        )
    ).all()
    assert sorted(names) == ["Nia Jones", "Owen Price"]


def test_bad_choices_are_answered_at_the_field_and_change_nothing(
    app, client, session, coordinator
):
    run_id = int(upload(client, NATURAL, "members").headers["Location"].split("/")[-2])
    before_run = session.get(ImportRun, run_id).message
    before = ledger_state(session, coordinator.time_bank_id)

    # The same column twice, and no email.
    response = client.post(
        columns_url(run_id), data={"name": "0", "external_ref": "0", "action": "check"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert '<a href="#email">Choose the column that holds: Email.</a>' in page
    assert (
        '<a href="#external_ref">Column 1 is already chosen for Name: choose each column'
        " once.</a>" in page
    )
    assert 'aria-invalid="true"' in page
    assert selected(page, "external_ref") == "0"  # the choice is kept to be corrected
    # A column that is not in the file.
    response = client.post(columns_url(run_id), data={"name": "0", "email": "9", "action": "check"})
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)

    session.expire_all()
    run = session.get(ImportRun, run_id)
    assert run.status == "mapping" and run.message == before_run
    assert ledger_state(session, coordinator.time_bank_id) == before
    assert len(uploads(app)) == 1


def test_show_the_rows_previews_other_columns_without_checking(app, client, session, coordinator):
    run_id = int(upload(client, NATURAL, "members").headers["Location"].split("/")[-2])
    response = client.post(
        columns_url(run_id), data={"name": "2", "email": "1", "action": "preview"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert (selected(page, "name"), selected(page, "email")) == ("2", "1")
    rows = table_rows(page)
    assert ["2", "0123", "nia@example.org", "Ready"] in rows
    assert ["3", "", "owen@example.org", "the name is missing"] in rows
    assert session.get(ImportRun, run_id).status == "mapping"


def test_a_file_whose_header_fits_is_checked_at_once_unless_asked(
    app, client, session, coordinator
):
    plain = "Name,Email\nNia Jones,nia@example.org\n"
    run_id = run_id_from(upload(client, plain, "members"))
    assert session.get(ImportRun, run_id).status == "checked"
    response = client.post(
        "/coordinators/imports",
        data={
            "layout": "members",
            "choose_columns": "y",
            "file": (io.BytesIO(plain.encode()), "plain.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.headers["Location"].endswith("/columns")
    run_id = int(response.headers["Location"].split("/")[-2])
    page = client.get(columns_url(run_id)).get_data(as_text=True)
    assert (selected(page, "name"), selected(page, "email")) == ("0", "1")


def test_transfers_need_one_of_each_pair(app, client, session, coordinator):
    text = "From,To,Hours,Minutes,When\n1,2,1,60,2024-04-02\n"
    run_id = int(upload(client, text, "transfers").headers["Location"].split("/")[-2])
    page = client.get(columns_url(run_id)).get_data(as_text=True)
    assert selected(page, "hours") == "2" and selected(page, "minutes") == ""
    assert "Or: Giver&#39;s email" in page
    response = client.post(
        columns_url(run_id),
        data={"receiver": "1", "hours": "2", "minutes": "3", "date": "4", "action": "check"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert (
        "Choose the column that holds Giver (number or id), or the one that holds Giver&#39;s"
        " email." in page
    )
    assert "Choose a column for hours or for minutes, not both." in page
    assert session.get(ImportRun, run_id).status == "mapping"


def test_timeoverflow_files_and_finished_runs_have_no_columns_to_choose(
    app, client, session, coordinator
):
    rows = "1,Member,2,Member,60,2020-01-01,x,\n"
    run_id = run_id_from(upload(client, rows, "timeoverflow-transfers"))
    assert client.get(columns_url(run_id)).status_code == 404
    bad = "Full name,E-mail\nEve,not-an-email\n"
    run_id = int(upload(client, bad, "members").headers["Location"].split("/")[-2])
    client.post(columns_url(run_id), data={"name": "0", "email": "1", "action": "check"})
    run = session.get(ImportRun, run_id)
    assert run.error_count == 1 and uploads(app) == []  # a file with bad rows is not kept
    response = client.get(columns_url(run_id))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/coordinators/imports/{run_id}")
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "can no longer be chosen" in follow


def test_members_cannot_choose_columns(app, client, session, coordinator):
    run_id = int(upload(client, NATURAL, "members").headers["Location"].split("/")[-2])
    client.post("/auth/sign-out")
    make_member(session, email="alice@example.org", bank=coordinator.time_bank)
    sign_in(client, "alice@example.org")
    assert client.get(columns_url(run_id)).status_code == 403
    response = client.post(columns_url(run_id), data={"name": "0", "email": "1", "action": "check"})
    assert response.status_code == 403
    assert session.get(ImportRun, run_id).status == "mapping"


def test_the_columns_form_refuses_a_missing_csrf_token(csrf_app, tmp_path):  # noqa: F811
    csrf_app.config["IMPORT_FOLDER"] = str(tmp_path / "imports")
    with csrf_app.app_context():
        bank = TimeBankFactory(name="Riverside Time Bank")
        make_member(db.session, email="coord@example.org", bank=bank, role=Role.COORDINATOR)
        db.session.commit()
    client = csrf_app.test_client()
    set_up_two_step(csrf_app, "coord@example.org")
    token = csrf_token_from(client.get("/auth/sign-in").get_data(as_text=True))
    client.post(
        "/auth/sign-in",
        data={"email": "coord@example.org", "password": PASSWORD, "csrf_token": token},
    )
    give_code_with_csrf_token(client, "coord@example.org")
    token = csrf_token_from(client.get("/coordinators/imports").get_data(as_text=True))
    response = client.post(
        "/coordinators/imports",
        data={
            "layout": "members",
            "csrf_token": token,
            "file": (io.BytesIO(NATURAL.encode()), "people.csv"),
        },
        content_type="multipart/form-data",
    )
    run_id = int(response.headers["Location"].split("/")[-2])
    choice = {"name": "0", "email": "1", "action": "check"}
    assert client.post(columns_url(run_id), data=choice).status_code == 400
    with csrf_app.app_context():
        assert db.session.get(ImportRun, run_id).status == "mapping"
    token = csrf_token_from(client.get(columns_url(run_id)).get_data(as_text=True))
    response = client.post(columns_url(run_id), data={**choice, "csrf_token": token})
    assert response.status_code == 302
    with csrf_app.app_context():
        assert db.session.get(ImportRun, run_id).status == "checked"
