"""A file with a quote never closed, and a file with no rows, in a real Chromium: the
line and the reason, or a plain "no rows" (issue 11, finding 9); axe-core finds nothing,
at desktop width and at 320 px in Welsh."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_coordinators_imports import choose_file
from tests.browser.test_pages import sign_in
from tests.factories import TimeBankFactory
from tests.web.support import make_member
from timebank.extensions import db
from timebank.ledger.models import Role

UNCLOSED = (
    'name,email\nNia Jones,nia@example.org\n"Owen Price,owen@example.org\nPat,pat@example.org\n'
)
HEADER_ONLY = "name,email\n"


@pytest.fixture
def coordinator(live_server, tmp_path):
    live_server.app.config["IMPORT_FOLDER"] = str(tmp_path / "imports")
    with live_server.app.app_context():
        bank = TimeBankFactory(name="Riverside Time Bank")
        make_member(db.session, email="coord@example.org", bank=bank, role=Role.COORDINATOR)
        db.session.commit()


def check(page, live_server, tmp_path, name, text):
    page.goto(live_server.url("/coordinators/imports"))
    page.select_option("#layout", "members")
    choose_file(page, tmp_path, name, text)
    with page.expect_navigation():
        page.locator("form:has(#file) button[type=submit]").click()


@pytest.mark.parametrize(
    ("viewport", "locale", "words"),
    [
        (
            {"width": 1280, "height": 800},
            "en-GB",
            ("1 bad row out of 2", "never closed", "This file has no rows to import"),
        ),
        (
            {"width": 320, "height": 640},
            "cy",
            (
                "1 rhes wallus allan o 2",
                "byth yn cau",
                "Nid oes gan y ffeil hon resi i'w mewnforio",
            ),
        ),
    ],
)
def test_an_unclosed_quote_and_a_file_with_no_rows(
    new_page, live_server, coordinator, tmp_path, axe_check, viewport, locale, words
):
    page = new_page(viewport=viewport, locale=locale)
    sign_in(page, live_server, email="coord@example.org")
    bad_rows, unclosed, no_rows = words

    check(page, live_server, tmp_path, "quote.csv", UNCLOSED)
    expect(page.get_by_role("alert")).to_contain_text(bad_rows)
    row = page.locator("table.import-errors tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text("3")
    expect(row.locator("td").nth(1)).to_contain_text(unclosed)
    expect(page.get_by_role("button", name=re.compile("for real|go iawn"))).to_have_count(0)
    axe_check(page)
    page.screenshot(path=str(tmp_path / f"quote-{viewport['width']}.png"), full_page=True)

    check(page, live_server, tmp_path, "empty.csv", HEADER_ONLY)
    expect(page.get_by_role("alert")).to_contain_text(no_rows)
    expect(page.get_by_role("button", name=re.compile("for real|go iawn"))).to_have_count(0)
    axe_check(page)
    page.screenshot(path=str(tmp_path / f"no-rows-{viewport['width']}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
