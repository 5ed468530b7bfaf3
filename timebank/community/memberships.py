"""Coordinators looking after the people of a time bank: applications, roles, kinds,
suspensions and private notes.

Every change is made by an active coordinator of the member's own time bank, is
recorded in the audit log with the values before and after and, where the member
would want to know, notifies them. Services flush and never commit.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.community.models import CoordinatorNote
from timebank.community.notifications import Kind, notify
from timebank.community.people import rename_person
from timebank.community.security_events import ROLE_CHANGED, record_security_event
from timebank.ledger import errors
from timebank.ledger.audit import append_audit
from timebank.ledger.banks import close_unused_account, open_member_account
from timebank.ledger.models import (
    MemberKind,
    Membership,
    MembershipStatus,
    Role,
    TimeBank,
)
from timebank.ledger.posting import require_coordinator
from timebank.ledger.rules import require_reason

MAX_NOTE_LENGTH = 5000


ROLE_LABELS = {Role.MEMBER: "member", Role.COORDINATOR: "coordinator", Role.PARTNER: "partner"}


KIND_LABELS = {MemberKind.PARTICIPANT: "participant", MemberKind.PROFESSIONAL: "professional"}


class LastCoordinatorError(errors.NotAllowedError):
    code = "last_coordinator"


class MembershipStateError(errors.LedgerError):
    code = "membership_state"


def _check_actor(actor: Membership, target: Membership) -> None:
    require_coordinator(actor, target.time_bank_id)


def _lock(session: Session, membership: Membership) -> Membership:
    """Reload the membership with its row locked, so checks see the latest state.

    FOR NO KEY UPDATE: it serialises with posting (which locks the holders' rows the
    same way) but not with the foreign-key checks of transfers and audit entries that
    other transactions insert naming this membership. OF membership: the signed-in
    person's own membership was loaded with its bank and account joined, and a refresh
    loads it the same way; PostgreSQL refuses to lock the nullable side of that outer
    join, and only this row needs the lock."""
    session.refresh(membership, with_for_update={"key_share": True, "of": Membership})
    return membership


def membership_state(membership: Membership) -> dict[str, str]:
    return {
        "role": str(membership.role),
        "kind": str(membership.kind),
        "status": str(membership.status),
    }


def audit_membership(
    session: Session,
    actor: Membership,
    action: str,
    membership: Membership,
    before: dict | None,
    after: dict | None,
) -> None:
    append_audit(
        session,
        time_bank_id=membership.time_bank_id,
        actor=actor,
        action=action,
        entity_type="membership",
        entity_id=membership.id,
        before=before,
        after=after,
    )


def _bank_name(session: Session, membership: Membership) -> str:
    return session.get(TimeBank, membership.time_bank_id).name  # type: ignore[union-attr]


def _lock_coordinators(session: Session, time_bank_id: int) -> list[Membership]:
    """Lock every coordinator membership of the time bank (in id order) and return
    them as they are now. Two coordinators removing each other at the same moment then
    take turns, and the second sees the first one's change."""
    return list(
        session.scalars(
            sa.select(Membership)
            .where(Membership.time_bank_id == time_bank_id, Membership.role == Role.COORDINATOR)
            .order_by(Membership.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    )


def _lock_for_coordinator_change(
    session: Session, actor: Membership, target: Membership
) -> list[Membership]:
    """Lock the bank's coordinators, then the target (always in this order, so two such
    changes never deadlock); returns the coordinators as they are now. The actor must
    still be a coordinator once the locks are held."""
    coordinators = _lock_coordinators(session, target.time_bank_id)
    if not any(m.id == actor.id and m.is_coordinator for m in coordinators):
        raise errors.NotAllowedError("Only a coordinator of this time bank can do this.")
    _lock(session, target)
    return coordinators


def _is_last_coordinator(coordinators: list[Membership], target: Membership) -> bool:
    """Whether ``target`` is the time bank's only active coordinator."""
    if not target.is_coordinator:
        return False
    return len([m for m in coordinators if m.is_coordinator]) <= 1


def _change_status(
    session: Session,
    *,
    actor: Membership,
    membership: Membership,
    status: MembershipStatus,
    action: str,
    kind: str,
    outcome: str,
    message: str,
    reason: str | None = None,
) -> None:
    """Give a membership, locked and checked by the caller, another ``status``. The
    audit log keeps ``action`` with the values before and after (and the ``reason``),
    and the member is told: ``message`` with the bank's name for ``{bank}`` (and the
    reason for ``{reason}``), ``outcome`` in the notification's details."""
    before = membership_state(membership)
    membership.status = status
    session.flush()
    given = {} if reason is None else {"reason": reason}
    after = {**membership_state(membership), **given}
    audit_membership(session, actor, action, membership, before, after)
    bank = _bank_name(session, membership)
    notify(
        session,
        recipient=membership,
        kind=kind,
        message=message.format(bank=bank, reason=reason),
        details={"outcome": outcome, "bank": bank, **given},
    )


def approve_application(session: Session, *, actor: Membership, membership: Membership) -> None:
    """An applicant becomes an active member."""
    _check_actor(actor, membership)
    _lock(session, membership)
    if membership.status != MembershipStatus.APPLIED:
        raise MembershipStateError("This application has already been decided.")
    _change_status(
        session,
        actor=actor,
        membership=membership,
        status=MembershipStatus.ACTIVE,
        action="membership.application_approved",
        kind=Kind.APPLICATION,
        outcome="approved",
        message="Welcome to {bank}: your application was approved.",
    )


def decline_application(
    session: Session, *, actor: Membership, membership: Membership, reason: str
) -> None:
    """Decline an application; the reason is kept and told to the applicant."""
    _check_actor(actor, membership)
    reason = require_reason(reason)
    _lock(session, membership)
    if membership.status != MembershipStatus.APPLIED:
        raise MembershipStateError("This application has already been decided.")
    _change_status(
        session,
        actor=actor,
        membership=membership,
        status=MembershipStatus.DECLINED,
        action="membership.application_declined",
        kind=Kind.APPLICATION,
        outcome="declined",
        message="Your application to join {bank} was not accepted. Reason: {reason}",
        reason=reason,
    )


def set_role(session: Session, *, actor: Membership, membership: Membership, role: Role) -> None:
    """Give a member another role. The last active coordinator keeps theirs. A member
    becomes a partner only while their account has never been used (it is closed: a
    partner holds none); a partner who becomes a member gets an account."""
    _check_actor(actor, membership)
    try:
        role = Role(role)
    except ValueError as error:
        raise errors.InvalidPolicyError("Choose one of the roles.", field="role") from error
    coordinators = _lock_for_coordinator_change(session, actor, membership)
    if membership.status not in (MembershipStatus.ACTIVE, MembershipStatus.SUSPENDED):
        raise MembershipStateError(
            "Only members (active or suspended) can be given a role.", field="role"
        )
    if membership.role == role:
        name = membership.person.display_name
        if role == Role.COORDINATOR:
            raise MembershipStateError(
                "%(name)s is already a coordinator.", field="role", name=name
            )
        if role == Role.PARTNER:
            raise MembershipStateError("%(name)s is already a partner.", field="role", name=name)
        raise MembershipStateError("%(name)s is already a member.", field="role", name=name)
    if _is_last_coordinator(coordinators, membership):
        raise LastCoordinatorError(
            "You cannot remove the role of the last coordinator of the time bank."
            " Make someone else a coordinator first."
        )
    before = membership_state(membership)
    # A partner holds no account; a member always has one.
    if role == Role.PARTNER:
        close_unused_account(session, membership)
    elif membership.role == Role.PARTNER:
        open_member_account(session, membership)
    membership.role = role
    session.flush()
    audit_membership(
        session, actor, "membership.role_changed", membership, before, membership_state(membership)
    )
    record_security_event(
        session,
        kind=ROLE_CHANGED,
        person_id=membership.person_id,
        time_bank_id=membership.time_bank_id,
        actor_id=actor.person_id,
        details={"from": before["role"], "to": role.value},
    )
    notify(
        session,
        recipient=membership,
        kind=Kind.MEMBERSHIP,
        message=f"Your role in {_bank_name(session, membership)} is now {ROLE_LABELS[role]}.",
        details={"outcome": "role", "role": role.value, "bank": _bank_name(session, membership)},
    )


def set_kind(
    session: Session, *, actor: Membership, membership: Membership, kind: MemberKind
) -> None:
    """Record whether a member takes part as a participant or as a professional."""
    _check_actor(actor, membership)
    try:
        kind = MemberKind(kind)
    except ValueError as error:
        raise errors.InvalidPolicyError(
            "Choose participant or professional.", field="kind"
        ) from error
    _lock(session, membership)
    if membership.kind == kind:
        name = membership.person.display_name
        if kind == MemberKind.PROFESSIONAL:
            raise MembershipStateError(
                "%(name)s is already recorded as a professional.", field="kind", name=name
            )
        raise MembershipStateError(
            "%(name)s is already recorded as a participant.", field="kind", name=name
        )
    before = membership_state(membership)
    membership.kind = kind
    session.flush()
    audit_membership(
        session, actor, "membership.kind_changed", membership, before, membership_state(membership)
    )


def suspend(session: Session, *, actor: Membership, membership: Membership, reason: str) -> None:
    """Suspend an active member: they cannot sign in to this time bank or exchange time
    until a coordinator reactivates them."""
    _check_actor(actor, membership)
    reason = require_reason(reason)
    if membership.id == actor.id:
        raise errors.NotAllowedError("You cannot suspend yourself.", field="reason")
    coordinators = _lock_for_coordinator_change(session, actor, membership)
    if membership.status != MembershipStatus.ACTIVE:
        raise MembershipStateError("Only an active member can be suspended.", field="reason")
    if _is_last_coordinator(coordinators, membership):
        raise LastCoordinatorError(
            "You cannot suspend the last coordinator of the time bank."
            " Make someone else a coordinator first."
        )
    _change_status(
        session,
        actor=actor,
        membership=membership,
        status=MembershipStatus.SUSPENDED,
        action="membership.suspended",
        kind=Kind.MEMBERSHIP,
        outcome="suspended",
        message="Your membership of {bank} is suspended. Reason: {reason}",
        reason=reason,
    )


def reactivate(session: Session, *, actor: Membership, membership: Membership) -> None:
    """A suspended member becomes active again."""
    _check_actor(actor, membership)
    _lock(session, membership)
    if membership.status != MembershipStatus.SUSPENDED:
        raise MembershipStateError("Only a suspended member can be reactivated.")
    _change_status(
        session,
        actor=actor,
        membership=membership,
        status=MembershipStatus.ACTIVE,
        action="membership.reactivated",
        kind=Kind.MEMBERSHIP,
        outcome="reactivated",
        message="Your membership of {bank} is active again.",
    )


CURRENT_STATUSES = (MembershipStatus.APPLIED, MembershipStatus.ACTIVE, MembershipStatus.SUSPENDED)


def correct_name(
    session: Session, *, actor: Membership, membership: Membership, display_name: str
) -> bool:
    """A coordinator corrects the name of someone who has applied to or belongs to their
    time bank (a typo, a name the member asked them to change). A person has one name,
    so it changes in every bank they belong to, as when they change it themselves
    (``people.rename_person``, which audits it without either name). Someone who has
    left or was declined keeps their name to themselves. False when it is the same."""
    _check_actor(actor, membership)
    _lock(session, membership)
    if membership.status not in CURRENT_STATUSES:
        raise MembershipStateError(
            "%(name)s is not a member of this time bank now, so only they can change their name.",
            field="display_name",
            name=membership.person.display_name,
        )
    # A coordinator correcting their own name does what they would do on their own
    # account page: the log in each of their banks says they did it.
    by = None if actor.person_id == membership.person_id else actor
    return rename_person(session, membership.person, display_name, by=by)


def add_note(
    session: Session, *, actor: Membership, membership: Membership, body: str
) -> CoordinatorNote:
    """Keep a private note about a member. Members never see notes.

    The audit log records that a note was written and by whom, not what it says: the
    log can never be changed, and a note may need correcting or erasing one day.
    """
    _check_actor(actor, membership)
    body = (body or "").strip()
    if not body:
        raise errors.InvalidPolicyError("Write the note first.", field="body")
    if len(body) > MAX_NOTE_LENGTH:
        raise errors.InvalidPolicyError(
            "Keep a note under %(most)s characters.", field="body", most=f"{MAX_NOTE_LENGTH:,}"
        )
    note = CoordinatorNote(
        time_bank_id=membership.time_bank_id,
        membership_id=membership.id,
        author_id=actor.id,
        body=body,
    )
    session.add(note)
    session.flush()
    append_audit(
        session,
        time_bank_id=membership.time_bank_id,
        actor=actor,
        action="coordinator_note.added",
        entity_type="coordinator_note",
        entity_id=note.id,
        after={"membership_id": membership.id, "length": len(body)},
    )
    return note


def list_notes(session: Session, membership: Membership) -> list[CoordinatorNote]:
    """A member's notes, newest first."""
    return list(
        session.scalars(
            sa.select(CoordinatorNote)
            .where(
                CoordinatorNote.membership_id == membership.id,
                CoordinatorNote.time_bank_id == membership.time_bank_id,
            )
            .order_by(CoordinatorNote.created_at.desc(), CoordinatorNote.id.desc())
        )
    )
