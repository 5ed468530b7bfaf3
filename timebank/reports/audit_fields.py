"""The fields of an audit entry's before and after snapshots in plain words: their
labels, their values (minutes, dates, names, yes and no) and the list of what changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from timebank.reports.audit_names import Names, is_membership_field
from timebank.reports.audit_wording import humanise
from timebank.reports.wording import ENGLISH, Wording


class Change(NamedTuple):
    """One field of an entry in words: its label and its value before and after (None
    for a record created or removed). A tuple: a page makes a few hundred."""

    field: str
    label: str
    before: str | None
    after: str | None


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
    "own_exchanges_need_another_coordinator",
    "two_step_required_for_staff",
    "two_step",
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
        "own_exchanges_need_another_coordinator": w.gettext(
            "A coordinator's own exchanges need another coordinator"
        ),
        "two_step_required_for_staff": w.gettext(
            "Coordinators and partners must use two-step sign-in"
        ),
        "two_step": w.gettext("Two-step sign-in"),
        "own_entry": w.gettext("The coordinator's own entry"),
        "currency": w.gettext("Currency"),
        "consent_reporting": w.gettext("Agrees to reporting"),
        "consent_research": w.gettext("Agrees to research"),
        "external_ref": w.gettext("Reference in other software"),
        "organisation_id": w.gettext("Organisation"),
        "active": w.gettext("Active"),
        "is_sensitive": w.gettext("Sensitive category"),
        "report_threshold": w.gettext("Smallest group partners' reports show (people)"),
        "group_credit_rule": w.gettext("How a workshop's leader is credited"),
        # Fields of profiles and listings.
        "offers_text": w.gettext("What I can offer"),
        "needs_text": w.gettext("What I would like help with"),
        "availability": w.gettext("When I am usually available"),
        "area": w.gettext("Area"),
        "title": w.gettext("Title"),
        "expires_on": w.gettext("Show it until"),
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
        # Fields of a report read (timebank.reports.report_reads).
        "audience": w.gettext("Read as"),
        "page": w.gettext("Page"),
        "time_banks": w.gettext("Time banks in the report"),
    }


FIELD_LABELS = field_labels()


NO_LIMIT_FIELDS = {"floor_minutes", "cap_minutes"}


# Stored words as a coordinator reads them, for any field; then the words of roles,
# kinds and statuses (the same in English as stored), by field. Functions, so that only
# the words a page shows are translated.
_VALUE_WORDS: dict[str, Callable[[Wording], str]] = {
    "pending": lambda w: w.gettext("waiting"),
    "posted": lambda w: w.gettext("done"),
    "rejected": lambda w: w.gettext("not accepted"),
    "opening_balance": lambda w: w.gettext("opening balance"),
}
_FIELD_VALUE_WORDS: dict[str, dict[str, Callable[[Wording], str]]] = {
    "role": {
        "member": lambda w: w.gettext("member"),
        "coordinator": lambda w: w.gettext("coordinator"),
        "partner": lambda w: w.gettext("partner"),
    },
    "kind": {
        "exchange": lambda w: w.gettext("exchange"),
        "group": lambda w: w.gettext("group"),
        "donation": lambda w: w.gettext("donation"),
        "grant": lambda w: w.gettext("grant"),
        "reversal": lambda w: w.gettext("reversal"),
        "participant": lambda w: w.gettext("participant"),
        "professional": lambda w: w.gettext("professional"),
    },
    "group_credit_rule": {
        "each": lambda w: w.gettext("with each participant's hours"),
        "session": lambda w: w.gettext("with the session's length"),
    },
    "audience": {
        "partner": lambda w: w.gettext("partner"),
        "coordinator": lambda w: w.gettext("coordinator"),
    },
    "page": {
        "report": lambda w: w.gettext("the reciprocity report"),
        "network": lambda w: w.gettext("the network view"),
    },
    "format": {
        "web": lambda w: w.gettext("web page"),
        "csv": lambda w: "CSV",
        "pdf": lambda w: "PDF",
        "json": lambda w: "JSON",
    },
    "status": {
        "applied": lambda w: w.gettext("applied"),
        "active": lambda w: w.gettext("active"),
        "suspended": lambda w: w.gettext("suspended"),
        "declined": lambda w: w.gettext("declined"),
        "left": lambda w: w.gettext("left"),
    },
}
_NO_WORDS: dict[str, Callable[[Wording], str]] = {}


class Words:
    """The labels and value words of one wording, made once per page: each translated
    when first asked for (a page shows a few of the seventy labels and of the forty
    words of stored values)."""

    def __init__(self, w: Wording) -> None:
        self.w = w
        self._labels: dict[str, str] = {}
        self._words: dict[tuple[str, str], str] = {}
        self.none = w.gettext("none")

    def label(self, name: str) -> str:
        label = self._labels.get(name)
        if label is None:
            english = FIELD_LABELS.get(name)  # the template, as English needs no translating
            translated = self.w.gettext(english) if english else ""
            label = self._labels[name] = translated or humanise(name)
        return label

    def word(self, name: str, value: str) -> str:
        """A stored word (a status, a kind, a role) in words, or the value as it is."""
        found = self._words.get((name, value))
        if found is None:
            words = _VALUE_WORDS.get(value) or _FIELD_VALUE_WORDS.get(name, _NO_WORDS).get(value)
            if words is None:
                return value  # not kept: any text a document holds
            found = self._words[(name, value)] = words(self.w)
        return found


_ENGLISH_WORDS = Words(ENGLISH)


def words_of(w: Wording) -> Words:
    return _ENGLISH_WORDS if w is ENGLISH else Words(w)


def field_label(name: str, w: Wording = ENGLISH) -> str:
    return words_of(w).label(name)


def format_value(name: str, value: Any, names: Names, words: Words | None = None) -> str | None:
    """A value as a coordinator would read it; None when there is none."""
    words = words or words_of(names.wording)
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
        if is_membership_field(name):
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
    before: dict[str, Any], after: dict[str, Any], names: Names, words: Words | None = None
) -> list[Change]:
    """The fields that changed (or, for a new record, the fields it was created with;
    for one removed, the fields it had). A missing value reads "none"."""
    words = words or words_of(names.wording)
    none = words.none
    label: Callable[[str], str] = words.label
    doc_kind = after.get("kind", before.get("kind"))
    if doc_kind not in ("exchange", "group", None):
        # Donations, grants, opening balances and reversals name their sides otherwise.
        def label(key: str) -> str:
            return _transfer_label(key, doc_kind, words.w) or words.label(key)

    if not before:
        return [
            Change(key, label(key), None, format_value(key, new, names, words) or none)
            for key in _in_order((), tuple(after))
            if (new := after[key]) is not None and new != ""
        ]
    if not after:
        return [
            Change(key, label(key), format_value(key, before[key], names, words) or none, None)
            for key in _in_order(tuple(before), ())
        ]
    changes = []
    for key in _in_order(tuple(before), tuple(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        changes.append(
            Change(
                key,
                label(key),
                format_value(key, old, names, words) or none,
                format_value(key, new, names, words) or none,
            )
        )
    return changes


@lru_cache(maxsize=1024)
def _in_order(before: tuple[str, ...], after: tuple[str, ...]) -> tuple[str, ...]:
    """The fields of an entry's two documents in the order they are listed, but its id
    (entries of one kind have the same fields: sorted once for each)."""
    return tuple(sorted((set(before) | set(after)) - {"id"}, key=field_order))


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


# Each listed field's place, looked up rather than searched for (a page sorts hundreds).
_PLACE = {name: place for place, name in enumerate(_ORDER)}


def field_order(key: str) -> tuple[int, str]:
    return (_PLACE.get(key, len(_ORDER)), key)
