"""pages: server time and statement count of every page a signed-out visitor, the demo
member, the demo coordinator and the demo partner can reach, at the demo's size.

The demo is built as ``make run`` builds it (migrations, then ``seed_demo``) in a SQLite
file of its own. Each role's pages are found the way a person finds them: from their
first page, following every link on every page (one address per page kind, that is per
URL-map endpoint and role), so pages that take an id are measured too. Downloads (CSV,
PDF) are left out: they are files, not pages.

Each page is requested ``BENCH_PAGES_REPEAT`` times (default 15) after two warm-up
requests, in-process through Flask's test client; the figure is the median in ms.
Each request is timed by the clock and by the CPU time it took (on the shared 2-core
machine the clock also counts other processes' turns, so the CPU time is the better
guess at a quiet machine's figure). Statements are counted with a cursor event during
one request. The baseline is the sign-in page, requested (signed out) just before each
request of each page, so that a change in the machine's load falls on both: a page's
ratio is its median over the median of the sign-in requests made alongside it, and
the sign-in figure is the median of them all. Figures: how many pages, the median
page, the member and coordinator pages over the 5 ms aim (by the clock and by CPU
time, those by CPU time listed), the member dashboard, and the slowest ten by CPU.

Some pages keep parts they drew (``timebank.kept_parts``: a list's rows, a report's
body) by everything those parts show, so a page shown again is cheaper than its first
view after a change. Each page is therefore also requested ``BENCH_PAGES_REPEAT`` times
with every kept part forgotten just before (``KeptRenders.forget_everywhere``): the
``nothing_kept`` figures, the member and coordinator pages over 5 ms that way listed
too. (Caches in the database, such as a built reciprocity report, stay.)
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from collections import deque
from typing import NamedTuple
from urllib.parse import urldefrag, urlsplit

import flask_migrate
import sqlalchemy as sa
from werkzeug.exceptions import HTTPException

from bench.common import Figure, env_int
from timebank.app import create_app
from timebank.demo import DEMO_PASSWORD, seed_demo
from timebank.demo.cast import COORDINATOR_EMAIL, MEMBER_EMAIL, PARTNER_EMAIL
from timebank.extensions import db
from timebank.kept_parts import KeptRenders
from timebank.ledger.database import run_in_transaction

AIM_MS = 5.0
ROLES = {
    # "/" sends a signed-out visitor on to the sign-in page: start there.
    "visitor": (None, "/auth/sign-in"),
    "member": (MEMBER_EMAIL, "/members/"),
    "coordinator": (COORDINATOR_EMAIL, "/coordinators/"),
    "partner": (PARTNER_EMAIL, "/partners/"),
}
LINK = re.compile(r'href="(/[^"]*)"')
NOT_PAGES = (".csv", ".pdf", ".json", ".css", ".js", ".png", ".ico", ".svg")
MAX_PAGES_PER_ROLE = 150
BASELINE = "/auth/sign-in"
AIMED = ("member", "coordinator")
DASHBOARD = ("member", "members.dashboard")


def _demo_app(directory: str):
    app = create_app(
        {
            "SECRET_KEY": "bench-secret-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory}/demo.sqlite3",
            "MAIL_OUTBOX": f"{directory}/outbox",
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        run_in_transaction(db.session, lambda: seed_demo(db.session, seed=2024))
        db.session.remove()
    return app


def _endpoint(app, path: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(urlsplit(path).path, method="GET")
    except HTTPException:  # not a page of this app (a redirect, a 404, a 405)
        return None
    return endpoint


def _crawl(app, client, start: str) -> dict[str, str]:
    """One address per endpoint, found by following links from ``start``."""
    found: dict[str, str] = {}
    queue, seen = deque([start]), {start}
    while queue and len(found) < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        endpoint = _endpoint(app, path)
        if endpoint is None or endpoint in found or endpoint == "static":
            continue
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        found[endpoint] = path
        for link in LINK.findall(response.get_data(as_text=True)):
            link = urldefrag(link.replace("&amp;", "&")).url
            if link in seen or urlsplit(link).path.endswith(NOT_PAGES):
                continue
            if "sign-out" in link or link.startswith("/static/"):
                continue
            seen.add(link)
            queue.append(link)
    return found


class Timing(NamedTuple):
    """Medians in ms: the page's and the sign-in page's requested alongside it, by the
    clock and by the CPU time the request took (this thread's: on a loaded machine the
    clock also counts the time other processes had the CPU); and the page's CPU time
    with nothing kept (every kept part of a page forgotten just before: the first view
    after a change to what it shows)."""

    page: float
    baseline: float
    page_cpu: float
    baseline_cpu: float
    nothing_kept_cpu: float


def _timed(client, path: str) -> tuple[float, float]:
    started, started_cpu = time.perf_counter(), time.thread_time()
    response = client.get(path)
    elapsed, cpu = time.perf_counter() - started, time.thread_time() - started_cpu
    assert response.status_code == 200, (path, response.status_code)
    return elapsed * 1000, cpu * 1000


def _measure(client, path: str, repeat: int, baseline_client) -> Timing:
    """Each request of the page just after one of the sign-in page."""
    for _ in range(2):
        client.get(path)
        baseline_client.get(BASELINE)
    page, baseline, nothing_kept = [], [], []
    for _ in range(repeat):
        baseline.append(_timed(baseline_client, BASELINE))
        page.append(_timed(client, path))
    for _ in range(repeat):
        KeptRenders.forget_everywhere()
        nothing_kept.append(_timed(client, path))
    return Timing(
        statistics.median(t[0] for t in page),
        statistics.median(t[0] for t in baseline),
        statistics.median(t[1] for t in page),
        statistics.median(t[1] for t in baseline),
        statistics.median(t[1] for t in nothing_kept),
    )


def _statements(engine: sa.Engine, client, path: str) -> int:
    count = 0

    def counted(*_args) -> None:
        nonlocal count
        count += 1

    sa.event.listen(engine, "before_cursor_execute", counted)
    try:
        client.get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", counted)
    return count


def _figure(name: str, timing: Timing, cpu: bool = False) -> Figure:
    page, baseline = (timing.page_cpu, timing.baseline_cpu) if cpu else timing[:2]
    return Figure(name, round(page, 2), "ms", round(baseline, 2), round(page / baseline, 1))


def run() -> list[Figure]:
    repeat = env_int("BENCH_PAGES_REPEAT", 15)
    directory = tempfile.mkdtemp(prefix="timebank-bench-pages-")
    app = _demo_app(directory)
    with app.app_context():
        engine = db.engine
    baseline_client = app.test_client()
    rows: list[tuple[Timing, int, str, str]] = []  # (timing, statements, role, endpoint)
    for role, (email, start) in ROLES.items():
        client = app.test_client()
        if email:
            response = client.post(
                "/auth/sign-in", data={"email": email, "password": DEMO_PASSWORD}
            )
            assert response.status_code == 302, f"{role} could not sign in"
        for endpoint, path in sorted(_crawl(app, client, start).items()):
            timing = _measure(client, path, repeat, baseline_client)
            rows.append((timing, _statements(engine, client, path), role, endpoint))
    rows.sort(key=lambda row: row[0].page_cpu, reverse=True)
    middle = Timing(*(statistics.median(r[0][i] for r in rows) for i in range(5)))
    aimed = [r for r in rows if r[2] in AIMED]
    figures = [
        Figure("pages.measured", len(rows), "pages"),
        Figure("pages.sign_in_baseline", round(middle.baseline, 2), "ms"),
        Figure("pages.sign_in_baseline_cpu", round(middle.baseline_cpu, 2), "ms"),
        _figure("pages.median", middle),
        _figure("pages.median_cpu", middle, cpu=True),
        Figure("pages.over_5ms", sum(1 for r in rows if r[0].page > AIM_MS), "pages"),
        Figure(
            "pages.members_and_coordinators",
            len(aimed),
            "pages",
        ),
        Figure(
            "pages.members_and_coordinators_over_5ms",
            sum(1 for r in aimed if r[0].page > AIM_MS),
            "pages",
        ),
        Figure(
            "pages.members_and_coordinators_over_5ms_cpu",
            sum(1 for r in aimed if r[0].page_cpu > AIM_MS),
            "pages",
        ),
        Figure(
            "pages.members_and_coordinators_over_5ms_cpu_nothing_kept",
            sum(1 for r in aimed if r[0].nothing_kept_cpu > AIM_MS),
            "pages",
        ),
        Figure(
            "pages.median_cpu_nothing_kept",
            round(middle.nothing_kept_cpu, 2),
            "ms",
            round(middle.baseline_cpu, 2),
            round(middle.nothing_kept_cpu / middle.baseline_cpu, 1),
        ),
    ]
    for timing, _, role, endpoint in rows:
        if (role, endpoint) == DASHBOARD:
            figures.append(_figure(f"dashboard.{role}.{endpoint}", timing))
            figures.append(_figure(f"dashboard.{role}.{endpoint}.cpu", timing, cpu=True))
    for timing, _, role, endpoint in aimed:
        if timing.page_cpu > AIM_MS:
            figures.append(_figure(f"over_5ms_cpu.{role}.{endpoint}", timing, cpu=True))
    for timing, _, role, endpoint in aimed:
        if timing.nothing_kept_cpu > AIM_MS:
            figures.append(
                Figure(
                    f"over_5ms_cpu_nothing_kept.{role}.{endpoint}",
                    round(timing.nothing_kept_cpu, 2),
                    "ms",
                    round(timing.baseline_cpu, 2),
                    round(timing.nothing_kept_cpu / timing.baseline_cpu, 1),
                )
            )
    for timing, statements, role, endpoint in rows[:10]:
        figures.append(_figure(f"slowest.{role}.{endpoint}", timing))
        figures.append(_figure(f"slowest.{role}.{endpoint}.cpu", timing, cpu=True))
        figures.append(Figure(f"slowest.{role}.{endpoint}.statements", statements, "statements"))
    return figures
