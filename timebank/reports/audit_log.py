"""Reading the audit log: one time bank's entries, filtered and paged by keyset, each
put into plain words.

The page query reads 50 entries with their actors' names in one statement; the names
the entries refer to are then looked up in one query per kind for the whole page
(``audit_names``), so a page costs the same few queries however many entries it shows.
The entries are put into words only when the page's rows are asked for: a page that
keeps their HTML by what it is drawn from (``AuditPage.drawn_from``) need not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.database import read_rows
from timebank.ledger.models import (
    Account,
    AuditEntry,
    Membership,
    Person,
    TimeBank,
    Transfer,
)
from timebank.reports.audit_fields import Change, changes_of, words_of
from timebank.reports.audit_names import Names, load_names
from timebank.reports.audit_sentences import summarise
from timebank.reports.audit_wording import entity_words
from timebank.reports.wording import ENGLISH, Wording

PER_PAGE = 50


SYSTEM = "system"


@dataclass(frozen=True)
class AuditFilter:
    """What to show. ``actor`` is a membership id, ``SYSTEM`` (entries no person
    made) or None; ``member_id`` is the member the entries concern."""

    actor: int | str | None = None
    member_id: int | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def active(self) -> bool:
        return any(
            v is not None
            for v in (self.actor, self.member_id, self.kind, self.date_from, self.date_to)
        )


class AuditRow(NamedTuple):
    """One entry in words (a tuple: a page makes fifty)."""

    id: int
    seq: int
    created_at: datetime
    when: datetime
    actor_id: int | None
    actor_name: str
    action: str
    entity_type: str
    entity_id: int | None
    summary: str
    changes: list[Change]
    # What the entry is about, e.g. "exchange 12".
    entity: str = ""


class EntryColumns(NamedTuple):
    """An entry's columns as the page reads them, with its actor's name."""

    id: int
    seq: int
    created_at: datetime
    actor_id: int | None
    action: str
    entity_type: str
    entity_id: int | None
    before: str | None
    after: str | None
    actor_name: str | None


@dataclass
class AuditPage:
    """One page of the log: its entries as read, their before and after documents, the
    names they refer to and the bank's time zone; put into words as ``rows`` when
    asked."""

    entries: list[EntryColumns]
    documents: list[tuple[dict[str, Any], dict[str, Any]]]
    names: Names
    timezone: str
    # Cursors for the links: entries newer than ``newer_after``, older than ``older_before``.
    newer_after: int | None
    older_before: int | None

    @cached_property
    def rows(self) -> list[AuditRow]:
        return describe_entries(self.entries, self.documents, self.names, self.timezone)

    @property
    def drawn_from(self) -> tuple[Any, ...]:
        """Everything the rows are made from, as plain values, but the language of the
        names' wording: the entries' columns (their documents as stored), the names
        and the time zone."""
        return (tuple(self.entries), self.names.values(), self.timezone)


def _utc_bounds(day: date, timezone: str) -> datetime:
    """Midnight at the start of ``day`` where the time bank is, as naive UTC."""
    local = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC).replace(tzinfo=None)


def _conditions(bank: TimeBank, filters: AuditFilter) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = [AuditEntry.time_bank_id == bank.id]
    if filters.actor == SYSTEM:
        conditions.append(AuditEntry.actor_id.is_(None))
    elif filters.actor is not None:
        conditions.append(AuditEntry.actor_id == filters.actor)
    if filters.member_id is not None:
        account_id = (
            sa.select(Account.id)
            .where(Account.membership_id == filters.member_id, Account.time_bank_id == bank.id)
            .scalar_subquery()
        )
        transfers = sa.select(Transfer.id).where(
            Transfer.time_bank_id == bank.id,
            sa.or_(
                Transfer.debit_account_id == account_id, Transfer.credit_account_id == account_id
            ),
        )
        conditions.append(
            sa.or_(
                sa.and_(
                    AuditEntry.entity_type == "membership",
                    AuditEntry.entity_id == filters.member_id,
                ),
                sa.and_(AuditEntry.entity_type == "transfer", AuditEntry.entity_id.in_(transfers)),
            )
        )
    if filters.kind:
        conditions.append(AuditEntry.action.startswith(filters.kind + ".", autoescape=True))
    # A day at the edge of the calendar (1 January of year 1, 31 December 9999) bounds
    # nothing: its midnight in UTC, or the next day, does not exist.
    if filters.date_from is not None:
        try:
            start = _utc_bounds(filters.date_from, bank.timezone)
        except OverflowError:
            start = None
        if start is not None:
            conditions.append(AuditEntry.created_at >= start)
    if filters.date_to is not None:
        try:
            end = _utc_bounds(filters.date_to + timedelta(days=1), bank.timezone)
        except OverflowError:
            end = None
        if end is not None:
            conditions.append(AuditEntry.created_at < end)
    return conditions


# The page's entries as plain columns (an entry's columns and its actor's name), not as
# ORM objects: loading fifty ``AuditEntry`` objects was a fifth of the page's time.
_PAGE_QUERY = (
    sa.select(
        AuditEntry.id,
        AuditEntry.seq,
        AuditEntry.created_at,
        AuditEntry.actor_id,
        AuditEntry.action,
        AuditEntry.entity_type,
        AuditEntry.entity_id,
        AuditEntry.before,
        AuditEntry.after,
        Person.display_name.label("actor_name"),
    )
    .outerjoin(Membership, Membership.id == AuditEntry.actor_id)
    .outerjoin(Person, Person.id == Membership.person_id)
)


# The log with no filter set, built once with bind parameters: newest first, older than
# a cursor, newer than one (oldest first). Building a statement, and its cache key, for
# every view was a tenth of the page's time once its rows are kept.
_OF_BANK = _PAGE_QUERY.where(AuditEntry.time_bank_id == sa.bindparam("bank_id"))
_LIMIT: sa.BindParameter[int] = sa.bindparam("limit")
_NEWEST = _OF_BANK.order_by(AuditEntry.seq.desc()).limit(_LIMIT)
_OLDER = (
    _OF_BANK.where(AuditEntry.seq < sa.bindparam("cursor"))
    .order_by(AuditEntry.seq.desc())
    .limit(_LIMIT)
)
_NEWER = (
    _OF_BANK.where(AuditEntry.seq > sa.bindparam("cursor"))
    .order_by(AuditEntry.seq.asc())
    .limit(_LIMIT)
)


def _page_rows(
    session: Session,
    bank: TimeBank,
    filters: AuditFilter,
    before: int | None,
    after: int | None,
    limit: int,
) -> Sequence[sa.Row[Any]]:
    """Up to ``limit`` entries: newer than ``after`` (oldest first), otherwise older
    than ``before`` (or the newest) newest first."""
    if not filters.active:
        params = {"bank_id": bank.id, "limit": limit}
        if after is not None:
            return read_rows(session, _NEWER, {**params, "cursor": after}).all()
        if before is not None:
            return read_rows(session, _OLDER, {**params, "cursor": before}).all()
        return read_rows(session, _NEWEST, params).all()
    conditions = _conditions(bank, filters)
    if after is not None:
        statement = _PAGE_QUERY.where(*conditions, AuditEntry.seq > after).order_by(
            AuditEntry.seq.asc()
        )
    else:
        if before is not None:
            conditions.append(AuditEntry.seq < before)
        statement = _PAGE_QUERY.where(*conditions).order_by(AuditEntry.seq.desc())
    return read_rows(session, statement.limit(limit)).all()


def list_audit(
    session: Session,
    bank: TimeBank,
    filters: AuditFilter | None = None,
    *,
    before: int | None = None,
    after: int | None = None,
    per_page: int = PER_PAGE,
    wording: Wording | None = None,
) -> AuditPage:
    """One page of the time bank's audit log, newest first.

    Paged by the chain's sequence number (keyset): ``before`` shows the entries older
    than that one, ``after`` the entries newer than it.
    """
    filters = filters or AuditFilter()
    found = _page_rows(session, bank, filters, before, after, per_page + 1)
    if after is not None:
        more_newer = len(found) > per_page
        found = list(reversed(found[:per_page]))
        newer_after = found[0].seq if more_newer and found else None
        older_before = found[-1].seq if found else None
    else:
        more_older = len(found) > per_page
        found = found[:per_page]
        newer_after = found[0].seq if before is not None and found else None
        older_before = found[-1].seq if more_older and found else None
    entries = [EntryColumns._make(entry) for entry in found]
    documents = [(load_document(e.before), load_document(e.after)) for e in entries]
    mentioned = [
        (e.entity_type, e.entity_id, {**before, **after})
        for e, (before, after) in zip(entries, documents, strict=True)
    ]
    names = load_names(session, bank.id, mentioned, wording or ENGLISH)
    return AuditPage(entries, documents, names, bank.timezone, newer_after, older_before)


def load_document(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def describe_entries(
    entries: list[EntryColumns],
    documents: list[tuple[dict[str, Any], dict[str, Any]]],
    names: Names,
    timezone: str,
) -> list[AuditRow]:
    """Each entry, with its before and after documents, put into words."""
    wording = names.wording
    words = words_of(wording)
    zone = ZoneInfo(timezone)
    rows = []
    for entry, (before, after) in zip(entries, documents, strict=True):
        actor_name = entry.actor_name
        if actor_name is None:
            actor_name = (
                wording.gettext("system") if entry.actor_id is None else wording.gettext("a member")
            )
        rows.append(
            AuditRow(
                id=entry.id,
                seq=entry.seq,
                created_at=entry.created_at,
                when=entry.created_at.replace(tzinfo=UTC).astimezone(zone),
                actor_id=entry.actor_id,
                actor_name=actor_name,
                action=entry.action,
                entity_type=entry.entity_type,
                entity_id=entry.entity_id,
                summary=summarise(
                    entry.action, entry.entity_type, entry.entity_id, before, after, names, words
                ),
                changes=changes_of(before, after, names, words),
                entity=entity_words(entry.entity_type, entry.entity_id, wording),
            )
        )
    return rows
