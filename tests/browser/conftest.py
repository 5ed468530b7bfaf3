"""Real-browser tests: the real app served over HTTP on 127.0.0.1, driven by Debian's
Chromium through Playwright, with axe-core for the automatic accessibility rules.

Set-up (once per machine): ``scripts/ensure-browser.sh`` installs /usr/bin/chromium and
node_modules/axe-core. Never ``playwright install``: Playwright drives the system
Chromium. When either is missing the tests FAIL (they are not skipped) and say so.

Fixtures:
- ``live_server``: the app (CSRF on, production cookie settings) on a free port, over
  the test database of this run; ``live_server.app`` for set-up in an app context,
  ``live_server.url(path)`` for addresses.
- ``browser``: one headless Chromium per run, kept on loopback.
- ``page``: a fresh browser context and page per test (1280 x 800); screenshots of
  failed tests go to test-artifacts/.
- ``axe_check(page)``: runs axe-core (WCAG 2.0/2.1/2.2 A and AA tags) and fails with
  each violation's id, help and targets.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from timebank.app import create_app
from timebank.extensions import db

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
SETUP_HINT = "Run `bash scripts/ensure-browser.sh` (or `make test`) to install it."

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Nothing but the test server: every other host name fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


# The app on a real HTTP server --------------------------------------------------------


@dataclass
class LiveServer:
    app: object
    base_url: str

    def url(self, path: str = "/") -> str:
        return self.base_url + path


@pytest.fixture
def live_server(database_url, tmp_path):
    # The production settings except for the key and the database. Chromium keeps
    # Secure cookies for http://127.0.0.1 (a potentially trustworthy origin), so the
    # session cookie stays Secure here, as in production.
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-test-secret-key",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_OUTBOX": str(tmp_path / "outbox"),
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    # Links in emails (reset, invitations) lead back to this server.
    app.config["EXTERNAL_ORIGIN"] = base_url
    try:
        yield LiveServer(app=app, base_url=base_url)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# The browser --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}. {SETUP_HINT}", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "The playwright Python package is missing: .venv/bin/pip install playwright"
            " (never `playwright install`; the tests use /usr/bin/chromium).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(browser):
    """Open more pages, each in its own context: ``new_page(viewport=..., ...)``."""
    contexts = []

    def make(**options):
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        pages = []
        if "page" in item.funcargs:
            pages.append(item.funcargs["page"])
        for index, page in enumerate(pages):
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-150:]
            path = ARTIFACTS / f"{name}{'' if index == 0 else f'-{index}'}.png"
            try:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(path), full_page=True)
                report.sections.append(("browser", f"screenshot saved to {path}"))
            except Exception as error:  # the page may already be gone
                report.sections.append(("browser", f"no screenshot: {error}"))
    return report


# Accessibility ------------------------------------------------------------------------


def _axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is not installed at {AXE_JS}. {SETUP_HINT}", pytrace=False)
    return AXE_JS.read_text(encoding="utf-8")


def run_axe(page) -> list[dict]:
    """axe-core's violations for the page as it is now. The script goes in through
    ``page.evaluate`` because the Content Security Policy blocks added script tags."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {
                runOnly: {type: 'tag', values: tags},
                resultTypes: ['violations'],
            });
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                targets: v.nodes.map(n => n.target.join(' ')),
            }));
        }""",
        AXE_TAGS,
    )


def axe_check(page) -> None:
    """Fail unless axe-core finds no WCAG A/AA violation on the page."""
    violations = run_axe(page)
    if violations:
        lines = [f"axe-core found {len(violations)} violation(s) on {page.url}:"]
        for v in violations:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']}  [{v['helpUrl']}]")
            lines.extend(f"    at {target}" for target in v["targets"])
        pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture(name="axe_check")
def axe_check_fixture():
    _axe_source()  # fail early, with the set-up hint, when axe-core is missing
    return axe_check
