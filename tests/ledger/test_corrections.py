"""Correcting a pending entry before approval: re-validated, limits re-checked, the
pending counters moved by the difference, the audit log keeps before and after, and
nothing is written when a rule is broken."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import CoordinatorFactory, MembershipFactory, bank_today
from timebank.ledger import errors
from timebank.ledger.banks import update_policy
from timebank.ledger.corrections import correct_pending_transfer
from timebank.ledger.models import Account, AuditEntry, Category, Transfer, TransferStatus
from timebank.ledger.transfers import (
    approve_transfer,
    confirm_transfer,
    record_transfer,
    reject_transfer,
)
from timebank.ledger.verify import verify_ledger

TODAY = bank_today()


def pending(session, alice, bob, minutes=60, **kw):
    """Alice records that she gave ``minutes`` to Bob: waiting for Bob and a coordinator."""
    return record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=minutes,
        service_date=kw.pop("service_date", TODAY),
        **kw,
    )


def counters(session, *memberships):
    session.expire_all()
    return [
        (a.posted_credits, a.posted_debits, a.pending_credits, a.pending_debits)
        for a in (session.get(Account, m.account.id) for m in memberships)
    ]


def audit_count(session):
    return session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def test_correcting_the_time_moves_the_pending_counters_and_the_audit_keeps_both(
    session, alice, bob, coordinator
):
    transfer = pending(session, alice, bob, 60, category="gardening", description="Weeding")
    correct_pending_transfer(
        session,
        actor=coordinator,
        transfer_id=transfer.id,
        minutes=90,
        description="Weeding and mowing",
        reason="Bob said it took an hour and a half",
    )
    session.commit()
    assert counters(session, alice, bob) == [(0, 0, 90, 0), (0, 0, 0, 90)]
    transfer = session.get(Transfer, transfer.id)
    assert (transfer.minutes, transfer.description, transfer.status) == (
        90,
        "Weeding and mowing",
        TransferStatus.PENDING,
    )
    entry = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "transfer.corrected")
    ).one()
    before, after = json.loads(entry.before), json.loads(entry.after)
    assert (before["minutes"], after["minutes"]) == (60, 90)
    assert (before["description"], after["description"]) == ("Weeding", "Weeding and mowing")
    assert after["correction_reason"] == "Bob said it took an hour and a half"
    assert entry.actor_id == coordinator.id and entry.entity_id == transfer.id
    assert verify_ledger(session) == []

    # Approved afterwards, it posts the corrected amount.
    confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    approve_transfer(session, actor=coordinator, transfer_id=transfer.id)
    session.commit()
    assert counters(session, alice, bob) == [(90, 0, 0, 0), (0, 90, 0, 0)]
    assert verify_ledger(session) == []


def test_a_smaller_amount_releases_pending_time(session, alice, bob, coordinator):
    transfer = pending(session, alice, bob, 120)
    correct_pending_transfer(
        session, actor=coordinator, transfer_id=transfer.id, minutes=30, reason="Half an hour"
    )
    session.commit()
    assert counters(session, alice, bob) == [(0, 0, 30, 0), (0, 0, 0, 30)]
    assert verify_ledger(session) == []


def test_date_and_category_are_changed_and_checked(session, bank, alice, bob, coordinator):
    transfer = pending(session, alice, bob, 60, category="gardening")
    correct_pending_transfer(
        session,
        actor=coordinator,
        transfer_id=transfer.id,
        service_date=TODAY - timedelta(days=3),
        category="",
        reason="It was last week, and not gardening",
    )
    session.commit()
    transfer = session.get(Transfer, transfer.id)
    assert transfer.service_date == TODAY - timedelta(days=3) and transfer.category_id is None
    slug = session.scalar(sa.select(Category.slug).where(Category.time_bank_id == bank.id).limit(1))
    correct_pending_transfer(
        session, actor=coordinator, transfer_id=transfer.id, category=slug, reason="Category"
    )
    session.commit()
    assert session.get(Transfer, transfer.id).category.slug == slug


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"minutes": 10}, errors.InvalidAmountError, "minutes"),
        ({"minutes": 13 * 60}, errors.AmountTooLargeError, "minutes"),
        ({"minutes": 0}, errors.InvalidAmountError, "minutes"),
        ({"service_date": TODAY + timedelta(days=1)}, errors.DateInFutureError, "service_date"),
        ({"service_date": TODAY - timedelta(days=91)}, errors.DateTooOldError, "service_date"),
        ({"category": "astrology"}, errors.UnknownCategoryError, "category"),
        ({"description": "x" * 2001}, errors.InvalidTransferError, "description"),
        ({"minutes": 60, "reason": "  "}, errors.MissingReasonError, "reason"),
        ({"minutes": 60, "description": "Weeding"}, errors.InvalidTransferError, None),
    ],
)
def test_bad_corrections_are_refused_and_nothing_is_written(
    session, alice, bob, coordinator, changes, error, field
):
    transfer = pending(session, alice, bob, 60, description="Weeding")
    session.commit()
    before_counters, before_audit = counters(session, alice, bob), audit_count(session)
    kwargs = {"reason": "A correction", **changes}
    with pytest.raises(error) as raised:
        correct_pending_transfer(session, actor=coordinator, transfer_id=transfer.id, **kwargs)
    session.rollback()
    assert raised.value.field == field
    assert counters(session, alice, bob) == before_counters
    assert audit_count(session) == before_audit
    transfer = session.get(Transfer, transfer.id)
    assert (transfer.minutes, transfer.description) == (60, "Weeding")


def test_a_larger_amount_is_checked_against_the_floor_and_the_cap(
    session, bank, alice, bob, coordinator
):
    # Bob may go down to -2 h: 1 h pending, so at most 1 h more.
    transfer = pending(session, alice, bob, 60)
    session.commit()
    before_audit = audit_count(session)
    with pytest.raises(errors.BelowFloorError) as raised:
        correct_pending_transfer(
            session, actor=coordinator, transfer_id=transfer.id, minutes=135, reason="More"
        )
    session.rollback()
    assert raised.value.field == "minutes"
    assert counters(session, alice, bob) == [(0, 0, 60, 0), (0, 0, 0, 60)]
    assert audit_count(session) == before_audit
    correct_pending_transfer(
        session, actor=coordinator, transfer_id=transfer.id, minutes=120, reason="At the floor"
    )
    session.commit()

    # The cap (10 h) for the giver: Alice already has 2 h pending.
    update_policy(session, actor=None, bank=bank, floor_minutes=None, cap_minutes=180)
    session.commit()
    with pytest.raises(errors.AboveCapError):
        correct_pending_transfer(
            session, actor=coordinator, transfer_id=transfer.id, minutes=195, reason="More"
        )
    session.rollback()
    assert counters(session, alice, bob) == [(0, 0, 120, 0), (0, 0, 0, 120)]


def test_only_a_coordinator_of_the_bank_corrects(session, alice, bob):
    transfer = pending(session, alice, bob, 60)
    with pytest.raises(errors.NotAllowedError):
        correct_pending_transfer(
            session, actor=alice, transfer_id=transfer.id, minutes=90, reason="Mine"
        )
    with pytest.raises(errors.NotFoundError):
        correct_pending_transfer(
            session, actor=CoordinatorFactory(), transfer_id=transfer.id, minutes=90, reason="x"
        )
    with pytest.raises(errors.NotFoundError):
        correct_pending_transfer(session, actor=alice, transfer_id=999_999, minutes=90, reason="x")


def test_posted_and_rejected_entries_are_never_corrected(session, alice, bob, coordinator):
    transfer = pending(session, alice, bob, 60)
    confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    approve_transfer(session, actor=coordinator, transfer_id=transfer.id)
    other = pending(session, alice, bob, 30)
    reject_transfer(session, actor=coordinator, transfer_id=other.id, reason="Duplicate")
    session.commit()
    with pytest.raises(errors.AlreadyResolvedError, match="already posted"):
        correct_pending_transfer(
            session, actor=coordinator, transfer_id=transfer.id, minutes=90, reason="x"
        )
    with pytest.raises(errors.AlreadyResolvedError, match="already rejected"):
        correct_pending_transfer(
            session, actor=coordinator, transfer_id=other.id, minutes=45, reason="x"
        )
    session.rollback()
    assert session.get(Transfer, transfer.id).minutes == 60
    assert verify_ledger(session) == []


@pytest.mark.postgres_only
def test_a_correction_racing_an_approval_never_leaves_counters_wrong(session, bank, coordinator):
    """Several rounds of a correction and an approval of the same entry at the same
    moment: either the correction comes first and the corrected time is approved (and
    waits for the other person to confirm the new time), or the approval comes first
    and the correction is refused. The ledger always verifies."""
    from tests.ledger.test_concurrency import _race
    from timebank.ledger.database import run_in_transaction
    from timebank.ledger.models import Membership

    update_policy(session, actor=None, bank=bank, floor_minutes=None, cap_minutes=None)
    second = CoordinatorFactory(bank=bank)
    alice, bob = MembershipFactory(bank=bank), MembershipFactory(bank=bank)
    session.commit()
    coordinator_ids = [coordinator.id, second.id]
    seen = set()
    for _ in range(6):
        transfer_id = pending(session, alice, bob, 30).id
        confirm_transfer(session, actor=bob, transfer_id=transfer_id)
        session.commit()

        def prepare(s, index):
            return index, s.get(Membership, coordinator_ids[index])

        def act(s, prepared, transfer_id=transfer_id):
            index, actor = prepared
            if index == 0:
                return run_in_transaction(
                    s,
                    lambda: (
                        correct_pending_transfer(
                            s, actor=actor, transfer_id=transfer_id, minutes=45, reason="Longer"
                        ).minutes
                    ),
                )
            return run_in_transaction(
                s,
                lambda: [
                    t.minutes for t in approve_transfer(s, actor=actor, transfer_id=transfer_id)
                ],
            )

        corrected, approved = _race(2, prepare, act)
        session.expire_all()
        final = session.get(Transfer, transfer_id)
        if isinstance(corrected, errors.AlreadyResolvedError):
            assert approved == [30] and final.minutes == 30
            assert final.status == TransferStatus.POSTED
            seen.add("approval first")
        else:
            # Approved at the corrected time, now waiting for Bob to confirm 45 min.
            assert corrected == 45 and approved == [45] and final.minutes == 45
            assert final.status == TransferStatus.PENDING and final.confirmed_at is None
            seen.add("correction first")
        assert verify_ledger(session) == []
    assert seen  # at least one ordering happened; both are correct


def test_a_confirmed_entry_whose_time_changes_must_be_confirmed_again(
    session, alice, bob, coordinator
):
    transfer = pending(session, alice, bob, 120)
    confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    correct_pending_transfer(
        session, actor=coordinator, transfer_id=transfer.id, minutes=60, reason="One hour"
    )
    assert transfer.confirmed_at is None and transfer.confirmed_by_id is None
    approve_transfer(session, actor=coordinator, transfer_id=transfer.id)
    assert transfer.status == TransferStatus.PENDING  # waits for Bob to confirm 1 h
    confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    assert transfer.status == TransferStatus.POSTED
    assert bob.account.balance == -60


def test_a_description_fix_keeps_the_confirmation(session, alice, bob, coordinator):
    transfer = pending(session, alice, bob, 60)
    confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    correct_pending_transfer(
        session,
        actor=coordinator,
        transfer_id=transfer.id,
        description="Shopping",
        reason="Typo",
    )
    assert transfer.confirmed_by_id == bob.id
