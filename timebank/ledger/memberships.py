"""Coordinators looking after the people of a time bank: applications, roles, kinds,
suspensions, private notes and invitation links.

Every change is made by an active coordinator of the member's own time bank, is
recorded in the audit log with the values before and after and, where the member
would want to know, notifies them. Services flush and never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from timebank.ledger import errors
from timebank.ledger.audit import append_audit
from timebank.ledger.banks import add_membership
from timebank.ledger.clock import utcnow
from timebank.ledger.community_models import CoordinatorNote, Invitation
from timebank.ledger.models import (
    MemberKind,
    Membership,
    MembershipStatus,
    Person,
    Role,
    TimeBank,
)
from timebank.ledger.notifications import Kind, notify
from timebank.ledger.posting import require_coordinator
from timebank.ledger.rules import require_reason

MAX_NOTE_LENGTH = 5000
MAX_INVITATION_DAYS = 90
DEFAULT_INVITATION_DAYS = 14

ROLE_LABELS = {Role.MEMBER: "member", Role.COORDINATOR: "coordinator", Role.PARTNER: "partner"}
KIND_LABELS = {MemberKind.PARTICIPANT: "participant", MemberKind.PROFESSIONAL: "professional"}


class LastCoordinatorError(errors.NotAllowedError):
    code = "last_coordinator"


class MembershipStateError(errors.LedgerError):
    code = "membership_state"


class InvitationError(errors.LedgerError):
    """An invitation link that cannot be used; ``status`` is the HTTP status to answer
    with (404: no such link, 410: it existed but is used, withdrawn or expired)."""

    code = "invitation"
    status = 410


class UnknownInvitationError(InvitationError):
    code = "unknown_invitation"
    status = 404


# Helpers ------------------------------------------------------------------------------


def _check_actor(actor: Membership, target: Membership) -> None:
    require_coordinator(actor, target.time_bank_id)


def _lock(session: Session, membership: Membership) -> Membership:
    """Reload the membership with its row locked, so checks see the latest state."""
    session.refresh(membership, with_for_update=True)
    return membership


def _state(membership: Membership) -> dict[str, str]:
    return {
        "role": str(membership.role),
        "kind": str(membership.kind),
        "status": str(membership.status),
    }


def _audit(
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
            .with_for_update()
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


# Applications -------------------------------------------------------------------------


def approve_application(session: Session, *, actor: Membership, membership: Membership) -> None:
    """An applicant becomes an active member."""
    _check_actor(actor, membership)
    _lock(session, membership)
    if membership.status != MembershipStatus.APPLIED:
        raise MembershipStateError("This application has already been decided.")
    before = _state(membership)
    membership.status = MembershipStatus.ACTIVE
    session.flush()
    _audit(
        session, actor, "membership.application_approved", membership, before, _state(membership)
    )
    notify(
        session,
        recipient=membership,
        kind=Kind.APPLICATION,
        message=f"Welcome to {_bank_name(session, membership)}: your application was approved.",
        details={"outcome": "approved", "bank": _bank_name(session, membership)},
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
    before = _state(membership)
    membership.status = MembershipStatus.DECLINED
    session.flush()
    _audit(
        session,
        actor,
        "membership.application_declined",
        membership,
        before,
        {**_state(membership), "reason": reason},
    )
    notify(
        session,
        recipient=membership,
        kind=Kind.APPLICATION,
        message=(
            f"Your application to join {_bank_name(session, membership)} was not accepted."
            f" Reason: {reason}"
        ),
        details={"outcome": "declined", "bank": _bank_name(session, membership), "reason": reason},
    )


# Roles, kinds and suspension ----------------------------------------------------------


def set_role(session: Session, *, actor: Membership, membership: Membership, role: Role) -> None:
    """Give a member another role. The last active coordinator keeps theirs."""
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
    before = _state(membership)
    membership.role = role
    session.flush()
    _audit(session, actor, "membership.role_changed", membership, before, _state(membership))
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
    before = _state(membership)
    membership.kind = kind
    session.flush()
    _audit(session, actor, "membership.kind_changed", membership, before, _state(membership))


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
    before = _state(membership)
    membership.status = MembershipStatus.SUSPENDED
    session.flush()
    _audit(
        session,
        actor,
        "membership.suspended",
        membership,
        before,
        {**_state(membership), "reason": reason},
    )
    notify(
        session,
        recipient=membership,
        kind=Kind.MEMBERSHIP,
        message=(
            f"Your membership of {_bank_name(session, membership)} is suspended. Reason: {reason}"
        ),
        details={"outcome": "suspended", "bank": _bank_name(session, membership), "reason": reason},
    )


def reactivate(session: Session, *, actor: Membership, membership: Membership) -> None:
    """A suspended member becomes active again."""
    _check_actor(actor, membership)
    _lock(session, membership)
    if membership.status != MembershipStatus.SUSPENDED:
        raise MembershipStateError("Only a suspended member can be reactivated.")
    before = _state(membership)
    membership.status = MembershipStatus.ACTIVE
    session.flush()
    _audit(session, actor, "membership.reactivated", membership, before, _state(membership))
    notify(
        session,
        recipient=membership,
        kind=Kind.MEMBERSHIP,
        message=f"Your membership of {_bank_name(session, membership)} is active again.",
        details={"outcome": "reactivated", "bank": _bank_name(session, membership)},
    )


# Private notes ------------------------------------------------------------------------


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


# Invitations --------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_invitation(
    session: Session,
    *,
    actor: Membership,
    role: Role = Role.MEMBER,
    kind: MemberKind = MemberKind.PARTICIPANT,
    note: str = "",
    valid_days: int = DEFAULT_INVITATION_DAYS,
) -> tuple[Invitation, str]:
    """A single-use link to join the coordinator's time bank. Returns the invitation
    and the raw token; only the token's SHA-256 is stored, so this is the one chance to
    show it."""
    require_coordinator(actor, actor.time_bank_id)
    try:
        role, kind = Role(role), MemberKind(kind)
    except ValueError as error:
        raise errors.InvalidPolicyError("Choose a role and a kind.", field="role") from error
    if isinstance(valid_days, bool) or not isinstance(valid_days, int):
        raise errors.InvalidPolicyError("Give a whole number of days.", field="valid_days")
    if not 1 <= valid_days <= MAX_INVITATION_DAYS:
        raise errors.InvalidPolicyError(
            "A link can stay valid for 1 to %(most)s days.",
            field="valid_days",
            most=MAX_INVITATION_DAYS,
        )
    note = (note or "").strip()
    if len(note) > 200:
        raise errors.InvalidPolicyError("Keep the note under 200 characters.", field="note")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation = Invitation(
        time_bank_id=actor.time_bank_id,
        token_hash=hash_token(token),
        created_by_id=actor.id,
        role=role,
        kind=kind,
        note=note,
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
    )
    session.add(invitation)
    session.flush()
    append_audit(
        session,
        time_bank_id=actor.time_bank_id,
        actor=actor,
        action="invitation.created",
        entity_type="invitation",
        entity_id=invitation.id,
        after={
            "role": str(role),
            "kind": str(kind),
            "note": note,
            "expires_at": invitation.expires_at.isoformat(),
        },
    )
    return invitation, token


def invitation_state(invitation: Invitation) -> str:
    """waiting, used, withdrawn or expired."""
    if invitation.used_at is not None:
        return "used"
    if invitation.revoked_at is not None:
        return "withdrawn"
    if invitation.expires_at <= utcnow():
        return "expired"
    return "waiting"


def revoke_invitation(session: Session, *, actor: Membership, invitation: Invitation) -> None:
    """Withdraw a link that has not been used yet."""
    require_coordinator(actor, invitation.time_bank_id)
    now = utcnow()
    result = cast(
        CursorResult[Any],
        session.execute(
            sa.update(Invitation)
            .where(
                Invitation.id == invitation.id,
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .execution_options(synchronize_session=False),
        ),
    )
    if result.rowcount != 1:
        session.refresh(invitation)
        if invitation_state(invitation) == "used":
            raise MembershipStateError("This link has already been used.")
        raise MembershipStateError("This link was already withdrawn.")
    session.refresh(invitation)
    append_audit(
        session,
        time_bank_id=invitation.time_bank_id,
        actor=actor,
        action="invitation.revoked",
        entity_type="invitation",
        entity_id=invitation.id,
        before={"revoked_at": None},
        after={"revoked_at": now.isoformat()},
    )


def find_invitation(session: Session, token: str) -> Invitation:
    """The usable invitation for this token, or an InvitationError saying why not."""
    invitation = None
    if token and len(token) <= 200:
        invitation = session.scalar(
            sa.select(Invitation).where(Invitation.token_hash == hash_token(token))
        )
    if invitation is None:
        raise UnknownInvitationError(
            "This invitation link is not valid. Check that you copied the whole link."
        )
    state = invitation_state(invitation)
    if state == "used":
        raise InvitationError("This invitation link has already been used.")
    if state == "withdrawn":
        raise InvitationError("This invitation link was withdrawn by the time bank.")
    if state == "expired":
        raise InvitationError(
            "This invitation link has expired. Ask the time bank's coordinator for a new one."
        )
    return invitation


def accept_invitation(
    session: Session,
    *,
    token: str,
    person: Person,
    consent_reporting: bool = False,
    consent_research: bool = False,
) -> Membership:
    """Join the invitation's time bank as an active member with its role and kind.

    Someone the bank already knows is let in on their existing membership: an applicant
    still waiting, someone whose application was declined, someone who left. A member
    stays a member (nothing changes) and a suspended member stays suspended: an
    invitation never lifts a suspension.

    Single use even when two people open the link at once: the invitation is claimed
    by one conditional UPDATE, and only the request that changed the row goes on.
    """
    invitation = find_invitation(session, token)
    existing = session.scalar(
        sa.select(Membership).where(
            Membership.person_id == person.id,
            Membership.time_bank_id == invitation.time_bank_id,
        )
    )
    if existing is not None and existing.status == MembershipStatus.ACTIVE:
        raise errors.DuplicateError("You are already a member of this time bank.")
    if existing is not None and existing.status == MembershipStatus.SUSPENDED:
        raise errors.NotAllowedError(
            "Your membership of this time bank is suspended. Please talk to a coordinator there."
        )
    now = utcnow()
    claimed = cast(
        CursorResult[Any],
        session.execute(
            sa.update(Invitation)
            .where(
                Invitation.id == invitation.id,
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False),
        ),
    )
    if claimed.rowcount != 1:
        raise InvitationError("This invitation link has just been used or withdrawn.")
    bank = session.get(TimeBank, invitation.time_bank_id)
    assert bank is not None
    if existing is not None:
        membership = _readmit(
            session,
            existing,
            invitation,
            consent_reporting=bool(consent_reporting),
            consent_research=bool(consent_research),
        )
    else:
        membership = add_membership(
            session,
            actor=None,
            bank=bank,
            person=person,
            role=invitation.role,
            kind=invitation.kind,
            status=MembershipStatus.ACTIVE,
            consent_reporting=bool(consent_reporting),
            consent_research=bool(consent_research),
        )
    session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id)
        .values(used_by_id=membership.id)
        .execution_options(synchronize_session=False)
    )
    session.refresh(invitation)
    append_audit(
        session,
        time_bank_id=bank.id,
        actor=membership,
        action="invitation.accepted",
        entity_type="invitation",
        entity_id=invitation.id,
        before={"used_at": None},
        after={"used_at": now.isoformat(), "membership_id": membership.id},
    )
    return membership


def _readmit(
    session: Session,
    membership: Membership,
    invitation: Invitation,
    *,
    consent_reporting: bool,
    consent_research: bool,
) -> Membership:
    """An applicant, a declined applicant or a former member comes in by invitation:
    the same membership and account (their history stays theirs), active again, with
    the invitation's role and kind and the consents they have just given."""

    def state() -> dict:
        return {
            **_state(membership),
            "consent_reporting": membership.consent_reporting,
            "consent_research": membership.consent_research,
        }

    before = state()
    membership.status = MembershipStatus.ACTIVE
    membership.role = invitation.role
    membership.kind = invitation.kind
    membership.consent_reporting = consent_reporting
    membership.consent_research = consent_research
    session.flush()
    _audit(session, membership, "membership.rejoined", membership, before, state())
    return membership
