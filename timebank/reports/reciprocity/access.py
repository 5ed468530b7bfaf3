"""Who may read which reciprocity report.

A partner reads the reports of the time banks where they hold an active partner
membership (one bank, or several combined). A coordinator reads the coordinators'
report of their own bank only. The web layer checks these before building a report;
they raise ``NotAllowedError`` (a ``LedgerError``), never a web error.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger import errors
from timebank.ledger.models import Membership, MembershipStatus, Role, TimeBank
from timebank.reports.reciprocity.period import BankSelection


def partner_banks(session: Session, person_id: int) -> list[TimeBank]:
    """The time banks where this person is an active partner, by name."""
    return list(
        session.scalars(
            sa.select(TimeBank)
            .join(Membership, Membership.time_bank_id == TimeBank.id)
            .where(
                Membership.person_id == person_id,
                Membership.role == Role.PARTNER,
                Membership.status == MembershipStatus.ACTIVE,
            )
            .order_by(TimeBank.name, TimeBank.id)
        )
    )


def require_partner_of(session: Session, person_id: int, selection: BankSelection) -> None:
    """Raise NotAllowedError unless the person is an active partner of every bank in
    the selection."""
    allowed = {bank.id for bank in partner_banks(session, person_id)}
    if not set(selection.bank_ids) <= allowed:
        raise errors.NotAllowedError("You can only see reports of your own time banks.")


def require_coordinator_of(membership: Membership, selection: BankSelection) -> None:
    """Raise NotAllowedError unless the selection is the coordinator's own bank alone."""
    if selection.bank_ids != (membership.time_bank_id,) or not membership.is_coordinator:
        raise errors.NotAllowedError("Only a coordinator of this time bank can see this report.")
