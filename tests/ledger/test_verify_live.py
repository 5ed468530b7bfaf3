"""``verify`` and the audit page's chain check on a live PostgreSQL database: with
writers committing all the while, neither may report a problem that is not there.

Each check reads from one REPEATABLE READ snapshot. At READ COMMITTED every statement
saw a newer moment (the transfer sums, then counters that already included later
transfers; the chain head, then a log that had grown), and some runs reported a balance
mismatch or a chain head behind the log on a perfectly consistent ledger."""

from __future__ import annotations

import random
import threading
import time

import pytest
from sqlalchemy.orm import Session

from tests.factories import MembershipFactory, TimeBankFactory
from timebank.extensions import db
from timebank.ledger.clock import today_in
from timebank.ledger.database import run_in_transaction
from timebank.ledger.models import Membership
from timebank.ledger.transfers import record_transfer
from timebank.ledger.verify import verify_ledger
from timebank.reports.audit_chain_check import verify_chain

WRITERS = 3
SECONDS = 3.0


@pytest.mark.postgres_only
def test_verify_and_the_chain_check_see_no_false_problem_while_writers_commit(session):
    bank = TimeBankFactory(
        floor_minutes=None, cap_minutes=None, requires_confirmation=False, requires_approval=False
    )
    members = [MembershipFactory(bank=bank) for _ in range(6)]
    bank_id, member_ids, today = bank.id, [m.id for m in members], today_in(bank.timezone)
    session.commit()

    engine = db.engine
    stop = threading.Event()
    written = [0] * WRITERS
    failures: list[BaseException] = []

    def write(index: int) -> None:
        rng = random.Random(index)
        with Session(bind=engine) as s:
            try:
                while not stop.is_set():
                    giver_id, receiver_id = rng.sample(member_ids, 2)

                    def work(giver_id=giver_id, receiver_id=receiver_id):
                        giver = s.get(Membership, giver_id)
                        receiver = s.get(Membership, receiver_id)
                        return record_transfer(
                            s,
                            actor=giver,
                            giver=giver.account,
                            receiver=receiver.account,
                            minutes=15,
                            service_date=today,
                        )

                    run_in_transaction(s, work)
                    written[index] += 1
            except BaseException as error:
                failures.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    runs, problems = 0, []
    try:
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            with Session(bind=db.engine) as reader:
                problems += [str(p) for p in verify_ledger(reader)]
            with Session(bind=db.engine) as reader:
                problems += verify_chain(reader, bank_id).problems
            runs += 1
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not failures, failures
    assert runs >= 10 and sum(written) >= 50, (runs, written)
    assert problems == [], f"{len(problems)} false alarms in {runs} runs: {problems[:3]}"
    session.expire_all()
    assert verify_ledger(session) == []
