"""Request tests for moving from TimeOverflow on the import page: both reports in one
form, checked together, imported in the background, balances compared to the minute."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.factories import TimeBankFactory
from tests.importing.support import balance_of, ledger_state
from tests.importing.timeoverflow_bank import later, seed_bank
from tests.web.support import make_member, sign_in
from tests.web.test_coordinators_imports import import_for_real, run_id_from, uploads
from timebank.importing.models import ImportRun
from timebank.ledger.models import Role
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


def send(client, members: Path | None, transfers: Path | None):
    data = {}
    for name, path in (("members_file", members), ("transfers_file", transfers)):
        if path is not None:
            data[f"timeoverflow-{name}"] = (io.BytesIO(path.read_bytes()), path.name)
    return client.post(
        "/coordinators/imports/timeoverflow", data=data, content_type="multipart/form-data"
    )


def test_the_page_offers_both_reports_in_one_form(client, coordinator):
    page = client.get("/coordinators/imports").get_data(as_text=True)
    assert "Moving from TimeOverflow" in page
    assert 'for="timeoverflow-members_file">Members report</label>' in page
    assert 'for="timeoverflow-transfers_file">Transfers report</label>' in page
    assert 'action="/coordinators/imports/timeoverflow"' in page
    # The other layouts stay, without the TimeOverflow pair in their list.
    assert "Past exchanges exported from TimeOverflow (no header row)" in page
    assert 'value="timeoverflow-reports"' not in page


def test_missing_reports_are_named_on_their_fields(client, coordinator, tmp_path):
    response = send(client, None, None)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Error: Import members and past exchanges" in page
    assert '<a href="#timeoverflow-members_file">Choose TimeOverflow\'s members report' in page
    assert '<a href="#timeoverflow-transfers_file">Choose TimeOverflow\'s transfers report' in page
    assert 'aria-invalid="true"' in page

    members = seed_bank().members_report(tmp_path / "members.csv", "es")
    page = send(client, members, None).get_data(as_text=True)
    assert "#timeoverflow-transfers_file" in page and "#timeoverflow-members_file" not in page


def test_both_reports_are_checked_then_imported_and_every_balance_matches(
    app, client, session, coordinator, tmp_path
):
    bank_id = coordinator.time_bank_id
    timeoverflow = seed_bank()
    members = timeoverflow.members_report(tmp_path / "members.csv", "es")
    transfers = timeoverflow.transfers_report(tmp_path / "transfers.csv", "es")

    run_id = run_id_from(send(client, members, transfers))
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "members.csv + transfers.csv" in page
    assert "18 rows ready to import" in page and "Import 18 rows for real" in page
    assert "New members: 6. Stand-ins for former members: 2. New organisations: 1." in page
    assert (
        "The balances of all 6 members in TimeOverflow's members report will match it to"
        " the minute." in page
    )
    assert len(uploads(app)) == 2
    assert ledger_state(session, bank_id)[0] == 0

    import_for_real(client, session, run_id)

    assert session.get(ImportRun, run_id).status == "done"
    assert uploads(app) == []
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "6 members and 12 past exchanges added (12.83 hours)" in page
    assert "match it to the minute." in page
    for member in timeoverflow.members:
        if member.active and not member.deleted:
            assert balance_of(session, bank_id, str(member.uid)) * 60 == timeoverflow.balance(
                member
            )
    assert verify_ledger(session, bank_id) == []

    # The same two files again are recognised at once.
    again = send(client, members, transfers).get_data(as_text=True)
    assert "These two reports were already imported on" in again
    assert f"(import {run_id}). Nothing was done." in again

    # A newer transfers report with the old members report: the old rows are skipped,
    # and the members whose balance would differ are listed with the difference.
    later(timeoverflow).transfers_report(transfers, "es")
    newer = run_id_from(send(client, members, transfers))
    page = client.get(f"/coordinators/imports/{newer}").get_data(as_text=True)
    assert "12 rows are already in the ledger from an earlier import and will be skipped." in page
    assert "Import 8 rows for real" in page  # 6 members checked and 2 new exchanges
    assert "2 of 6 balances would differ from TimeOverflow's members report." in page
    assert "<td>3</td><td>Anna Laparra</td>" in page and "<td>0:35</td>" in page
    assert "<td>1</td><td>Manuel Administrador</td>" in page and "<td>-0:45</td>" in page
    import_for_real(client, session, newer)
    page = client.get(f"/coordinators/imports/{newer}").get_data(as_text=True)
    assert "12 rows were already imported and were skipped." in page
    assert "2 of 6 balances differ from TimeOverflow's members report." in page
    assert verify_ledger(session, bank_id) == []


def test_swapped_reports_are_refused_on_their_fields_and_not_kept(
    app, client, session, coordinator, tmp_path
):
    timeoverflow = seed_bank()
    members = timeoverflow.members_report(tmp_path / "members.csv", "fr")
    transfers = timeoverflow.transfers_report(tmp_path / "transfers.csv", "fr")

    response = send(client, transfers, members)
    page = response.get_data(as_text=True)
    assert response.status_code == 200  # the form again, with its errors
    assert (
        '<a href="#timeoverflow-members_file">this is TimeOverflow&#39;s transfers report;'
        " choose it as the transfers report and the members report (its first column is N)"
        " here</a>" in page
    )
    assert (
        '<a href="#timeoverflow-transfers_file">this is TimeOverflow&#39;s members report;' in page
    )
    assert page.count('aria-invalid="true"') == 2
    assert uploads(app) == []
    assert session.query(ImportRun).count() == 0

    other = tmp_path / "other.csv"
    other.write_text("external_ref,name,email\n1,A,a@example.org\n", encoding="utf-8")
    page = send(client, other, transfers).get_data(as_text=True)
    assert "this is not TimeOverflow&#39;s members report" in page
    assert "#timeoverflow-transfers_file" not in page
