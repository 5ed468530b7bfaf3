"""Importing in a real Chromium: a file with a bad row shows the line and the reason,
the corrected file is checked, imported for real and seen to finish; axe-core finds
nothing on the upload, dry-run result and progress pages."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.test_pages import sign_in
from tests.factories import TimeBankFactory
from tests.importing.support import MEMBERS_CSV
from tests.web.support import make_member
from timebank.extensions import db
from timebank.importing.models import ImportRun
from timebank.ledger.models import Membership, Role
from timebank.ledger.verify import verify_ledger

BAD_MEMBERS = MEMBERS_CSV + "5,Eve Evans,eve@example,participant,member,,\n"


@pytest.fixture
def coordinator(live_server, tmp_path):
    live_server.app.config["IMPORT_FOLDER"] = str(tmp_path / "imports")
    with live_server.app.app_context():
        bank = TimeBankFactory(name="Riverside Time Bank")
        make_member(db.session, email="coord@example.org", bank=bank, role=Role.COORDINATOR)
        db.session.commit()
        return bank.id


def choose_file(page, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    page.set_input_files("#file", str(path))


def test_import_with_a_bad_row_then_the_corrected_file(
    page, live_server, coordinator, tmp_path, axe_check
):
    sign_in(page, live_server, email="coord@example.org")
    page.goto(live_server.url("/coordinators/imports"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Import members and past exchanges")
    axe_check(page)

    page.select_option("#layout", "members")
    choose_file(page, tmp_path, "members.csv", BAD_MEMBERS)
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert")).to_contain_text("1 bad row out of 5")
    row = page.locator("table.import-errors tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text("6")
    expect(row.locator("td").nth(1)).to_have_text("'eve@example' is not an email address")
    expect(page.get_by_role("button", name=re.compile("for real"))).to_have_count(0)
    axe_check(page)

    page.get_by_role("link", name="upload it again").click()
    page.select_option("#layout", "members")
    choose_file(
        page, tmp_path, "members-fixed.csv", MEMBERS_CSV + "5,Eve Evans,eve@example.org,,,,\n"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("status").last).to_contain_text("5 rows ready to import")
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Import 5 rows for real").click()
    expect(page.get_by_text("Import finished")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("5 members added, 2 with an opening balance")).to_be_visible()
    axe_check(page)

    with live_server.app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(Membership.time_bank_id == coordinator)
        )
        assert count == 6
        assert verify_ledger(db.session, coordinator) == []
        db.session.rollback()


def test_the_progress_page_updates_itself_and_passes_axe(
    page, live_server, coordinator, tmp_path, axe_check
):
    sign_in(page, live_server, email="coord@example.org")
    page.goto(live_server.url("/coordinators/imports"))
    page.select_option("#layout", "members")
    choose_file(page, tmp_path, "members.csv", MEMBERS_CSV)
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file").click()
    run_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    # Show the page as it is mid-way through an import (without running one), then
    # move the run on as an import would: the page follows by itself.
    with live_server.app.app_context():
        db.session.execute(
            sa.update(ImportRun)
            .where(ImportRun.id == run_id)
            .values(status="importing", processed_rows=1)
        )
        db.session.commit()
    page.reload()
    bar = page.locator("progress#import-progress-bar")
    expect(bar).to_have_attribute("value", "1")
    expect(page.get_by_role("link", name="Refresh")).to_be_visible()
    axe_check(page)
    with live_server.app.app_context():
        db.session.execute(
            sa.update(ImportRun).where(ImportRun.id == run_id).values(processed_rows=3)
        )
        db.session.commit()
    expect(page.locator("#import-progress-text")).to_contain_text("3 of 4 rows written")
    assert page.evaluate("() => document.getElementById('import-progress-bar').value") == 3
    with live_server.app.app_context():
        db.session.execute(
            sa.update(ImportRun)
            .where(ImportRun.id == run_id)
            .values(status="failed", message='{"summary": "Nothing was imported. Test."}')
        )
        db.session.commit()
    expect(page.get_by_text("The import did not go through")).to_be_visible()
    axe_check(page)


def test_the_formats_page_a_template_downloaded_imported_and_passwords_offered(
    page, live_server, coordinator, tmp_path, axe_check
):
    """The journey without the repository: from Import to the formats, download the
    members template, fill it in (here: as it comes), check it (the start of the file
    is shown), import it, and email the people a link to choose a password."""
    sign_in(page, live_server, email="coord@example.org")
    page.goto(live_server.url("/coordinators/imports"))
    assert page.locator("#layout").input_value() == "members"
    page.get_by_role("link", name="The columns each file needs, with templates to download").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import formats and templates")
    axe_check(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the members template (CSV)").click()
    template = tmp_path / "members-template.csv"
    download_info.value.save_as(template)
    assert template.read_text(encoding="utf-8-sig").startswith("name,email,external_ref")

    page.get_by_role("link", name="Back to imports").click()
    page.set_input_files("#file", str(template))
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("status").last).to_contain_text("2 rows ready to import")
    preview = page.locator("table.import-preview tr")
    expect(preview).to_have_count(3)
    expect(preview.nth(1)).to_contain_text("Nia Jones")
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Import 2 rows for real").click()
    expect(page.get_by_text("Import finished")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("2 members of this time bank have no password yet")).to_be_visible()
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Email 2 people a link to choose a password").click()
    expect(page.locator(".notice").first).to_contain_text(
        "Sent 2 people a link to choose a password."
    )
