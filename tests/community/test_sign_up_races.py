"""Two people signing up with the same email address at the same instant (PostgreSQL,
where both can pass the "is this address taken?" check before either commits): the
second is told the address is taken, at the email field, exactly as if they had come a
moment later. Nothing is half-written and nothing fails with a server error."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from tests.factories import TimeBankFactory
from timebank.community.people import create_person
from timebank.extensions import db
from timebank.ledger import errors
from timebank.ledger.banks import add_membership
from timebank.ledger.database import run_in_transaction
from timebank.ledger.models import Membership, MembershipStatus, Person, TimeBank

pytestmark = [pytest.mark.postgres_only, pytest.mark.both_engines, pytest.mark.slow]

EMAIL = "same@example.org"


def _people_with(session, email: str) -> int:
    session.expire_all()
    return session.scalar(
        sa.select(sa.func.count()).select_from(Person).where(Person.email == email)
    )


def _waiting_on_a_lock(session, blocker: int) -> int:
    """How many sessions wait on a lock held by ``blocker`` (a backend pid): only this
    test's, whatever other tests in other schemas of the database are doing.

    Each look ends its transaction: PostgreSQL reads pg_stat_activity once per
    transaction, so a watcher that kept one open would see the backends of its first
    look for ever. (On a loaded machine the first look could come before the second
    sign-up had connected, and the test waited ten seconds for nothing.)"""
    waiting = session.scalar(
        sa.text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND :blocker = ANY(pg_blocking_pids(pid))"
        ),
        {"blocker": blocker},
    )
    session.rollback()
    return waiting


def test_the_second_of_two_simultaneous_sign_ups_is_told_the_address_is_taken(session):
    make_session = sessionmaker(bind=db.engine)
    first = make_session()
    outcome: list[object] = []

    def second_sign_up() -> None:
        with make_session() as s:
            try:
                outcome.append(
                    run_in_transaction(
                        s, lambda: create_person(s, email=EMAIL, display_name="Second").id
                    )
                )
            except errors.LedgerError as refusal:
                outcome.append(refusal)

    # The first sign-up has written its row but not committed, so the second passes
    # the "already taken?" check and then waits on the unique index.
    create_person(first, email=EMAIL, display_name="First")
    first.flush()
    blocker = first.scalar(sa.text("SELECT pg_backend_pid()"))
    thread = threading.Thread(target=second_sign_up)
    thread.start()
    deadline = time.monotonic() + 10
    try:
        with make_session() as watcher:
            while _waiting_on_a_lock(watcher, blocker) == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            waiting = _waiting_on_a_lock(watcher, blocker)
    except BaseException:
        first.rollback()  # never leave the second sign-up (and the schema's reset) waiting
        raise
    first.commit()
    first.close()
    assert waiting == 1, "the second sign-up never reached the index"
    thread.join(timeout=30)

    [refusal] = outcome
    assert isinstance(refusal, errors.DuplicateError), refusal
    assert refusal.field == "email"
    assert _people_with(session, EMAIL) == 1


def test_eight_simultaneous_applications_with_one_address_make_one_person(session):
    bank = TimeBankFactory()
    session.commit()
    bank_id = bank.id
    make_session = sessionmaker(bind=db.engine)
    barrier = threading.Barrier(8)
    outcomes: list[object] = []
    lock = threading.Lock()

    def apply(index: int) -> None:
        with make_session() as s:

            def work():
                person = create_person(s, email=EMAIL, display_name=f"Applicant {index}")
                add_membership(
                    s,
                    actor=None,
                    bank=s.get(TimeBank, bank_id),
                    person=person,
                    status=MembershipStatus.APPLIED,
                )
                return person.id

            barrier.wait(timeout=30)
            try:
                result: object = run_in_transaction(s, work)
            except errors.LedgerError as refusal:
                result = refusal
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=apply, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    people = [o for o in outcomes if isinstance(o, int)]
    refusals = [o for o in outcomes if isinstance(o, errors.DuplicateError)]
    assert len(people) == 1 and len(refusals) == 7, outcomes
    assert _people_with(session, EMAIL) == 1
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(Membership.time_bank_id == bank_id)
        )
        == 1
    )
