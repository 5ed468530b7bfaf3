"""import_stream: a CSV import of past exchanges runs in constant memory.

For each engine (SQLite as the app runs it, PostgreSQL in a schema of its own), two
TimeOverflow-layout files of BENCH_IMPORT_SMALL (default 100,000) and BENCH_IMPORT_BIG
(default 1,000,000) rows between 1,000 imported members are imported with
``timebank.importing.import_file`` (one transaction, batches of 5,000, verify_ledger at
the end). Each import runs in a fresh child process, so its peak resident memory
(``getrusage(RUSAGE_SELF).ru_maxrss``) is its own.

Figures: the peak resident memory of each run (MB) and, for the big file, ratio = big
peak / small peak (about 1 when memory does not grow with the file); the import rate
(rows/s, the whole import including the final verify_ledger).
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from bench.common import Figure, env_int, postgresql_database, sqlite_database

MEMBERS = 1_000
ROOT = Path(__file__).resolve().parent.parent


def _write_members(path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("external_ref,name,email,kind,role,opening_balance_hours\n")
        for k in range(MEMBERS):
            handle.write(f"{k},Member {k},member{k}@example.org,participant,member,{k % 7 - 3}\n")


def _write_transfers(path: Path, rows: int) -> None:
    rng = random.Random(rows)
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(rows):
            source = rng.randrange(MEMBERS)
            destination = (source + 1 + rng.randrange(MEMBERS - 1)) % MEMBERS
            seconds = 900 * (1 + rng.randrange(16))
            day = 1 + i % 28
            handle.write(
                f"{source},Member,{destination},Member,{seconds},"
                f"2019-{1 + i % 12:02d}-{day:02d} 10:00:00 UTC,Exchange {i},{i}\n"
            )


def child(engine_name: str, rows: int) -> dict:
    """Runs in its own process: set up a bank, import ``rows`` transfers, report."""
    from timebank.importing import Layout, file_sha256, import_file
    from timebank.ledger import banks
    from timebank.ledger.models import Role

    database = sqlite_database if engine_name == "sqlite" else postgresql_database
    with tempfile.TemporaryDirectory(prefix="timebank-import-bench-") as folder:
        members_csv = Path(folder) / "members.csv"
        transfers_csv = Path(folder) / "transfers.csv"
        _write_members(members_csv)
        _write_transfers(transfers_csv, rows)
        with database() as engine, sessionmaker(bind=engine)() as session:
            bank = banks.create_time_bank(session, name="Bench import", slug="bench-import")
            person = banks.create_person(
                session, email="coord@example.org", display_name="Coordinator"
            )
            actor = banks.add_membership(
                session, actor=None, bank=bank, person=person, role=Role.COORDINATOR
            )
            session.commit()
            import_file(
                session,
                actor=actor,
                path=members_csv,
                layout=Layout.MEMBERS,
                sha256=file_sha256(members_csv),
            )
            session.commit()
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            sha = file_sha256(transfers_csv)
            start = time.perf_counter()
            outcome = import_file(
                session,
                actor=actor,
                path=transfers_csv,
                layout=Layout.TIMEOVERFLOW_TRANSFERS,
                sha256=sha,
            )
            session.commit()
            seconds = time.perf_counter() - start
            if outcome.transfers != rows:
                raise AssertionError(f"imported {outcome.transfers} of {rows} rows")
    return {
        "rows": rows,
        "seconds": seconds,
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "rss_before_import_kb": rss_before,
    }


def _measure(engine_name: str, rows: int) -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.import_stream", "--child", engine_name, str(rows)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )
    if completed.returncode != 0:
        raise RuntimeError(f"import benchmark child failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run() -> list[Figure]:
    small = env_int("BENCH_IMPORT_SMALL", 100_000)
    big = env_int("BENCH_IMPORT_BIG", 1_000_000)
    figures: list[Figure] = []
    for engine_name in ("sqlite", "postgresql"):
        low = _measure(engine_name, small)
        high = _measure(engine_name, big)
        low_mb = round(low["peak_rss_kb"] / 1024, 1)
        high_mb = round(high["peak_rss_kb"] / 1024, 1)
        figures += [
            Figure(f"{engine_name}.import_peak_rss_{small}_rows", low_mb, "MB"),
            Figure(
                f"{engine_name}.import_peak_rss_{big}_rows",
                high_mb,
                "MB",
                low_mb,
                round(high_mb / low_mb, 3),
            ),
            Figure(
                f"{engine_name}.import_rate_{small}_rows",
                round(small / low["seconds"], 1),
                "rows/s",
            ),
            Figure(
                f"{engine_name}.import_rate_{big}_rows",
                round(big / high["seconds"], 1),
                "rows/s",
            ),
        ]
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]))))
    else:
        from dataclasses import asdict

        print(json.dumps([asdict(f) for f in run()], indent=2))
