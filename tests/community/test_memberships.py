"""Coordinators looking after members, on a real database: applications, roles (never
the last coordinator, even under a race), suspension, notes and invitation links."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    PersonFactory,
    bank_today,
)
from timebank.community import invitations as invitation_service
from timebank.community import memberships as service
from timebank.community.models import CoordinatorNote, Invitation, Notification
from timebank.extensions import db
from timebank.ledger import errors
from timebank.ledger.clock import utcnow
from timebank.ledger.database import run_in_transaction
from timebank.ledger.models import (
    AuditEntry,
    MemberKind,
    Membership,
    MembershipStatus,
    Person,
    Role,
)
from timebank.ledger.transfers import record_transfer
from timebank.ledger.verify import verify_ledger

TODAY = bank_today()


@pytest.fixture
def applicant(bank):
    return MembershipFactory(bank=bank, status=MembershipStatus.APPLIED)


@pytest.fixture
def member(bank):
    return MembershipFactory(bank=bank)


def last_audit(session, bank_id):
    return session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.time_bank_id == bank_id)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).one()


def notifications_of(session, membership):
    return session.scalars(
        sa.select(Notification.message).where(Notification.membership_id == membership.id)
    ).all()


# Applications -------------------------------------------------------------------------


def test_approving_an_application_makes_an_active_member_and_tells_them(
    session, bank, coordinator, applicant
):
    service.approve_application(session, actor=coordinator, membership=applicant)
    assert applicant.status == MembershipStatus.ACTIVE
    entry = last_audit(session, bank.id)
    assert entry.action == "membership.application_approved"
    assert entry.actor_id == coordinator.id and entry.entity_id == applicant.id
    assert json.loads(entry.before)["status"] == "applied"
    assert json.loads(entry.after)["status"] == "active"
    assert any("approved" in m for m in notifications_of(session, applicant))
    assert verify_ledger(session) == []


def test_declining_needs_a_reason_which_is_kept_and_told(session, bank, coordinator, applicant):
    with pytest.raises(errors.MissingReasonError):
        service.decline_application(session, actor=coordinator, membership=applicant, reason=" ")
    assert applicant.status == MembershipStatus.APPLIED
    service.decline_application(
        session, actor=coordinator, membership=applicant, reason="We only cover Riverside ward."
    )
    assert applicant.status == MembershipStatus.DECLINED
    entry = last_audit(session, bank.id)
    assert entry.action == "membership.application_declined"
    assert json.loads(entry.after) == {
        "role": "member",
        "kind": "participant",
        "status": "declined",
        "reason": "We only cover Riverside ward.",
    }
    assert any("Riverside ward" in m for m in notifications_of(session, applicant))


def test_an_application_is_decided_once(session, coordinator, applicant):
    service.approve_application(session, actor=coordinator, membership=applicant)
    with pytest.raises(service.MembershipStateError):
        service.decline_application(session, actor=coordinator, membership=applicant, reason="x")
    with pytest.raises(service.MembershipStateError):
        service.approve_application(session, actor=coordinator, membership=applicant)


def test_only_a_coordinator_of_the_same_bank_decides(session, bank, member, applicant):
    other_coordinator = CoordinatorFactory()
    for actor in (member, other_coordinator):
        with pytest.raises(errors.NotAllowedError):
            service.approve_application(session, actor=actor, membership=applicant)
    assert applicant.status == MembershipStatus.APPLIED


# Roles --------------------------------------------------------------------------------


def test_making_a_member_a_coordinator_and_back(session, bank, coordinator, member):
    service.set_role(session, actor=coordinator, membership=member, role=Role.COORDINATOR)
    assert member.is_coordinator
    entry = last_audit(session, bank.id)
    assert (json.loads(entry.before)["role"], json.loads(entry.after)["role"]) == (
        "member",
        "coordinator",
    )
    assert any("now coordinator" in m for m in notifications_of(session, member))
    # With two coordinators, either may step down.
    service.set_role(session, actor=member, membership=coordinator, role=Role.MEMBER)
    assert coordinator.role == Role.MEMBER


def test_the_last_coordinator_keeps_the_role(session, bank, coordinator, member):
    with pytest.raises(service.LastCoordinatorError, match="last coordinator"):
        service.set_role(session, actor=coordinator, membership=coordinator, role=Role.MEMBER)
    assert coordinator.role == Role.COORDINATOR


def test_a_suspended_coordinator_does_not_count(session, bank, coordinator, member):
    second = CoordinatorFactory(bank=bank)
    service.suspend(session, actor=coordinator, membership=second, reason="On leave")
    with pytest.raises(service.LastCoordinatorError):
        service.set_role(session, actor=coordinator, membership=coordinator, role=Role.PARTNER)
    # A suspended coordinator cannot act at all.
    with pytest.raises(errors.NotAllowedError):
        service.suspend(session, actor=second, membership=coordinator, reason="x")
    assert coordinator.is_coordinator


def test_the_same_role_again_is_refused(session, coordinator, member):
    with pytest.raises(service.MembershipStateError, match="already"):
        service.set_role(session, actor=coordinator, membership=member, role=Role.MEMBER)


def test_setting_the_kind(session, bank, coordinator, member):
    service.set_kind(session, actor=coordinator, membership=member, kind=MemberKind.PROFESSIONAL)
    assert member.kind == MemberKind.PROFESSIONAL
    entry = last_audit(session, bank.id)
    assert entry.action == "membership.kind_changed"
    assert json.loads(entry.after)["kind"] == "professional"


# Suspension ---------------------------------------------------------------------------


def test_a_suspended_member_cannot_exchange_time_until_reactivated(
    session, bank, coordinator, member
):
    other = MembershipFactory(bank=bank)
    with pytest.raises(errors.MissingReasonError):
        service.suspend(session, actor=coordinator, membership=member, reason="")
    service.suspend(session, actor=coordinator, membership=member, reason="Missed three visits")
    assert member.status == MembershipStatus.SUSPENDED
    assert json.loads(last_audit(session, bank.id).after)["reason"] == "Missed three visits"
    with pytest.raises(errors.NotAllowedError):
        record_transfer(
            session,
            actor=member,
            giver=member.account,
            receiver=other.account,
            minutes=60,
            service_date=TODAY,
        )
    with pytest.raises(errors.InactiveAccountError):
        record_transfer(
            session,
            actor=coordinator,
            giver=other.account,
            receiver=member.account,
            minutes=60,
            service_date=TODAY,
        )
    with pytest.raises(service.MembershipStateError):
        service.suspend(session, actor=coordinator, membership=member, reason="again")
    service.reactivate(session, actor=coordinator, membership=member)
    assert member.status == MembershipStatus.ACTIVE
    record_transfer(
        session,
        actor=member,
        giver=member.account,
        receiver=other.account,
        minutes=60,
        service_date=TODAY,
    )
    with pytest.raises(service.MembershipStateError):
        service.reactivate(session, actor=coordinator, membership=member)


def test_a_coordinator_cannot_suspend_themselves(session, bank, coordinator):
    CoordinatorFactory(bank=bank)
    with pytest.raises(errors.NotAllowedError, match="yourself"):
        service.suspend(session, actor=coordinator, membership=coordinator, reason="tired")


def test_each_status_change_tells_the_member_in_its_own_words(session, bank, coordinator):
    """The words and details of the four status changes' notifications, in the order
    they came: approved, suspended, reactivated; another applicant declined."""
    joining = MembershipFactory(bank=bank, status=MembershipStatus.APPLIED)
    refused = MembershipFactory(bank=bank, status=MembershipStatus.APPLIED)
    service.approve_application(session, actor=coordinator, membership=joining)
    service.suspend(session, actor=coordinator, membership=joining, reason="Missed {three} visits.")
    service.reactivate(session, actor=coordinator, membership=joining)
    service.decline_application(session, actor=coordinator, membership=refused, reason="Full.")
    told = session.execute(
        sa.select(Notification.membership_id, Notification.kind, Notification.message)
        .add_columns(Notification.details)
        .order_by(Notification.id)
    ).all()
    name = bank.name
    assert [tuple(row) for row in told] == [
        (
            joining.id,
            "application_decided",
            f"Welcome to {name}: your application was approved.",
            {"outcome": "approved", "bank": name},
        ),
        (
            joining.id,
            "membership_changed",
            f"Your membership of {name} is suspended. Reason: Missed {{three}} visits.",
            {"outcome": "suspended", "bank": name, "reason": "Missed {three} visits."},
        ),
        (
            joining.id,
            "membership_changed",
            f"Your membership of {name} is active again.",
            {"outcome": "reactivated", "bank": name},
        ),
        (
            refused.id,
            "application_decided",
            f"Your application to join {name} was not accepted. Reason: Full.",
            {"outcome": "declined", "bank": name, "reason": "Full."},
        ),
    ]
    entry = last_audit(session, bank.id)
    assert entry.action == "membership.application_declined"
    assert json.loads(entry.before)["status"] == "applied"


# Notes --------------------------------------------------------------------------------


def test_notes_are_kept_newest_first_and_their_text_stays_out_of_the_audit_log(
    session, bank, coordinator, member
):
    with pytest.raises(errors.InvalidPolicyError):
        service.add_note(session, actor=coordinator, membership=member, body="   ")
    first = service.add_note(session, actor=coordinator, membership=member, body="Prefers calls")
    second = service.add_note(session, actor=coordinator, membership=member, body="Has a dog")
    assert [n.id for n in service.list_notes(session, member)] == [second.id, first.id]
    entry = last_audit(session, bank.id)
    assert entry.action == "coordinator_note.added"
    assert "dog" not in (entry.after or "")
    with pytest.raises(errors.NotAllowedError):
        service.add_note(session, actor=member, membership=member, body="sneaky")
    with pytest.raises(errors.NotAllowedError):
        service.add_note(session, actor=CoordinatorFactory(), membership=member, body="x")
    assert session.scalar(sa.select(sa.func.count()).select_from(CoordinatorNote)) == 2


# Invitations --------------------------------------------------------------------------


def test_an_invitation_stores_only_the_hash_and_joins_once(session, bank, coordinator):
    invitation, token = invitation_service.create_invitation(
        session,
        actor=coordinator,
        role=Role.COORDINATOR,
        kind=MemberKind.PROFESSIONAL,
        note="Dana from the health centre",
    )
    assert len(token) >= 40
    assert invitation.token_hash == invitation_service.hash_token(token) != token
    assert token not in (last_audit(session, bank.id).after or "")
    assert (invitation.expires_at - invitation.created_at) == timedelta(days=14)

    dana = PersonFactory()
    membership = invitation_service.accept_invitation(
        session, token=token, person=dana, consent_reporting=True
    )
    assert membership.time_bank_id == bank.id
    assert membership.status == MembershipStatus.ACTIVE
    assert (membership.role, membership.kind) == (Role.COORDINATOR, MemberKind.PROFESSIONAL)
    assert membership.consent_reporting and not membership.consent_research
    assert membership.account is not None
    session.refresh(invitation)
    assert invitation.used_at is not None and invitation.used_by_id == membership.id
    assert invitation_service.invitation_state(invitation) == "used"

    with pytest.raises(invitation_service.InvitationError, match="already been used"):
        invitation_service.accept_invitation(session, token=token, person=PersonFactory())
    assert verify_ledger(session) == []


def test_unknown_expired_and_withdrawn_links_are_refused(session, bank, coordinator):
    with pytest.raises(invitation_service.UnknownInvitationError) as unknown:
        invitation_service.accept_invitation(
            session, token="not-a-real-token", person=PersonFactory()
        )
    assert unknown.value.status == 404

    expired, expired_token = invitation_service.create_invitation(
        session, actor=coordinator, valid_days=1
    )
    expired.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    with pytest.raises(invitation_service.InvitationError, match="expired") as gone:
        invitation_service.accept_invitation(session, token=expired_token, person=PersonFactory())
    assert gone.value.status == 410

    withdrawn, withdrawn_token = invitation_service.create_invitation(session, actor=coordinator)
    invitation_service.revoke_invitation(session, actor=coordinator, invitation=withdrawn)
    assert last_audit(session, bank.id).action == "invitation.revoked"
    with pytest.raises(invitation_service.InvitationError, match="withdrawn"):
        invitation_service.accept_invitation(session, token=withdrawn_token, person=PersonFactory())
    with pytest.raises(service.MembershipStateError):
        invitation_service.revoke_invitation(session, actor=coordinator, invitation=withdrawn)
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(Membership.time_bank_id == bank.id)
        )
        == 1
    )


def test_invitation_settings_are_checked(session, coordinator, member):
    for days in (0, 91, "7"):
        with pytest.raises(errors.InvalidPolicyError):
            invitation_service.create_invitation(session, actor=coordinator, valid_days=days)
    with pytest.raises(errors.NotAllowedError):
        invitation_service.create_invitation(session, actor=member)


def test_an_existing_member_cannot_use_a_link_for_their_own_bank(session, coordinator, member):
    invitation, token = invitation_service.create_invitation(session, actor=coordinator)
    with pytest.raises(errors.DuplicateError):
        invitation_service.accept_invitation(session, token=token, person=member.person)
    session.refresh(invitation)
    assert invitation.used_at is None


@pytest.mark.parametrize("status", ["applied", "declined", "left"])
def test_someone_the_bank_knows_comes_in_on_their_own_membership(
    session, bank, coordinator, applicant, status
):
    """A waiting applicant, a declined one (told to "talk to a coordinator") or a former
    member joins by invitation on the same membership and account, now active, with
    the invitation's role and kind and the consents just given."""
    if status == "declined":
        service.decline_application(
            session, actor=coordinator, membership=applicant, reason="We could not reach you"
        )
    elif status == "left":
        applicant.status = MembershipStatus.LEFT
        session.flush()
    account_id = applicant.account.id
    invitation, token = invitation_service.create_invitation(
        session, actor=coordinator, kind=MemberKind.PROFESSIONAL
    )

    membership = invitation_service.accept_invitation(
        session, token=token, person=applicant.person, consent_research=True
    )

    assert membership.id == applicant.id and membership.account.id == account_id
    assert membership.status == MembershipStatus.ACTIVE
    assert (membership.role, membership.kind) == (Role.MEMBER, MemberKind.PROFESSIONAL)
    assert (membership.consent_reporting, membership.consent_research) == (False, True)
    rejoined = session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.time_bank_id == bank.id, AuditEntry.action == "membership.rejoined"
        )
    ).one()
    assert json.loads(rejoined.before)["status"] == status
    assert json.loads(rejoined.after)["status"] == "active"
    assert last_audit(session, bank.id).action == "invitation.accepted"
    session.refresh(invitation)
    assert invitation.used_by_id == membership.id
    assert verify_ledger(session) == []


def test_an_invitation_never_lifts_a_suspension(session, bank, coordinator, member):
    service.suspend(session, actor=coordinator, membership=member, reason="Under review")
    invitation, token = invitation_service.create_invitation(session, actor=coordinator)
    before = last_audit(session, bank.id).seq

    with pytest.raises(errors.NotAllowedError, match="suspended"):
        invitation_service.accept_invitation(session, token=token, person=member.person)

    session.refresh(invitation)
    session.refresh(member)
    assert invitation.used_at is None
    assert member.status == MembershipStatus.SUSPENDED
    assert last_audit(session, bank.id).seq == before


# Races (PostgreSQL: real row locks) ----------------------------------------------------


def _race(app, jobs):
    """Run each job in its own thread and session at the same moment; return what each
    gave back (its result or its exception)."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index, job):
        with app.app_context(), Session(db.engine) as own:
            barrier.wait()
            try:
                results[index] = run_in_transaction(own, lambda: job(own))
            except Exception as error:  # the refusal is the point of the test
                results[index] = error

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres_only
def test_two_coordinators_removing_each_other_at_once_leave_one(app, session, bank):
    for _ in range(5):
        first = CoordinatorFactory(bank=bank)
        second = CoordinatorFactory(bank=bank)
        session.commit()
        # Leave only these two coordinators.
        others = session.scalars(
            sa.select(Membership).where(
                Membership.time_bank_id == bank.id,
                Membership.role == Role.COORDINATOR,
                Membership.id.not_in([first.id, second.id]),
            )
        ).all()
        for other in others:
            other.role = Role.MEMBER
        session.commit()

        def demote(actor_id, target_id):
            def job(own):
                actor, target = own.get(Membership, actor_id), own.get(Membership, target_id)
                service.set_role(own, actor=actor, membership=target, role=Role.MEMBER)
                return "done"

            return job

        results = _race(app, [demote(first.id, second.id), demote(second.id, first.id)])
        assert sorted(type(r).__name__ if isinstance(r, Exception) else r for r in results) in (
            ["LastCoordinatorError", "done"],
            ["NotAllowedError", "done"],
        ), results
        session.expire_all()
        active = session.scalars(
            sa.select(Membership).where(
                Membership.time_bank_id == bank.id,
                Membership.role == Role.COORDINATOR,
                Membership.status == MembershipStatus.ACTIVE,
            )
        ).all()
        assert len(active) == 1
    assert verify_ledger(session) == []


@pytest.mark.postgres_only
def test_two_people_using_one_link_at_once_make_one_membership(app, session, bank, coordinator):
    invitation, token = invitation_service.create_invitation(session, actor=coordinator)
    people = [PersonFactory(), PersonFactory(), PersonFactory(), PersonFactory()]
    session.commit()

    def accept(person_id):
        def job(own):
            person = own.get(Person, person_id)
            return invitation_service.accept_invitation(own, token=token, person=person).id

        return job

    results = _race(app, [accept(p.id) for p in people])
    joined = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, invitation_service.InvitationError)]
    assert len(joined) == 1 and len(refused) == 3, results
    session.expire_all()
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(Membership.time_bank_id == bank.id)
        )
        == 2
    )
    assert session.get(Invitation, invitation.id).used_by_id == joined[0]
    assert verify_ledger(session) == []
