"""The audit log on a real database: every service appends an entry with its actor and the
state before and after, and each time bank's chain links entry to entry."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    TimeBankFactory,
    bank_today,
)
from timebank.ledger import errors
from timebank.ledger.audit import GENESIS, entry_hash
from timebank.ledger.banks import add_membership, create_organisation, update_policy
from timebank.ledger.group import record_group_exchange
from timebank.ledger.models import AuditChain, AuditEntry, MemberKind, Role
from timebank.ledger.opening import record_opening_balance
from timebank.ledger.pot import donate_to_pot, grant_from_pot
from timebank.ledger.transfers import (
    approve_transfer,
    confirm_transfer,
    record_transfer,
    reject_transfer,
    reverse_transfer,
)

TODAY = bank_today()


@pytest.fixture
def bank(session):
    return TimeBankFactory(floor_minutes=-120)


def entries(session, bank_id):
    return session.scalars(
        sa.select(AuditEntry).where(AuditEntry.time_bank_id == bank_id).order_by(AuditEntry.seq)
    ).all()


def last_entry(session, bank_id):
    return entries(session, bank_id)[-1]


def new_entries(session, bank_id, since_seq):
    return [e for e in entries(session, bank_id) if e.seq > since_seq]


def head_seq(session, bank_id):
    return session.get(AuditChain, bank_id).last_seq


def decoded(text):
    return json.loads(text) if text is not None else None


def assert_chain_is_whole(session, bank_id):
    rows = entries(session, bank_id)
    assert [e.seq for e in rows] == list(range(1, len(rows) + 1))
    prev = GENESIS
    for e in rows:
        assert e.prev_hash == prev
        assert e.hash == entry_hash(
            prev_hash=e.prev_hash,
            time_bank_id=bank_id,
            seq=e.seq,
            actor_id=e.actor_id,
            action=e.action,
            entity_type=e.entity_type,
            entity_id=e.entity_id,
            before=e.before,
            after=e.after,
            created_at_iso=e.created_at.isoformat(),
        )
        prev = e.hash
    head = session.get(AuditChain, bank_id)
    assert (head.last_seq, head.last_hash) == (len(rows), prev)


def test_creating_a_bank_starts_its_chain(session):
    bank = TimeBankFactory(name="Northside", slug="northside", floor_minutes=-300)
    (entry,) = entries(session, bank.id)
    assert (entry.seq, entry.prev_hash, entry.actor_id) == (1, GENESIS, None)
    assert (entry.action, entry.entity_type, entry.entity_id) == (
        "time_bank.created",
        "time_bank",
        bank.id,
    )
    after = decoded(entry.after)
    assert after["slug"] == "northside" and after["floor_minutes"] == -300
    assert entry.before is None


def test_setting_up_people_and_organisations_is_recorded(session, bank, coordinator):
    person = PersonFactory()
    start = head_seq(session, bank.id)
    membership = add_membership(
        session,
        actor=coordinator,
        bank=bank,
        person=person,
        role=Role.MEMBER,
        kind=MemberKind.PROFESSIONAL,
    )
    council = create_organisation(session, actor=coordinator, bank=bank, name="Health Board")
    made, named = new_entries(session, bank.id, start)
    assert (made.action, made.entity_id, made.actor_id) == (
        "membership.created",
        membership.id,
        coordinator.id,
    )
    assert decoded(made.after) == {
        "person_id": person.id,
        "role": "member",
        "kind": "professional",
        "status": "active",
    }
    assert (named.action, named.entity_id, named.actor_id) == (
        "organisation.created",
        council.id,
        coordinator.id,
    )
    assert decoded(named.after) == {"name": "Health Board"}


def test_the_life_of_an_exchange_is_recorded_step_by_step(session, bank, coordinator, alice, bob):
    start = head_seq(session, bank.id)
    transfer = record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=60,
        service_date=TODAY,
    )
    confirm_transfer(session, actor=bob, transfer_id=transfer.id)
    approve_transfer(session, actor=coordinator, transfer_id=transfer.id)
    reversal = reverse_transfer(
        session, actor=coordinator, transfer_id=transfer.id, reason="Entered twice"
    )
    recorded, confirmed, approved, reversed_ = new_entries(session, bank.id, start)

    assert (recorded.action, recorded.actor_id, recorded.entity_id) == (
        "transfer.recorded",
        alice.id,
        transfer.id,
    )
    assert recorded.before is None
    assert decoded(recorded.after)["status"] == "pending"
    assert decoded(recorded.after)["minutes"] == 60

    assert (confirmed.action, confirmed.actor_id) == ("transfer.confirmed", bob.id)
    assert decoded(confirmed.before)["confirmed_by_id"] is None
    assert decoded(confirmed.after)["confirmed_by_id"] == bob.id

    assert (approved.action, approved.actor_id) == ("transfer.approved", coordinator.id)
    assert decoded(approved.before)["status"] == "pending"
    assert decoded(approved.after)["status"] == "posted"
    assert decoded(approved.after)["approved_by_id"] == coordinator.id

    assert (reversed_.action, reversed_.actor_id, reversed_.entity_id) == (
        "transfer.reversed",
        coordinator.id,
        reversal.id,
    )
    assert decoded(reversed_.after)["reverses_id"] == transfer.id
    assert decoded(reversed_.after)["reason"] == "Entered twice"
    assert_chain_is_whole(session, bank.id)


def test_a_rejection_keeps_its_reason_and_who_rejected(session, bank, alice, bob):
    transfer = record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=30,
        service_date=TODAY,
    )
    reject_transfer(session, actor=bob, transfer_id=transfer.id, reason="Did not happen")
    entry = last_entry(session, bank.id)
    assert (entry.action, entry.actor_id, entry.entity_id) == (
        "transfer.rejected",
        bob.id,
        transfer.id,
    )
    assert decoded(entry.before)["status"] == "pending"
    after = decoded(entry.after)
    assert (after["status"], after["reason"], after["rejected_by_id"]) == (
        "rejected",
        "Did not happen",
        bob.id,
    )


def test_groups_pot_and_openings_are_recorded(session, bank, coordinator, alice, bob):
    council = OrganisationFactory(bank=bank)
    start = head_seq(session, bank.id)
    group = record_group_exchange(
        session,
        actor=coordinator,
        hub=council.account,
        hub_gives=True,
        participants=[(alice.account, 60), (bob.account, 30)],
        service_date=TODAY,
    )
    donation = donate_to_pot(session, actor=coordinator, donor=council.account, minutes=120)
    grant = grant_from_pot(
        session, actor=coordinator, recipient=alice.account, minutes=60, reason="Unwell"
    )
    opening = record_opening_balance(session, actor=coordinator, account=bob.account, minutes=-90)
    rows = new_entries(session, bank.id, start)
    assert [(e.action, e.entity_id) for e in rows] == [
        ("transfer.recorded", group[0].id),
        ("transfer.recorded", group[1].id),
        ("pot.donation", donation.id),
        ("pot.grant", grant.id),
        # The first opening balance creates the equity account: that is recorded too.
        ("account.created", opening.credit_account_id),
        ("transfer.opening_balance", opening.id),
    ]
    assert all(e.actor_id == coordinator.id for e in rows)
    assert decoded(rows[0].after)["batch_id"] == group[0].batch_id
    assert decoded(rows[3].after)["reason"] == "Unwell"
    assert decoded(rows[4].after) == {"kind": "equity"}
    assert decoded(rows[5].after)["debit_account_id"] == bob.account.id
    assert_chain_is_whole(session, bank.id)


def test_update_policy_records_the_values_before_and_after(session, bank, coordinator):
    update_policy(
        session, actor=coordinator, bank=bank, floor_minutes=-60, requires_confirmation=False
    )
    entry = last_entry(session, bank.id)
    assert (entry.action, entry.actor_id, entry.entity_id) == (
        "time_bank.policy_changed",
        coordinator.id,
        bank.id,
    )
    before, after = decoded(entry.before), decoded(entry.after)
    assert (before["floor_minutes"], after["floor_minutes"]) == (-120, -60)
    assert (before["requires_confirmation"], after["requires_confirmation"]) == (True, False)
    assert before["minute_step"] == after["minute_step"] == 15


def test_a_refused_policy_change_records_nothing(session, bank, coordinator, alice):
    start = head_seq(session, bank.id)
    with pytest.raises(errors.NotAllowedError):
        update_policy(session, actor=alice, bank=bank, floor_minutes=-6000)
    with pytest.raises(errors.InvalidPolicyError):
        update_policy(session, actor=coordinator, bank=bank, floor_minutes=60)
    with pytest.raises(errors.InvalidPolicyError):
        update_policy(session, actor=coordinator, bank=bank, colour="green")
    assert head_seq(session, bank.id) == start
    assert bank.floor_minutes == -120


def test_the_chain_links_and_seqs_are_consecutive(session, bank, coordinator, alice, bob):
    for minutes in (15, 30, 15, 45):
        record_transfer(
            session,
            actor=coordinator,
            giver=alice.account,
            receiver=bob.account,
            minutes=minutes,
            service_date=TODAY,
        )
    session.commit()
    assert len(entries(session, bank.id)) >= 8
    assert_chain_is_whole(session, bank.id)


def test_two_banks_have_independent_chains(session):
    first, second = TimeBankFactory(), TimeBankFactory()
    first_people = [MembershipFactory(bank=first) for _ in range(2)]
    second_people = [MembershipFactory(bank=second) for _ in range(3)]
    first_coordinator = CoordinatorFactory(bank=first)
    # Interleave writes in both banks.
    for i in range(3):
        for coordinator, people in ((first_coordinator, first_people), (None, second_people)):
            if coordinator is None:
                update_policy(session, actor=None, bank=second, max_backdate_days=30 + i)
            else:
                record_transfer(
                    session,
                    actor=coordinator,
                    giver=people[0].account,
                    receiver=people[1].account,
                    minutes=15,
                    service_date=TODAY,
                )
    session.commit()
    # first: created, 3 memberships, 3 transfers; second: created, 3 memberships, 3 changes.
    for bank, expected in ((first, 7), (second, 7)):
        rows = entries(session, bank.id)
        assert len(rows) == expected
        assert rows[0].prev_hash == GENESIS
        assert_chain_is_whole(session, bank.id)
    assert not {e.hash for e in entries(session, first.id)} & {
        e.hash for e in entries(session, second.id)
    }
