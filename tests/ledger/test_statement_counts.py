"""How many SQL statements each step of an exchange costs, inside its transaction.

Not a timing: a guard on the shape of the hot path, which the ledger_write benchmark
measures. Each step starts from committed, expired objects (as a new request would)
and the count covers everything the service itself sends: the checks, the row locks,
the writes and the hash-chained audit entry (lock the chain head, then insert the entry
and advance the head: one statement on PostgreSQL, two on SQLite)."""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa

from tests.factories import CoordinatorFactory, MembershipFactory, TimeBankFactory, bank_today
from timebank.extensions import db
from timebank.ledger.group import record_group_exchange
from timebank.ledger.models import TransferStatus
from timebank.ledger.transfers import approve_transfer, confirm_transfer, record_transfer


def audit_statements() -> int:
    return 2 if db.engine.dialect.name == "postgresql" else 3


@contextmanager
def counting():
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def _world(session, **policy):
    bank = TimeBankFactory(floor_minutes=-600, **policy)
    alice, bob = MembershipFactory(bank=bank), MembershipFactory(bank=bank)
    coordinator = CoordinatorFactory(bank=bank)
    session.commit()
    # What a request would have loaded before calling the service.
    for member in (alice, bob, coordinator):
        _ = member.status, member.account.id
    return alice, bob, coordinator


def alice_gives_bob_an_hour(session, alice, bob):
    return record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=60,
        service_date=bank_today(),
    )


def test_an_exchange_that_posts_at_once(session):
    alice, bob, _ = _world(session, requires_confirmation=False, requires_approval=False)
    with counting() as statements:
        transfer = alice_gives_bob_an_hour(session, alice, bob)
    assert transfer.status == TransferStatus.POSTED
    # lock both accounts (the bank's policy read with them), lock their holders'
    # memberships (the status checked is the locked one), both counters in one UPDATE,
    # the transfer.
    assert len(statements) <= 4 + audit_statements(), statements


def test_record_confirm_approve(session):
    alice, bob, coordinator = _world(session, requires_confirmation=True, requires_approval=True)
    transfer = alice_gives_bob_an_hour(session, alice, bob)
    session.commit()
    transfer_id = transfer.id
    _ = bob.status, bob.account.id

    with counting() as statements:
        confirm_transfer(session, actor=bob, transfer_id=transfer_id)
    # lock the transfer (the bank's policy read with it), the confirmation.
    assert len(statements) <= 2 + audit_statements(), statements
    session.commit()
    _ = coordinator.status, coordinator.account.id

    with counting() as statements:
        [approved] = approve_transfer(session, actor=coordinator, transfer_id=transfer_id)
    assert approved.status == TransferStatus.POSTED
    # lock the transfer (and its group and the bank's policy, same statement), lock
    # both accounts, lock their holders' memberships, both counters in one UPDATE, one
    # update of the transfer.
    assert len(statements) <= 5 + audit_statements(), statements


def test_a_group_exchange_writes_every_account_in_one_update(session):
    bank = TimeBankFactory(floor_minutes=-600, requires_confirmation=False, requires_approval=False)
    coordinator = CoordinatorFactory(bank=bank)
    tutor, *learners = [MembershipFactory(bank=bank) for _ in range(6)]
    session.commit()
    for member in (coordinator, tutor, *learners):
        _ = member.status, member.account.id

    with counting() as statements:
        transfers = record_group_exchange(
            session,
            actor=coordinator,
            hub=tutor.account,
            hub_gives=True,
            participants=[(learner.account, 60) for learner in learners],
            service_date=bank_today(),
        )
    assert [t.status for t in transfers] == [TransferStatus.POSTED] * len(learners)
    # Six accounts' counters move: one UPDATE of them all (the unit of work sent two, one per
    # set of changed columns).
    account_updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE ACCOUNT")]
    assert len(account_updates) == 1, account_updates
    session.commit()
    session.expire_all()
    assert tutor.account.posted_credits == 60 * len(learners)
    assert [learner.account.posted_debits for learner in learners] == [60] * len(learners)


@contextmanager
def compiled_each_time():
    """The statements sent whose compiled form SQLAlchemy could not cache (compiled again
    at every execution) or rewrites at every execution (an expanding ``IN``, whose
    placeholders are made for the values each time)."""
    uncached: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        compiled = context.compiled
        if compiled is not None and (
            context.cache_hit in (compiled.dialect.NO_CACHE_KEY, compiled.dialect.CACHING_DISABLED)
            or compiled.post_compile_params
        ):
            uncached.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield uncached
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)


def test_every_statement_of_an_exchange_is_compiled_once(session):
    alice, bob, coordinator = _world(session, requires_confirmation=True, requires_approval=True)
    for _round in range(2):  # the first round compiles what the second must find cached
        with compiled_each_time() as uncached:
            transfer_id = alice_gives_bob_an_hour(session, alice, bob).id
            session.commit()
            confirm_transfer(session, actor=bob, transfer_id=transfer_id)
            session.commit()
            [approved] = approve_transfer(session, actor=coordinator, transfer_id=transfer_id)
            session.commit()
        assert approved.status == TransferStatus.POSTED
    assert uncached == []
