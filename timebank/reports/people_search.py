"""Members of one time bank whose name contains some text: what a "search as you
type" box offers, instead of a drop-down listing every member of a big bank."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.models import (
    MEMBER_ROLES,
    Account,
    AccountKind,
    Membership,
    MembershipStatus,
    Organisation,
    OrganisationStaff,
    Person,
)

# A search shows at most this many names; more means "type more of the name".
SEARCH_LIMIT = 10
MAX_SEARCH_LENGTH = 120


def find_people(
    session: Session, time_bank_id: int, text: str, *, limit: int = SEARCH_LIMIT
) -> tuple[list[tuple[int, str]], bool]:
    """(membership id, name) of the bank's members (any status) whose name contains
    ``text`` (any case), by name; and whether there were more than ``limit``."""
    needle = text.strip().lower()[:MAX_SEARCH_LENGTH]
    if not needle:
        return [], False
    rows = session.execute(
        sa.select(Membership.id, Person.display_name)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.time_bank_id == time_bank_id,
            sa.func.lower(Person.display_name).contains(needle, autoescape=True),
        )
        .order_by(sa.func.lower(Person.display_name), Membership.id)
        .limit(limit + 1)
    ).all()
    return [(i, name) for i, name in rows[:limit]], len(rows) > limit


def name_of(session: Session, time_bank_id: int, membership_id: int) -> str | None:
    """The name of one member of the bank, or None if the id is not one of its members."""
    return session.scalar(
        sa.select(Person.display_name)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.id == membership_id, Membership.time_bank_id == time_bank_id)
    )


@dataclass(frozen=True)
class Among:
    """Whom a form's person box may name, and by which id.

    Active members in a member role (never partners, applicants or suspended people),
    by membership id, or by account id with ``accounts`` (then, with ``organisations``,
    the bank's active organisations too). ``leave_out`` is the asker's own account or
    membership id; ``not_staff_of`` leaves out an organisation's staff already."""

    accounts: bool = False
    organisations: bool = False
    leave_out: int | None = None
    leave_out_all: tuple[int, ...] = ()
    not_staff_of: int | None = None


@dataclass(frozen=True)
class Match:
    id: int
    name: str
    organisation: bool = False


def _members(time_bank_id: int, among: Among) -> sa.Select:
    ident = Account.id if among.accounts else Membership.id
    query = (
        sa.select(ident.label("id"), Person.display_name.label("name"))
        .select_from(Membership)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.time_bank_id == time_bank_id,
            Membership.status == MembershipStatus.ACTIVE,
            Membership.role.in_(MEMBER_ROLES),
        )
    )
    if among.accounts:
        query = query.join(Account, Account.membership_id == Membership.id).where(
            Account.kind == AccountKind.MEMBER
        )
    if among.leave_out is not None:
        query = query.where(ident != among.leave_out)
    if among.leave_out_all:
        query = query.where(ident.not_in(among.leave_out_all))
    if among.not_staff_of is not None:
        query = query.where(
            Membership.id.not_in(
                sa.select(OrganisationStaff.membership_id).where(
                    OrganisationStaff.organisation_id == among.not_staff_of
                )
            )
        )
    return query


def _organisations(time_bank_id: int) -> sa.Select:
    return (
        sa.select(Account.id.label("id"), Organisation.name.label("name"))
        .join(Organisation, Organisation.id == Account.organisation_id)
        .where(Account.time_bank_id == time_bank_id, Organisation.active.is_(True))
    )


def find_among(
    session: Session, time_bank_id: int, text: str, among: Among, *, limit: int = SEARCH_LIMIT
) -> tuple[list[Match], bool]:
    """Who of ``among`` has a name containing ``text`` (any case), by name, at most
    ``limit`` of them; and whether there were more."""
    needle = text.strip().lower()[:MAX_SEARCH_LENGTH]
    if not needle:
        return [], False
    found: list[Match] = []
    kinds = [(_members(time_bank_id, among), Person.display_name, False)]
    if among.accounts and among.organisations:
        kinds.append((_organisations(time_bank_id), Organisation.name, True))
    for query, name, organisation in kinds:
        rows = session.execute(
            query.where(sa.func.lower(name).contains(needle, autoescape=True))
            .order_by(sa.func.lower(name), sa.text("id"))
            .limit(limit + 1)
        ).all()
        found += [Match(row.id, row.name, organisation) for row in rows]
    found.sort(key=lambda m: (m.name.lower(), m.organisation, m.id))
    return found[:limit], len(found) > limit


def count_among(session: Session, time_bank_id: int, text: str, among: Among) -> int:
    """How many members of ``among`` have a name containing ``text`` (organisations are
    not counted)."""
    needle = text.strip().lower()[:MAX_SEARCH_LENGTH]
    if not needle:
        return 0
    matching = _members(time_bank_id, among).where(
        sa.func.lower(Person.display_name).contains(needle, autoescape=True)
    )
    return session.scalar(sa.select(sa.func.count()).select_from(matching.subquery())) or 0


def names_among(
    session: Session, time_bank_id: int, ids: list[int], among: Among
) -> dict[int, Match]:
    """Those of ``ids`` that ``among`` holds (members only), by id: one query."""
    if not ids:
        return {}
    ident = Account.id if among.accounts else Membership.id
    rows = session.execute(_members(time_bank_id, among).where(ident.in_(ids))).all()
    return {row.id: Match(row.id, row.name) for row in rows}


def one_among(session: Session, time_bank_id: int, ident: int, among: Among) -> Match | None:
    """The one of ``among`` with this id, or None if the id names nobody it holds."""
    row = session.execute(
        _members(time_bank_id, among).where(
            (Account.id if among.accounts else Membership.id) == ident
        )
    ).first()
    if row is not None:
        return Match(row.id, row.name)
    if among.accounts and among.organisations:
        row = session.execute(_organisations(time_bank_id).where(Account.id == ident)).first()
        if row is not None:
            return Match(row.id, row.name, True)
    return None


def named_exactly(
    session: Session, time_bank_id: int, text: str, among: Among, *, limit: int = SEARCH_LIMIT
) -> list[Match]:
    """Those of ``among`` whose whole name is ``text`` (any case)."""
    needle = text.strip().lower()[:MAX_SEARCH_LENGTH]
    if not needle:
        return []
    found = [
        Match(row.id, row.name)
        for row in session.execute(
            _members(time_bank_id, among)
            .where(sa.func.lower(Person.display_name) == needle)
            .limit(limit)
        )
    ]
    if among.accounts and among.organisations:
        found += [
            Match(row.id, row.name, True)
            for row in session.execute(
                _organisations(time_bank_id)
                .where(sa.func.lower(Organisation.name) == needle)
                .limit(limit)
            )
        ]
    return found


def exchange_among(me: Membership) -> Among:
    """The other active members, by account: whom an exchange can be with."""
    return Among(accounts=True, leave_out=me.account.id if me.account is not None else None)


def message_among(me: Membership) -> Among:
    """The other active members, by membership: whom a member can write to."""
    return Among(leave_out=me.id)
