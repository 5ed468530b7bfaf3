"""Reading the audit log: one time bank's entries, filtered and paged, put into plain
words, and a check of its hash chain.

The page query reads 50 entries with their actors' names in one statement; the names
the entries refer to (accounts, members, categories, organisations) are then looked up
in one query per kind for the whole page, so a page costs the same few queries however
many entries it shows.
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

# The kinds of action a coordinator can filter by: the prefix before the dot.
ACTION_KINDS: dict[str, str] = {
    "transfer": "Exchanges and corrections",
    "pot": "Community pot",
    "membership": "Members and roles",
    "invitation": "Invitations",
    "note": "Coordinator notes",
    "organisation": "Organisations",
    "time_bank": "Time bank settings",
    "category": "Categories",
    "import": "Imports",
    "export": "Exports",
}

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

    @property
    def entity(self) -> str:
        """What the entry is about, e.g. "exchange 12"."""
        word = ENTITY_WORDS.get(self.entity_type, self.entity_type.replace("_", " "))
        return word if self.entity_id is None else f"{word} {self.entity_id}"


ENTITY_WORDS = {"transfer": "exchange", "membership": "member", "time_bank": "time bank"}


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
    rows = describe_entries(session, bank, [(entry, name) for entry, name in found])
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

    def account(self, account_id: Any) -> str:
        if account_id is None:
            return "nobody"
        return self.accounts.get(account_id, f"account {account_id}")

    def membership(self, membership_id: Any) -> str:
        if membership_id is None:
            return "nobody"
        return self.memberships.get(membership_id, f"member {membership_id}")


def _ints(values: Any) -> set[int]:
    return {v for v in values if isinstance(v, int) and not isinstance(v, bool)}


def load_names(
    session: Session, bank_id: int, documents: list[tuple[str, int | None, dict[str, Any]]]
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
    names = Names()
    if account_ids:
        account_rows = session.execute(
            sa.select(Account.id, Account.kind, Person.display_name, Organisation.name)
            .outerjoin(Membership, Membership.id == Account.membership_id)
            .outerjoin(Person, Person.id == Membership.person_id)
            .outerjoin(Organisation, Organisation.id == Account.organisation_id)
            .where(Account.time_bank_id == bank_id, Account.id.in_(account_ids))
        )
        for account_id, kind, person_name, organisation_name in account_rows:
            names.accounts[account_id] = account_label(kind, person_name, organisation_name)
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


def account_label(kind: Any, person_name: str | None, organisation_name: str | None) -> str:
    kind = AccountKind(kind)
    if kind == AccountKind.MEMBER:
        return person_name or "a member"
    if kind == AccountKind.ORGANISATION:
        return organisation_name or "an organisation"
    if kind == AccountKind.POT:
        return "the community pot"
    return "opening balances"


# Plain words ----------------------------------------------------------------------------

FIELD_LABELS = {
    "kind": "Kind",
    "status": "Status",
    "debit_account_id": "Received by",
    "credit_account_id": "Given by",
    "minutes": "Time",
    "service_date": "Date of the exchange",
    "category_id": "Category",
    "description": "Description",
    "needs_confirmation": "Needs the other person to confirm",
    "needs_approval": "Needs a coordinator's approval",
    "confirmed_by_id": "Confirmed by",
    "approved_by_id": "Approved by",
    "rejected_by_id": "Rejected by",
    "recorded_by_id": "Recorded by",
    "reason": "Reason",
    "reverses_id": "Reverses",
    "batch_id": "Group exchange",
    "person_id": "Person",
    "role": "Role",
    "status_reason": "Reason",
    "name": "Name",
    "slug": "Web address name",
    "timezone": "Time zone",
    "floor_minutes": "Credit floor",
    "cap_minutes": "Credit cap",
    "requires_confirmation": "Exchanges need the other person to confirm",
    "requires_approval": "Exchanges need a coordinator's approval",
    "auto_approve_max_minutes": "Approve automatically up to",
    "max_minutes_per_transfer": "Most time in one entry",
    "max_backdate_days": "How far back an exchange can be dated (days)",
    "minute_step": "Time recorded in steps of (minutes)",
    "replacement_rate_pence": "Replacement-cost rate (pence an hour)",
    "currency": "Currency",
    "consent_reporting": "Agrees to reporting",
    "consent_research": "Agrees to research",
    "external_ref": "Reference in other software",
    "organisation_id": "Organisation",
    "active": "Active",
    "is_sensitive": "Sensitive category",
}

VALUE_WORDS = {
    "pending": "waiting",
    "posted": "done",
    "rejected": "not accepted",
    "opening_balance": "opening balance",
}

NO_LIMIT_FIELDS = {"floor_minutes", "cap_minutes"}


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()


def format_value(name: str, value: Any, names: Names) -> str | None:
    """A value as a coordinator would read it; None when there is none."""
    if value is None:
        return "no limit" if name in NO_LIMIT_FIELDS else None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        if name == "minutes" or name.endswith("_minutes"):
            return format_minutes(value)
        if name.endswith("account_id"):
            return names.account(value)
        if _is_membership_field(name):
            return names.membership(value)
        if name == "person_id":
            return names.people.get(value, f"person {value}")
        if name == "category_id":
            return names.categories.get(value, f"category {value}")
        if name == "organisation_id":
            return names.organisations.get(value, f"organisation {value}")
        if name == "reverses_id":
            return f"exchange {value}"
        return str(value)
    if isinstance(value, str):
        if name == "service_date" or name.endswith("_date"):
            try:
                return date.fromisoformat(value).strftime("%-d %b %Y")
            except ValueError:
                return value
        return VALUE_WORDS.get(value, value)
    return json.dumps(value, sort_keys=True, default=str)


def changes_of(before: dict[str, Any], after: dict[str, Any], names: Names) -> list[Change]:
    """The fields that changed (or, for a new record, the fields it was created with)."""
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
                label=_transfer_label(key, doc_kind) or field_label(key),
                before=(format_value(key, old, names) or "none") if before else None,
                after=(format_value(key, new, names) or "none") if after else None,
            )
        )
    return changes


_ORDER = list(FIELD_LABELS)

# Donations, grants, opening balances and reversals move time between accounts without
# anyone giving a service: name their sides by what happens to each balance.
MOVEMENT_LABELS = {
    "debit_account_id": "Time taken from",
    "credit_account_id": "Time added to",
}


def _transfer_label(key: str, kind: Any) -> str | None:
    if kind in ("exchange", "group", None):
        return None
    return MOVEMENT_LABELS.get(key)


def _field_order(key: str) -> tuple[int, str]:
    return (_ORDER.index(key) if key in _ORDER else len(_ORDER), key)


def _movement(doc: dict[str, Any], names: Names) -> str:
    minutes = doc.get("minutes")
    amount = format_minutes(minutes) if isinstance(minutes, int) else "time"
    giver = names.account(doc.get("credit_account_id"))
    receiver = names.account(doc.get("debit_account_id"))
    return f"{amount} from {giver} to {receiver}"


def _opening(doc: dict[str, Any], names: Names) -> str:
    raw_minutes = doc.get("minutes")
    minutes = raw_minutes if isinstance(raw_minutes, int) else 0
    credit, debit = doc.get("credit_account_id"), doc.get("debit_account_id")
    # account_kinds is keyed by int ids: anything else (None, a malformed value) is
    # not an equity account, exactly as a failed dict lookup would say.
    if isinstance(credit, int) and names.account_kinds.get(credit) == AccountKind.EQUITY:
        holder, signed = debit, -minutes
    else:
        holder, signed = credit, minutes
    return f"Brought in an opening balance of {format_minutes(signed)} for {names.account(holder)}"


def _with_reason(text: str, doc: dict[str, Any]) -> str:
    reason = doc.get("reason")
    return f"{text}. Reason: {reason}" if reason else text


TRANSFER_VERBS = {
    "recorded": "Recorded",
    "confirmed": "Confirmed",
    "approved": "Approved",
    "rejected": "Rejected",
    "corrected": "Corrected",
    "withdrawn": "Withdrew",
}


def summarise(
    action: str,
    entity_type: str,
    entity_id: int | None,
    before: dict[str, Any],
    after: dict[str, Any],
    names: Names,
) -> str:
    """One plain sentence for an audit entry, e.g. "Approved 1 h 30 min from Ann to Bob"."""
    prefix, _, verb = action.partition(".")
    doc = {**before, **after}
    if prefix == "transfer":
        if verb == "reversed":
            # The reversal mirrors the original: its receiver gave, its giver received.
            original = {
                "minutes": doc.get("minutes"),
                "credit_account_id": doc.get("debit_account_id"),
                "debit_account_id": doc.get("credit_account_id"),
            }
            text = f"Reversed exchange {doc.get('reverses_id')} ({_movement(original, names)})"
            return _with_reason(text, doc)
        if verb == "opening_balance":
            return _opening(doc, names)
        if verb in TRANSFER_VERBS:
            text = f"{TRANSFER_VERBS[verb]} {_movement(doc, names)}"
            if doc.get("kind") == "group":
                text += " (group exchange)"
            if verb == "recorded" and after.get("status") == "posted":
                text += "; done at once"
            elif verb == "recorded" and after.get("status") == "pending":
                text += "; waiting"
            if verb in ("rejected", "corrected"):
                return _with_reason(text, doc)
            return text
        return f"{_humanise(verb)} exchange {entity_id}: {_movement(doc, names)}"
    if prefix == "pot":
        minutes = doc.get("minutes")
        amount = format_minutes(minutes) if isinstance(minutes, int) else "time"
        if verb == "donation":
            donor = names.account(doc.get("debit_account_id"))
            return f"{donor} gave {amount} to the community pot"
        if verb == "grant":
            recipient = names.account(doc.get("credit_account_id"))
            return _with_reason(f"Granted {amount} from the community pot to {recipient}", doc)
    if prefix == "membership":
        who = names.membership(entity_id) if entity_id is not None else "a member"
        if verb == "created":
            role = after.get("role")
            status = after.get("status")
            text = f"Added {who} to the time bank"
            if role and role != "member":
                text += f" as a {role}"
            if status and status != "active":
                text += f" ({VALUE_WORDS.get(status, status)})"
            return text
        changed = [field_label(c).lower() for c in after if before.get(c) != after.get(c)]
        text = f"{_humanise(verb)}: {who}"
        if changed and before:
            text += f" ({', '.join(changed)})"
        return _with_reason(text, doc)
    if prefix == "time_bank":
        if verb == "created":
            return f"Created the time bank {after.get('name', '')}".rstrip()
        if verb == "policy_changed":
            changed = [
                field_label(k).lower()
                for k in sorted(set(before) | set(after), key=_field_order)
                if before.get(k) != after.get(k)
            ]
            if not changed:
                return "Saved the time bank's settings (nothing changed)"
            return "Changed the time bank's settings: " + ", ".join(changed)
    if prefix == "organisation":
        name = after.get("name") or names.organisations.get(entity_id or 0) or "an organisation"
        if verb == "created":
            return f"Added the organisation {name}"
        return f"{_humanise(verb)}: organisation {name}"
    if prefix == "export":
        what = verb.replace("_", " ")
        return f"Downloaded the {what} list as a spreadsheet (CSV)"
    subject = entity_type.replace("_", " ")
    text = f"{_humanise(prefix)} {_humanise(verb).lower()}"
    if entity_id is not None:
        text += f" ({subject} {entity_id})"
    return _with_reason(text, doc)


def _humanise(word: str) -> str:
    return word.replace("_", " ").capitalize()


def describe_entries(
    session: Session, bank: TimeBank, entries: list[tuple[AuditEntry, str | None]]
) -> list[AuditRow]:
    parsed = [(entry, name, _load(entry.before), _load(entry.after)) for entry, name in entries]
    names = load_names(
        session,
        bank.id,
        [(e.entity_type, e.entity_id, {**b, **a}) for e, _, b, a in parsed],
    )
    zone = ZoneInfo(bank.timezone)
    rows = []
    for entry, actor_name, before, after in parsed:
        rows.append(
            AuditRow(
                id=entry.id,
                seq=entry.seq,
                created_at=entry.created_at,
                when=entry.created_at.replace(tzinfo=UTC).astimezone(zone),
                actor_id=entry.actor_id,
                actor_name=actor_name or ("system" if entry.actor_id is None else "a member"),
                action=entry.action,
                entity_type=entry.entity_type,
                entity_id=entry.entity_id,
                summary=summarise(
                    entry.action, entry.entity_type, entry.entity_id, before, after, names
                ),
                changes=changes_of(before, after, names),
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
