"""Moving from TimeOverflow in a real Chromium: a coordinator forgets a report (the field
says so), swaps the two (each field says which it holds), then sends both as downloaded,
sees every balance will match, imports, and sees it done; later a newer export posts
only its new rows. axe-core finds nothing on any of these pages, at 320 px too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_pages import sign_in
from tests.factories import TimeBankFactory
from tests.importing.support import balance_of
from tests.importing.timeoverflow_bank import later, seed_bank
from tests.web.support import make_member
from timebank.extensions import db
from timebank.ledger.models import Role
from timebank.ledger.verify import verify_ledger


@pytest.fixture
def coordinator(live_server, tmp_path):
    live_server.app.config["IMPORT_FOLDER"] = str(tmp_path / "imports")
    with live_server.app.app_context():
        bank = TimeBankFactory(name="Riverside Time Bank")
        make_member(db.session, email="coord@example.org", bank=bank, role=Role.COORDINATOR)
        db.session.commit()
        return bank.id


def check(page, members=None, transfers=None):
    if members is not None:
        page.set_input_files("#timeoverflow-members_file", str(members))
    if transfers is not None:
        page.set_input_files("#timeoverflow-transfers_file", str(transfers))
    with page.expect_navigation():
        page.get_by_role("button", name="Check both reports").click()


def test_moving_from_timeoverflow_with_its_two_reports(
    page, live_server, coordinator, tmp_path, axe_check
):
    timeoverflow = seed_bank()
    members = timeoverflow.members_report(tmp_path / "Banco_Usuarios_2019.csv", "es")
    transfers = timeoverflow.transfers_report(tmp_path / "Banco_Transferencias_2019.csv", "es")
    sign_in(page, live_server, email="coord@example.org")
    page.goto(live_server.url("/coordinators/imports"))
    expect(page.get_by_role("heading", name="Moving from TimeOverflow")).to_be_visible()
    axe_check(page)

    # Only one report: the missing one is named, and its field is marked.
    check(page, members=members)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Choose TimeOverflow's transfers report (a CSV file).")
    expect(page.locator("#timeoverflow-transfers_file")).to_have_attribute("aria-invalid", "true")
    axe_check(page)

    # The two reports swapped: each field says which report it holds.
    check(page, members=transfers, transfers=members)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("this is TimeOverflow's transfers report; choose it as")
    expect(summary).to_contain_text("this is TimeOverflow's members report; choose it as")
    expect(page.locator("#timeoverflow-members_file")).to_have_attribute("aria-invalid", "true")
    axe_check(page)

    check(page, members=members, transfers=transfers)
    expect(page.get_by_role("status").first).to_contain_text("18 rows ready to import")
    expect(page.get_by_text("New members: 6. Stand-ins for former members: 2.")).to_be_visible()
    expect(
        page.get_by_text(re.compile("The balances of all 6 members .* will match"))
    ).to_be_visible()
    axe_check(page)
    page.set_viewport_size({"width": 320, "height": 800})
    axe_check(page)
    page.set_viewport_size({"width": 1280, "height": 800})

    with page.expect_navigation():
        page.get_by_role("button", name="Import 18 rows for real").click()
    expect(page.get_by_text("Import finished")).to_be_visible(timeout=20_000)
    expect(page.get_by_text(re.compile("6 members and 12 past exchanges added"))).to_be_visible()
    axe_check(page)

    with live_server.app.app_context():
        for member in timeoverflow.members:
            if member.active and not member.deleted:
                assert balance_of(
                    db.session, coordinator, str(member.uid)
                ) * 60 == timeoverflow.balance(member)
        assert verify_ledger(db.session, coordinator) == []
        db.session.rollback()

    # Weeks later, a newer transfers report but the old members report.
    later(timeoverflow).transfers_report(transfers, "es")
    page.goto(live_server.url("/coordinators/imports"))
    check(page, members=members, transfers=transfers)
    expect(page.get_by_role("status").first).to_contain_text(
        "12 rows are already in the ledger from an earlier import and will be skipped."
    )
    balances = page.get_by_role("region", name="Balances checked against TimeOverflow").first
    expect(balances).to_contain_text("Anna Laparra")
    expect(balances).to_contain_text("-0:45")
    axe_check(page)
