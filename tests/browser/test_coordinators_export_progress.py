"""A big export's page in a real Chromium: asked for from the exports page, it shows
the rows written while the background job writes (the bar and its words update
without a reload) and then offers the file; axe-core finds nothing on it, at 320 px or
on a desktop, in English or Welsh."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.browser.test_coordinators_audit_export import riverside
from tests.browser.test_coordinators_every_page import NO_SIDEWAYS_SCROLL
from tests.browser.test_pages import sign_in
from timebank.jobs import tasks

__all__ = ["riverside"]

# Kept after the run, to be looked at.
SCREENSHOTS = str(Path(tempfile.gettempdir()) / "timebank-export-progress")


@pytest.fixture
def big_exports(live_server, tmp_path, riverside):
    live_server.app.config["EXPORT_IN_REQUEST_MAX_ROWS"] = 1
    live_server.app.config["EXPORT_FOLDER"] = str(tmp_path / "exports")
    return live_server


def half_written(live_server) -> str:
    """An export whose job is half-way through (its state as the job leaves it)."""
    from dataclasses import replace

    import sqlalchemy as sa

    from timebank.extensions import db

    with live_server.app.app_context():
        bank_id, actor_id = db.session.execute(
            sa.text(
                "SELECT m.time_bank_id, m.id FROM membership m JOIN person p"
                " ON p.id = m.person_id WHERE p.email = 'cora@example.org'"
            )
        ).one()
        db.session.rollback()
        folder = tasks.export_folder()
        state = folder.create(
            time_bank_id=bank_id,
            actor_id=actor_id,
            what="transfers",
            filename="riverside-transfers.csv",
            rows_total=267_184,
        )
        folder.save(replace(state, status="writing", rows_written=120_000))
    return state.token


@pytest.mark.parametrize("width", [320, 1280])
def test_a_big_export_shows_its_progress_then_offers_the_file(
    new_page, big_exports, axe_check, width
):
    live_server = big_exports
    page = new_page(viewport={"width": width, "height": 900})
    sign_in(page, live_server, email="cora@example.org")
    page.goto(live_server.url("/coordinators/exports"))
    with page.expect_navigation():
        page.get_by_role("button", name="Download exchanges").click()
    assert "/coordinators/exports/" in page.url
    page.get_by_text("The file is ready: 2 rows.").wait_for()
    assert page.title() == "Export: Exchanges · timebank"
    axe_check(page)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.screenshot(path=f"{SCREENSHOTS}-ready-{width}.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download riverside-transfers-").click()
    assert download.value.suggested_filename.startswith("riverside-transfers-")

    token = half_written(live_server)
    page.goto(live_server.url(f"/coordinators/exports/{token}"))
    bar = page.locator("#import-progress-bar")
    assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("120000", "267184")
    assert page.get_by_role("status").inner_text() == (
        "120,000 of 267,184 rows written to the file."
    )
    axe_check(page)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.screenshot(path=f"{SCREENSHOTS}-writing-{width}.png", full_page=True)

    # The job writes on: the page follows without a reload.
    from dataclasses import replace

    with live_server.app.app_context():
        folder = tasks.export_folder()
        state = folder.load(token)
        folder.save(replace(state, rows_written=200_000))
    page.get_by_text("200,000 of 267,184 rows written to the file.").wait_for()

    with page.expect_navigation():
        page.get_by_role("banner").get_by_role("button", name="Cymraeg").click()
    assert page.get_attribute("html", "lang") == "cy"
    assert "200,000 o 267,184 rhes wedi'u hysgrifennu i'r ffeil." in page.inner_text("main")
    assert page.locator("h1").inner_text() == "Allforio: Cyfnewidiadau"
    axe_check(page)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.screenshot(path=f"{SCREENSHOTS}-writing-cy-{width}.png", full_page=True)
