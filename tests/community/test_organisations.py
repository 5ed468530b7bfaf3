"""Organisations and their staff on a real database: adding and removing staff,
deactivating an organisation, and staff recording exchanges for their organisation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
    TimeBankFactory,
    bank_today,
)
from timebank.community.organisations import (
    add_staff,
    deactivate_organisation,
    list_staff,
    organisations_of,
    reactivate_organisation,
    remove_staff,
)
from timebank.ledger import errors
from timebank.ledger.banks import update_policy
from timebank.ledger.models import AuditEntry, MembershipStatus, OrganisationStaff, TransferStatus
from timebank.ledger.staff import accounts_acted_for
from timebank.ledger.transfers import confirm_transfer, record_transfer
from timebank.ledger.verify import verify_ledger

TODAY = bank_today()


@pytest.fixture
def bank(session):
    bank = TimeBankFactory()
    # Confirmation on, approval off: what the staff rule changes is who confirms.
    update_policy(session, actor=None, bank=bank, requires_approval=False)
    return bank


@pytest.fixture
def council(bank):
    return OrganisationFactory(bank=bank, name="Council Youth Team")


@pytest.fixture
def charity(bank):
    return OrganisationFactory(bank=bank, name="Food Bank Charity")


@pytest.fixture
def sam(bank):
    return MembershipFactory(bank=bank)


def audit_actions(session, bank_id):
    return list(
        session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.time_bank_id == bank_id)
            .order_by(AuditEntry.seq)
        )
    )


def test_a_coordinator_adds_and_removes_staff_with_audit_entries(
    session, bank, coordinator, council, sam, alice
):
    add_staff(session, actor=coordinator, organisation=council, member=sam)
    add_staff(session, actor=coordinator, organisation=council, member=alice)
    assert {m.id for m in list_staff(session, council)} == {sam.id, alice.id}
    assert [o.id for o in organisations_of(session, sam)] == [council.id]

    remove_staff(session, actor=coordinator, organisation=council, member=alice)
    assert [m.id for m in list_staff(session, council)] == [sam.id]
    actions = audit_actions(session, bank.id)
    assert actions[-3:] == [
        "organisation.staff_added",
        "organisation.staff_added",
        "organisation.staff_removed",
    ]
    assert verify_ledger(session) == []


def test_adding_staff_twice_or_removing_non_staff_is_refused(
    session, coordinator, council, sam, alice
):
    add_staff(session, actor=coordinator, organisation=council, member=sam)
    with pytest.raises(errors.DuplicateError, match="already acts for Council Youth Team"):
        add_staff(session, actor=coordinator, organisation=council, member=sam)
    with pytest.raises(errors.InvalidPolicyError, match="does not act for") as caught:
        remove_staff(session, actor=coordinator, organisation=council, member=alice)
    assert caught.value.field == "membership_id"
    assert session.scalar(sa.select(sa.func.count()).select_from(OrganisationStaff)) == 1


def test_only_a_coordinator_of_the_same_bank_manages_staff(session, bank, council, sam, alice):
    with pytest.raises(errors.NotAllowedError):
        add_staff(session, actor=sam, organisation=council, member=alice)
    other_coordinator = CoordinatorFactory(bank=TimeBankFactory())
    with pytest.raises(errors.NotFoundError):
        add_staff(session, actor=other_coordinator, organisation=council, member=alice)
    assert list_staff(session, council) == []


def test_staff_must_be_active_members_of_the_same_bank(session, bank, coordinator, council):
    stranger = MembershipFactory(bank=TimeBankFactory())
    with pytest.raises(errors.NotFoundError):
        add_staff(session, actor=coordinator, organisation=council, member=stranger)
    suspended = MembershipFactory(bank=bank, status=MembershipStatus.SUSPENDED)
    with pytest.raises(errors.InactiveAccountError, match="not an active member"):
        add_staff(session, actor=coordinator, organisation=council, member=suspended)
    assert list_staff(session, council) == []


def test_deactivate_and_reactivate_an_organisation(session, bank, coordinator, council, alice):
    deactivate_organisation(session, actor=coordinator, organisation=council)
    assert council.active is False
    with pytest.raises(errors.InvalidPolicyError, match="already inactive"):
        deactivate_organisation(session, actor=coordinator, organisation=council)
    # No new exchange with an inactive organisation, even by a coordinator.
    with pytest.raises(errors.InactiveAccountError, match="no longer active"):
        record_transfer(
            session,
            actor=coordinator,
            giver=council.account,
            receiver=alice.account,
            minutes=60,
            service_date=TODAY,
        )
    with pytest.raises(errors.InvalidPolicyError, match="reactivate it first"):
        add_staff(session, actor=coordinator, organisation=council, member=alice)
    reactivate_organisation(session, actor=coordinator, organisation=council)
    assert council.active is True
    with pytest.raises(errors.NotAllowedError):
        deactivate_organisation(session, actor=alice, organisation=council)
    assert audit_actions(session, bank.id)[-2:] == [
        "organisation.deactivated",
        "organisation.reactivated",
    ]
    assert verify_ledger(session) == []


def test_staff_record_an_exchange_where_the_organisation_gives_and_the_member_confirms(
    session, coordinator, council, sam, alice
):
    add_staff(session, actor=coordinator, organisation=council, member=sam)
    transfer = record_transfer(
        session,
        actor=sam,
        giver=council.account,
        receiver=alice.account,
        minutes=90,
        service_date=TODAY,
        description="Youth team helped clear Alice's garden",
    )
    assert transfer.status == TransferStatus.PENDING
    assert transfer.needs_confirmation is True
    # The staff member cannot confirm their own entry; Alice, the other side, can.
    with pytest.raises(errors.NotAllowedError):
        confirm_transfer(session, actor=sam, transfer_id=transfer.id)
    confirm_transfer(session, actor=alice, transfer_id=transfer.id)
    assert transfer.status == TransferStatus.POSTED
    assert council.account.balance == 90 and alice.account.balance == -90
    assert sam.account.balance == 0
    assert verify_ledger(session) == []


def test_staff_record_an_exchange_where_the_organisation_receives(
    session, coordinator, council, sam, alice
):
    add_staff(session, actor=coordinator, organisation=council, member=sam)
    transfer = record_transfer(
        session,
        actor=sam,
        giver=alice.account,
        receiver=council.account,
        minutes=60,
        service_date=TODAY,
    )
    assert transfer.needs_confirmation is True
    confirm_transfer(session, actor=alice, transfer_id=transfer.id)
    assert transfer.status == TransferStatus.POSTED
    assert alice.account.balance == 60 and council.account.balance == -60


def test_staff_of_one_organisation_cannot_act_for_another(
    session, coordinator, council, charity, sam, alice
):
    add_staff(session, actor=coordinator, organisation=council, member=sam)
    assert accounts_acted_for(session, sam, [council.account.id, charity.account.id]) == {
        council.account.id
    }
    with pytest.raises(errors.NotAllowedError, match="took part in"):
        record_transfer(
            session,
            actor=sam,
            giver=charity.account,
            receiver=alice.account,
            minutes=60,
            service_date=TODAY,
        )


def test_staff_cannot_act_for_their_organisation_from_another_bank(
    session, coordinator, council, sam
):
    add_staff(session, actor=coordinator, organisation=council, member=sam)
    # The same person, also a member of another time bank, acting there.
    elsewhere = MembershipFactory(bank=TimeBankFactory(), person=sam.person)
    neighbour = MembershipFactory(bank=elsewhere.time_bank)
    assert accounts_acted_for(session, elsewhere, [council.account.id]) == set()
    with pytest.raises(errors.CrossBankTransferError):
        record_transfer(
            session,
            actor=elsewhere,
            giver=council.account,
            receiver=neighbour.account,
            minutes=60,
            service_date=TODAY,
        )


def test_removed_staff_can_no_longer_act(session, coordinator, council, sam, alice):
    add_staff(session, actor=coordinator, organisation=council, member=sam)
    remove_staff(session, actor=coordinator, organisation=council, member=sam)
    with pytest.raises(errors.NotAllowedError):
        record_transfer(
            session,
            actor=sam,
            giver=council.account,
            receiver=alice.account,
            minutes=60,
            service_date=TODAY,
        )


def test_members_still_cannot_record_for_others(session, council, sam, alice):
    with pytest.raises(errors.NotAllowedError):
        record_transfer(
            session,
            actor=sam,
            giver=council.account,
            receiver=alice.account,
            minutes=60,
            service_date=TODAY,
        )
