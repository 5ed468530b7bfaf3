"""Reading the audit log: one time bank's entries, filtered and paged, put into plain
words, and a check of its hash chain.

The page query reads 50 entries with their actors' names in one statement; the names
the entries refer to (accounts, members, categories, organisations) are then looked up
in one query per kind for the whole page, so a page costs the same few queries however
many entries it shows.

The words come from a :class:`Wording`: English by default (no Flask here); the web
layer passes one that puts each sentence into the reader's language.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.audit import AUDIT_CHAIN, check_chain, read_chain
from timebank.ledger.models import (
    Account,
    AccountKind,
    AuditEntry,
    Category,
    Membership,
    Organisation,
    Person,
    TimeBank,
    Transfer,
)
from timebank.ledger.rules import format_minutes

PER_PAGE = 50
# Up to this many entries the chain is checked on every view of the page (measured at
# 0.1-0.45 s for 20,000 entries on a busy 2-core machine, SQLite and PostgreSQL);
# beyond it the coordinator asks for the check.
AUTO_VERIFY_MAX_ENTRIES = 20_000
CHAIN_BATCH = 5_000

SYSTEM = "system"


class Wording:
    """How the log is put into words. This one writes English; the web layer passes a
    subclass whose ``gettext`` translates each template into the reader's language and
    whose ``minutes`` and ``day`` follow the reader's locale.

    Every sentence is one %-template with named parameters, so that a translation can
    put the words in its own order; the catalogue tools extract the templates of the
    ``gettext`` calls below."""

    def gettext(self, template: str, **params: Any) -> str:
        return template % params if params else template

    def minutes(self, value: int) -> str:
        return format_minutes(value)

    def day(self, value: date) -> str:
        return value.strftime("%-d %b %Y")


ENGLISH = Wording()


def action_kinds(w: Wording = ENGLISH) -> dict[str, str]:
    """The kinds of action a coordinator can filter by: the prefix before the dot."""
    return {
        "transfer": w.gettext("Exchanges and corrections"),
        "pot": w.gettext("Community pot"),
        "membership": w.gettext("Members and roles"),
        "invitation": w.gettext("Invitations"),
        "coordinator_note": w.gettext("Coordinator notes"),
        "organisation": w.gettext("Organisations"),
        "time_bank": w.gettext("Time bank settings"),
        "category": w.gettext("Categories"),
        "import": w.gettext("Imports"),
        "export": w.gettext("Exports"),
    }


ACTION_KINDS = action_kinds()


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


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str | None
    after: str | None


@dataclass
class AuditRow:
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
    changes: list[Change] = field(default_factory=list)
    # What the entry is about, e.g. "exchange 12".
    entity: str = ""


def entity_words(entity_type: str, entity_id: int | None, w: Wording = ENGLISH) -> str:
    """What an entry is about, e.g. "exchange 12"."""
    if entity_id is None:
        words = {
            "transfer": w.gettext("exchange"),
            "membership": w.gettext("member"),
            "time_bank": w.gettext("time bank"),
        }
        return words.get(entity_type) or entity_type.replace("_", " ")
    sentences = {
        "transfer": lambda: w.gettext("exchange %(id)s", id=entity_id),
        "membership": lambda: w.gettext("member %(id)s", id=entity_id),
        "time_bank": lambda: w.gettext("time bank %(id)s", id=entity_id),
        "organisation": lambda: w.gettext("organisation %(id)s", id=entity_id),
        "category": lambda: w.gettext("category %(id)s", id=entity_id),
        "invitation": lambda: w.gettext("invitation %(id)s", id=entity_id),
        "coordinator_note": lambda: w.gettext("coordinator note %(id)s", id=entity_id),
        "import_run": lambda: w.gettext("import run %(id)s", id=entity_id),
        "listing": lambda: w.gettext("listing %(id)s", id=entity_id),
    }
    sentence = sentences.get(entity_type)
    return sentence() if sentence else f"{entity_type.replace('_', ' ')} {entity_id}"


@dataclass
class AuditPage:
    rows: list[AuditRow]
    # Cursors for the links: entries newer than ``newer_after``, older than ``older_before``.
    newer_after: int | None
    older_before: int | None


@dataclass
class ChainReport:
    entries: int
    problems: list[str]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.problems


# Filtering and paging ---------------------------------------------------------------


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
    if filters.date_from is not None:
        conditions.append(AuditEntry.created_at >= _utc_bounds(filters.date_from, bank.timezone))
    if filters.date_to is not None:
        end = _utc_bounds(filters.date_to + timedelta(days=1), bank.timezone)
        conditions.append(AuditEntry.created_at < end)
    return conditions


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
    conditions = _conditions(bank, filters)
    query = (
        sa.select(AuditEntry, Person.display_name)
        .outerjoin(Membership, Membership.id == AuditEntry.actor_id)
        .outerjoin(Person, Person.id == Membership.person_id)
    )
    if after is not None:
        found = session.execute(
            query.where(*conditions, AuditEntry.seq > after)
            .order_by(AuditEntry.seq.asc())
            .limit(per_page + 1)
        ).all()
        more_newer = len(found) > per_page
        found = list(reversed(found[:per_page]))
        newer_after = found[0][0].seq if more_newer and found else None
        older_before = found[-1][0].seq if found else None
    else:
        if before is not None:
            conditions.append(AuditEntry.seq < before)
        found = session.execute(
            query.where(*conditions).order_by(AuditEntry.seq.desc()).limit(per_page + 1)
        ).all()
        more_older = len(found) > per_page
        found = found[:per_page]
        newer_after = found[0][0].seq if before is not None and found else None
        older_before = found[-1][0].seq if more_older and found else None
    rows = describe_entries(
        session, bank, [(entry, name) for entry, name in found], wording=wording or ENGLISH
    )
    return AuditPage(rows=rows, newer_after=newer_after, older_before=older_before)


# Names the entries refer to ----------------------------------------------------------


def _load(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


MEMBERSHIP_FIELDS = {"actor_id", "membership_id", "author_id", "created_by_id", "used_by_id"}


def _is_membership_field(name: str) -> bool:
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


def _ints(values: Any) -> set[int]:
    return {v for v in values if isinstance(v, int) and not isinstance(v, bool)}


def load_names(
    session: Session,
    bank_id: int,
    documents: list[tuple[str, int | None, dict[str, Any]]],
    wording: Wording = ENGLISH,
) -> Names:
    """Names for every id the documents mention: one query per kind, all within the
    time bank. ``documents`` are (entity type, entity id, merged before/after)."""
    account_ids: set[int] = set()
    membership_ids: set[int] = set()
    person_ids: set[int] = set()
    category_ids: set[int] = set()
    organisation_ids: set[int] = set()
    for entity_type, entity_id, doc in documents:
        if entity_type == "membership" and entity_id is not None:
            membership_ids.add(entity_id)
        if entity_type == "organisation" and entity_id is not None:
            organisation_ids.add(entity_id)
        for key, value in doc.items():
            if key.endswith("account_id"):
                account_ids |= _ints([value])
            elif _is_membership_field(key):
                membership_ids |= _ints([value])
            elif key == "person_id":
                person_ids |= _ints([value])
            elif key == "category_id":
                category_ids |= _ints([value])
            elif key == "organisation_id":
                organisation_ids |= _ints([value])
    names = Names(wording=wording)
    if account_ids:
        account_rows = session.execute(
            sa.select(Account.id, Account.kind, Person.display_name, Organisation.name)
            .outerjoin(Membership, Membership.id == Account.membership_id)
            .outerjoin(Person, Person.id == Membership.person_id)
            .outerjoin(Organisation, Organisation.id == Account.organisation_id)
            .where(Account.time_bank_id == bank_id, Account.id.in_(account_ids))
        )
        for account_id, kind, person_name, organisation_name in account_rows:
            names.accounts[account_id] = account_label(
                kind, person_name, organisation_name, wording
            )
            names.account_kinds[account_id] = AccountKind(kind)
    if membership_ids or person_ids:
        membership_rows = session.execute(
            sa.select(Membership.id, Membership.person_id, Person.display_name)
            .join(Person, Person.id == Membership.person_id)
            .where(
                Membership.time_bank_id == bank_id,
                sa.or_(Membership.id.in_(membership_ids), Membership.person_id.in_(person_ids)),
            )
        )
        for membership_id, person_id, name in membership_rows:
            names.memberships[membership_id] = name
            names.people[person_id] = name
    if category_ids:
        category_rows = session.execute(
            sa.select(Category.id, Category.name).where(
                Category.time_bank_id == bank_id, Category.id.in_(category_ids)
            )
        )
        names.categories.update({category_id: name for category_id, name in category_rows})
    if organisation_ids:
        organisation_rows = session.execute(
            sa.select(Organisation.id, Organisation.name).where(
                Organisation.time_bank_id == bank_id, Organisation.id.in_(organisation_ids)
            )
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


# Plain words ----------------------------------------------------------------------------

# The order fields are listed in; fields not named here follow, by name.
_ORDER = [
    "kind",
    "status",
    "debit_account_id",
    "credit_account_id",
    "minutes",
    "service_date",
    "category_id",
    "description",
    "needs_confirmation",
    "needs_approval",
    "confirmed_by_id",
    "approved_by_id",
    "rejected_by_id",
    "recorded_by_id",
    "reason",
    "reverses_id",
    "batch_id",
    "person_id",
    "role",
    "status_reason",
    "name",
    "slug",
    "timezone",
    "floor_minutes",
    "cap_minutes",
    "requires_confirmation",
    "requires_approval",
    "accepts_applications",
    "auto_approve_max_minutes",
    "max_minutes_per_transfer",
    "max_backdate_days",
    "minute_step",
    "replacement_rate_pence",
    "currency",
    "consent_reporting",
    "consent_research",
    "external_ref",
    "organisation_id",
    "active",
    "is_sensitive",
]


def field_labels(w: Wording = ENGLISH) -> dict[str, str]:
    return {
        "kind": w.gettext("Kind"),
        "status": w.gettext("Status"),
        "debit_account_id": w.gettext("Received by"),
        "credit_account_id": w.gettext("Given by"),
        "minutes": w.gettext("Time"),
        "service_date": w.gettext("Date of the exchange"),
        "category_id": w.gettext("Category"),
        "description": w.gettext("Description"),
        "needs_confirmation": w.gettext("Needs the other person to confirm"),
        "needs_approval": w.gettext("Needs a coordinator's approval"),
        "confirmed_by_id": w.gettext("Confirmed by"),
        "approved_by_id": w.gettext("Approved by"),
        "rejected_by_id": w.gettext("Rejected by"),
        "recorded_by_id": w.gettext("Recorded by"),
        "reason": w.gettext("Reason"),
        "reverses_id": w.gettext("Reverses"),
        "batch_id": w.gettext("Group exchange"),
        "person_id": w.gettext("Person"),
        "role": w.gettext("Role"),
        "status_reason": w.gettext("Reason"),
        "name": w.gettext("Name"),
        "slug": w.gettext("Web address name"),
        "timezone": w.gettext("Time zone"),
        "floor_minutes": w.gettext("Credit floor"),
        "cap_minutes": w.gettext("Credit cap"),
        "requires_confirmation": w.gettext("Exchanges need the other person to confirm"),
        "requires_approval": w.gettext("Exchanges need a coordinator's approval"),
        "accepts_applications": w.gettext("People can apply on the website"),
        "auto_approve_max_minutes": w.gettext("Approve automatically up to"),
        "max_minutes_per_transfer": w.gettext("Most time in one entry"),
        "max_backdate_days": w.gettext("How far back an exchange can be dated (days)"),
        "minute_step": w.gettext("Time recorded in steps of (minutes)"),
        "replacement_rate_pence": w.gettext("Replacement-cost rate (pence an hour)"),
        "currency": w.gettext("Currency"),
        "consent_reporting": w.gettext("Agrees to reporting"),
        "consent_research": w.gettext("Agrees to research"),
        "external_ref": w.gettext("Reference in other software"),
        "organisation_id": w.gettext("Organisation"),
        "active": w.gettext("Active"),
        "is_sensitive": w.gettext("Sensitive category"),
        # Fields of invitations, notes, imports and exports.
        "membership_id": w.gettext("Member"),
        "note": w.gettext("Note"),
        "length": w.gettext("Length"),
        "expires_at": w.gettext("Expires at"),
        "revoked_at": w.gettext("Revoked at"),
        "used_at": w.gettext("Used at"),
        "correction_reason": w.gettext("Correction reason"),
        "import_line": w.gettext("Import line"),
        "format": w.gettext("Format"),
        "date_from": w.gettext("Date from"),
        "date_to": w.gettext("Date to"),
        "layout": w.gettext("Layout"),
        "rows": w.gettext("Rows"),
        "transfers": w.gettext("Transfers"),
        "members": w.gettext("Members"),
        "opening_balances": w.gettext("Opening balances"),
    }


FIELD_LABELS = field_labels()
NO_LIMIT_FIELDS = {"floor_minutes", "cap_minutes"}


def _value_words(w: Wording) -> dict[str, str]:
    """Stored words as a coordinator reads them, for any field."""
    return {
        "pending": w.gettext("waiting"),
        "posted": w.gettext("done"),
        "rejected": w.gettext("not accepted"),
        "opening_balance": w.gettext("opening balance"),
    }


def _field_value_words(w: Wording) -> dict[str, dict[str, str]]:
    """The words of roles, kinds and statuses (the same in English as stored)."""
    return {
        "role": {
            "member": w.gettext("member"),
            "coordinator": w.gettext("coordinator"),
            "partner": w.gettext("partner"),
        },
        "kind": {
            "exchange": w.gettext("exchange"),
            "group": w.gettext("group"),
            "donation": w.gettext("donation"),
            "grant": w.gettext("grant"),
            "reversal": w.gettext("reversal"),
            "participant": w.gettext("participant"),
            "professional": w.gettext("professional"),
        },
        "status": {
            "applied": w.gettext("applied"),
            "active": w.gettext("active"),
            "suspended": w.gettext("suspended"),
            "declined": w.gettext("declined"),
            "left": w.gettext("left"),
        },
    }


class _Words:
    """The labels and value words of one wording, made once per page."""

    def __init__(self, w: Wording) -> None:
        self.w = w
        self.labels = field_labels(w)
        self.values = _value_words(w)
        self.field_values = _field_value_words(w)

    def label(self, name: str) -> str:
        return self.labels.get(name) or _humanise(name)

    def word(self, name: str, value: str) -> str:
        if value in self.values:
            return self.values[value]
        return self.field_values.get(name, {}).get(value, value)


_ENGLISH_WORDS = _Words(ENGLISH)


def _words_of(w: Wording) -> _Words:
    return _ENGLISH_WORDS if w is ENGLISH else _Words(w)


def field_label(name: str, w: Wording = ENGLISH) -> str:
    return _words_of(w).label(name)


def format_value(name: str, value: Any, names: Names, words: _Words | None = None) -> str | None:
    """A value as a coordinator would read it; None when there is none."""
    words = words or _words_of(names.wording)
    w = words.w
    if value is None:
        return w.gettext("no limit") if name in NO_LIMIT_FIELDS else None
    if isinstance(value, bool):
        return w.gettext("yes") if value else w.gettext("no")
    if isinstance(value, int):
        if name == "minutes" or name.endswith("_minutes"):
            return w.minutes(value)
        if name.endswith("account_id"):
            return names.account(value)
        if _is_membership_field(name):
            return names.membership(value)
        if name == "person_id":
            return names.people.get(value) or w.gettext("person %(id)s", id=value)
        if name == "category_id":
            return names.categories.get(value) or w.gettext("category %(id)s", id=value)
        if name == "organisation_id":
            return names.organisations.get(value) or w.gettext("organisation %(id)s", id=value)
        if name == "reverses_id":
            return w.gettext("exchange %(id)s", id=value)
        return str(value)
    if isinstance(value, str):
        if name == "service_date" or name.endswith("_date"):
            try:
                return w.day(date.fromisoformat(value))
            except ValueError:
                return value
        return words.word(name, value)
    return json.dumps(value, sort_keys=True, default=str)


def changes_of(
    before: dict[str, Any], after: dict[str, Any], names: Names, words: _Words | None = None
) -> list[Change]:
    """The fields that changed (or, for a new record, the fields it was created with)."""
    words = words or _words_of(names.wording)
    none = words.w.gettext("none")
    changes = []
    doc_kind = after.get("kind", before.get("kind"))
    for key in sorted(set(before) | set(after), key=_field_order):
        if key == "id":
            continue
        old, new = before.get(key), after.get(key)
        if before and after and old == new:
            continue
        if not before and new in (None, ""):
            continue
        # A record being created has no "before"; otherwise a missing value reads "none".
        changes.append(
            Change(
                field=key,
                label=_transfer_label(key, doc_kind, words.w) or words.label(key),
                before=(format_value(key, old, names, words) or none) if before else None,
                after=(format_value(key, new, names, words) or none) if after else None,
            )
        )
    return changes


def _transfer_label(key: str, kind: Any, w: Wording) -> str | None:
    """Donations, grants, opening balances and reversals move time between accounts
    without anyone giving a service: their sides are named by what happens to each
    balance."""
    if kind in ("exchange", "group", None):
        return None
    if key == "debit_account_id":
        return w.gettext("Time taken from")
    if key == "credit_account_id":
        return w.gettext("Time added to")
    return None


def _field_order(key: str) -> tuple[int, str]:
    return (_ORDER.index(key) if key in _ORDER else len(_ORDER), key)


def _amount(doc: dict[str, Any], w: Wording) -> str:
    minutes = doc.get("minutes")
    return w.minutes(minutes) if isinstance(minutes, int) else w.gettext("time")


def _movement(doc: dict[str, Any], names: Names) -> dict[str, str]:
    """The parameters of a sentence about time moving: time, giver, receiver."""
    return {
        "time": _amount(doc, names.wording),
        "giver": names.account(doc.get("credit_account_id")),
        "receiver": names.account(doc.get("debit_account_id")),
    }


def _opening(doc: dict[str, Any], names: Names) -> str:
    w = names.wording
    raw_minutes = doc.get("minutes")
    minutes = raw_minutes if isinstance(raw_minutes, int) else 0
    credit, debit = doc.get("credit_account_id"), doc.get("debit_account_id")
    # account_kinds is keyed by int ids: anything else (None, a malformed value) is
    # not an equity account, exactly as a failed dict lookup would say.
    if isinstance(credit, int) and names.account_kinds.get(credit) == AccountKind.EQUITY:
        holder, signed = debit, -minutes
    else:
        holder, signed = credit, minutes
    return w.gettext(
        "Brought in an opening balance of %(time)s for %(holder)s",
        time=w.minutes(signed),
        holder=names.account(holder),
    )


def _with_reason(text: str, doc: dict[str, Any], w: Wording) -> str:
    reason = doc.get("reason")
    if not reason:
        return text
    return w.gettext("%(text)s. Reason: %(reason)s", text=text, reason=reason)


def _transfer_sentence(verb: str, doc: dict[str, Any], names: Names) -> str | None:
    w = names.wording
    params = _movement(doc, names)
    if verb == "recorded":
        return w.gettext("Recorded %(time)s from %(giver)s to %(receiver)s", **params)
    if verb == "confirmed":
        return w.gettext("Confirmed %(time)s from %(giver)s to %(receiver)s", **params)
    if verb == "approved":
        return w.gettext("Approved %(time)s from %(giver)s to %(receiver)s", **params)
    if verb == "rejected":
        return w.gettext("Rejected %(time)s from %(giver)s to %(receiver)s", **params)
    if verb == "corrected":
        return w.gettext("Corrected %(time)s from %(giver)s to %(receiver)s", **params)
    if verb == "withdrawn":
        return w.gettext("Withdrew %(time)s from %(giver)s to %(receiver)s", **params)
    return None


def _summarise_transfer(
    verb: str, entity_id: int | None, after: dict[str, Any], doc: dict[str, Any], names: Names
) -> str:
    w = names.wording
    if verb == "reversed":
        # The reversal mirrors the original: its receiver gave, its giver received.
        original = {
            "minutes": doc.get("minutes"),
            "credit_account_id": doc.get("debit_account_id"),
            "debit_account_id": doc.get("credit_account_id"),
        }
        text = w.gettext(
            "Reversed exchange %(id)s (%(time)s from %(giver)s to %(receiver)s)",
            id=doc.get("reverses_id"),
            **_movement(original, names),
        )
        return _with_reason(text, doc, w)
    if verb == "opening_balance":
        return _opening(doc, names)
    sentence = _transfer_sentence(verb, doc, names)
    if sentence is not None:
        text = sentence
        if doc.get("kind") == "group":
            text = w.gettext("%(text)s (group exchange)", text=text)
        if verb == "recorded" and after.get("status") == "posted":
            text = w.gettext("%(text)s; done at once", text=text)
        elif verb == "recorded" and after.get("status") == "pending":
            text = w.gettext("%(text)s; waiting", text=text)
        if verb in ("rejected", "corrected"):
            return _with_reason(text, doc, w)
        return text
    if verb == "imported":
        return w.gettext(
            "Imported exchange %(id)s: %(time)s from %(giver)s to %(receiver)s",
            id=entity_id,
            **_movement(doc, names),
        )
    movement = w.gettext("%(time)s from %(giver)s to %(receiver)s", **_movement(doc, names))
    return f"{_humanise(verb)} exchange {entity_id}: {movement}"


def _membership_sentence(verb: str, who: str, w: Wording) -> str:
    sentences = {
        "applied": w.gettext("Applied: %(who)s", who=who),
        "application_approved": w.gettext("Application approved: %(who)s", who=who),
        "application_declined": w.gettext("Application declined: %(who)s", who=who),
        "role_changed": w.gettext("Role changed: %(who)s", who=who),
        "kind_changed": w.gettext("Kind changed: %(who)s", who=who),
        "suspended": w.gettext("Suspended: %(who)s", who=who),
        "reactivated": w.gettext("Reactivated: %(who)s", who=who),
        "rejoined": w.gettext("Joined again by invitation: %(who)s", who=who),
        "profile_updated": w.gettext("Profile updated: %(who)s", who=who),
    }
    return sentences.get(verb) or f"{_humanise(verb)}: {who}"


def _summarise_membership(
    verb: str,
    entity_id: int | None,
    before: dict[str, Any],
    after: dict[str, Any],
    names: Names,
    words: _Words,
) -> str:
    w = names.wording
    who = names.membership(entity_id) if entity_id is not None else w.gettext("a member")
    if verb == "created":
        role = after.get("role")
        status = after.get("status")
        if role == "coordinator":
            text = w.gettext("Added %(who)s to the time bank as a coordinator", who=who)
        elif role == "partner":
            text = w.gettext("Added %(who)s to the time bank as a partner", who=who)
        else:
            text = w.gettext("Added %(who)s to the time bank", who=who)
        if status and status != "active":
            text += f" ({words.word('status', status)})"
        return text
    changed = [words.label(c).lower() for c in after if before.get(c) != after.get(c)]
    text = _membership_sentence(verb, who, w)
    if changed and before:
        text += f" ({', '.join(changed)})"
    return _with_reason(text, {**before, **after}, w)


def _summarise_organisation(
    verb: str, entity_id: int | None, after: dict[str, Any], names: Names
) -> str:
    w = names.wording
    name = (
        after.get("name") or names.organisations.get(entity_id or 0) or w.gettext("an organisation")
    )
    sentences = {
        "created": w.gettext("Added the organisation %(name)s", name=name),
        "staff_added": w.gettext("Staff added: organisation %(name)s", name=name),
        "staff_removed": w.gettext("Staff removed: organisation %(name)s", name=name),
        "deactivated": w.gettext("Deactivated: organisation %(name)s", name=name),
        "reactivated": w.gettext("Reactivated: organisation %(name)s", name=name),
    }
    return sentences.get(verb) or f"{_humanise(verb)}: organisation {name}"


def _other_sentence(action: str, entity_id: int, w: Wording) -> str | None:
    """Entries said in one plain sentence, with the id of what they are about."""
    sentences = {
        "coordinator_note.added": lambda: w.gettext(
            "Coordinator note added (coordinator note %(id)s)", id=entity_id
        ),
        "invitation.created": lambda: w.gettext(
            "Invitation created (invitation %(id)s)", id=entity_id
        ),
        "invitation.revoked": lambda: w.gettext(
            "Invitation revoked (invitation %(id)s)", id=entity_id
        ),
        "invitation.accepted": lambda: w.gettext(
            "Invitation accepted (invitation %(id)s)", id=entity_id
        ),
        "category.added": lambda: w.gettext("Category added (category %(id)s)", id=entity_id),
        "category.renamed": lambda: w.gettext("Category renamed (category %(id)s)", id=entity_id),
        "category.retired": lambda: w.gettext("Category retired (category %(id)s)", id=entity_id),
        "category.reactivated": lambda: w.gettext(
            "Category reactivated (category %(id)s)", id=entity_id
        ),
        "category.sensitivity_changed": lambda: w.gettext(
            "Category sensitivity changed (category %(id)s)", id=entity_id
        ),
        "import.completed": lambda: w.gettext("Import completed (import run %(id)s)", id=entity_id),
        "listing.posted": lambda: w.gettext("Listing posted (listing %(id)s)", id=entity_id),
        "listing.edited": lambda: w.gettext("Listing edited (listing %(id)s)", id=entity_id),
        "listing.paused": lambda: w.gettext("Listing paused (listing %(id)s)", id=entity_id),
        "listing.resumed": lambda: w.gettext("Listing resumed (listing %(id)s)", id=entity_id),
        "listing.closed": lambda: w.gettext("Listing closed (listing %(id)s)", id=entity_id),
    }
    sentence = sentences.get(action)
    return sentence() if sentence else None


def summarise(
    action: str,
    entity_type: str,
    entity_id: int | None,
    before: dict[str, Any],
    after: dict[str, Any],
    names: Names,
    words: _Words | None = None,
) -> str:
    """One plain sentence for an audit entry, e.g. "Approved 1 h 30 min from Ann to Bob"."""
    words = words or _words_of(names.wording)
    w = names.wording
    prefix, _dot, verb = action.partition(".")
    doc = {**before, **after}
    if prefix == "transfer":
        return _summarise_transfer(verb, entity_id, after, doc, names)
    if prefix == "pot":
        amount = _amount(doc, w)
        if verb == "donation":
            donor = names.account(doc.get("debit_account_id"))
            return w.gettext(
                "%(donor)s gave %(time)s to the community pot", donor=donor, time=amount
            )
        if verb == "grant":
            recipient = names.account(doc.get("credit_account_id"))
            text = w.gettext(
                "Granted %(time)s from the community pot to %(recipient)s",
                time=amount,
                recipient=recipient,
            )
            return _with_reason(text, doc, w)
    if prefix == "membership":
        return _summarise_membership(verb, entity_id, before, after, names, words)
    if prefix == "time_bank":
        if verb == "created":
            name = after.get("name", "")
            if not name:
                return w.gettext("Created the time bank")
            return w.gettext("Created the time bank %(name)s", name=name)
        if verb == "policy_changed":
            changed = [
                words.label(k).lower()
                for k in sorted(set(before) | set(after), key=_field_order)
                if before.get(k) != after.get(k)
            ]
            if not changed:
                return w.gettext("Saved the time bank's settings (nothing changed)")
            return w.gettext(
                "Changed the time bank's settings: %(fields)s", fields=", ".join(changed)
            )
    if prefix == "organisation":
        return _summarise_organisation(verb, entity_id, after, names)
    if prefix == "export":
        if verb == "members":
            return w.gettext("Downloaded the members list as a spreadsheet (CSV)")
        if verb == "transfers":
            return w.gettext("Downloaded the transfers list as a spreadsheet (CSV)")
        if verb == "balances":
            return w.gettext("Downloaded the balances list as a spreadsheet (CSV)")
        return f"Downloaded the {verb.replace('_', ' ')} list as a spreadsheet (CSV)"
    if entity_id is not None:
        sentence = _other_sentence(action, entity_id, w)
        if sentence is not None:
            return _with_reason(sentence, doc, w)
    # An action with no sentence of its own (none today): its name in words.
    subject = entity_type.replace("_", " ")
    text = f"{_humanise(prefix)} {_humanise(verb).lower()}"
    if entity_id is not None:
        text += f" ({subject} {entity_id})"
    return _with_reason(text, doc, w)


def _humanise(word: str) -> str:
    return word.replace("_", " ").capitalize()


def describe_entries(
    session: Session,
    bank: TimeBank,
    entries: list[tuple[AuditEntry, str | None]],
    wording: Wording = ENGLISH,
) -> list[AuditRow]:
    parsed = [(entry, name, _load(entry.before), _load(entry.after)) for entry, name in entries]
    names = load_names(
        session,
        bank.id,
        [(e.entity_type, e.entity_id, {**b, **a}) for e, _name, b, a in parsed],
        wording,
    )
    words = _words_of(wording)
    zone = ZoneInfo(bank.timezone)
    rows = []
    for entry, actor_name, before, after in parsed:
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


# The people the filters offer ------------------------------------------------------------


def member_choices(session: Session, bank_id: int) -> list[tuple[int, str]]:
    """Every membership of the time bank (any status), by name."""
    rows = session.execute(
        sa.select(Membership.id, Person.display_name)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.time_bank_id == bank_id)
        .order_by(sa.func.lower(Person.display_name), Membership.id)
    )
    return [(membership_id, name) for membership_id, name in rows]


# The hash chain ----------------------------------------------------------------------


def chain_length(session: Session, bank_id: int) -> int:
    return (
        session.scalar(
            sa.select(AUDIT_CHAIN.c.last_seq).where(AUDIT_CHAIN.c.time_bank_id == bank_id)
        )
        or 0
    )


def verify_chain(session: Session, bank_id: int) -> ChainReport:
    """Recompute this time bank's audit hash chain (and nothing else of the ledger),
    streaming the entries in batches."""
    started = time.perf_counter()
    connection = session.connection()
    head, result = read_chain(connection, bank_id, CHAIN_BATCH)
    counted = [0]

    def counting(rows) -> Iterator[Any]:
        for row in rows:
            counted[0] += 1
            yield row

    with result:
        problems = [b.message for b in check_chain(bank_id, counting(result), head)]
    return ChainReport(entries=counted[0], problems=problems, seconds=time.perf_counter() - started)
