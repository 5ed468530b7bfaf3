"""Who may act for an organisation's account: its staff.

A staff member may record exchanges where the organisation's account gives or receives
time; they count as a party to it. Adding and removing staff is the community's work
(``timebank.community.organisations``); the ledger only asks who may act.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.models import Account, Membership, Organisation, OrganisationStaff


def accounts_acted_for(session: Session, actor: Membership, account_ids: Iterable[int]) -> set[int]:
    """Which of these accounts belong to an organisation ``actor`` is staff of (one query)."""
    wanted = sorted(set(account_ids))
    if not wanted:
        return set()
    return set(
        session.scalars(
            sa.select(Account.id)
            .join(OrganisationStaff, OrganisationStaff.organisation_id == Account.organisation_id)
            .join(Organisation, Organisation.id == Account.organisation_id)
            .where(
                OrganisationStaff.membership_id == actor.id,
                Organisation.time_bank_id == actor.time_bank_id,
                Account.id.in_(wanted),
            )
        )
    )
