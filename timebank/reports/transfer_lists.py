"""What every list of transfers for coordinators shares: both sides' names read with
the rows (one query however many rows), and the filter "involving someone whose name
contains ...".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from timebank.ledger.models import (
    Account,
    Category,
    Membership,
    Organisation,
    Person,
    Transfer,
    account_label,
)
from timebank.reports.name_search import contains_text

PER_PAGE = 50

# Made once: a new alias on every call costs SQLAlchemy as much again to build the query.
_GIVER = aliased(Account, name="giver_account")
_GIVER_MEMBERSHIP = aliased(Membership, name="giver_membership")
_GIVER_PERSON = aliased(Person, name="giver_person")
_GIVER_ORGANISATION = aliased(Organisation, name="giver_organisation")
_RECEIVER = aliased(Account, name="receiver_account")
_RECEIVER_MEMBERSHIP = aliased(Membership, name="receiver_membership")
_RECEIVER_PERSON = aliased(Person, name="receiver_person")
_RECEIVER_ORGANISATION = aliased(Organisation, name="receiver_organisation")


def with_both_sides(*columns: Any) -> sa.Select:
    """Transfers, each with ``columns``, its category's name (``category``) and both
    accounts' kinds and holders' names as plain columns (``giver_kind``,
    ``giver_person``, ``giver_organisation``, and the same for ``receiver_``), in this
    order after ``columns``: see ``split_sides``. The giver is the credited account, the
    receiver the debited one. Loading the transfers, their category and both accounts
    with their memberships, people and organisations as ORM objects cost more than
    the query."""
    return (
        sa.select(
            *columns,
            Category.name.label("category"),
            _GIVER.kind.label("giver_kind"),
            _GIVER_PERSON.display_name.label("giver_person"),
            _GIVER_ORGANISATION.name.label("giver_organisation"),
            _RECEIVER.kind.label("receiver_kind"),
            _RECEIVER_PERSON.display_name.label("receiver_person"),
            _RECEIVER_ORGANISATION.name.label("receiver_organisation"),
        )
        .select_from(Transfer)
        .join(_GIVER, _GIVER.id == Transfer.credit_account_id)
        .outerjoin(_GIVER_MEMBERSHIP, _GIVER_MEMBERSHIP.id == _GIVER.membership_id)
        .outerjoin(_GIVER_PERSON, _GIVER_PERSON.id == _GIVER_MEMBERSHIP.person_id)
        .outerjoin(_GIVER_ORGANISATION, _GIVER_ORGANISATION.id == _GIVER.organisation_id)
        .join(_RECEIVER, _RECEIVER.id == Transfer.debit_account_id)
        .outerjoin(_RECEIVER_MEMBERSHIP, _RECEIVER_MEMBERSHIP.id == _RECEIVER.membership_id)
        .outerjoin(_RECEIVER_PERSON, _RECEIVER_PERSON.id == _RECEIVER_MEMBERSHIP.person_id)
        .outerjoin(_RECEIVER_ORGANISATION, _RECEIVER_ORGANISATION.id == _RECEIVER.organisation_id)
        .outerjoin(Category, Category.id == Transfer.category_id)
    )


def split_sides(row: Sequence[Any]) -> tuple[list[Any], str | None, str, str, str]:
    """A row of ``with_both_sides`` read by position (a row's columns by name cost
    five times as much, on lists of fifty): its own columns (``columns``, in their
    order), its category's name, the giver's name, the receiver's name and the
    receiver's account kind."""
    (
        *own,
        category,
        giver_kind,
        giver_person,
        giver_org,
        receiver_kind,
        receiver_person,
        receiver_org,
    ) = row
    return (
        own,
        category,
        account_label(giver_kind, giver_person, giver_org),
        account_label(receiver_kind, receiver_person, receiver_org),
        receiver_kind,
    )


def _accounts_named(time_bank_id: Any, parameter: str):
    """Ids of the bank's accounts whose holder's name contains the value of the bind
    parameter ``parameter`` (any case; see ``name_search``)."""
    people = (
        sa.select(Account.id)
        .join(Membership, Membership.id == Account.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Account.time_bank_id == time_bank_id,
            contains_text(Person.display_name, parameter),
        )
    )
    organisations = (
        sa.select(Account.id)
        .join(Organisation, Organisation.id == Account.organisation_id)
        .where(
            Account.time_bank_id == time_bank_id,
            contains_text(Organisation.name, parameter),
        )
    )
    return sa.union(people, organisations)


def involving(time_bank_id: Any, parameter: str):
    """Entries either side of which is held by someone whose name contains the value of
    the bind parameter ``parameter`` (``name_search.contained(text)``)."""
    named = _accounts_named(time_bank_id, parameter).subquery()
    ids = sa.select(named.c[0])
    return sa.or_(Transfer.debit_account_id.in_(ids), Transfer.credit_account_id.in_(ids))
