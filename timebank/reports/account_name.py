"""What one account is called (as ``Account.label``), read in one query of plain
columns instead of loading the account, its membership, person and organisation."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.database import read_rows
from timebank.ledger.models import Account, Membership, Organisation, Person, account_label

ACCOUNT_NAME = (
    sa.select(Account.kind, Person.display_name, Organisation.name)
    .outerjoin(Membership, Membership.id == Account.membership_id)
    .outerjoin(Person, Person.id == Membership.person_id)
    .outerjoin(Organisation, Organisation.id == Account.organisation_id)
    .where(Account.id == sa.bindparam("account_id"))
)


def account_name(session: Session, account_id: int) -> str:
    """The account's label; the account must exist (NoResultFound otherwise)."""
    kind, person_name, organisation_name = read_rows(
        session, ACCOUNT_NAME, {"account_id": account_id}
    ).one()
    return account_label(kind, person_name, organisation_name)
