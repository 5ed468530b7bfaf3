"""``verify_ledger`` on a real database: silent on a consistent ledger, and naming the row
when a counter, a transfer or the audit log has been tampered with behind the services'
back."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
    TimeBankFactory,
    bank_today,
)
from timebank.extensions import db
from timebank.ledger import audit_in_database, triggers
from timebank.ledger.audit import check_chain, entry_hash, read_chain
from timebank.ledger.group import record_group_exchange
from timebank.ledger.models import Account, AuditChain, AuditEntry, Transfer
from timebank.ledger.opening import record_opening_balance
from timebank.ledger.pot import donate_to_pot, grant_from_pot
from timebank.ledger.transfers import (
    approve_transfer,
    confirm_transfer,
    record_transfer,
    reject_transfer,
    reverse_transfer,
)
from timebank.ledger.verify import verify_ledger

TODAY = bank_today()


def history(session):
    """A time bank with every kind of entry: pending, posted, rejected, reversed, a group,
    the pot and an opening balance."""
    bank = TimeBankFactory(floor_minutes=-600)
    coordinator = CoordinatorFactory(bank=bank)
    alice, bob, carol = (MembershipFactory(bank=bank) for _ in range(3))
    council = OrganisationFactory(bank=bank)
    a, b, c = alice.account, bob.account, carol.account

    def rec(actor, giver, receiver, minutes):
        return record_transfer(
            session,
            actor=actor,
            giver=giver,
            receiver=receiver,
            minutes=minutes,
            service_date=TODAY,
        )

    confirmed = rec(alice, a, b, 90)
    confirm_transfer(session, actor=bob, transfer_id=confirmed.id)
    approve_transfer(session, actor=coordinator, transfer_id=confirmed.id)
    rec(bob, b, c, 30)  # stays pending
    rejected = rec(carol, c, a, 45)
    reject_transfer(session, actor=coordinator, transfer_id=rejected.id, reason="Not agreed")
    mistake = rec(coordinator, c, b, 60)
    reversal = reverse_transfer(session, actor=coordinator, transfer_id=mistake.id, reason="Twice")
    record_group_exchange(
        session,
        actor=coordinator,
        hub=council.account,
        hub_gives=True,
        participants=[(a, 60), (b, 60), (c, 60)],
        service_date=TODAY,
    )
    record_group_exchange(
        session,
        actor=alice,
        hub=a,
        hub_gives=False,
        participants=[(b, 30), (c, 15)],
        service_date=TODAY,
    )  # pending
    donate_to_pot(session, actor=coordinator, donor=council.account, minutes=120)
    grant_from_pot(session, actor=coordinator, recipient=c, minutes=60, reason="Unwell")
    record_opening_balance(session, actor=coordinator, account=b, minutes=-240)
    session.commit()
    return {
        "bank": bank,
        "alice": alice,
        "bob": bob,
        "confirmed": confirmed,
        "reversal": reversal,
    }


@pytest.fixture
def ledger(session):
    return history(session)


def problems_of(session, kind, **where):
    return [
        p
        for p in verify_ledger(session)
        if p.kind == kind and all(getattr(p, k) == v for k, v in where.items())
    ]


def tamper(session, table: str, sql: str, **params):
    """Run ``sql`` with the table's history trigger out of the way, then put it back.

    SQLite: drop the trigger and create it again. PostgreSQL: disable and re-enable it in
    the same transaction, so it is never off for anyone else.
    """
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        names = {
            ("audit_entry", "update"): "trg_audit_entry_no_update",
            ("audit_entry", "delete"): "trg_audit_entry_no_delete",
            ("transfer", "update"): "trg_transfer_final_no_update",
        }
        name = names[(table, sql.split()[0].lower())]
        session.execute(sa.text(f"DROP TRIGGER {name}"))
        session.execute(sa.text(sql), params)
        (create,) = [s for s in triggers.SQLITE if f"CREATE TRIGGER {name} " in s]
        session.execute(sa.text(create))
    else:
        name = {
            "audit_entry": "trg_audit_entry_no_update",
            "transfer": "trg_transfer_final_no_update",
        }[table]
        session.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER {name}"))
        session.execute(sa.text(sql), params)
        session.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER {name}"))
    session.commit()


def audit_rows(session, bank_id):
    return session.scalars(
        sa.select(AuditEntry).where(AuditEntry.time_bank_id == bank_id).order_by(AuditEntry.seq)
    ).all()


def test_a_consistent_ledger_has_no_problems(session, ledger):
    other = history(session)  # a second bank, so verify runs over several
    assert verify_ledger(session) == []
    assert verify_ledger(session, ledger["bank"].id) == []
    assert verify_ledger(session, other["bank"].id) == []


def test_a_tampered_counter_is_named_with_its_account(session, ledger):
    account_id = ledger["alice"].account.id
    session.execute(
        sa.update(Account)
        .where(Account.id == account_id)
        .values(posted_credits=Account.posted_credits + 60)
    )
    session.commit()
    (mismatch,) = problems_of(session, "balance_mismatch")
    assert mismatch.account_id == account_id
    assert f"account {account_id}" in mismatch.message and "posted credits" in mismatch.message
    (not_zero,) = problems_of(session, "bank_not_zero")
    assert not_zero.time_bank_id == ledger["bank"].id
    assert f"time bank {ledger['bank'].id}" in not_zero.message and "60 min" in not_zero.message


def test_a_bank_not_summing_to_zero_is_reported(session, ledger):
    bank_id = ledger["bank"].id
    session.execute(
        sa.update(Account)
        .where(Account.id == ledger["bob"].account.id)
        .values(posted_debits=Account.posted_debits + 30)
    )
    session.commit()
    (not_zero,) = problems_of(session, "bank_not_zero", time_bank_id=bank_id)
    assert "-30 min" in not_zero.message


def test_a_tamper_that_keeps_the_sum_zero_is_still_caught(session, ledger):
    alice_id, bob_id = ledger["alice"].account.id, ledger["bob"].account.id
    session.execute(
        sa.update(Account)
        .where(Account.id == alice_id)
        .values(posted_credits=Account.posted_credits + 60)
    )
    session.execute(
        sa.update(Account)
        .where(Account.id == bob_id)
        .values(posted_debits=Account.posted_debits + 60)
    )
    session.execute(
        sa.update(Account)
        .where(Account.id == alice_id)
        .values(pending_debits=Account.pending_debits + 15)
    )
    session.commit()
    problems = verify_ledger(session)
    assert {(p.kind, p.account_id) for p in problems} == {
        ("balance_mismatch", alice_id),
        ("balance_mismatch", bob_id),
    }
    assert len(problems) == 3
    assert any("pending debits" in p.message for p in problems)


def test_a_changed_posted_transfer_shows_on_both_accounts(session, ledger):
    transfer = ledger["confirmed"]
    tamper(
        session,
        "transfer",
        "UPDATE transfer SET minutes = 600 WHERE id = :id",
        id=transfer.id,
    )
    problems = verify_ledger(session)
    assert {p.account_id for p in problems} == {
        transfer.debit_account_id,
        transfer.credit_account_id,
    }


def test_a_reversal_that_no_longer_mirrors_its_original_is_named(session, ledger):
    reversal = ledger["reversal"]
    tamper(
        session,
        "transfer",
        "UPDATE transfer SET minutes = 15 WHERE id = :id",
        id=reversal.id,
    )
    (bad,) = problems_of(session, "bad_reversal")
    assert bad.transfer_id == reversal.id and f"transfer {reversal.id}" in bad.message


def test_a_forged_audit_entry_is_named(session, ledger):
    bank_id = ledger["bank"].id
    target = audit_rows(session, bank_id)[10]
    after = json.loads(target.after)
    forged = json.dumps({**after, "minutes": 720}, sort_keys=True, separators=(",", ":"))
    tamper(
        session,
        "audit_entry",
        "UPDATE audit_entry SET after = :after WHERE id = :id",
        after=forged,
        id=target.id,
    )
    (problem,) = verify_ledger(session)
    assert problem.kind == "audit_chain" and problem.audit_entry_id == target.id
    assert f"audit entry {target.id}" in problem.message and "altered" in problem.message


def test_a_forged_entry_with_a_fresh_hash_breaks_the_next_link(session, ledger):
    bank_id = ledger["bank"].id
    rows = audit_rows(session, bank_id)
    target, following = rows[5], rows[6]
    new_hash = entry_hash(
        prev_hash=target.prev_hash,
        time_bank_id=bank_id,
        seq=target.seq,
        actor_id=target.actor_id,
        action="time_bank.nothing_happened",
        entity_type=target.entity_type,
        entity_id=target.entity_id,
        before=target.before,
        after=target.after,
        created_at_iso=target.created_at.isoformat(),
    )
    tamper(
        session,
        "audit_entry",
        "UPDATE audit_entry SET action = 'time_bank.nothing_happened', hash = :h WHERE id = :id",
        h=new_hash,
        id=target.id,
    )
    (problem,) = verify_ledger(session)
    assert problem.audit_entry_id == following.id
    assert "does not link" in problem.message


def test_a_deleted_audit_entry_is_found(session, ledger):
    bank_id = ledger["bank"].id
    rows = audit_rows(session, bank_id)
    (deleted_id, deleted_seq), (following_id, following_seq) = (
        (row.id, row.seq) for row in rows[7:9]
    )
    tamper(session, "audit_entry", "DELETE FROM audit_entry WHERE id = :id", id=deleted_id)
    problems = verify_ledger(session)
    assert problems and all(p.audit_entry_id == following_id for p in problems)
    messages = " ".join(p.message for p in problems)
    assert f"sequence {following_seq}, expected {deleted_seq}" in messages
    assert "does not link" in messages


def test_deleting_the_last_audit_entry_is_found_by_the_chain_head(session, ledger):
    bank_id = ledger["bank"].id
    last = audit_rows(session, bank_id)[-1]
    last_id, last_seq = last.id, last.seq
    tamper(session, "audit_entry", "DELETE FROM audit_entry WHERE id = :id", id=last_id)
    # (The last entry recorded the opening balance, which is now unaudited too.)
    (problem,) = problems_of(session, "audit_chain")
    assert problem.kind == "audit_chain" and problem.time_bank_id == bank_id
    assert f"entry {last_seq} is last, but the log ends at entry {last_seq - 1}" in (
        problem.message
    )


def test_a_broken_chain_head_is_found(session, ledger):
    bank_id = ledger["bank"].id
    session.execute(
        sa.update(AuditChain).where(AuditChain.time_bank_id == bank_id).values(last_hash="f" * 64)
    )
    session.commit()
    (problem,) = verify_ledger(session)
    assert problem.kind == "audit_chain" and problem.time_bank_id == bank_id
    assert "chain head" in problem.message
    session.execute(
        sa.update(AuditChain)
        .where(AuditChain.time_bank_id == bank_id)
        .values(last_seq=AuditChain.last_seq + 1)
    )
    session.commit()
    assert len(verify_ledger(session)) == 1


def test_verify_one_bank_checks_only_that_bank(session, ledger):
    other = history(session)
    session.execute(
        sa.update(Account)
        .where(Account.id == other["alice"].account.id)
        .values(posted_credits=Account.posted_credits + 15)
    )
    session.execute(
        sa.update(AuditChain)
        .where(AuditChain.time_bank_id == other["bank"].id)
        .values(last_seq=AuditChain.last_seq + 1)
    )
    session.commit()
    assert verify_ledger(session, ledger["bank"].id) == []
    mine = verify_ledger(session, other["bank"].id)
    assert {p.kind for p in mine} == {"balance_mismatch", "bank_not_zero", "audit_chain"}
    assert all(p.time_bank_id == other["bank"].id for p in mine)
    assert verify_ledger(session) == mine


def test_the_history_triggers_are_back_after_tampering(session, ledger):
    target = audit_rows(session, ledger["bank"].id)[3]
    tamper(
        session,
        "audit_entry",
        "UPDATE audit_entry SET action = action WHERE id = :id",
        id=target.id,
    )
    for statement in (
        sa.update(AuditEntry).where(AuditEntry.id == target.id).values(action="x"),
        sa.delete(AuditEntry).where(AuditEntry.id == target.id),
        sa.update(Transfer).where(Transfer.id == ledger["confirmed"].id).values(minutes=15),
    ):
        with pytest.raises(DBAPIError):
            session.execute(statement)
        session.rollback()


def test_unusual_text_in_the_log_verifies_and_a_one_character_forgery_does_not(session):
    """The chain check builds the hashed text itself: it must agree byte for byte with
    the hash written at append time, whatever the text holds (accents, quotes,
    backslashes, control characters, characters outside the BMP), and still catch the
    smallest change."""
    bank = TimeBankFactory(name='Café "Ünïcode" \\ Time Bank ✓')
    alice, bob = MembershipFactory(bank=bank), MembershipFactory(bank=bank)
    odd = 'Garden — "Ünïcode" \\ back\\slash\nnew line\ttab \x01 \u2028 🎉 end'
    transfer = record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=30,
        service_date=TODAY,
        description=odd,
    )
    session.commit()
    assert verify_ledger(session) == []

    entry = session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "transfer", AuditEntry.entity_id == transfer.id
        )
    ).one()
    assert json.loads(entry.after)["description"] == odd
    forged = entry.after.replace("\\ud83c\\udf89", "\\ud83c\\udf8a")  # 🎉 becomes 🎊
    assert forged != entry.after
    tamper(
        session,
        "audit_entry",
        "UPDATE audit_entry SET after = :after WHERE id = :id",
        after=forged,
        id=entry.id,
    )
    (problem,) = verify_ledger(session)
    assert problem.audit_entry_id == entry.id and "altered" in problem.message


def test_a_transfer_written_without_its_audit_entry_is_named(session, ledger, monkeypatch):
    """The mutation "skip the audit entry" where a service writes a new transfer: verify
    names the transfer."""
    import timebank.ledger.posting as posting

    monkeypatch.setattr(posting, "append_audit", lambda *args, **kwargs: None)
    alice, bob = ledger["alice"], ledger["bob"]
    silent = record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=15,
        service_date=TODAY,
    )
    session.commit()
    (problem,) = verify_ledger(session)
    assert (problem.kind, problem.transfer_id) == ("unaudited_transfer", silent.id)
    assert problem_of_bank_only(session, ledger["bank"].id) == [problem.message]


def problem_of_bank_only(session, bank_id):
    return [p.message for p in verify_ledger(session, bank_id)]


def test_a_group_whose_transfers_disagree_on_status_is_named(session, ledger):
    pending_group = session.scalars(
        sa.select(Transfer).where(Transfer.batch_id.is_not(None), Transfer.status == "pending")
    ).all()
    assert len(pending_group) == 2
    tamper(
        session,
        "transfer",
        "UPDATE transfer SET status = 'rejected', reason = 'x', rejected_at = recorded_at"
        " WHERE id = :id",
        id=pending_group[0].id,
    )
    assert [p.message for p in problems_of(session, "split_group")] == [
        f"group {pending_group[0].batch_id}: its transfers do not all have the same status"
    ]


def test_the_equity_account_is_created_with_an_audit_entry(session, ledger):
    equity = session.scalar(
        sa.select(Account).where(
            Account.time_bank_id == ledger["bank"].id, Account.kind == "equity"
        )
    )
    [entry] = session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "account", AuditEntry.entity_id == equity.id
        )
    ).all()
    assert entry.action == "account.created" and json.loads(entry.after) == {"kind": "equity"}
    assert entry.seq < max(r.seq for r in audit_rows(session, ledger["bank"].id))


def _python_breaks(connection, bank_id):
    """The chain check as the SQLite path does it (``audit.check_chain`` over the rows
    in seq order): the reference the check inside PostgreSQL must agree with."""
    head, rows = read_chain(connection, bank_id, 1000)
    with rows:
        return set(check_chain(bank_id, rows, head))


# Faults made inside one transaction (schema changes included) and rolled back after.
CHAIN_FAULTS = {
    "deleted": ["DELETE FROM audit_entry WHERE id = {e5}"],
    "deleted first": ["DELETE FROM audit_entry WHERE id = {e1}"],
    "relinked": ["UPDATE audit_entry SET prev_hash = '{f}' WHERE id = {e5}"],
    "first relinked": ["UPDATE audit_entry SET prev_hash = '{f}' WHERE id = {e1}"],
    "renumbered": ["UPDATE audit_entry SET seq = seq + 100 WHERE id = {e5}"],
    "renumbered below": ["UPDATE audit_entry SET seq = 0 WHERE id = {e1}"],
    "prev hash gone": [
        "ALTER TABLE audit_entry ALTER COLUMN prev_hash DROP NOT NULL",
        "UPDATE audit_entry SET prev_hash = NULL WHERE id = {e5}",
    ],
    "seq repeated": [
        "ALTER TABLE audit_entry DROP CONSTRAINT uq_audit_entry_time_bank_id_seq",
        "ALTER TABLE audit_entry DROP CONSTRAINT uq_audit_entry_time_bank_id_prev_hash",
        "INSERT INTO audit_entry (time_bank_id, seq, actor_id, action, entity_type,"
        " entity_id, before, after, created_at, prev_hash, hash) SELECT time_bank_id, seq,"
        " actor_id, action, entity_type, entity_id, before, after, created_at, prev_hash,"
        " hash FROM audit_entry WHERE id = {e5}",
    ],
}


# Faults the row-by-row check reads the same way (it reads from seq 1 on, and stops
# at a prev_hash that is not text).
AS_ROW_BY_ROW = {"deleted", "deleted first", "relinked", "first relinked", "renumbered"}


@pytest.mark.postgres_only
@pytest.mark.parametrize("fault", sorted(CHAIN_FAULTS))
def test_the_chain_check_in_postgresql_finds_what_the_window_finds(session, ledger, fault):
    """The check inside PostgreSQL (hashes and links in one joined scan; the lag window
    over the log in seq order only when a link is suspect) reports exactly what the
    window always reported, which is what ``check_chain`` reports row by row."""
    bank_id = ledger["bank"].id
    rows = audit_rows(session, bank_id)
    names = {"e1": rows[0].id, "e5": rows[5].id, "f": "f" * 64}
    session.rollback()
    connection = session.connection()
    connection.exec_driver_sql("ALTER TABLE audit_entry DISABLE TRIGGER trg_audit_entry_no_update")
    for statement in CHAIN_FAULTS[fault]:
        connection.exec_driver_sql(statement.format(**names))
    try:
        found = list(audit_in_database.chain_breaks(connection, bank_id))
        assert found, fault
        if fault == "seq repeated":
            # The window runs (seq is not unique); which of the two entries with one seq
            # it sorts first is the sort's choice: the other breaks the sequence.
            assert any("expected" in b.message for b in found)
            return
        assert set(audit_in_database.chain_breaks(connection)) == set(found)
        if fault in AS_ROW_BY_ROW:
            assert set(found) == _python_breaks(connection, bank_id)
        # Without the unique seq the join cannot stand for the window: the window runs.
        connection.exec_driver_sql(
            "ALTER TABLE audit_entry DROP CONSTRAINT uq_audit_entry_time_bank_id_seq"
        )
        windowed = list(audit_in_database.chain_breaks(connection, bank_id))
        assert set(windowed) == set(found)
    finally:
        session.rollback()
    assert verify_ledger(session) == []


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "fault",
    [
        "ALTER TABLE transfer DROP CONSTRAINT ck_transfer_positive_minutes;"
        " UPDATE transfer SET minutes = 0 WHERE id = {t}",
        "ALTER TABLE transfer DROP CONSTRAINT ck_transfer_not_to_self;"
        " UPDATE transfer SET credit_account_id = debit_account_id WHERE id = {t}",
        "SET LOCAL session_replication_role = replica;"
        " UPDATE transfer SET debit_account_id = {other} WHERE id = {t}",
    ],
    ids=["no time", "to itself", "other bank"],
)
def test_a_transfer_of_a_shape_the_schema_forbids_is_named(session, ledger, fault):
    """Faults only possible with the schema's checks out of the way (inside one
    transaction, verified there and rolled back): the balances' scans see them and the
    shape check names the transfer."""
    other = MembershipFactory(bank=TimeBankFactory()).account.id
    session.commit()
    transfer_id = ledger["confirmed"].id
    connection = session.connection()
    connection.exec_driver_sql("ALTER TABLE transfer DISABLE TRIGGER trg_transfer_final_no_update")
    for statement in fault.split(";"):
        connection.exec_driver_sql(statement.format(t=transfer_id, other=other))
    try:
        bad = [p for p in verify_ledger(session) if p.kind == "bad_transfer"]
        assert [p.transfer_id for p in bad] == [transfer_id]
    finally:
        session.rollback()
    assert verify_ledger(session) == []
