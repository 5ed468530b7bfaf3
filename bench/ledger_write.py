"""ledger_write: transfers recorded through the services against plain SQL.

Three ways of writing N transfers, one transaction per step, sequential, on SQLite (a
file in WAL mode with synchronous=FULL and BEGIN IMMEDIATE, as the app runs it) and on
PostgreSQL (a schema of its own):

- services, "posts at once": ``record_transfer`` in a bank that asks for neither
  confirmation nor approval, through ``run_in_transaction``: one transaction each.
- services, "record + confirm + approve": ``record_transfer``, ``confirm_transfer`` by
  the other person and ``approve_transfer`` by a coordinator: three transactions each.
- baseline, raw SQL: the same rows written with SQLAlchemy Core text statements in one
  transaction per transfer: insert the posted transfer row, add to both accounts'
  counters. No checks, no locks beyond the updates', no audit entry.

ratio = services rate / raw rate. Each way writes BENCH_N transfers (default 2,000) or
stops after BENCH_SECONDS (default 30) if that comes first; the rate is what it managed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bench.common import Figure, env_int, postgresql_database, sqlite_database
from timebank.ledger import banks
from timebank.ledger.clock import today_in
from timebank.ledger.database import run_in_transaction
from timebank.ledger.models import Membership, Role
from timebank.ledger.transfers import approve_transfer, confirm_transfer, record_transfer
from timebank.ledger.verify import verify_ledger

MEMBERS = 50
WARMUP = 25
MINUTES = 60


def _bank(session: Session, slug: str, **policy) -> tuple[int, list[int], int]:
    bank = banks.create_time_bank(session, name=f"Bench {slug}", slug=slug, **policy)
    members = []
    for k in range(MEMBERS):
        person = banks.create_person(
            session, email=f"{slug}-{k}@example.org", display_name=f"Member {k}"
        )
        members.append(banks.add_membership(session, actor=None, bank=bank, person=person).id)
    person = banks.create_person(
        session, email=f"{slug}-coord@example.org", display_name="Coordinator"
    )
    coordinator = banks.add_membership(
        session, actor=None, bank=bank, person=person, role=Role.COORDINATOR
    )
    session.commit()
    return bank.id, members, coordinator.id


class Run:
    """Up to ``count`` transfers starting at number ``offset``, stopping early once
    ``seconds`` have passed; ``done`` and ``seconds`` say how many and how long."""

    def __init__(self, count: int, offset: int, seconds: float) -> None:
        self.count, self.offset, self.limit = count, offset, seconds
        self.done, self.seconds = 0, 0.0

    def pairs(self):
        # Member k gives to member k+1: everyone gives as much as they receive, so
        # balances stay near zero and no limit refuses anything.
        start = time.perf_counter()
        for i in range(self.offset, self.offset + self.count):
            if time.perf_counter() - start > self.limit:
                break
            yield i % MEMBERS, (i + 1) % MEMBERS
            self.done += 1
        self.seconds = time.perf_counter() - start

    @property
    def rate(self) -> float:
        return self.done / self.seconds


def _posts_at_once(session: Session, members: list[int], run: Run) -> Run:
    actors = {m: session.get(Membership, m) for m in members}
    today = today_in("Europe/London")
    for giver, receiver in run.pairs():
        actor, other = actors[members[giver]], actors[members[receiver]]
        run_in_transaction(
            session,
            lambda a=actor, o=other: record_transfer(
                session,
                actor=a,
                giver=a.account,
                receiver=o.account,
                minutes=MINUTES,
                service_date=today,
            ),
        )
    return run


def _record_confirm_approve(
    session: Session, members: list[int], coordinator_id: int, run: Run
) -> Run:
    actors = {m: session.get(Membership, m) for m in members}
    coordinator = session.get(Membership, coordinator_id)
    today = today_in("Europe/London")
    for giver, receiver in run.pairs():
        actor, other = actors[members[giver]], actors[members[receiver]]
        transfer_id = run_in_transaction(
            session,
            lambda a=actor, o=other: (
                record_transfer(
                    session,
                    actor=a,
                    giver=a.account,
                    receiver=o.account,
                    minutes=MINUTES,
                    service_date=today,
                ).id
            ),
        )
        run_in_transaction(
            session,
            lambda o=other, t=transfer_id: confirm_transfer(session, actor=o, transfer_id=t),
        )
        run_in_transaction(
            session,
            lambda t=transfer_id: approve_transfer(session, actor=coordinator, transfer_id=t),
        )
    return run


INSERT = sa.text(
    "INSERT INTO transfer (time_bank_id, debit_account_id, credit_account_id, minutes,"
    " service_date, description, kind, status, needs_confirmation, needs_approval,"
    " recorded_at, posted_at) VALUES (:bank, :debit, :credit, :minutes, :service_date, '',"
    " 'exchange', 'posted', false, false, :now, :now)"
)
ADD_DEBIT = sa.text("UPDATE account SET posted_debits = posted_debits + :minutes WHERE id = :id")
ADD_CREDIT = sa.text("UPDATE account SET posted_credits = posted_credits + :minutes WHERE id = :id")


def _raw(engine: sa.Engine, bank_id: int, account_ids: list[int], run: Run) -> Run:
    today = today_in("Europe/London")
    for giver, receiver in run.pairs():
        debit, credit = account_ids[receiver], account_ids[giver]
        now = datetime.now(UTC).replace(tzinfo=None)
        with engine.begin() as connection:
            connection.execute(
                INSERT,
                {
                    "bank": bank_id,
                    "debit": debit,
                    "credit": credit,
                    "minutes": MINUTES,
                    "service_date": today,
                    "now": now,
                },
            )
            connection.execute(ADD_DEBIT, {"minutes": MINUTES, "id": debit})
            connection.execute(ADD_CREDIT, {"minutes": MINUTES, "id": credit})
    return run


def measure(engine: sa.Engine, label: str, n: int, seconds: float) -> list[Figure]:
    make_session = sessionmaker(bind=engine)
    with make_session() as session:
        at_once = _bank(session, "at-once", requires_confirmation=False, requires_approval=False)
        stepwise = _bank(session, "stepwise", requires_confirmation=True, requires_approval=True)
        raw_bank, raw_members, _ = _bank(session, "raw")
        raw_accounts = [session.get(Membership, m).account.id for m in raw_members]
        session.commit()

        # Raw SQL before and after the services; the baseline is the faster of the two.
        _raw(engine, raw_bank, raw_accounts, Run(WARMUP, 0, seconds))
        raw_first = _raw(engine, raw_bank, raw_accounts, Run(n, WARMUP, seconds))
        _posts_at_once(session, at_once[1], Run(WARMUP, 0, seconds))
        posts = _posts_at_once(session, at_once[1], Run(n, WARMUP, seconds))
        _record_confirm_approve(session, stepwise[1], stepwise[2], Run(WARMUP, 0, seconds))
        steps = _record_confirm_approve(session, stepwise[1], stepwise[2], Run(n, WARMUP, seconds))
        raw_second = _raw(engine, raw_bank, raw_accounts, Run(n, WARMUP + raw_first.done, seconds))

        session.expire_all()
        problems = verify_ledger(session)
        session.rollback()
    if problems:
        raise AssertionError(f"{label}: the benchmark left an inconsistent ledger: {problems[:3]}")

    raw_rate = max(raw_first.rate, raw_second.rate)
    posts_rate, steps_rate = posts.rate, steps.rate
    return [
        Figure(f"{label}.raw_sql", round(raw_rate, 1), "transfers/s"),
        Figure(
            f"{label}.record_posts_at_once",
            round(posts_rate, 1),
            "transfers/s",
            round(raw_rate, 1),
            round(posts_rate / raw_rate, 3),
        ),
        Figure(
            f"{label}.record_confirm_approve",
            round(steps_rate, 1),
            "transfers/s",
            round(raw_rate, 1),
            round(steps_rate / raw_rate, 3),
        ),
    ]


def run() -> list[Figure]:
    n = env_int("BENCH_N", 2000)
    seconds = env_int("BENCH_SECONDS", 30)
    figures: list[Figure] = []
    with sqlite_database() as engine:
        figures += measure(engine, "sqlite", n, seconds)
    with postgresql_database() as engine:
        figures += measure(engine, "postgresql", n, seconds)
    return figures
