"""Group exchanges on a real database: workshops, working parties, all or nothing."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    bank_today,
)
from tests.ledger.support import assert_refused, ledger_state
from timebank.ledger import errors
from timebank.ledger.banks import get_pot_account, update_policy
from timebank.ledger.database import run_in_transaction
from timebank.ledger.group import (
    CREDIT_RULES,
    EACH,
    SESSION,
    group_flows,
    record_group_exchange,
)
from timebank.ledger.models import (
    AuditEntry,
    MembershipStatus,
    TimeBank,
    Transfer,
    TransferKind,
    TransferStatus,
)
from timebank.ledger.pot import donate_to_pot
from timebank.ledger.transfers import approve_transfer, record_transfer, reject_transfer
from timebank.ledger.verify import verify_ledger

TODAY = bank_today()


@pytest.fixture
def people(bank):
    return [MembershipFactory(bank=bank) for _ in range(5)]


def group(session, actor, hub, participants, *, hub_gives=True, **kw):
    return record_group_exchange(
        session,
        actor=actor,
        hub=hub.account,
        hub_gives=hub_gives,
        participants=[(m.account, minutes) for m, minutes in participants],
        service_date=kw.pop("service_date", TODAY),
        **kw,
    )


def test_workshop_one_giver_to_many_with_minutes_per_person(session, coordinator, people):
    tutor, *learners = people
    minutes = [60, 90, 120, 45]
    transfers = group(
        session,
        coordinator,
        tutor,
        list(zip(learners, minutes, strict=True)),
        description="Phone skills workshop",
        category="digital",
    )
    assert len(transfers) == 4
    assert len({t.batch_id for t in transfers}) == 1 and transfers[0].batch_id
    assert all(t.kind == TransferKind.GROUP for t in transfers)
    assert all(t.status == TransferStatus.POSTED for t in transfers)
    assert all(t.credit_account_id == tutor.account.id for t in transfers)
    assert tutor.account.balance == sum(minutes)
    for learner, given in zip(learners, minutes, strict=True):
        assert learner.account.balance == -given
    assert verify_ledger(session) == []


def test_working_party_many_givers_to_one(session, bank, coordinator, people):
    update_policy(session, actor=None, bank=bank, floor_minutes=-300)
    helped, *volunteers = people
    transfers = group(
        session,
        coordinator,
        helped,
        [(v, 60) for v in volunteers],
        hub_gives=False,
        description="Clearing the garden",
    )
    assert {t.debit_account_id for t in transfers} == {helped.account.id}
    assert helped.account.balance == -240
    assert all(v.account.balance == 60 for v in volunteers)
    assert verify_ledger(session) == []


def test_an_organisation_can_be_the_hub(session, bank, coordinator, people):
    council = OrganisationFactory(bank=bank)
    group(session, coordinator, council, [(p, 120) for p in people], hub_gives=False)
    assert council.account.balance == -600  # organisations have no floor


@pytest.mark.parametrize("broken", ["inactive", "other_bank", "duplicate", "hub", "floor", "pot"])
def test_one_invalid_participant_writes_nothing(session, bank, coordinator, people, broken):
    tutor, first, second, *_ = people
    participants = [(first.account, 60), (second.account, 60)]
    expected = {
        "inactive": errors.InactiveAccountError,
        "other_bank": errors.CrossBankTransferError,
        "duplicate": errors.InvalidTransferError,
        "hub": errors.SelfTransferError,
        "floor": errors.BelowFloorError,
        "pot": errors.InvalidTransferError,
    }[broken]
    if broken == "inactive":
        participants.append(
            (MembershipFactory(bank=bank, status=MembershipStatus.SUSPENDED).account, 60)
        )
    elif broken == "other_bank":
        participants.append((MembershipFactory().account, 60))
    elif broken == "duplicate":
        participants.append((first.account, 30))
    elif broken == "hub":
        participants.append((tutor.account, 60))
    elif broken == "floor":
        spent = people[3]
        record_transfer(
            session,
            actor=coordinator,
            giver=people[4].account,
            receiver=spent.account,
            minutes=120,
            service_date=TODAY,
        )  # at the -2 h floor
        participants.append((spent.account, 15))
    else:
        participants.append((get_pot_account(session, bank.id), 60))

    error = assert_refused(
        session,
        expected,
        lambda: record_group_exchange(
            session,
            actor=coordinator,
            hub=tutor.account,
            hub_gives=True,
            participants=participants,
            service_date=TODAY,
        ),
    )
    assert str(error)
    assert session.scalar(sa.select(sa.func.count()).where(Transfer.kind == "group")) == 0


def test_the_hub_receiving_from_many_is_checked_on_the_total(session, coordinator, people):
    helped, *volunteers = people  # -2 h floor; three people giving 1 h each is 3 h
    assert_refused(
        session,
        errors.BelowFloorError,
        lambda: group(
            session, coordinator, helped, [(v, 60) for v in volunteers[:3]], hub_gives=False
        ),
    )
    group(session, coordinator, helped, [(v, 60) for v in volunteers[:2]], hub_gives=False)
    assert helped.account.balance == -120


def test_the_hub_giving_to_many_is_checked_against_the_cap(session, bank, coordinator, people):
    update_policy(session, actor=None, bank=bank, floor_minutes=None)
    tutor, *learners = people  # cap 10 h; four people receiving 2 h 45 min each is 11 h
    assert_refused(
        session,
        errors.AboveCapError,
        lambda: group(session, coordinator, tutor, [(p, 165) for p in learners]),
    )


def test_bad_minutes_or_empty_group_write_nothing(session, coordinator, people):
    tutor, first, second, *_ = people
    for participants, error in [
        ([(first, 60), (second, 10)], errors.InvalidAmountError),
        ([(first, 60), (second, 0)], errors.InvalidAmountError),
        ([(first, 13 * 60)], errors.AmountTooLargeError),
        ([], errors.InvalidTransferError),
    ]:
        assert_refused(session, error, lambda p=participants: group(session, coordinator, tutor, p))


def test_a_member_records_only_groups_they_are_the_hub_of(session, people):
    tutor, first, second, *_ = people
    assert_refused(
        session,
        errors.NotAllowedError,
        lambda: group(session, first, tutor, [(second, 60)]),
    )


def test_a_members_group_is_pending_and_one_approval_posts_the_whole_batch(
    session, coordinator, people
):
    tutor, *learners = people
    transfers = group(session, tutor, tutor, [(p, 60) for p in learners])
    assert all(t.status == TransferStatus.PENDING and t.needs_approval for t in transfers)
    assert tutor.account.balance == 0 and tutor.account.pending_credits == 240
    assert all(p.account.pending_debits == 60 for p in learners)
    session.commit()

    approved = run_in_transaction(
        session, lambda: approve_transfer(session, actor=coordinator, transfer_id=transfers[2].id)
    )
    assert sorted(t.id for t in approved) == sorted(t.id for t in transfers)
    statuses = session.scalars(
        sa.select(Transfer.status).where(Transfer.batch_id == transfers[0].batch_id)
    ).all()
    assert statuses == [TransferStatus.POSTED] * 4
    assert tutor.account.balance == 240 and tutor.account.pending_credits == 0
    assert all(p.account.balance == -60 and p.account.pending_debits == 0 for p in learners)
    with pytest.raises(errors.AlreadyResolvedError):
        approve_transfer(session, actor=coordinator, transfer_id=transfers[0].id)
    assert verify_ledger(session) == []


def test_rejecting_one_transfer_rejects_the_whole_batch(session, coordinator, people):
    tutor, *learners = people
    transfers = group(session, tutor, tutor, [(p, 60) for p in learners])
    session.commit()
    run_in_transaction(
        session,
        lambda: reject_transfer(
            session, actor=coordinator, transfer_id=transfers[1].id, reason="Workshop cancelled"
        ),
    )
    rows = session.execute(
        sa.select(Transfer.status, Transfer.reason).where(
            Transfer.batch_id == transfers[0].batch_id
        )
    ).all()
    assert rows == [(TransferStatus.REJECTED, "Workshop cancelled")] * 4
    assert tutor.account.pending_credits == 0 and tutor.account.balance == 0
    assert all(p.account.pending_debits == 0 for p in learners)
    assert verify_ledger(session) == []


def test_a_participant_cannot_reject_the_whole_group(session, people):
    tutor, first, second, *_ = people
    transfers = group(session, tutor, tutor, [(first, 60), (second, 60)])
    assert_refused(
        session,
        errors.NotAllowedError,
        lambda: reject_transfer(
            session, actor=first, transfer_id=transfers[0].id, reason="I was not there"
        ),
    )


def test_pending_group_amounts_count_against_the_floor(session, people):
    tutor, first, second, *_ = people
    group(session, tutor, tutor, [(first, 120), (second, 60)])  # first now at -2 h, pending
    assert_refused(
        session,
        errors.BelowFloorError,
        lambda: group(session, tutor, tutor, [(second, 60), (first, 15)]),
    )


def test_a_coordinators_group_posts_at_once_and_is_marked_approved(session, coordinator, people):
    tutor, first, *_ = people
    (transfer,) = group(session, coordinator, tutor, [(first, 60)])
    assert transfer.status == TransferStatus.POSTED
    assert transfer.approved_by_id == coordinator.id and transfer.posted_at is not None


def test_a_members_group_posts_at_once_when_the_bank_asks_for_no_approval(session, bank, people):
    update_policy(
        session, actor=None, bank=bank, requires_approval=False, requires_confirmation=False
    )
    tutor, first, *_ = people
    (transfer,) = group(session, tutor, tutor, [(first, 60)])
    assert transfer.status == TransferStatus.POSTED
    assert tutor.account.balance == 60


def test_idempotency_key_returns_the_same_batch(session, coordinator, people):
    tutor, *learners = people
    first = group(session, coordinator, tutor, [(p, 60) for p in learners], idempotency_key="g-1")
    session.commit()
    state = ledger_state(session)
    again = run_in_transaction(
        session,
        lambda: group(
            session, coordinator, tutor, [(p, 60) for p in learners], idempotency_key="g-1"
        ),
    )
    assert [t.id for t in again] == [t.id for t in first]
    assert ledger_state(session) == state
    assert tutor.account.balance == 240


def test_idempotency_key_of_a_single_exchange_is_not_a_group(session, coordinator, people):
    tutor, first, second, *_ = people
    record_transfer(
        session,
        actor=coordinator,
        giver=tutor.account,
        receiver=first.account,
        minutes=60,
        service_date=TODAY,
        idempotency_key="k-1",
    )
    assert_refused(
        session,
        errors.IdempotencyConflictError,
        lambda: group(session, coordinator, tutor, [(second, 60)], idempotency_key="k-1"),
    )


def test_every_transfer_of_a_group_is_in_the_audit_log(session, coordinator, people):
    tutor, *learners = people
    before = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    transfers = group(session, coordinator, tutor, [(p, 60) for p in learners])
    entries = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "transfer.recorded")
    ).all()
    assert sorted(e.entity_id for e in entries) == sorted(t.id for t in transfers)
    assert all(e.actor_id == coordinator.id for e in entries)
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before + 4


def test_a_members_group_waits_for_a_coordinator_when_the_bank_asks_for_confirmation(
    session, bank, people
):
    # Participants cannot each confirm a group entry, so a coordinator vouches for it.
    update_policy(
        session, actor=None, bank=bank, requires_approval=False, requires_confirmation=True
    )
    tutor, first, *_ = people
    (transfer,) = group(session, tutor, tutor, [(first, 60)])
    assert transfer.status == TransferStatus.PENDING
    assert transfer.needs_approval
    assert first.account.balance == 0


def test_idempotency_key_reused_for_a_different_group_is_refused(session, coordinator, people):
    tutor, *learners = people
    group(session, coordinator, tutor, [(p, 60) for p in learners], idempotency_key="g-2")
    assert_refused(
        session,
        errors.IdempotencyConflictError,
        lambda: group(
            session, coordinator, tutor, [(p, 30) for p in learners], idempotency_key="g-2"
        ),
    )


# The credit rule of a workshop (a bank setting) ----------------------------------------


def test_the_rules_postings_as_pure_flows():
    four = [(11, 120), (12, 120), (13, 120), (14, 60)]
    # Each participant's hours: the leader (1) earns them all, each pays theirs.
    assert group_flows(rule=EACH, hub_id=1, hub_gives=True, participants=four) == [
        (11, 1, 120),
        (12, 1, 120),
        (13, 1, 120),
        (14, 1, 60),
    ]
    # The session's length: the leader earns it once, from the funder (9); nobody pays.
    assert group_flows(
        rule=SESSION,
        hub_id=1,
        hub_gives=True,
        participants=four,
        session_minutes=120,
        funder_id=9,
    ) == [(9, 1, 120)]
    # A working party credits every giver with their own time, whatever the rule.
    for rule in CREDIT_RULES:
        assert group_flows(
            rule=rule,
            hub_id=1,
            hub_gives=False,
            participants=four[:2],
            session_minutes=120,
            funder_id=9,
        ) == [(1, 11, 120), (1, 12, 120)]
    with pytest.raises(errors.InvalidTransferError):
        group_flows(rule=SESSION, hub_id=1, hub_gives=True, participants=four)


def test_by_the_sessions_length_the_leader_earns_it_once_from_the_pot(
    session, bank, coordinator, people
):
    update_policy(session, actor=coordinator, bank=bank, group_credit_rule=SESSION)
    organisation = OrganisationFactory(bank=bank)
    donate_to_pot(session, actor=coordinator, donor=organisation.account, minutes=300)
    pot = get_pot_account(session, bank.id)
    tutor, *learners = people
    before = {m.id: m.account.balance for m in learners}

    transfers = group(
        session,
        coordinator,
        tutor,
        [(m, 120) for m in learners],
        session_minutes=120,
        funder=pot,
        description="Phone skills workshop",
    )

    assert len(transfers) == 1
    (transfer,) = transfers
    assert (transfer.debit_account_id, transfer.credit_account_id) == (pot.id, tutor.account.id)
    assert transfer.minutes == 120 and transfer.kind == TransferKind.GROUP
    assert transfer.status == TransferStatus.POSTED
    assert tutor.account.balance == 120 and pot.balance == 180
    assert {m.id: m.account.balance for m in learners} == before  # the learners pay nothing
    audit = session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "transfer",
            AuditEntry.entity_id == transfer.id,
            AuditEntry.action == "transfer.recorded",
        )
    ).one()
    assert json.loads(audit.after)["participants"] == sorted(m.account.id for m in learners)
    assert verify_ledger(session) == []


def test_by_the_sessions_length_an_organisation_can_pay_and_the_pot_cannot_overspend(
    session, bank, coordinator, people
):
    update_policy(session, actor=coordinator, bank=bank, group_credit_rule=SESSION)
    council = OrganisationFactory(bank=bank)
    tutor, *learners = people
    group(
        session, coordinator, tutor, [(learners[0], 60)], session_minutes=90, funder=council.account
    )
    assert tutor.account.balance == 90 and council.account.balance == -90

    pot = get_pot_account(session, bank.id)  # empty
    assert_refused(
        session,
        errors.LimitError,
        lambda: group(
            session, coordinator, tutor, [(learners[1], 60)], session_minutes=60, funder=pot
        ),
    )
    for funder, error in (
        (None, errors.InvalidTransferError),
        (tutor.account, errors.SelfTransferError),
        (learners[2].account, errors.InvalidTransferError),
    ):
        assert_refused(
            session,
            error,
            lambda funder=funder: group(
                session,
                coordinator,
                tutor,
                [(learners[1], 60)],
                session_minutes=60,
                funder=funder,
            ),
        )


def test_the_rule_is_a_setting_checked_by_the_ledger_and_the_database(session, bank, coordinator):
    session.commit()
    assert bank.group_credit_rule == EACH
    with pytest.raises(errors.InvalidPolicyError):
        update_policy(session, actor=coordinator, bank=bank, group_credit_rule="half")
    session.rollback()
    with pytest.raises(sa.exc.IntegrityError):
        session.execute(sa.update(TimeBank).values(group_credit_rule="half"))
    session.rollback()
