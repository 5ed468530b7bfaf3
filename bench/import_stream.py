"""import_stream: a CSV import of past exchanges runs in constant memory.

For each engine (SQLite as the app runs it, PostgreSQL in a schema of its own), two
files of BENCH_IMPORT_SMALL (default 100,000) and BENCH_IMPORT_BIG (default 1,000,000)
rows between 1,000 members are imported with ``timebank.importing.import_file`` (one
transaction, batches of 5,000, every row keyed against the rows already imported,
verify_ledger at the end), in two layouts: TimeOverflow's admin layout after a members
import (``import_*``), and TimeOverflow's two reports, members and transfers together,
with every balance checked (``reports_import_*``). Each import runs in a fresh child
process, so its peak resident memory (``getrusage(RUSAGE_SELF).ru_maxrss``) is its own.

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
from datetime import UTC, datetime, timedelta
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


def _write_reports(folder: Path, rows: int) -> tuple[Path, Path]:
    """TimeOverflow's members and transfers reports (English headers), ``rows``
    transfers newest first, with the balances they add up to."""
    rng = random.Random(rows)
    balances = [0] * MEMBERS
    start = datetime(2015, 1, 1, tzinfo=UTC)
    transfers = folder / "transfers-report.csv"
    with open(transfers, "w", encoding="utf-8") as handle:
        handle.write("Date,From,To,Post,Quantity\n")
        for i in range(rows):
            source = rng.randrange(MEMBERS)
            destination = (source + 1 + rng.randrange(MEMBERS - 1)) % MEMBERS
            minutes = 15 * (1 + rng.randrange(16))
            balances[source] -= minutes * 60
            balances[destination] += minutes * 60
            moment = start + timedelta(minutes=rows - i)  # newest first, as TimeOverflow
            handle.write(
                f"{moment:%Y-%m-%d %H:%M:%S} UTC,Member {source} ({source + 1}),"
                f"Member {destination} ({destination + 1}),Exchange {i},"
                f"{minutes // 60}:{minutes % 60:02d}\n"
            )
    members = folder / "members-report.csv"
    with open(members, "w", encoding="utf-8") as handle:
        handle.write("N,Name,Email,Phone,Alternative Phone,Created,Last login,Locale,Balance\n")
        for k in range(MEMBERS):
            handle.write(
                f"{k + 1},Member {k},member{k}@example.org,,,2014-06-01 10:00:00 UTC,"
                f'"",es,{balances[k]}\n'
            )
    return members, transfers


def child(engine_name: str, rows: int, layout_name: str = "timeoverflow-transfers") -> dict:
    """Runs in its own process: set up a bank, import ``rows`` transfers, report."""
    from timebank.community import people
    from timebank.importing import Layout, file_sha256, import_file
    from timebank.importing.checking import reports_sha256
    from timebank.ledger import banks
    from timebank.ledger.models import Role

    layout = Layout(layout_name)
    database = sqlite_database if engine_name == "sqlite" else postgresql_database
    with tempfile.TemporaryDirectory(prefix="timebank-import-bench-") as folder:
        members_csv = Path(folder) / "members.csv"
        transfers_csv = Path(folder) / "transfers.csv"
        _write_members(members_csv)
        if layout == Layout.TIMEOVERFLOW_REPORTS:
            members_report, transfers_csv = _write_reports(Path(folder), rows)
        else:
            _write_transfers(transfers_csv, rows)
        with database() as engine, sessionmaker(bind=engine)() as session:
            bank = banks.create_time_bank(session, name="Bench import", slug="bench-import")
            person = people.create_person(
                session, email="coord@example.org", display_name="Coordinator"
            )
            actor = banks.add_membership(
                session, actor=None, bank=bank, person=person, role=Role.COORDINATOR
            )
            session.commit()
            options = {}
            if layout == Layout.TIMEOVERFLOW_REPORTS:
                # The members come with the transfers, from TimeOverflow's members report.
                options["members_path"] = members_report
                sha = reports_sha256(members_report, transfers_csv)
            else:
                import_file(
                    session,
                    actor=actor,
                    path=members_csv,
                    layout=Layout.MEMBERS,
                    sha256=file_sha256(members_csv),
                )
                session.commit()
                sha = file_sha256(transfers_csv)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            start = time.perf_counter()
            outcome = import_file(
                session, actor=actor, path=transfers_csv, layout=layout, sha256=sha, **options
            )
            session.commit()
            seconds = time.perf_counter() - start
            if outcome.transfers != rows:
                raise AssertionError(f"imported {outcome.transfers} of {rows} rows")
            if outcome.balance_difference_count:
                raise AssertionError(f"{outcome.balance_difference_count} balances differ")
    return {
        "rows": rows,
        "seconds": seconds,
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "rss_before_import_kb": rss_before,
    }


def _measure(engine_name: str, rows: int, layout: str = "timeoverflow-transfers") -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.import_stream", "--child", engine_name, str(rows), layout],
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
    layouts = (("timeoverflow-transfers", "import"), ("timeoverflow-reports", "reports_import"))
    for engine_name in ("sqlite", "postgresql"):
        for layout, name in layouts:
            low = _measure(engine_name, small, layout)
            high = _measure(engine_name, big, layout)
            low_mb = round(low["peak_rss_kb"] / 1024, 1)
            high_mb = round(high["peak_rss_kb"] / 1024, 1)
            figures += [
                Figure(f"{engine_name}.{name}_peak_rss_{small}_rows", low_mb, "MB"),
                Figure(
                    f"{engine_name}.{name}_peak_rss_{big}_rows",
                    high_mb,
                    "MB",
                    low_mb,
                    round(high_mb / low_mb, 3),
                ),
                Figure(
                    f"{engine_name}.{name}_rate_{small}_rows",
                    round(small / low["seconds"], 1),
                    "rows/s",
                ),
                Figure(
                    f"{engine_name}.{name}_rate_{big}_rows",
                    round(big / high["seconds"], 1),
                    "rows/s",
                ),
            ]
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]), sys.argv[4])))
    else:
        from dataclasses import asdict

        print(json.dumps([asdict(f) for f in run()], indent=2))
