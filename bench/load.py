"""load: Locust against gunicorn on PostgreSQL and Redis, at twice hOurworld's size.

The data set is ``reports``' generator at BENCH_LOAD_BANKS / _MEMBERS / _TRANSFERS
(default 1,000 banks, 100,000 members, 2,000,000 posted transfers; a few big banks and
many small ones). In the largest bank BENCH_LOAD_PEOPLE members (default 200) get a
password and 4 of them become coordinators; that bank asks for a coordinator's approval
and no confirmation, so what members log fills the approval queue the coordinators
work through. The app is served by gunicorn (``gunicorn.conf.py``, WEB_CONCURRENCY
workers, default 2) with jobs and rate limits on Redis, first as one instance, then as
two instances on two ports sharing the database and Redis.

Locust (``bench/locustfile.py``) runs headless on this machine for BENCH_LOAD_SECONDS
(default 60) with BENCH_LOAD_USERS simulated people (default 30), each waiting 1 to 3 s
between actions, against 127.0.0.1 only. Figures per configuration: requests per
second, p50/p95/p99 in ms over every request, the slowest page's p95, and failures
(must be 0). Locust, gunicorn and PostgreSQL share the machine's 2 cores, so the
figures are a floor, not what a server of its own would do.

The app runs with ``TIMEBANK_ENVIRONMENT=development`` only so that its cookies are
not Secure (Locust talks plain http on loopback); every other setting is production's
(a real key, PostgreSQL, Redis), and the per-address sign-in limit is raised because
every simulated person comes from 127.0.0.1.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import subprocess
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

from bench.common import (
    ROOT,
    VENV_BIN,
    Figure,
    Stopwatch,
    env_int,
    postgresql_database,
    serve_gunicorn,
    stop_gunicorn,
)
from bench.reports import _load
from timebank.auth.passwords import hash_password

PASSWORD = "load test password 2026"


def _people(engine: sa.Engine, bank_id: int, count: int) -> dict:
    password_hash = hash_password(PASSWORD)
    with engine.begin() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT p.id, p.email, a.id, m.id FROM membership m"
                " JOIN person p ON p.id = m.person_id JOIN account a ON a.membership_id = m.id"
                " WHERE m.time_bank_id = :bank ORDER BY m.id LIMIT :n"
            ),
            {"bank": bank_id, "n": count},
        ).all()
        connection.execute(
            sa.text("UPDATE person SET password_hash = :h WHERE id = ANY(:ids)"),
            {"h": password_hash, "ids": [r[0] for r in rows]},
        )
        coordinators = rows[:4]
        connection.execute(
            sa.text("UPDATE membership SET role = 'coordinator' WHERE id = ANY(:ids)"),
            {"ids": [r[3] for r in coordinators]},
        )
        connection.execute(
            sa.text(
                "UPDATE time_bank SET requires_confirmation = false, requires_approval = true,"
                " floor_minutes = NULL, cap_minutes = NULL WHERE id = :bank"
            ),
            {"bank": bank_id},
        )
    return {
        "password": PASSWORD,
        "coordinators": [r[1] for r in coordinators],
        "members": [[r[1], r[2]] for r in rows[4:]],
    }


def _serve(url: str, redis_queue: str, secret: str) -> tuple[subprocess.Popen, str]:
    process, port = serve_gunicorn(
        database_url=url,
        secret=secret,
        mail_outbox=tempfile.mkdtemp(prefix="timebank-load-outbox-"),
        settings={
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "JOB_QUEUE": redis_queue,
            "RATELIMIT_KEY_PREFIX": redis_queue,
            "SIGN_IN_LIMIT_PER_ADDRESS": "100000 per minute",
        },
    )
    return process, f"http://127.0.0.1:{port}"


def _locust(hosts: list[str], people_file: Path, label: str) -> list[Figure]:
    users = env_int("BENCH_LOAD_USERS", 30)
    seconds = env_int("BENCH_LOAD_SECONDS", 60)
    prefix = Path(tempfile.mkdtemp(prefix="timebank-locust-")) / "stats"
    env = {**os.environ, "LOAD_PEOPLE": str(people_file), "LOAD_HOSTS": ",".join(hosts)}
    subprocess.run(
        [
            str(VENV_BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(max(1, users // 10)),
            "--run-time",
            f"{seconds}s",
            "--host",
            hosts[0],
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "10",
        ],
        env=env,
        check=False,
        timeout=seconds + 300,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with open(f"{prefix}_stats.csv", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    pages = [r for r in rows if r["Name"] != "Aggregated"]
    slowest = max(pages, key=lambda r: float(r["95%"]))
    figures = [
        Figure(f"{label}.users", users, "users"),
        Figure(f"{label}.seconds", seconds, "s"),
        Figure(f"{label}.requests", int(total["Request Count"]), "requests"),
        Figure(f"{label}.failures", int(total["Failure Count"]), "requests"),
        Figure(f"{label}.throughput", round(float(total["Requests/s"]), 1), "requests/s"),
        Figure(f"{label}.p50", float(total["50%"]), "ms"),
        Figure(f"{label}.p95", float(total["95%"]), "ms"),
        Figure(f"{label}.p99", float(total["99%"]), "ms"),
        Figure(f"{label}.slowest_p95.{slowest['Name']}", float(slowest["95%"]), "ms"),
    ]
    for page in pages:
        figures.append(Figure(f"{label}.page_p95.{page['Name']}", float(page["95%"]), "ms"))
    # What failed, in Locust's words (a status, a timeout, or the scenario's own check).
    with open(f"{prefix}_failures.csv", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            error = " ".join(row["Error"].split())[:120]
            name = f"{label}.failed.{row['Name']}: {error}"
            figures.append(Figure(name, int(row["Occurrences"]), "requests"))
    return figures


def run() -> list[Figure]:
    banks = env_int("BENCH_LOAD_BANKS", 1000)
    members = env_int("BENCH_LOAD_MEMBERS", 100_000)
    transfers = env_int("BENCH_LOAD_TRANSFERS", 2_000_000)
    figures: list[Figure] = []
    with postgresql_database() as engine:
        with Stopwatch() as generate:
            loaded = _load(engine, banks, members, transfers)
        largest = loaded["bank_ids"][0]
        figures += [
            Figure("generate_total", round(generate.seconds, 1), "s"),
            Figure("banks", banks, "banks"),
            Figure("members", loaded["members"], "members"),
            Figure("transfers", loaded["transfers"], "transfers"),
            Figure("largest.members", loaded["sizes"][largest][0], "members"),
            Figure("largest.transfers", loaded["sizes"][largest][1], "transfers"),
        ]
        people = _people(engine, largest, env_int("BENCH_LOAD_PEOPLE", 200))
        people_file = Path(tempfile.mkdtemp(prefix="timebank-load-")) / "people.json"
        people_file.write_text(json.dumps(people))
        url = engine.url.render_as_string(hide_password=False)
        secret = secrets.token_hex(32)
        queue = f"timebank-load-{uuid.uuid4().hex[:8]}"
        for label, count in (("one_instance", 1), ("two_instances", 2)):
            servers = [_serve(url, queue, secret) for _ in range(count)]
            try:
                figures += _locust([base for _, base in servers], people_file, label)
            finally:
                for process, _ in servers:
                    stop_gunicorn(process)
        with engine.connect() as connection:
            posted = connection.scalar(
                sa.text(
                    "SELECT count(*) FROM transfer WHERE time_bank_id = :b AND status = 'posted'"
                ),
                {"b": largest},
            )
        figures.append(Figure("largest.posted_after", posted, "transfers"))
    return figures
