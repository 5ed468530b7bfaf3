"""A partner membership (a commissioner, a funder) reads reports and takes no part in
the member area: it holds no account, is nobody's counterpart, sends and receives no
messages, has no profile and sees none, and is never among "members who can help".
Changing a role to or from partner keeps the ledger whole: an account with history is
never removed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    bank_today,
)
from timebank.community import invitations as invitation_service
from timebank.community import memberships as membership_service
from timebank.community import messages, organisations, profiles
from timebank.community.listings import post_listing
from timebank.community.models import MemberSkill
from timebank.ledger import errors
from timebank.ledger.banks import add_membership
from timebank.ledger.models import Account, AccountKind, Membership, MembershipStatus, Role
from timebank.ledger.transfers import record_transfer
from timebank.ledger.verify import verify_ledger

TODAY = bank_today()


@pytest.fixture
def member(bank):
    return MembershipFactory(bank=bank)


@pytest.fixture
def partner(bank):
    return MembershipFactory(bank=bank, role=Role.PARTNER)


def account_of(session, membership) -> Account | None:
    return session.scalar(sa.select(Account).where(Account.membership_id == membership.id))


def test_a_partner_membership_holds_no_account(session, bank, partner, member):
    assert account_of(session, partner) is None
    assert partner.account is None
    assert account_of(session, member) is not None
    session.commit()
    assert verify_ledger(session, bank.id) == []


def test_the_creation_is_audited_as_a_partner(session, bank, coordinator):
    person = PersonFactory()
    partner = add_membership(
        session, actor=coordinator, bank=bank, person=person, role=Role.PARTNER
    )
    assert partner.account is None
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Account)
            .where(Account.kind == AccountKind.MEMBER, Account.membership_id == partner.id)
        )
        == 0
    )


def test_a_partner_cannot_send_or_receive_messages(session, member, partner):
    with pytest.raises(messages.MessageError) as caught:
        messages.start_thread(session, member, partner, "Hello", "Can we talk?")
    assert caught.value.field == "recipient"
    with pytest.raises(errors.NotAllowedError):
        messages.start_thread(session, partner, member, "Hello", "Can we talk?")


def test_a_partner_sees_no_profile_and_has_none_to_see(session, member, partner):
    with pytest.raises(errors.NotFoundError):
        profiles.visible_profile(session, viewer=partner, membership_id=member.id)
    with pytest.raises(errors.NotFoundError):
        profiles.visible_profile(session, viewer=member, membership_id=partner.id)
    with pytest.raises(errors.NotAllowedError):
        profiles.update_profile(
            session,
            actor=partner,
            offers_text="Commissioning",
            needs_text="",
            availability="",
            area="",
            contact_preference="messages",
            email_notifications=False,
            consent_reporting=False,
            consent_research=False,
        )


def test_a_partner_is_never_among_the_members_who_can_help(session, bank, member, partner):
    category = bank.categories[0]
    session.add_all(
        [
            MemberSkill(membership_id=member.id, category_id=category.id),
            MemberSkill(membership_id=partner.id, category_id=category.id),
        ]
    )
    session.flush()
    ids = [i for i, _ in profiles.members_offering(session, bank.id, category.id)]
    assert ids == [member.id]


def test_a_partner_posts_no_listing(session, partner):
    with pytest.raises(errors.NotAllowedError):
        post_listing(
            session,
            actor=partner,
            kind="offer",
            title="Funding advice",
            description="Ask me",
            category_id=None,
        )


def test_a_partner_records_no_exchange_and_acts_for_no_organisation(
    session, bank, coordinator, member, partner
):
    organisation = OrganisationFactory(bank=bank)
    with pytest.raises(errors.NotAllowedError):
        record_transfer(
            session,
            actor=partner,
            giver=member.account,
            receiver=coordinator.account,
            minutes=60,
            service_date=TODAY,
        )
    with pytest.raises(errors.InactiveAccountError):
        organisations.add_staff(
            session, actor=coordinator, organisation=organisation, member=partner
        )


def test_an_old_partner_account_is_no_counterpart(session, bank, coordinator, member):
    """A partner membership with an account from before the rule (kept because it has
    history) cannot be given or take time."""
    keeper = MembershipFactory(bank=bank)
    record_transfer(
        session,
        actor=coordinator,
        giver=member.account,
        receiver=keeper.account,
        minutes=60,
        service_date=TODAY,
    )
    keeper.role = Role.PARTNER  # as an older version of the software allowed
    session.flush()
    with pytest.raises(errors.InactiveAccountError):
        record_transfer(
            session,
            actor=coordinator,
            giver=member.account,
            receiver=keeper.account,
            minutes=30,
            service_date=TODAY,
        )


def test_a_new_member_with_no_history_can_become_a_partner_and_back(
    session, bank, coordinator, member
):
    membership_service.set_role(session, actor=coordinator, membership=member, role=Role.PARTNER)
    assert account_of(session, member) is None
    membership_service.set_role(session, actor=coordinator, membership=member, role=Role.MEMBER)
    account = account_of(session, member)
    assert account is not None and account.balance == 0
    assert member.account is account
    session.commit()
    assert verify_ledger(session, bank.id) == []


def test_a_member_with_history_cannot_become_a_partner(session, bank, coordinator, member):
    other = MembershipFactory(bank=bank)
    record_transfer(
        session,
        actor=coordinator,
        giver=member.account,
        receiver=other.account,
        minutes=60,
        service_date=TODAY,
    )
    session.commit()
    with pytest.raises(errors.AccountInUseError) as caught:
        membership_service.set_role(
            session, actor=coordinator, membership=member, role=Role.PARTNER
        )
    assert caught.value.field == "role"
    session.rollback()
    assert session.get(Membership, member.id).role == Role.MEMBER
    assert account_of(session, member) is not None
    assert verify_ledger(session, bank.id) == []


def test_an_invitation_as_partner_gives_no_account(session, bank, coordinator):
    _, token = invitation_service.create_invitation(session, actor=coordinator, role=Role.PARTNER)
    person = PersonFactory()
    membership = invitation_service.accept_invitation(session, token=token, person=person)
    assert membership.role == Role.PARTNER and membership.is_active
    assert account_of(session, membership) is None


def test_a_declined_applicant_invited_as_partner_loses_the_unused_account(
    session, bank, coordinator
):
    applicant = MembershipFactory(bank=bank, status=MembershipStatus.DECLINED)
    assert account_of(session, applicant) is not None
    _, token = invitation_service.create_invitation(session, actor=coordinator, role=Role.PARTNER)
    membership = invitation_service.accept_invitation(session, token=token, person=applicant.person)
    assert membership.id == applicant.id and membership.role == Role.PARTNER
    assert account_of(session, membership) is None


def test_a_former_partner_invited_as_member_gets_an_account(session, bank, coordinator):
    former = MembershipFactory(bank=bank, role=Role.PARTNER, status=MembershipStatus.LEFT)
    _, token = invitation_service.create_invitation(session, actor=coordinator, role=Role.MEMBER)
    membership = invitation_service.accept_invitation(session, token=token, person=former.person)
    assert membership.role == Role.MEMBER
    assert account_of(session, membership) is not None
    session.commit()
    assert verify_ledger(session, bank.id) == []


def test_a_former_member_with_history_cannot_come_back_as_partner(session, bank, coordinator):
    former = MembershipFactory(bank=bank)
    other = MembershipFactory(bank=bank)
    record_transfer(
        session,
        actor=coordinator,
        giver=former.account,
        receiver=other.account,
        minutes=60,
        service_date=TODAY,
    )
    former.status = MembershipStatus.LEFT
    session.commit()
    _, token = invitation_service.create_invitation(session, actor=coordinator, role=Role.PARTNER)
    session.commit()
    with pytest.raises(errors.AccountInUseError) as caught:
        invitation_service.accept_invitation(session, token=token, person=former.person)
    assert "You have time recorded" in str(caught.value)
    session.rollback()
    assert account_of(session, former) is not None
