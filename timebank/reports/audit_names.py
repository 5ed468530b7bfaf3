"""The names an audit entry refers to (accounts, members, people, categories,
organisations), looked up in one query per kind for a whole page of entries, always
within the time bank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.database import read_rows
from timebank.ledger.models import (
    Account,
    AccountKind,
    Category,
    Membership,
    Organisation,
    Person,
)
from timebank.reports.wording import ENGLISH, Wording

MEMBERSHIP_FIELDS = {"actor_id", "membership_id", "author_id", "created_by_id", "used_by_id"}


def is_membership_field(name: str) -> bool:
    return name in MEMBERSHIP_FIELDS or name.endswith("_by_id")


@dataclass
class Names:
    accounts: dict[int, str] = field(default_factory=dict)
    account_kinds: dict[int, AccountKind] = field(default_factory=dict)
    memberships: dict[int, str] = field(default_factory=dict)
    people: dict[int, str] = field(default_factory=dict)
    categories: dict[int, str] = field(default_factory=dict)
    organisations: dict[int, str] = field(default_factory=dict)
    wording: Wording = ENGLISH

    def values(self) -> tuple[Any, ...]:
        """The names found, as plain values (not the wording): what a page drawn from
        them is keyed by."""
        return tuple(
            tuple(sorted(found.items()))
            for found in (
                self.accounts,
                self.account_kinds,
                self.memberships,
                self.people,
                self.categories,
                self.organisations,
            )
        )

    def account(self, account_id: Any) -> str:
        if account_id is None:
            return self.wording.gettext("nobody")
        if account_id in self.accounts:
            return self.accounts[account_id]
        return self.wording.gettext("account %(id)s", id=account_id)

    def membership(self, membership_id: Any) -> str:
        if membership_id is None:
            return self.wording.gettext("nobody")
        if membership_id in self.memberships:
            return self.memberships[membership_id]
        return self.wording.gettext("member %(id)s", id=membership_id)


_KINDS = ("account", "membership", "person", "category", "organisation")


@lru_cache(maxsize=512)
def _kind_named_by(key: str) -> str | None:
    """The kind of thing a document's field names by its id, if any (the same few
    field names on every page: worked out once each)."""
    if key.endswith("account_id"):
        return "account"
    if is_membership_field(key):
        return "membership"
    if key == "person_id":
        return "person"
    if key == "category_id":
        return "category"
    if key == "organisation_id":
        return "organisation"
    return None


@lru_cache(maxsize=1024)
def _named_fields(keys: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The fields of a document that name something by its id, with the kind of thing
    (documents of one kind of entry have the same fields: worked out once each)."""
    return tuple((key, kind) for key in keys if (kind := _kind_named_by(key)) is not None)


# The look-ups, built once (the ids bound as expanding lists) and read as plain columns.
_IDS: sa.BindParameter[int] = sa.bindparam("ids", expanding=True)
_BANK: sa.BindParameter[int] = sa.bindparam("bank_id")
_ACCOUNTS = (
    sa.select(Account.id, Account.kind, Person.display_name, Organisation.name)
    .outerjoin(Membership, Membership.id == Account.membership_id)
    .outerjoin(Person, Person.id == Membership.person_id)
    .outerjoin(Organisation, Organisation.id == Account.organisation_id)
    .where(Account.time_bank_id == _BANK, Account.id.in_(_IDS))
)
_MEMBERSHIPS = (
    sa.select(Membership.id, Membership.person_id, Person.display_name)
    .join(Person, Person.id == Membership.person_id)
    .where(
        Membership.time_bank_id == _BANK,
        sa.or_(
            Membership.id.in_(_IDS),
            Membership.person_id.in_(sa.bindparam("person_ids", expanding=True)),
        ),
    )
)
_CATEGORIES = sa.select(Category.id, Category.name).where(
    Category.time_bank_id == _BANK, Category.id.in_(_IDS)
)
_ORGANISATIONS = sa.select(Organisation.id, Organisation.name).where(
    Organisation.time_bank_id == _BANK, Organisation.id.in_(_IDS)
)


def load_names(
    session: Session,
    bank_id: int,
    documents: list[tuple[str, int | None, dict[str, Any]]],
    wording: Wording = ENGLISH,
) -> Names:
    """Names for every id the documents mention: one query per kind, all within the
    time bank. ``documents`` are (entity type, entity id, merged before/after). Read
    with ``read_rows``: for a session with no pending change (the audit log's page)."""
    wanted: dict[str, set[int]] = {kind: set() for kind in _KINDS}
    for entity_type, entity_id, doc in documents:
        if entity_type in ("membership", "organisation") and entity_id is not None:
            wanted[entity_type].add(entity_id)
        for key, kind in _named_fields(tuple(doc)):
            value = doc[key]
            if isinstance(value, int) and not isinstance(value, bool):
                wanted[kind].add(value)
    account_ids, membership_ids, person_ids, category_ids, organisation_ids = (
        wanted[kind] for kind in _KINDS
    )
    names = Names(wording=wording)
    if account_ids:
        account_rows = read_rows(
            session, _ACCOUNTS, {"bank_id": bank_id, "ids": sorted(account_ids)}
        )
        for account_id, kind, person_name, organisation_name in account_rows:
            names.accounts[account_id] = account_label(
                kind, person_name, organisation_name, wording
            )
            names.account_kinds[account_id] = AccountKind(kind)
    if membership_ids or person_ids:
        membership_rows = read_rows(
            session,
            _MEMBERSHIPS,
            {
                "bank_id": bank_id,
                "ids": sorted(membership_ids),
                "person_ids": sorted(person_ids),
            },
        )
        for membership_id, person_id, name in membership_rows:
            names.memberships[membership_id] = name
            names.people[person_id] = name
    if category_ids:
        category_rows = read_rows(
            session, _CATEGORIES, {"bank_id": bank_id, "ids": sorted(category_ids)}
        )
        names.categories.update({category_id: name for category_id, name in category_rows})
    if organisation_ids:
        organisation_rows = read_rows(
            session, _ORGANISATIONS, {"bank_id": bank_id, "ids": sorted(organisation_ids)}
        )
        names.organisations.update(
            {organisation_id: name for organisation_id, name in organisation_rows}
        )
    return names


def account_label(
    kind: Any, person_name: str | None, organisation_name: str | None, w: Wording = ENGLISH
) -> str:
    """An account's name; the pot and the opening-balances account in words (in
    English for the CSV exports)."""
    kind = AccountKind(kind)
    if kind == AccountKind.MEMBER:
        return person_name or w.gettext("a member")
    if kind == AccountKind.ORGANISATION:
        return organisation_name or w.gettext("an organisation")
    if kind == AccountKind.POT:
        return w.gettext("the community pot")
    return w.gettext("opening balances")
