"""Confirm, approve and reject act on the entry as the person saw it.

A form carries the entry's version (``entry_version``: its amount, date, category,
description and sides, with its whole group); if a coordinator corrected it in between,
the service refuses with ``EntryChangedError`` and writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import CoordinatorFactory, MembershipFactory, TimeBankFactory, bank_today
from timebank.ledger import errors
from timebank.ledger.corrections import correct_pending_transfer
from timebank.ledger.group import record_group_exchange
from timebank.ledger.models import Transfer, TransferStatus
from timebank.ledger.transfers import (
    approve_transfer,
    confirm_transfer,
    entry_version,
    entry_versions,
    record_transfer,
    reject_transfer,
)

TODAY = bank_today()


@pytest.fixture
def world(session):
    bank = TimeBankFactory(floor_minutes=-600, requires_confirmation=True, requires_approval=True)
    alice, bob = MembershipFactory(bank=bank), MembershipFactory(bank=bank)
    return alice, bob, CoordinatorFactory(bank=bank)


def recorded(session, alice, bob):
    transfer = record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=60,
        service_date=TODAY,
        description="Weeding",
    )
    session.commit()
    return transfer.id


def correct(session, coordinator, transfer_id, **change):
    correct_pending_transfer(
        session, actor=coordinator, transfer_id=transfer_id, reason="Bob says so", **change
    )
    session.commit()


@pytest.mark.parametrize(
    "change",
    [
        {"minutes": 90},
        {"service_date": TODAY - timedelta(days=1)},
        {"description": "Weeding and mowing"},
        {"category": "gardening"},
    ],
    ids=["minutes", "date", "description", "category"],
)
def test_every_correction_changes_the_version(session, world, change):
    alice, bob, coordinator = world
    tid = recorded(session, alice, bob)
    seen = entry_version(session, tid)
    assert entry_version(session, tid) == seen  # reading it changes nothing
    correct(session, coordinator, tid, **change)
    assert entry_version(session, tid) != seen


def test_a_confirmation_of_what_was_seen_before_a_correction_is_refused(session, world):
    alice, bob, coordinator = world
    tid = recorded(session, alice, bob)
    seen = entry_version(session, tid)
    correct(session, coordinator, tid, minutes=90)
    with pytest.raises(errors.EntryChangedError, match="changed after you opened it"):
        confirm_transfer(session, actor=bob, transfer_id=tid, seen_version=seen)
    session.rollback()
    assert session.get(Transfer, tid).confirmed_at is None
    confirm_transfer(session, actor=bob, transfer_id=tid, seen_version=entry_version(session, tid))
    assert session.get(Transfer, tid).confirmed_at is not None


def test_an_approval_or_rejection_of_an_old_version_is_refused(session, world):
    alice, bob, coordinator = world
    tid = recorded(session, alice, bob)
    confirm_transfer(session, actor=bob, transfer_id=tid)
    session.commit()
    seen = entry_version(session, tid)
    correct(session, coordinator, tid, description="Weeding the back garden")
    with pytest.raises(errors.EntryChangedError):
        approve_transfer(session, actor=coordinator, transfer_id=tid, seen_version=seen)
    session.rollback()
    with pytest.raises(errors.EntryChangedError):
        reject_transfer(session, actor=coordinator, transfer_id=tid, reason="No", seen_version=seen)
    session.rollback()
    transfer = session.get(Transfer, tid)
    assert (transfer.status, transfer.approved_at) == (TransferStatus.PENDING, None)
    approve_transfer(
        session, actor=coordinator, transfer_id=tid, seen_version=entry_version(session, tid)
    )
    assert transfer.status == TransferStatus.POSTED


def test_a_group_has_one_version_which_any_of_its_entries_changes(session, world):
    alice, bob, coordinator = world
    carol = MembershipFactory(bank=alice.time_bank)
    batch = record_group_exchange(
        session,
        actor=alice,
        hub=alice.account,
        hub_gives=True,
        participants=[(bob.account, 30), (carol.account, 30)],
        service_date=TODAY,
    )
    session.commit()
    first, second = (t.id for t in batch)
    seen = entry_version(session, first)
    assert entry_version(session, second) == seen
    correct(session, coordinator, second, minutes=45)
    with pytest.raises(errors.EntryChangedError):
        approve_transfer(session, actor=coordinator, transfer_id=first, seen_version=seen)


def test_the_versions_of_a_page_of_entries_take_two_queries(session, world):
    """A page listing entries (the bulk review, the confirm page) reads every entry's
    version at once: each equals ``entry_version`` of that entry, groups included, and
    the query count does not grow with the number of entries."""
    alice, bob, coordinator = world
    carol = MembershipFactory(bank=coordinator.time_bank)
    singles = [recorded(session, alice, bob) for _ in range(3)]
    batch = record_group_exchange(
        session,
        actor=alice,
        hub=alice.account,
        hub_gives=True,
        participants=[(bob.account, 30), (carol.account, 30)],
        service_date=TODAY,
    )
    session.commit()
    ids = singles + [t.id for t in batch]
    session.expunge_all()

    statements: list[str] = []

    def count(conn, cursor, statement, *rest):
        statements.append(statement)

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        versions = entry_versions(session, [*ids, 987_654])
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
    assert versions == {tid: entry_version(session, tid) for tid in ids}
    assert versions[batch[0].id] == versions[batch[1].id] != versions[singles[0]]
