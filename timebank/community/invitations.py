"""Invitation links: a coordinator creates one (only its hash is stored), withdraws it,
and a person joins with it: a new person, or someone the bank already knows (a waiting
or declined applicant, a former member) on their own membership and account.
Services flush and never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from timebank.community.memberships import MembershipStateError, audit_membership, membership_state
from timebank.community.models import Invitation
from timebank.ledger import errors
from timebank.ledger.audit import append_audit
from timebank.ledger.banks import add_membership, close_unused_account, open_member_account
from timebank.ledger.clock import utcnow
from timebank.ledger.models import (
    MemberKind,
    Membership,
    MembershipStatus,
    Person,
    Role,
    TimeBank,
)
from timebank.ledger.posting import require_coordinator

MAX_INVITATION_DAYS = 90


DEFAULT_INVITATION_DAYS = 14


class InvitationError(errors.LedgerError):
    """An invitation link that cannot be used; ``status`` is the HTTP status to answer
    with (404: no such link, 410: it existed but is used, withdrawn or expired)."""

    code = "invitation"
    status = 410


class UnknownInvitationError(InvitationError):
    code = "unknown_invitation"
    status = 404


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
    assert bank is not None  # noqa: S101 (narrows the type: a foreign key holds it)
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
            **membership_state(membership),
            "consent_reporting": membership.consent_reporting,
            "consent_research": membership.consent_research,
        }

    before = state()
    # A partner holds no account; a member always has one.
    if invitation.role == Role.PARTNER:
        try:
            close_unused_account(session, membership)
        except errors.AccountInUseError as error:
            raise errors.AccountInUseError(
                "You have time recorded in this time bank, so you cannot join it as a"
                " partner. Ask its coordinator for a member's invitation instead."
            ) from error
    elif membership.role == Role.PARTNER:
        open_member_account(session, membership)
    membership.status = MembershipStatus.ACTIVE
    membership.role = invitation.role
    membership.kind = invitation.kind
    membership.consent_reporting = consent_reporting
    membership.consent_research = consent_research
    session.flush()
    audit_membership(session, membership, "membership.rejoined", membership, before, state())
    return membership
