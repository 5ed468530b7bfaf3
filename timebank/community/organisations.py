"""Organisations (a council team, a charity) and the staff who act for them.

Staff are members of the same time bank. Which accounts a staff member may act for is
the ledger's rule (``timebank.ledger.staff``); here coordinators add and remove staff and
deactivate or reactivate an organisation. Services flush and never commit.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from timebank.ledger import errors
from timebank.ledger.audit import append_audit
from timebank.ledger.models import Membership, Organisation, OrganisationStaff, Person
from timebank.ledger.posting import require_coordinator


def is_staff(session: Session, organisation: Organisation, member: Membership) -> bool:
    return (
        session.scalar(
            sa.select(OrganisationStaff.id).where(
                OrganisationStaff.organisation_id == organisation.id,
                OrganisationStaff.membership_id == member.id,
            )
        )
        is not None
    )


def list_staff(session: Session, organisation: Organisation) -> list[Membership]:
    """The organisation's staff, by name."""
    return list(
        session.scalars(
            sa.select(Membership)
            .join(OrganisationStaff, OrganisationStaff.membership_id == Membership.id)
            .join(Person, Person.id == Membership.person_id)
            .where(OrganisationStaff.organisation_id == organisation.id)
            .options(joinedload(Membership.person))
            .order_by(Person.display_name, Membership.id)
        )
    )


def organisations_of(session: Session, member: Membership) -> list[Organisation]:
    """The organisations a member acts for."""
    return list(
        session.scalars(
            sa.select(Organisation)
            .join(OrganisationStaff, OrganisationStaff.organisation_id == Organisation.id)
            .where(OrganisationStaff.membership_id == member.id)
            .order_by(Organisation.name)
        )
    )


def _check_same_bank(actor: Membership, organisation: Organisation) -> None:
    if organisation.time_bank_id != actor.time_bank_id:
        raise errors.NotFoundError("That organisation does not exist.")
    require_coordinator(actor, organisation.time_bank_id)


def add_staff(
    session: Session, *, actor: Membership, organisation: Organisation, member: Membership
) -> OrganisationStaff:
    """Let ``member`` act for the organisation (a coordinator decides)."""
    _check_same_bank(actor, organisation)
    if member.time_bank_id != organisation.time_bank_id:
        raise errors.NotFoundError("That member does not exist.")
    if not member.is_active or member.is_partner:
        raise errors.InactiveAccountError(
            "%(name)s is not an active member, so cannot act for %(organisation)s.",
            field="membership_id",
            name=member.person.display_name,
            organisation=organisation.name,
        )
    if not organisation.active:
        raise errors.InvalidPolicyError(
            "%(organisation)s is no longer active; reactivate it first.",
            field="membership_id",
            organisation=organisation.name,
        )
    if is_staff(session, organisation, member):
        raise errors.DuplicateError(
            "%(name)s already acts for %(organisation)s.",
            field="membership_id",
            name=member.person.display_name,
            organisation=organisation.name,
        )
    staff = OrganisationStaff(organisation_id=organisation.id, membership_id=member.id)
    session.add(staff)
    session.flush()
    append_audit(
        session,
        time_bank_id=organisation.time_bank_id,
        actor=actor,
        action="organisation.staff_added",
        entity_type="organisation",
        entity_id=organisation.id,
        after={"organisation_id": organisation.id, "membership_id": member.id},
    )
    return staff


def remove_staff(
    session: Session, *, actor: Membership, organisation: Organisation, member: Membership
) -> None:
    """Stop ``member`` acting for the organisation. Entries they recorded stay as they are."""
    _check_same_bank(actor, organisation)
    if member.time_bank_id != organisation.time_bank_id:
        raise errors.NotFoundError("That member does not exist.")
    staff = session.scalar(
        sa.select(OrganisationStaff).where(
            OrganisationStaff.organisation_id == organisation.id,
            OrganisationStaff.membership_id == member.id,
        )
    )
    if staff is None:
        raise errors.InvalidPolicyError(
            "%(name)s does not act for %(organisation)s.",
            field="membership_id",
            name=member.person.display_name,
            organisation=organisation.name,
        )
    session.delete(staff)
    session.flush()
    append_audit(
        session,
        time_bank_id=organisation.time_bank_id,
        actor=actor,
        action="organisation.staff_removed",
        entity_type="organisation",
        entity_id=organisation.id,
        before={"organisation_id": organisation.id, "membership_id": member.id},
    )


def _set_active(
    session: Session, actor: Membership, organisation: Organisation, active: bool
) -> Organisation:
    _check_same_bank(actor, organisation)
    # The row lock posting takes to read ``active`` (see ledger.posting.lock_accounts).
    session.refresh(organisation, with_for_update={"key_share": True})
    if organisation.active == active:
        if active:
            raise errors.InvalidPolicyError(
                "%(organisation)s is already active.", organisation=organisation.name
            )
        raise errors.InvalidPolicyError(
            "%(organisation)s is already inactive.", organisation=organisation.name
        )
    organisation.active = active
    session.flush()
    append_audit(
        session,
        time_bank_id=organisation.time_bank_id,
        actor=actor,
        action="organisation.reactivated" if active else "organisation.deactivated",
        entity_type="organisation",
        entity_id=organisation.id,
        before={"active": not active},
        after={"active": active},
    )
    return organisation


def deactivate_organisation(
    session: Session, *, actor: Membership, organisation: Organisation
) -> Organisation:
    """An inactive organisation keeps its history and balance but takes part in no new
    exchange: nothing of it posts, even an entry waiting from before."""
    return _set_active(session, actor, organisation, False)


def reactivate_organisation(
    session: Session, *, actor: Membership, organisation: Organisation
) -> Organisation:
    return _set_active(session, actor, organisation, True)
