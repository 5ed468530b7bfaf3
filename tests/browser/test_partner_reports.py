"""The partners' area in a real Chromium, on the demo (the partner reads two banks):
every partner page and every report page (the partners' and the coordinators') passes
axe-core in English and in Welsh at 320 px wide without scrolling sideways; the network
picture is drawn by Cytoscape.js with every node of the page's data and, for a partner,
no label at all, while the coordinators' picture names people; the tables beside the
charts open from the keyboard."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT
from tests.browser.test_coordinators_every_page import demo_server  # noqa: F401 - a fixture
from tests.browser.test_pages import sign_in
from tests.browser.test_welsh_pages import english_sentences
from tests.factories import bank_today
from timebank.demo import DEMO_PASSWORD, DEMO_SLUG, PARTNER_EMAIL, VALLEY_SLUG

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"
CYTOSCAPE = ROOT / "timebank" / "static" / "vendor" / "cytoscape.min.js"

PARTNER_PAGES = [
    "/partners/",
    f"/partners/banks/{DEMO_SLUG}/report",
    f"/partners/banks/{DEMO_SLUG}/network",
    f"/partners/banks/{VALLEY_SLUG}/report",
    f"/partners/banks/{VALLEY_SLUG}/network",
    "/partners/all-banks/report",
    "/partners/all-banks/network",
    f"/partners/banks/{DEMO_SLUG}/report?period=custom&start=2026-13-01&end=2026-01-01",
]
COORDINATOR_PAGES = ["/coordinators/report", "/coordinators/report/network"]


@pytest.fixture(autouse=True)
def cytoscape_is_there():
    if not CYTOSCAPE.exists():
        pytest.fail(
            f"{CYTOSCAPE} is missing. Run `bash scripts/ensure-frontend.sh` (or `make test`).",
            pytrace=False,
        )


def welsh(page) -> None:
    with page.expect_navigation():
        page.get_by_role("banner").get_by_role("button", name="Cymraeg").click()
    assert page.get_attribute("html", "lang") == "cy"


def check_pages(page, server, pages, axe_check, english=None) -> None:
    for path in pages:
        response = page.goto(server.url(path))
        expected = 400 if "2026-13-01" in path else 200
        assert response.status == expected, path
        page.wait_for_load_state("load")
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{path} scrolls sideways"
        if english is not None:
            assert page.get_attribute("html", "lang") == "cy", path
            text = " ".join(page.locator("body").inner_text().split())
            left = [sentence for sentence in english if sentence in text]
            assert left == [], f"{path} shows English: {left[:5]}"
        axe_check(page)


@pytest.mark.parametrize("language", ["en", "cy"])
def test_every_partner_page_passes_axe_at_320_px(
    new_page,
    demo_server,  # noqa: F811
    axe_check,
    language,
):
    page = new_page(viewport={"width": 320, "height": 800})
    sign_in(page, demo_server, PARTNER_EMAIL, DEMO_PASSWORD)
    assert page.url.endswith("/partners/")
    english = None
    if language == "cy":
        welsh(page)
        english = english_sentences()
    check_pages(page, demo_server, PARTNER_PAGES, axe_check, english)


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_coordinators_report_pages_pass_axe_at_320_px(
    new_page,
    demo_server,  # noqa: F811
    axe_check,
    language,
):
    page = new_page(viewport={"width": 320, "height": 800})
    sign_in(page, demo_server, "coordinator@example.org", DEMO_PASSWORD)
    english = None
    if language == "cy":
        welsh(page)
        english = english_sentences()
    check_pages(page, demo_server, COORDINATOR_PAGES, axe_check, english)


def drawn(page) -> dict:
    page.wait_for_selector("#network-graph[data-drawn='yes']")
    return page.evaluate(
        """() => {
            const graph = window.timebankNetworkGraph;
            const data = JSON.parse(document.getElementById('network-graph-data').textContent);
            return {
                nodes: graph.nodes().length,
                edges: graph.edges().length,
                dataNodes: data.nodes.length,
                dataEdges: data.edges.length,
                labelled: graph.nodes().filter(n => n.data('label')).length,
                drawnLabels: graph.nodes().filter(n => n.style('label')).length,
                canvases: document.querySelectorAll('#network-graph canvas').length,
                kinds: [...new Set(data.nodes.map(n => n.data.kind))],
            };
        }"""
    )


def test_a_partner_sees_the_picture_without_any_label(page, demo_server):  # noqa: F811
    sign_in(page, demo_server, PARTNER_EMAIL, DEMO_PASSWORD)
    page.goto(demo_server.url("/partners/all-banks/network"))
    picture = drawn(page)
    assert picture["canvases"] >= 1
    assert picture["nodes"] == picture["dataNodes"] > 20
    assert picture["edges"] == picture["dataEdges"] > 20
    assert picture["labelled"] == 0 and picture["drawnLabels"] == 0
    assert "organisation" in picture["kinds"]
    # Nothing in the page's data names anyone.
    data = json.loads(page.locator("#network-graph-data").text_content())
    assert all(set(node["data"]) <= {"id", "kind"} for node in data["nodes"])
    # The text alternative lists the same ties.
    rows = page.locator("#picture table tbody tr").count()
    assert rows == picture["edges"]


def test_a_coordinator_sees_names_and_brokers(page, demo_server):  # noqa: F811
    sign_in(page, demo_server, "coordinator@example.org", DEMO_PASSWORD)
    page.goto(demo_server.url("/coordinators/report/network"))
    picture = drawn(page)
    assert picture["labelled"] > 20
    assert picture["nodes"] == picture["dataNodes"]
    brokers = page.evaluate("() => window.timebankNetworkGraph.nodes('[broker]').length")
    assert brokers >= 1
    assert "Jo Bennett" in page.locator("#picture table").text_content()


def test_the_tables_open_from_the_keyboard(page, demo_server):  # noqa: F811
    sign_in(page, demo_server, PARTNER_EMAIL, DEMO_PASSWORD)
    page.goto(demo_server.url(f"/partners/banks/{VALLEY_SLUG}/report"))
    summary = page.locator("#shared-roles details.chart-table summary")
    summary.focus()
    page.keyboard.press("Enter")
    table = page.locator("#shared-roles details.chart-table table")
    assert table.is_visible()
    assert "Participants" in table.inner_text()
    # The picture takes no focus: Tab goes from the page's links to the next control.
    page.goto(demo_server.url(f"/partners/banks/{VALLEY_SLUG}/network"))
    drawn(page)
    focusable = page.evaluate(
        "() => document.querySelectorAll('#network-graph [tabindex], #network-graph a').length"
    )
    assert focusable == 0


def test_a_partner_chooses_a_period_and_is_told_at_the_field(page, demo_server):  # noqa: F811
    today = bank_today()
    start, wrong_end, end = (today - timedelta(days=d) for d in (100, 130, 10))
    sign_in(page, demo_server, PARTNER_EMAIL, DEMO_PASSWORD)
    page.goto(demo_server.url(f"/partners/banks/{DEMO_SLUG}/report"))
    page.locator("details.period-details summary").click()
    page.get_by_label("Dates I choose").check()
    page.get_by_label("From").fill(start.isoformat())
    page.get_by_label("To").fill(wrong_end.isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Show this period").click()
    expect(page.locator("#end-error")).to_contain_text(
        "same as or after the first day", use_inner_text=True
    )
    assert page.locator("#end").get_attribute("aria-invalid") == "true"
    page.get_by_label("To").fill(end.isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Show this period").click()
    expected = f"{start.day} {start:%B %Y} to {end.day} {end:%B %Y}"
    assert expected in page.locator(".period-line").inner_text()
    assert page.locator("#headline").is_visible()


def test_drawing_the_picture_breaks_no_rule_of_the_pages_security_policy(page, demo_server):  # noqa: F811
    """Cytoscape.js adds a <style> element of its own unless the page already has one with
    its id; the Content-Security-Policy (style-src 'self') refuses it, which the console
    reports as an error on every network page."""
    complaints: list[str] = []
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and complaints.append(f"{message.text} ({message.location.get('url')})")
        ),
    )
    sign_in(page, demo_server, "coordinator@example.org", DEMO_PASSWORD)
    # The first view builds the report (slow on a busy machine).
    page.goto(demo_server.url("/coordinators/report/network"), timeout=60_000)
    drawn(page)
    assert (
        page.evaluate("() => getComputedStyle(document.getElementById('network-graph')).position")
        == "relative"
    )
    assert complaints == []
