"""pages_at_scale: every page a person opens, for the largest bank, at twice hOurworld's
size (1,000 banks, 100,000 members, 2,000,000 posted transfers) on PostgreSQL.

The data set is ``bench.scale_data``'s, kept between runs in its own schema (built
first when missing: minutes). The app is made in this process on that schema and each
page is requested through Flask's test client, signed in as a member (the one with the
most exchanges of those who can sign in), a coordinator or a partner of the largest
bank (about 13,000 members and 267,000 transfers, 300 entries waiting for approval):
two warm-up requests, then BENCH_SCALE_REPEAT (default 20) timed ones; the figures are
each page's p95 and median in ms. The report pages build the report on their first
request (timed separately as ``.first``) and read it from the cache afterwards.

Every statement of one request of each page is captured and EXPLAINed (the plan the
planner would use with those very parameters). A sequential scan of ``transfer`` or
``audit_entry`` in any of them is a failure: it is listed in the figures and in
``bench/results/pages_at_scale_plans.json`` (every page's statements with the scans
and indexes their plans use), and the run ends with an error after writing them.
Aim: p95 under 300 ms for each page.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator

import sqlalchemy as sa

from bench.common import RESULTS, Figure, env_int
from bench.scale_data import Dataset, scale_dataset

AIM_MS = 300.0
HOT_TABLES = ("transfer", "audit_entry")


def _pages(dataset: Dataset, ids: dict) -> dict[str, tuple[str, list[str]]]:
    """role -> (email, paths), the pages a person of that role opens."""
    bank = ids["slug"]
    return {
        "member": (
            dataset.member_email,
            [
                "/members/",
                "/members/statement",
                "/members/statement?from=2024-07-01&to=2026-12-31",
                "/members/network",
                "/members/notifications",
                "/members/log",
                "/members/messages/new",
                "/members/confirm",
                "/members/listings",
                f"/members/listings?after={ids['middle_listing']}",
                f"/members/people/{ids['other_member']}",
            ],
        ),
        "coordinator": (
            dataset.coordinator_email,
            [
                "/coordinators/",
                "/coordinators/approvals",
                f"/coordinators/approvals/{ids['pending']}",
                "/coordinators/audit",
                f"/coordinators/audit?before={ids['middle_audit']}",
                "/coordinators/members",
                f"/coordinators/members?after={ids['middle_member']}",
                "/coordinators/pot",
                f"/coordinators/pot?after={ids['middle_pot']}",
                "/coordinators/group-exchange",
                f"/coordinators/organisations/{ids['organisation']}",
                f"/coordinators/members/{ids['other_member']}",
                "/coordinators/exports",
                "/coordinators/report",
            ],
        ),
        "partner": (
            dataset.partner_email,
            ["/partners/", f"/partners/banks/{bank}/report", f"/partners/banks/{bank}/network"],
        ),
    }


def _ids(engine: sa.Engine, bank_id: int) -> dict:
    with engine.connect() as connection:
        return {
            "slug": connection.scalar(
                sa.text("SELECT slug FROM time_bank WHERE id = :b"), {"b": bank_id}
            ),
            "pending": connection.scalar(
                sa.text(
                    "SELECT min(id) FROM transfer WHERE time_bank_id = :b AND status = 'pending'"
                ),
                {"b": bank_id},
            ),
            # Rows halfway down each list, for a page deep in it (keyset: ``after``).
            "middle_member": connection.scalar(
                sa.text(
                    "SELECT id FROM membership WHERE time_bank_id = :b ORDER BY sort_name, id"
                    " OFFSET (SELECT count(*) / 2 FROM membership WHERE time_bank_id = :b)"
                    " LIMIT 1"
                ),
                {"b": bank_id},
            ),
            "middle_audit": connection.scalar(
                sa.text(
                    "SELECT seq FROM audit_entry WHERE time_bank_id = :b ORDER BY seq"
                    " OFFSET (SELECT count(*) / 2 FROM audit_entry WHERE time_bank_id = :b)"
                    " LIMIT 1"
                ),
                {"b": bank_id},
            ),
            "middle_pot": connection.scalar(
                sa.text(
                    "SELECT t.id FROM transfer t JOIN account a ON a.kind = 'pot'"
                    " AND a.time_bank_id = :b AND a.id IN (t.debit_account_id,"
                    " t.credit_account_id) ORDER BY t.service_date, t.id"
                    " OFFSET (SELECT count(*) / 2 FROM transfer t2 JOIN account a2"
                    " ON a2.kind = 'pot' AND a2.time_bank_id = :b"
                    " AND a2.id IN (t2.debit_account_id, t2.credit_account_id)) LIMIT 1"
                ),
                {"b": bank_id},
            )
            or 0,
            "middle_listing": connection.scalar(
                sa.text(
                    "SELECT coalesce((SELECT id FROM listing WHERE time_bank_id = :b"
                    " ORDER BY created_at, id LIMIT 1), 0)"
                ),
                {"b": bank_id},
            ),
            "organisation": connection.scalar(
                sa.text("SELECT min(id) FROM organisation WHERE time_bank_id = :b"),
                {"b": bank_id},
            ),
            "other_member": connection.scalar(
                sa.text(
                    "SELECT id FROM membership WHERE time_bank_id = :b AND role = 'member'"
                    " ORDER BY id OFFSET (SELECT count(*) / 2 FROM membership"
                    " WHERE time_bank_id = :b) LIMIT 1"
                ),
                {"b": bank_id},
            ),
        }


def _app(dataset: Dataset):
    from timebank.app import create_app

    outbox = tempfile.mkdtemp(prefix="timebank-pages-at-scale-outbox-")
    return create_app(
        {
            "SECRET_KEY": "bench-secret-key-pages-at-scale",
            "SQLALCHEMY_DATABASE_URI": dataset.url,
            "MAIL_OUTBOX": outbox,
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            "RATELIMIT_ENABLED": False,
        }
    )


def _time(client, path: str, repeat: int) -> tuple[float, list[float]]:
    started = time.perf_counter()
    response = client.get(path)
    first = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (path, response.status_code)
    client.get(path)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return first, times


def p95(times: list[float]) -> float:
    """The nearest-rank 95th percentile."""
    ordered = sorted(times)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def _captured(engine: sa.Engine, client, path: str) -> list[tuple[str, object]]:
    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        client.get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    return statements


def _nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _explain(engine: sa.Engine, statements: list[tuple[str, object]]) -> list[dict]:
    explained = []
    with engine.connect() as connection:
        for statement, parameters in statements:
            verb = statement.lstrip().split(None, 1)[0].upper()
            if verb not in ("SELECT", "WITH", "UPDATE", "DELETE"):
                continue
            plan = connection.exec_driver_sql(
                "EXPLAIN (FORMAT JSON) " + statement, parameters or ()
            ).scalar()
            root = (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]
            reads = sorted(
                {
                    f"{n['Node Type']} on {n['Relation Name']}"
                    + (f" using {n['Index Name']}" if "Index Name" in n else "")
                    for n in _nodes(root)
                    if "Relation Name" in n
                }
            )
            explained.append(
                {
                    "statement": " ".join(statement.split())[:400],
                    "cost": root["Total Cost"],
                    "reads": reads,
                    "hot_seq_scans": [
                        r for r in reads if r.startswith("Seq Scan on ") and r[12:] in HOT_TABLES
                    ],
                }
            )
        connection.rollback()
    return explained


def run() -> list[Figure]:
    repeat = env_int("BENCH_SCALE_REPEAT", 20)
    started = time.perf_counter()
    dataset = scale_dataset()
    summary = dataset.summary
    figures = [
        Figure("data.reused", int(dataset.reused), "bool"),
        Figure("data.build_seconds", summary["built_seconds"], "s"),
        Figure("data.banks", summary["banks"], "banks"),
        Figure("data.members", summary["members_made"], "members"),
        Figure("data.transfers", summary["transfers_made"], "transfers"),
        Figure("data.audit_entries", summary["audit_entries_made"], "entries"),
        Figure("largest.members", summary["largest_members"], "members"),
        Figure("largest.transfers", summary["largest_transfers"], "transfers"),
        Figure("largest.pending", summary["pending"], "entries"),
        Figure("data.ready_after", round(time.perf_counter() - started, 1), "s"),
    ]
    app = _app(dataset)
    from timebank.extensions import db

    with app.app_context():
        engine = db.engine
    ids = _ids(engine, dataset.largest_bank)
    # As a gunicorn worker does once its app is built (gunicorn.conf.py's
    # post_worker_init): what exists now is out of the garbage collector's sight, so a
    # full collection during a request walks only what requests made.
    gc.collect()
    gc.freeze()
    plans: dict[str, list[dict]] = {}
    hot: list[str] = []
    over: list[str] = []
    for role, (email, paths) in _pages(dataset, ids).items():
        client = app.test_client()
        response = client.post("/auth/sign-in", data={"email": email, "password": dataset.password})
        assert response.status_code == 302, f"the {role} could not sign in"
        for path in paths:
            load = os.getloadavg()[0]
            first, times = _time(client, path, repeat)
            name = f"{role}.{path}"
            figures.append(Figure(f"{name}.p95", round(p95(times), 1), "ms"))
            figures.append(Figure(f"{name}.median", round(statistics.median(times), 1), "ms"))
            figures.append(Figure(f"{name}.first", round(first, 1), "ms"))
            figures.append(Figure(f"{name}.load_average", round(load, 2), "load"))
            if p95(times) > AIM_MS:
                over.append(name)
            statements = _captured(engine, client, path)
            explained = _explain(engine, statements)
            figures.append(Figure(f"{name}.statements", len(statements), "statements"))
            plans[name] = explained
            for item in explained:
                for scan in item["hot_seq_scans"]:
                    hot.append(f"{name}: {scan}: {item['statement'][:120]}")
    engine.dispose()
    dataset.engine.dispose()
    figures.append(Figure("pages.over_300ms_p95", len(over), "pages"))
    figures.extend(Figure(f"over_aim.{name}", 1, "page") for name in over)
    figures.append(Figure("explain.hot_seq_scans", len(hot), "plans"))
    figures.extend(Figure(f"explain.seq_scan.{line}", 1, "plan") for line in hot)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pages_at_scale_plans.json").write_text(json.dumps(plans, indent=1) + "\n")
    return figures
