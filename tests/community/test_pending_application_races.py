"""Applications waiting for their address to be confirmed, under concurrency
(PostgreSQL): one link opened in several tabs at once makes one person and one
application; several submissions for one address at once leave one waiting
application, and nobody a server error."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from tests.factories import TimeBankFactory
from timebank.community.pending_applications import (
    PendingApplication,
    PendingLinkError,
    confirm_application,
    hold_application,
)
from timebank.extensions import db
from timebank.ledger.database import run_in_transaction
from timebank.ledger.models import Membership, Person, TimeBank

pytestmark = [pytest.mark.postgres_only, pytest.mark.both_engines, pytest.mark.slow]

EMAIL = "nina@example.org"
TRIES = 4


def _all_at_once(work) -> list[object]:
    """Run ``work(session, index)`` in TRIES threads released together; each outcome
    (a result, or the exception raised)."""
    make_session = sessionmaker(bind=db.engine)
    barrier = threading.Barrier(TRIES)
    outcomes: list[object] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        with make_session() as s:
            barrier.wait(timeout=30)
            try:
                result: object = run_in_transaction(s, lambda: work(s, index))
            except Exception as error:  # the outcome is checked
                result = error
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(TRIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _hold(session, bank_id: int, name: str = "Nina") -> str:
    _, token = hold_application(
        session,
        bank=session.get_one(TimeBank, bank_id),
        email=EMAIL,
        display_name=name,
        password_hash="$argon2id$not-checked-here",
    )
    return token


def test_one_link_confirmed_in_several_tabs_at_once_makes_one_person(session):
    bank = TimeBankFactory()
    session.commit()
    token = run_in_transaction(session, lambda: _hold(session, bank.id))

    outcomes = _all_at_once(lambda s, _i: confirm_application(s, token=token).id)

    made = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, PendingLinkError)]
    assert len(made) == 1 and len(refused) == TRIES - 1, outcomes
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Person)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(PendingApplication)) == 0


def test_several_submissions_for_one_address_at_once_leave_one_waiting(session):
    bank = TimeBankFactory()
    session.commit()
    bank_id = bank.id

    outcomes = _all_at_once(lambda s, i: _hold(s, bank_id, name=f"Nina {i}"))

    assert all(isinstance(o, str) for o in outcomes), outcomes
    session.expire_all()
    [waiting] = session.scalars(sa.select(PendingApplication)).all()
    assert waiting.email == EMAIL
