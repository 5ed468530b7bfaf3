"""What the caller's memberships reach. A bank the caller does not belong to, and any
object of it, answers 404 exactly as if it did not exist; a role that does not reach a
resource of the caller's own bank answers 403."""

from __future__ import annotations

import sqlalchemy as sa

from timebank.api.aborting import abort
from timebank.api.auth import caller
from timebank.extensions import db
from timebank.ledger.models import (
    Account,
    AccountKind,
    Membership,
    MembershipStatus,
    Organisation,
    OrganisationStaff,
    Transfer,
)
from timebank.ledger.staff import accounts_acted_for


def active_memberships() -> list[Membership]:
    return [m for m in caller().memberships if m.status == MembershipStatus.ACTIVE]


def member_in(bank_id: int) -> Membership:
    """The caller's active member or coordinator membership of the bank, else 404 (a
    partner membership reaches no member's objects)."""
    for membership in active_memberships():
        if membership.time_bank_id == bank_id and not membership.is_partner:
            return membership
    abort(404)


def coordinator_in(bank_id: int) -> Membership:
    membership = member_in(bank_id)
    if not membership.is_coordinator:
        abort(403)
    return membership


def may_see_account(membership: Membership, account: Account) -> bool:
    """Coordinators see every account of their bank; a member their own and those of
    the organisations they record for."""
    if account.time_bank_id != membership.time_bank_id:
        return False
    if membership.is_coordinator:
        return True
    if membership.account is not None and account.id == membership.account.id:
        return True
    if account.kind == AccountKind.ORGANISATION:
        return account.id in accounts_acted_for(db.session(), membership, [account.id])
    return False


def visible_account_ids(membership: Membership) -> list[int] | None:
    """The accounts whose transfers a member sees (None: all of the bank's)."""
    if membership.is_coordinator:
        return None
    ids = [membership.account.id] if membership.account is not None else []
    ids += list(
        db.session.scalars(
            sa.select(Account.id)
            .join(OrganisationStaff, OrganisationStaff.organisation_id == Account.organisation_id)
            .join(Organisation, Organisation.id == Account.organisation_id)
            .where(
                OrganisationStaff.membership_id == membership.id,
                Organisation.time_bank_id == membership.time_bank_id,
            )
        )
    )
    return ids


def account_for(account_id: int) -> tuple[Membership, Account]:
    """An account the caller may see, with the membership that sees it; else 404."""
    account = db.session.get(Account, account_id)
    if account is None:
        abort(404)
    for membership in active_memberships():
        same_bank = membership.time_bank_id == account.time_bank_id
        if same_bank and not membership.is_partner and may_see_account(membership, account):
            return membership, account
    abort(404)


def transfer_for(transfer_id: int) -> tuple[Membership, Transfer]:
    """A transfer the caller may see (a side of it, or a coordinator of its bank)."""
    transfer = db.session.get(Transfer, transfer_id)
    if transfer is None:
        abort(404)
    for membership in active_memberships():
        if membership.time_bank_id != transfer.time_bank_id or membership.is_partner:
            continue
        seen = visible_account_ids(membership)
        if seen is None or {transfer.debit_account_id, transfer.credit_account_id} & set(seen):
            return membership, transfer
    abort(404)
