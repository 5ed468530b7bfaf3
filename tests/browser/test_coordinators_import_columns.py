"""Choosing which column is which in a real Chromium at 320 px, in English and in Welsh:
a plain "Full name,E-mail" members file is uploaded, its columns are guessed, a wrong
choice is answered at the field, the first rows are shown as they would be read, and
the file is checked and imported. axe-core finds nothing on the columns page (with and
without errors) and nothing scrolls sideways."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.test_pages import sign_in
from tests.factories import TimeBankFactory
from tests.web.support import make_member
from timebank.extensions import db
from timebank.ledger.models import Membership, Role

PHONE = {"width": 320, "height": 640}
SHOTS = None  # set to a folder to keep screenshots of each step


@pytest.fixture
def coordinator(live_server, tmp_path):
    live_server.app.config["IMPORT_FOLDER"] = str(tmp_path / "imports")
    with live_server.app.app_context():
        bank = TimeBankFactory(name="Riverside Time Bank")
        make_member(db.session, email="coord@example.org", bank=bank, role=Role.COORDINATOR)
        db.session.commit()
        return bank.id


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width} px"


def shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


WORDS = {
    "en": {
        "check": "Check the file",
        "title": "Which column is which?",
        "name": "Name",
        "email": "Email",
        "show": "Show the first rows with these columns",
        "check_columns": "Check the file with these columns",
        "twice": "Column 1 is already chosen for Name: choose each column once.",
        "ready": "Ready",
        "rows_ready": "2 rows ready to import",
        "for_real": "Import 2 rows for real",
        "finished": "Import finished",
    },
    "cy": {
        "check": "Gwirio'r ffeil",
        "title": "Pa golofn yw pa un?",
        "name": "Enw",
        "email": "E-bost",
        "show": "Dangos y rhesi cyntaf gyda'r colofnau hyn",
        "check_columns": "Gwirio'r ffeil gyda'r colofnau hyn",
        "twice": "Mae colofn 1 wedi'i dewis yn barod ar gyfer Enw: dewiswch bob colofn unwaith.",
        "ready": "Yn barod",
        "rows_ready": "2 rhes yn barod i'w mewnforio",
        "for_real": "Mewnforio 2 rhes go iawn",
        "finished": "Mewnforiad wedi'i orffen",
    },
}


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_natural_members_file_is_mapped_checked_and_imported_on_a_phone(
    new_page, live_server, coordinator, tmp_path, axe_check, language
):
    words = WORDS[language]
    page = new_page(viewport=PHONE)
    sign_in(page, live_server, email="coord@example.org")
    if language == "cy":
        page.goto(live_server.url("/coordinators/imports"))
        with page.expect_navigation():
            page.get_by_role("button", name="Cymraeg").first.click()
        assert page.get_attribute("html", "lang") == "cy"
    email_domain = "example.org" if language == "en" else "example.cymru"
    people = tmp_path / "people.csv"
    people.write_text(
        "Full name,E-mail,Phone\n"
        f"Nia Jones,nia@{email_domain},0123\n"
        f"Owen Price,owen@{email_domain},\n",
        encoding="utf-8",
    )
    page.goto(live_server.url("/coordinators/imports"))
    page.select_option("#layout", "members")
    page.set_input_files("#file", str(people))
    with page.expect_navigation():
        page.get_by_role("button", name=words["check"], exact=True).click()

    # The columns page, with the guess chosen and the first rows read that way.
    expect(page.get_by_role("heading", level=1)).to_have_text(words["title"])
    expect(page.get_by_label(words["name"], exact=True)).to_have_value("0")
    expect(page.get_by_label(words["email"], exact=True)).to_have_value("1")
    preview = page.locator("table.import-mapped tbody tr")
    expect(preview).to_have_count(2)
    expect(preview.first).to_contain_text("Nia Jones")
    expect(preview.first).to_contain_text(words["ready"])
    no_sideways_scroll(page)
    axe_check(page)
    shot(page, f"columns-{language}")

    # A column chosen twice is answered at the field; nothing moves on.
    page.locator("#external_ref").select_option("0")
    with page.expect_navigation():
        page.get_by_role("button", name=words["check_columns"]).click()
    expect(page.get_by_role("alert")).to_contain_text(words["twice"])
    expect(page.locator("#external_ref")).to_have_attribute("aria-invalid", "true")
    no_sideways_scroll(page)
    axe_check(page)
    shot(page, f"columns-error-{language}")
    page.get_by_role("link", name=words["twice"]).click()
    expect(page.locator("#external_ref")).to_be_focused()

    # Put it right, look at the rows, then check and import.
    page.locator("#external_ref").select_option("")
    with page.expect_navigation():
        page.get_by_role("button", name=words["show"]).click()
    expect(page.locator("table.import-mapped tbody tr")).to_have_count(2)
    with page.expect_navigation():
        page.get_by_role("button", name=words["check_columns"]).click()
    expect(page.get_by_role("status").first).to_contain_text(words["rows_ready"])
    no_sideways_scroll(page)
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("button", name=words["for_real"]).click()
    expect(page.get_by_text(words["finished"])).to_be_visible(timeout=20_000)
    axe_check(page)

    with live_server.app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(Membership.time_bank_id == coordinator)
        )
        db.session.rollback()
    assert count == 3


def test_an_exchanges_file_on_a_desktop_offers_each_pair(
    page, live_server, coordinator, tmp_path, axe_check
):
    sign_in(page, live_server, email="coord@example.org")
    exchanges = tmp_path / "exchanges.csv"
    exchanges.write_text("From,To,Hrs,Minutes,When\n1,2,1.5,,2024-04-02\n", encoding="utf-8")
    page.goto(live_server.url("/coordinators/imports"))
    page.select_option("#layout", "transfers")
    page.set_input_files("#file", str(exchanges))
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Which column is which?")
    expect(page.get_by_label("Giver (number or id)")).to_have_value("0")
    expect(page.get_by_label("Hours")).to_have_value("2")
    expect(page.get_by_label("Minutes")).to_have_value("")  # never both
    expect(page.locator("#giver-hint")).to_have_text("Or: Giver's email")
    # Members 1 and 2 are not here: the preview says so before any check.
    expect(page.locator("table.import-mapped tbody tr")).to_contain_text("unknown member '1'")
    axe_check(page)
    shot(page, "columns-desktop")
