"""The dashboard's figures and "My network" in a real Chromium: axe-core finds nothing
(with a history, the table alternative open too) and both pages fit a 320 px screen,
the pictures scaling down with it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_pages import sign_in
from tests.factories import CoordinatorFactory, OrganisationFactory, TimeBankFactory
from tests.web.test_auth import make_member
from timebank.extensions import db
from timebank.ledger.clock import today_in
from timebank.ledger.pot import donate_to_pot
from timebank.ledger.transfers import record_transfer


@pytest.fixture
def history(live_server):
    """Alice has helped and been helped over the past year, by people, an organisation
    and the pot; Carol and Dave's exchange is none of her business."""
    with live_server.app.app_context():
        session = db.session
        bank = TimeBankFactory(
            name="Riverside Time Bank",
            requires_confirmation=False,
            requires_approval=False,
            max_backdate_days=400,
        )
        today = today_in(bank.timezone)
        alice = make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
        others = [
            make_member(
                session, email=f"{name.split()[0].lower()}@example.org", name=name, bank=bank
            )
            for name in (
                "Bob Brennan",
                "Carol Cheung",
                "Dave Dlamini",
                "Evangelina Featherstonehaugh",
            )
        ]
        coordinator = CoordinatorFactory(bank=bank)
        health = OrganisationFactory(bank=bank, name="Community Health Team")
        for i in range(24):
            other = others[i % len(others)]
            giver, receiver = (alice, other) if i % 3 else (other, alice)
            record_transfer(
                session,
                actor=giver,
                giver=giver.account,
                receiver=receiver.account,
                minutes=30 + 15 * (i % 5),
                service_date=today - timedelta(days=15 * i),
                description=f"Help number {i}",
            )
        donate_to_pot(session, actor=alice, donor=alice.account, minutes=30)
        record_transfer(
            session,
            actor=coordinator,
            giver=health.account,
            receiver=alice.account,
            minutes=90,
            service_date=today,
            description="A talk at the library",
        )
        session.commit()


def test_dashboard_with_figures_passes_axe(page, live_server, history, axe_check):
    sign_in(page, live_server)
    assert page.url == live_server.url("/members/")
    axe_check(page)
    page.get_by_role("link", name="My statement and the last 12 months").click()
    assert page.url == live_server.url("/members/statement")
    chart = page.get_by_role("img", name="Hours given and received each month")
    assert chart.is_visible()
    axe_check(page)
    page.locator("summary", has_text="Show as a table").click()
    table = page.get_by_role("table", name="Hours given and received each month")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 12
    axe_check(page)


def test_network_passes_axe(page, live_server, history, axe_check):
    sign_in(page, live_server)
    page.get_by_role("link", name="My network").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "My network in Riverside Time Bank", use_inner_text=True
    )
    assert page.get_by_role("img", name="My network").is_visible()
    names = page.locator("tbody th").all_inner_texts()
    assert "Community pot" not in names and "Bob Brennan" in names
    assert page.get_by_text("You donated 30 min to the community pot.").is_visible()
    assert any(name.startswith("Community Health Team") for name in names)
    axe_check(page)


@pytest.mark.parametrize("path", ["/members/statement", "/members/network"])
def test_pages_fit_320px(new_page, live_server, history, path):
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, live_server)
    page.goto(live_server.url(path))
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 320, f"{path} scrolls sideways: {scroll_width} > 320"
    svg = page.locator("figure.chart > svg").first
    box = svg.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320, box
    assert box["height"] > 50  # scaled down, not squashed away


@pytest.mark.parametrize("path", ["/members/", "/members/statement", "/members/network"])
def test_tables_stack_on_a_phone_and_stay_tables(new_page, live_server, history, axe_check, path):
    """At 320 px no column hides off to the side: each row becomes "label: value" lines,
    and assistive technology still finds a table with its headers."""
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, live_server)
    page.goto(live_server.url(path))
    for summary in page.locator("summary", has_text="Show as a table").all():
        summary.click()
    hidden_columns = page.evaluate(
        """() => [...document.querySelectorAll('.table-scroll')]
               .filter(box => box.scrollWidth > box.clientWidth + 1)
               .map(box => box.getAttribute('aria-labelledby'))"""
    )
    assert hidden_columns == []
    table = page.locator("table.stack-table").last
    first_cell = table.locator("tbody td").first
    label = first_cell.get_attribute("data-label")
    before = "el => getComputedStyle(el, '::before').content"
    assert first_cell.evaluate(before) == f'"{label}: "'
    assert first_cell.evaluate("el => getComputedStyle(el).display") == "block"
    # Still a table with column headers for screen readers, whatever the CSS display.
    assert page.get_by_role("table").count() >= 1
    assert table.get_by_role("columnheader").count() >= 3
    axe_check(page)
    # On a wide screen the same table is ordinary columns again.
    page.set_viewport_size({"width": 1280, "height": 800})
    assert first_cell.evaluate(before) == "none"
    assert first_cell.evaluate("el => getComputedStyle(el).display") == "table-cell"


VISIBLE_LABELS = """selector => {
    const box = document.querySelector(selector).getBoundingClientRect();
    return [...document.querySelectorAll(selector + ' text')]
        .filter(t => getComputedStyle(t).display !== 'none')
        .map(t => { const r = t.getBoundingClientRect();
                    return {text: t.textContent, height: r.height,
                            inside: r.left >= box.left - 0.5 && r.right <= box.right + 0.5}; });
}"""


def test_names_in_the_network_picture_can_be_read_on_a_phone(new_page, live_server, history):
    """Drawn 760 units wide, the picture shows at under half that on a 320 px screen:
    there the names are first names, in type at least 11 px high, inside the picture."""
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, live_server)
    page.goto(live_server.url("/members/network"))
    labels = page.evaluate(VISIBLE_LABELS, "figure.network-chart svg")
    names = [label["text"] for label in labels]
    assert "Bob" in names and "Community" in names and "Bob Brennan" not in names
    assert "Community pot" not in names
    assert all(label["height"] >= 11 and label["inside"] for label in labels), labels
    page.set_viewport_size({"width": 1280, "height": 800})
    names = [label["text"] for label in page.evaluate(VISIBLE_LABELS, "figure.network-chart svg")]
    assert "Bob Brennan" in names and "Bob" not in names


def test_month_names_under_the_chart_can_be_read_on_a_phone(new_page, live_server, history):
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, live_server)
    page.goto(live_server.url("/members/statement"))
    labels = page.evaluate(VISIBLE_LABELS, "figure.month-chart svg")
    assert len(labels) == 12
    assert all(label["height"] >= 9 and label["inside"] for label in labels), labels


def test_statement_download_from_the_dashboard(page, live_server, history):
    sign_in(page, live_server)
    page.get_by_role("link", name="My statement and the last 12 months").click()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the same statement for a spreadsheet (CSV)").click()
    download = info.value
    assert download.suggested_filename.startswith("statement-")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("Date,With whom,What,Category")
    assert "Carol" in text or "Bob" in text
