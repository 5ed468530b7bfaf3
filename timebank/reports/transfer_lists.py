"""What every list of transfers for coordinators shares: the names
loaded with the rows (one query however many rows), and the filter "involving someone
whose name contains ...".
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from timebank.ledger.models import Account, Membership, Organisation, Person, Transfer

PER_PAGE = 50


def names_loaded():
    """Options that load both accounts' holders' names and the category with the rows."""
    return (
        joinedload(Transfer.credit_account)
        .joinedload(Account.membership)
        .joinedload(Membership.person),
        joinedload(Transfer.credit_account).joinedload(Account.organisation),
        joinedload(Transfer.debit_account)
        .joinedload(Account.membership)
        .joinedload(Membership.person),
        joinedload(Transfer.debit_account).joinedload(Account.organisation),
        joinedload(Transfer.category),
    )


def _accounts_named(time_bank_id: int, term: str):
    """Ids of the bank's accounts whose holder's name contains ``term`` (any case)."""
    needle = term.strip().lower()
    people = (
        sa.select(Account.id)
        .join(Membership, Membership.id == Account.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Account.time_bank_id == time_bank_id,
            sa.func.lower(Person.display_name).contains(needle, autoescape=True),
        )
    )
    organisations = (
        sa.select(Account.id)
        .join(Organisation, Organisation.id == Account.organisation_id)
        .where(
            Account.time_bank_id == time_bank_id,
            sa.func.lower(Organisation.name).contains(needle, autoescape=True),
        )
    )
    return sa.union(people, organisations)


def involving(time_bank_id: int, term: str):
    named = _accounts_named(time_bank_id, term).subquery()
    ids = sa.select(named.c[0])
    return sa.or_(Transfer.debit_account_id.in_(ids), Transfer.credit_account_id.in_(ids))
