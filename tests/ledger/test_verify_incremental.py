"""Verification from the last checkpoint: silent on what the services wrote since,
naming what was tampered with since (a counter, an audit entry, a transfer, a deleted
checkpoint entry), and reading only what is new."""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests.factories import CoordinatorFactory, MembershipFactory, bank_today
from tests.ledger.test_verify import audit_rows, history, tamper
from timebank.ledger.models import Account, AuditEntry, VerifyCheckpoint
from timebank.ledger.transfers import approve_transfer, confirm_transfer, record_transfer
from timebank.ledger.verify import verify_ledger
from timebank.ledger.verify_incremental import verify_since_checkpoint

TODAY = bank_today()


def checked(session, bank_id=None):
    problems = verify_since_checkpoint(session, bank_id)
    session.commit()
    return problems


def more(session, ledger):
    """What the services write after a checkpoint: a new member and an entry with them,
    recorded and confirmed."""
    bank = ledger["bank"]
    alice = ledger["alice"]
    dan = MembershipFactory(bank=bank)
    new = record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=dan.account,
        minutes=30,
        service_date=TODAY,
    )
    confirm_transfer(session, actor=dan, transfer_id=new.id)
    session.commit()
    return new


def test_a_checkpoint_is_kept_and_moves_on(session):
    ledger = history(session)
    other = history(session)
    assert checked(session) == []
    first = {c.time_bank_id: c.last_seq for c in session.scalars(sa.select(VerifyCheckpoint))}
    assert set(first) == {ledger["bank"].id, other["bank"].id}
    more(session, ledger)
    assert checked(session) == []
    session.expire_all()
    second = {c.time_bank_id: c.last_seq for c in session.scalars(sa.select(VerifyCheckpoint))}
    assert second[ledger["bank"].id] > first[ledger["bank"].id]
    assert second[other["bank"].id] == first[other["bank"].id]
    assert checked(session) == []  # nothing new: still clean


def test_pending_entries_posted_since_the_checkpoint_are_accounted(session):
    ledger = history(session)
    bank = ledger["bank"]
    # An entry pending at the checkpoint...
    waiting = record_transfer(
        session,
        actor=ledger["alice"],
        giver=ledger["alice"].account,
        receiver=ledger["bob"].account,
        minutes=45,
        service_date=TODAY,
    )
    session.commit()
    assert checked(session, bank.id) == []
    # ... confirmed and approved after it.
    coordinator = CoordinatorFactory(bank=bank)
    confirm_transfer(session, actor=ledger["bob"], transfer_id=waiting.id)
    approve_transfer(session, actor=coordinator, transfer_id=waiting.id)
    session.commit()
    assert checked(session, bank.id) == []


def test_a_counter_tampered_since_the_checkpoint_is_named(session):
    ledger = history(session)
    assert checked(session) == []
    new = more(session, ledger)
    account_id = new.credit_account_id
    session.execute(
        sa.update(Account)
        .where(Account.id == account_id)
        .values(pending_credits=Account.pending_credits + 15)
    )
    session.commit()
    problems = checked(session)
    assert [(p.kind, p.account_id) for p in problems] == [("balance_mismatch", account_id)]
    assert "pending credits" in problems[0].message
    # Not clean, so the checkpoint stayed: the next run finds it again.
    assert [p.kind for p in checked(session)] == ["balance_mismatch"]


def test_a_posted_balance_tampered_anywhere_breaks_the_sum(session):
    ledger = history(session)
    assert checked(session) == []
    session.execute(
        sa.update(Account)
        .where(Account.id == ledger["bob"].account.id)
        .values(posted_debits=Account.posted_debits + 30)
    )
    session.commit()
    assert [p.kind for p in checked(session)] == ["bank_not_zero"]


def test_an_audit_entry_forged_since_the_checkpoint_is_named(session):
    ledger = history(session)
    assert checked(session) == []
    more(session, ledger)
    target = audit_rows(session, ledger["bank"].id)[-1]
    after = json.loads(target.after)
    forged = json.dumps({**after, "minutes": 720}, sort_keys=True, separators=(",", ":"))
    tamper(
        session,
        "audit_entry",
        "UPDATE audit_entry SET after = :after WHERE id = :id",
        after=forged,
        id=target.id,
    )
    problems = checked(session)
    assert ("audit_chain", target.id) in {(p.kind, p.audit_entry_id) for p in problems}
    assert any("altered" in p.message for p in problems)


def test_a_transfer_changed_since_the_checkpoint_is_named(session):
    ledger = history(session)
    assert checked(session) == []
    new = more(session, ledger)
    tamper(session, "transfer", "UPDATE transfer SET minutes = 600 WHERE id = :id", id=new.id)
    problems = checked(session)
    assert ("transfer_not_as_audited", new.id) in {(p.kind, p.transfer_id) for p in problems}


def test_the_checkpoint_entry_deleted_is_found(session):
    ledger = history(session)
    bank_id = ledger["bank"].id
    assert checked(session) == []
    last = audit_rows(session, bank_id)[-1]
    more(session, ledger)
    tamper(session, "audit_entry", "DELETE FROM audit_entry WHERE id = :id", id=last.id)
    problems = checked(session)
    assert any(p.kind == "audit_chain" and "last verified" in p.message for p in problems)


def test_only_what_is_new_is_read(session):
    """An entry older than the checkpoint, tampered with, is not read again (the
    full verify is for that): the check starts at the checkpoint."""
    ledger = history(session)
    bank_id = ledger["bank"].id
    assert checked(session) == []
    first = audit_rows(session, bank_id)[0]
    tamper(
        session,
        "audit_entry",
        "UPDATE audit_entry SET action = 'forged' WHERE id = :id",
        id=first.id,
    )
    assert checked(session) == []
    assert [p.audit_entry_id for p in verify_ledger(session)] == [first.id]
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) > 0
