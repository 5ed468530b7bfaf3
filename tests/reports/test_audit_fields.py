"""An audit entry's fields in words (reports/audit_fields.py): ``changes_of`` lists what
the loop it replaced listed (December 2026: the fields put in order once per shape of
document, a created, removed or changed record each in its own loop), for records
created, removed and changed, with values none, empty, yes and no, amounts, names,
dates and anything else, and the sides of donations and grants named as such; and a
stored value's words are those of the table they were made from."""

from __future__ import annotations

from typing import Any

import pytest

from timebank.reports.audit_fields import (
    Words,
    field_order,
    format_value,
    words_of,
)
from timebank.reports.audit_fields import (
    changes_of as changes_now,
)
from timebank.reports.audit_names import Names
from timebank.reports.wording import Wording


def changes_before(before, after, names, words):
    """``changes_of`` as it was before (a list of (field, label, before, after))."""
    none = words.none
    changes = []
    doc_kind = after.get("kind", before.get("kind"))
    for key in sorted(set(before) | set(after), key=field_order):
        if key == "id":
            continue
        old, new = before.get(key), after.get(key)
        if before and after and old == new:
            continue
        if not before and new in (None, ""):
            continue
        label = None
        if doc_kind not in ("exchange", "group", None):
            if key == "debit_account_id":
                label = words.w.gettext("Time taken from")
            elif key == "credit_account_id":
                label = words.w.gettext("Time added to")
        changes.append(
            (
                key,
                label or words.label(key),
                (format_value(key, old, names, words) or none) if before else None,
                (format_value(key, new, names, words) or none) if after else None,
            )
        )
    return changes


class Marked(Wording):
    """Words marked as translated, so that a label or word left untranslated shows."""

    def gettext(self, template: str, **params: Any) -> str:
        return "«" + (template % params if params else template) + "»"


TRANSFER = {
    "id": 40,
    "kind": "exchange",
    "status": "pending",
    "debit_account_id": 1,
    "credit_account_id": 2,
    "minutes": 90,
    "service_date": "2026-03-28",
    "category_id": 3,
    "description": "<b>Gardening</b>",
    "needs_confirmation": True,
    "needs_approval": False,
    "approved_by_id": None,
    "reason": "",
    "zz_unknown": [1, "<x>"],
    "aa_unknown": {"b": 2},
}
PAIRS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({}, TRANSFER),  # created: none and "" left out
    (TRANSFER, {}),  # removed: every field, none reads "none"
    (TRANSFER, {**TRANSFER, "status": "posted", "approved_by_id": 5, "reason": None}),
    (TRANSFER, TRANSFER),  # nothing changed
    ({}, {}),
    ({**TRANSFER, "kind": "donation"}, {**TRANSFER, "kind": "donation", "minutes": 60}),
    ({}, {**TRANSFER, "kind": "grant"}),
    ({"kind": "reversal", "debit_account_id": 2}, {"credit_account_id": 1}),
    ({"role": "member", "status": "active"}, {"role": "coordinator", "status": "suspended"}),
    ({"floor_minutes": -600, "cap_minutes": None}, {"floor_minutes": None, "cap_minutes": 3000}),
    ({"format": "csv"}, {"format": "web", "page": "network", "audience": "partner"}),
    ({"id": 1}, {"id": 2}),
    ({"opening_balance": 1}, {"status": "opening_balance", "two_step": True, "rows": 0}),
]
NAMES = {
    "accounts": {1: "Ann <Archer>", 2: "Bob"},
    "memberships": {5: "Cora"},
    "categories": {3: "Garden & yard"},
}


@pytest.mark.parametrize("wording", [Wording(), Marked()], ids=["english", "marked"])
def test_the_changes_are_those_the_old_loop_listed(wording):
    names = Names(**NAMES, wording=wording)
    words = words_of(wording)
    for before, after in PAIRS:
        wanted = changes_before(before, after, names, words)
        got = changes_now(before, after, names, words)
        assert [tuple(change) for change in got] == wanted, (before, after)
        assert got == changes_now(before, after, names)  # the words made for it
    created = changes_now({}, TRANSFER, names, words)
    assert [c.field for c in created][:4] == [
        "kind",
        "status",
        "debit_account_id",
        "credit_account_id",
    ]
    assert "approved_by_id" not in {c.field for c in created}


def test_a_stored_values_words_are_its_fields_or_any_fields():
    words = Words(Marked())
    assert words.word("status", "posted") == "«done»"  # a word of any field first
    assert words.word("role", "posted") == "«done»"
    assert words.word("status", "active") == "«active»"
    assert words.word("role", "active") == "active"  # not a role: as it is
    assert words.word("format", "csv") == "CSV"
    assert words.word("format", "web") == "«web page»"
    assert words.word("kind", "<b>odd</b>") == "<b>odd</b>"
    assert words.word("page", "network") == "«the network view»"
