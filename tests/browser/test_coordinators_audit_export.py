"""The audit log and exports pages in a real Chromium: axe-core finds nothing (filtered
and unfiltered, with details opened, and with errors), the filters work by keyboard, and
a download arrives as a CSV file named after the time bank and the day."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_pages import assert_focus_visible, sign_in
from tests.factories import TimeBankFactory, bank_today
from tests.web.test_auth import make_member
from timebank.extensions import db
from timebank.ledger.banks import update_policy
from timebank.ledger.clock import today_in
from timebank.ledger.models import Role
from timebank.ledger.transfers import approve_transfer, record_transfer, reject_transfer

TODAY = bank_today()


@pytest.fixture
def riverside(live_server):
    with live_server.app.app_context():
        session = db.session
        bank = TimeBankFactory(name="Riverside Time Bank", slug="riverside")
        update_policy(session, actor=None, bank=bank, requires_confirmation=False)
        cora = make_member(
            session,
            email="cora@example.org",
            name="Cora Coordinator",
            bank=bank,
            role=Role.COORDINATOR,
        )
        ann = make_member(session, email="ann@example.org", name="Ann Archer", bank=bank)
        bob = make_member(session, email="bob@example.org", name="Bob Baker", bank=bank)
        first = record_transfer(
            session,
            actor=ann,
            giver=ann.account,
            receiver=bob.account,
            minutes=90,
            service_date=TODAY,
            description="=cmd gardening",
        )
        approve_transfer(session, actor=cora, transfer_id=first.id)
        second = record_transfer(
            session,
            actor=bob,
            giver=bob.account,
            receiver=ann.account,
            minutes=30,
            service_date=TODAY,
        )
        reject_transfer(session, actor=cora, transfer_id=second.id, reason="Recorded twice")
        update_policy(session, actor=cora, bank=bank, floor_minutes=-1200)
        session.commit()
        return bank.timezone


def open_all_details(page):
    for summary in page.locator("details.audit-details > summary").all():
        summary.click()
    assert (
        page.locator("details.audit-details[open]").count()
        == page.locator("details.audit-details").count()
    )


def test_audit_page_passes_axe_unfiltered_and_with_details_open(
    page, live_server, riverside, axe_check
):
    sign_in(page, live_server, email="cora@example.org")
    page.goto(live_server.url("/coordinators/audit"))
    assert page.title() == "Audit log · timebank"
    assert page.get_by_text("Verified").is_visible()
    axe_check(page)
    open_all_details(page)
    assert page.locator("dt", has_text="Credit floor").first.is_visible()
    axe_check(page)


def test_a_later_view_says_when_the_whole_log_was_checked_and_passes_axe(
    page, live_server, riverside, axe_check
):
    sign_in(page, live_server, email="cora@example.org")
    page.goto(live_server.url("/coordinators/audit?check=1"))
    assert page.get_by_text("Verified").first.is_visible()
    page.goto(live_server.url("/coordinators/audit"))
    assert page.get_by_text("The whole log,").is_visible()
    assert page.locator("p.audit-chain-ok time").is_visible()
    axe_check(page)
    page.get_by_role("link", name="Check the whole log now").click()
    page.wait_for_url("**/coordinators/audit?check=1")
    assert page.get_by_text("The whole log,").count() == 0


def test_audit_filters_work_by_keyboard(page, live_server, riverside, axe_check):
    sign_in(page, live_server, email="cora@example.org")
    page.goto(live_server.url("/coordinators/audit"))
    page.focus("#actor_name")
    assert_focus_visible(page)
    page.keyboard.type("cor")  # the combobox offers the names that match
    page.wait_for_selector("#person-search-0-list [role=option]")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.input_value("#actor_name") == "Cora Coordinator"
    page.focus("#kind")
    page.keyboard.type("Exchanges")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Show entries":
            break
    focus = assert_focus_visible(page)
    assert focus["tag"] == "BUTTON"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "kind=transfer" in page.url
    # The member chosen travels as an id, not as a name.
    assert "actor=" in page.url and "Cora" not in page.url and "actor_name" not in page.url
    what = page.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert what == [
        "Rejected 30 min from Bob Baker to Ann Archer. Reason: Recorded twice",
        "Approved 1 h 30 min from Ann Archer to Bob Baker",
    ]
    # Details open by keyboard too.
    page.focus("details.audit-details > summary")
    page.keyboard.press("Enter")
    assert page.locator("details.audit-details[open]").count() == 1
    page.locator("details.audit-details:not([open]) > summary").click()
    axe_check(page)
    # The filters keep their values, and "Clear the filters" goes back to everything.
    assert page.eval_on_selector("#kind", "el => el.value") == "transfer"
    page.get_by_role("link", name="Clear the filters").click()
    assert page.locator("tbody tr").count() > 2


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_person_search_at_320_pixels_passes_axe(
    new_page, live_server, riverside, axe_check, language, tmp_path
):
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, live_server, email="cora@example.org")
    page.goto(live_server.url("/coordinators/audit"))
    if language == "cy":
        with page.expect_navigation():
            page.get_by_role("button", name="Cymraeg").first.click()
        assert page.get_attribute("html", "lang") == "cy"
    box = page.locator("#member_name")
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-expanded") == "false"
    box.click()
    page.keyboard.type("a")
    page.keyboard.type("n")
    options = page.locator("#person-search-1-list [role=option]")
    options.first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert options.all_inner_texts() == ["Ann Archer"]
    page.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "person-search-1-list-0"
    assert options.first.get_attribute("aria-selected") == "true"
    axe_check(page)  # with the list open
    page.screenshot(path=str(tmp_path / f"person-search-320-{language}.png"))
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    page.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert box.input_value() == "Ann Archer"
    with page.expect_navigation():
        page.locator("form.audit-filters button[type=submit]").click()
    assert "Ann" not in page.url and "member=" in page.url
    assert page.locator("tbody tr").count() >= 2
    axe_check(page)


def test_the_person_search_works_without_the_script(new_page, live_server, riverside):
    page = new_page(java_script_enabled=False)
    sign_in(page, live_server, email="cora@example.org")
    page.goto(live_server.url("/coordinators/audit"))
    page.fill("#actor_name", "a")  # Cora Coordinator, Ann Archer, Bob Baker: several
    page.locator("form.audit-filters button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    page.get_by_role("link", name="Ann Archer").click()
    assert page.input_value("#actor_name") == "Ann Archer"
    assert page.locator("tbody tr").count() >= 1
    # (axe-core needs the script; the same page with the script passes it above.)


def test_audit_filter_errors_pass_axe(page, live_server, riverside, axe_check):
    sign_in(page, live_server, email="cora@example.org")
    page.goto(live_server.url("/coordinators/audit?date_from=2025-05-10&date_to=2025-05-01"))
    assert page.locator(".error-summary").is_visible()
    axe_check(page)
    page.get_by_role(
        "link", name="The end date must be the same as or after the start date."
    ).click()
    assert page.evaluate("document.activeElement.id") == "date_to"


def test_exports_page_passes_axe_and_downloads_a_csv(page, live_server, riverside, axe_check):
    sign_in(page, live_server, email="cora@example.org")
    page.goto(live_server.url("/coordinators/exports"))
    assert page.get_by_role("heading", level=1).inner_text() == "Export"
    axe_check(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download members as CSV").click()
    download = info.value
    day = today_in(riverside).isoformat()
    assert download.suggested_filename == f"riverside-members-{day}.csv"
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["email"] for r in rows} == {"cora@example.org", "ann@example.org", "bob@example.org"}
    with page.expect_download() as info:
        page.get_by_role("button", name="Download exchanges as CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["description"] for r in rows] == ["'=cmd gardening", ""]


def test_exports_page_with_errors_passes_axe(page, live_server, riverside, axe_check):
    sign_in(page, live_server, email="cora@example.org")
    page.goto(
        live_server.url(
            "/coordinators/exports/transfers.csv?date_from=2025-05-10&date_to=2025-05-01"
        )
    )
    assert page.locator(".error-summary").is_visible()
    axe_check(page)


def test_audit_and_exports_fit_a_320_pixel_screen(new_page, live_server, riverside):
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, live_server, email="cora@example.org")
    for path in ("/coordinators/audit", "/coordinators/exports"):
        page.goto(live_server.url(path))
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > innerWidth + 1)
                .filter(el => !el.closest('.table-scroll'))
                .slice(0, 5).map(el => el.tagName + '.' + el.className + '#' + el.id)"""
        )
        assert overflow <= 0, (path, overflow, wide)


def test_on_a_phone_each_entry_of_the_audit_log_stacks_under_its_columns_words(
    new_page, live_server, riverside, axe_check
):
    """At 320 pixels the table's rows are blocks ("When: ...", "Who: ...", "What: ...",
    then Details), not four columns squeezed until names break mid-word; still a table
    to a screen reader (its roles), and still four columns on a wide screen."""
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, live_server, email="cora@example.org")
    page.goto(live_server.url("/coordinators/audit"))
    row = page.get_by_role("row").nth(1)  # the first entry (row 0 is the heading)
    cells = row.get_by_role("cell")
    assert cells.count() == 4
    when, who, what = (cells.nth(k).bounding_box() for k in range(3))
    assert when["y"] < who["y"] < what["y"]  # one under the other
    assert who["width"] > 250  # the whole width, not a squeezed column
    label = page.evaluate(
        "getComputedStyle(document.querySelector('.audit-table td[data-label]'),"
        " '::before').content"
    )
    assert label == '"When: "'
    axe_check(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    when, who = (cells.nth(k).bounding_box() for k in range(2))
    assert when["y"] == who["y"]  # side by side again
