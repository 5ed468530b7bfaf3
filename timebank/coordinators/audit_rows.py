"""The audit log table's rows as HTML: for each entry its time, who did it, the sentence
saying what, and its details (the entry's number, action and subject, and a list of the
fields it changed, each "was ..., now ...", "was ..., now removed" or its value).

Drawn by a Jinja template (``_audit_entries.html`` until December 2026), these rows were
a third of the page's first view after a change: an escape, attribute look-ups and tests
for each of a page's few hundred changes. Here each row is a few pieces of text joined,
each value escaped as Jinja's autoescape escapes it, the same bytes as the template drew
(tests/web/test_audit_rows.py keeps that template and compares). The words of the page
come translated once (``RowWords``): our catalogue's words, trusted as the template's
``_`` trusts them; the entries' own values are escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from timebank.quick_gettext import fill
from timebank.reports.audit_log import AuditRow


@dataclass(frozen=True)
class RowWords:
    """The words every row repeats, translated for the page: the columns' words,
    "system", "Details" and "No fields were recorded" as they are; the others with
    ``%(number)s`` (the entry's number) or ``%(before)s`` and ``%(after)s`` (a change's
    values) to fill in."""

    when: str
    who: str
    what: str
    details: str
    system: str
    no_fields: str
    of_entry: str
    entry: str
    was_now: str
    was_removed: str


class _Escaped(dict[str, str]):
    """Each text escaped once for the page (names, "none", "1 h" and the like come back
    many times). Only plain text is kept: Markup is equal to the same text, but shown
    as it is."""

    def __missing__(self, value: str) -> str:
        escaped = self[value] = escape(value)
        return escaped

    def __call__(self, value: Any) -> str:
        return self[value] if type(value) is str else escape(value)


class _Opening(dict[str, str]):
    """A change's lines up to its value, for each label (the same few fields a page)."""

    def __missing__(self, label: str) -> str:
        opening = self[label] = _CHANGE.format(label=escape(label))
        return opening

    def __call__(self, label: Any) -> str:
        return self[label] if type(label) is str else _CHANGE.format(label=escape(label))


_CHANGE = (
    "\n              <div>\n                <dt>{label}</dt>"
    "\n                <dd>\n                  \n                  "
)
_CHANGE_END = "\n                  \n                </dd>\n              </div>\n              "
_LIST = '\n            <dl class="audit-changes">\n              '
_LIST_END = "\n            </dl>\n            "


def audit_rows(
    rows: Sequence[AuditRow], words: RowWords, date_time: Callable[[datetime], str]
) -> Markup:
    """What goes between the table body's opening tag and its indented ``</tbody>``:
    each row on its lines, as the template drew them."""
    escaped, opening = _Escaped(), _Opening()
    system = f'<span class="audit-system">{words.system}</span>'
    when_cell = (
        f'\n      <tr role="row">\n        <td role="cell" data-label="{words.when}">'
        '<time datetime="'
    )
    who_cell = f'</time></td>\n        <td role="cell" data-label="{words.who}">'
    what_cell = f'</td>\n        <td role="cell" data-label="{words.what}">'
    details = (
        '</td>\n        <td role="cell">\n          <details class="audit-details">'
        f'\n            <summary>{words.details}<span class="visually-hidden"> '
    )
    hint = '</span></summary>\n            <p class="hint">'
    no_changes = f"\n            <p>{words.no_fields}</p>\n            "
    end = "\n          </details>\n        </td>\n      </tr>\n      "
    of_entry, entry, was_now, was_removed = (
        words.of_entry,
        words.entry,
        words.was_now,
        words.was_removed,
    )
    html: list[str] = []
    value: str
    for row in rows:
        number = {"number": row.seq}  # a number: nothing to escape
        html += (
            when_cell,
            row.created_at.isoformat(),  # digits and separators: nothing to escape
            'Z">',
            escaped(date_time(row.when)),
            who_cell,
            system if row.actor_id is None else escaped(row.actor_name),
            what_cell,
            escape(row.summary),
            details,
            of_entry % number,
            hint,
            entry % number,
            " · ",
            escaped(row.action),
            " · ",
            escaped(row.entity),
            "</p>\n            ",
        )
        if not row.changes:
            html += (no_changes, end)
            continue
        html.append(_LIST)
        for _field, label, before, after in row.changes:
            # Our catalogue's words filled with the values escaped, as the template's
            # ``Markup % values`` filled them (``fill`` for anything but text).
            if before is None:
                value = escaped(after)
            elif after is not None:
                if type(before) is str and type(after) is str:
                    value = was_now % {"before": escaped[before], "after": escaped[after]}
                else:
                    value = fill(was_now, {"before": before, "after": after})
            elif type(before) is str:
                value = was_removed % {"before": escaped[before]}
            else:
                value = fill(was_removed, {"before": before})
            html += (opening(label), value, _CHANGE_END)
        html += (_LIST_END, end)
    return Markup("".join(html))  # noqa: S704 - our catalogue's words; every value escaped
