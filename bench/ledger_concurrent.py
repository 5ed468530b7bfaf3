"""ledger_concurrent: 8 writers at once on PostgreSQL, through the services and raw.

Each writer is a process of its own (spawned: its own interpreter, engine and
connection, so Python's GIL is not what is measured), writing transfers that post at
once (``record_transfer`` through ``run_in_transaction``, as ``ledger_write``'s
"posts at once"), one transaction each. Two layouts:

- ``spread``: 8 writers, each in a time bank of its own (8 banks, 8 audit chains);
- ``one_bank``: 8 writers in the same time bank (one audit chain, whose head every
  transaction locks last, so the writers take turns from that lock to their commit).

Each writer moves time around a ring of 6 members of its own, so no two writers lock
the same account: what they share is the server, the machine and (in one bank) the
chain head. The **baseline** is the raw writer of ``ledger_write`` under the same
layout and concurrency (8 processes), with the head locked and read by the UPDATE
that takes the next seq and the entry inserted with the new hash in one statement
(``RawBank(shared_head=True)``): 5 statements per transfer, as in the sequential
baseline. Each baseline runs before and after the services; the better run counts.
The rate is all writers' transfers over the wall time from the moment they all start
(a barrier) to the last one's end.
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bench.common import Figure, env_int, postgresql_database
from bench.ledger_write import RawBank, Run, _bank, _posts_at_once, _ratio
from timebank.ledger.database import configure_engine
from timebank.ledger.verify import verify_ledger

WRITERS = 8
RING = 6  # members per writer


@dataclass(frozen=True)
class Job:
    raw: bool
    bank_id: int
    members: list[int]
    offset: int


def _write(url: str, jobs: list[Job], count: int, seconds: float, barrier, results) -> None:
    """One writer process: for each job in turn, warm up, wait for the others, write,
    report. The same processes serve every measurement (spawning 8 interpreters that
    import the app takes longer than a measurement on a loaded machine)."""
    engine = sa.create_engine(url)
    configure_engine(engine)
    try:
        with Session(engine) as session, engine.connect() as connection:
            for job in jobs:
                if job.raw:
                    raw = RawBank(connection, job.bank_id, job.members, shared_head=True)

                    def go(run: Run, raw: RawBank = raw) -> Run:
                        for giver, receiver in run.pairs():
                            with connection.begin():
                                raw.record(giver, receiver, pending=False)
                        return run

                else:

                    def go(run: Run, members: list[int] = job.members) -> Run:
                        return _posts_at_once(session, members, run)

                go(Run(RING, job.offset, seconds, ring=RING))
                barrier.wait()
                run = go(Run(count, job.offset + RING, seconds, ring=RING))
                results.put((run.done, time.perf_counter()))
    finally:
        engine.dispose()


def _measure_all(
    url: str, plans: list[list[Job]], count: int, seconds: float
) -> list[tuple[int, float]]:
    """Run measurement after measurement; in each, writer k does ``plans[k][i]`` at
    the same moment as the others. (transfers written, seconds from the common start
    to the last writer's end) for each measurement."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(plans) + 1)
    results = context.Queue()
    processes = [
        context.Process(target=_write, args=(url, jobs, count, seconds, barrier, results))
        for jobs in plans
    ]
    for process in processes:
        process.start()
    measured = []
    for _ in plans[0]:
        barrier.wait(timeout=600)
        start = time.perf_counter()
        # perf_counter is the system-wide monotonic clock on Linux: comparable across
        # processes of one machine.
        answers = [results.get(timeout=600) for _ in plans]
        measured.append((sum(done for done, _ in answers), max(end for _, end in answers) - start))
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a writer failed (exit code {process.exitcode})")
    return measured


def measure(engine: sa.Engine, n: int, seconds: float) -> list[Figure]:
    url = engine.url.render_as_string(hide_password=False)
    with sessionmaker(bind=engine)() as session:
        spread = [
            _bank(session, f"spread-{k}", requires_confirmation=False, requires_approval=False)
            for k in range(WRITERS)
        ]
        shared = _bank(session, "one-bank", requires_confirmation=False, requires_approval=False)
    layouts = {
        "spread": [(bank_id, members[:RING]) for bank_id, members, _ in spread],
        "one_bank": [(shared[0], shared[1][k * RING : (k + 1) * RING]) for k in range(WRITERS)],
    }
    # Per layout: raw, services, raw again (the better raw run is the baseline).
    order = [(layout, raw) for layout in layouts for raw in (True, False, True)]
    plans = [
        [
            Job(raw, *layouts[layout][k], offset=i * (n + 2 * RING))
            for i, (layout, raw) in enumerate(order)
        ]
        for k in range(WRITERS)
    ]
    measured = _measure_all(url, plans, n, seconds)
    figures: list[Figure] = []
    for layout in layouts:
        rates = {
            raw: [
                done / took
                for (lay, raw_), (done, took) in zip(order, measured, strict=True)
                if lay == layout and raw_ == raw
            ]
            for raw in (True, False)
        }
        baseline = max(rates[True])
        label = f"postgresql.{WRITERS}_writers_{layout}"
        figures += [
            Figure(f"{label}.raw_sql_posts_at_once", round(baseline, 1), "transfers/s"),
            _ratio(label, "record_posts_at_once", rates[False][0], baseline),
        ]
    with sessionmaker(bind=engine)() as session:
        problems = verify_ledger(session)
    if problems:
        raise AssertionError(f"concurrent writers left an inconsistent ledger: {problems[:3]}")
    return figures


def run() -> list[Figure]:
    n = env_int("BENCH_CONCURRENT_N", 200)
    seconds = env_int("BENCH_SECONDS", 30)
    with postgresql_database() as engine:
        return measure(engine, n, seconds)
