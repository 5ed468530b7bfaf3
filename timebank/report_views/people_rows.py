"""The rows of the coordinators' lists of names (who has only received, who has never
given, who has gone quiet, the brokers) as HTML: each person's name linked to their
page, their kind and the list's own column. Up to ``names_shown`` rows in each of four
lists; drawn by report_views/_coordinator_lists.html's loop, they were a tenth of the
report's first view (``kept_body``). The lists' headings and tables are still drawn by
that template, at the same indentation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from flask import url_for
from markupsafe import Markup, escape

from timebank.filters import hours, long_date, number
from timebank.quick_gettext import gettext as _
from timebank.reports.reciprocity.model import NamedMember

# Each person's row, at the indentation of the template's loop.
_ROW = (
    '\n        <tr role="row">'
    '\n          <th scope="row" role="rowheader"><a href="{path}{id}">{name}</a></th>'
    '\n          <td role="cell" data-label="{kind_word}">{kind}</td>'
    "\n          {received}"
    "\n          {quiet}"
    "\n          {brokers}"
    "\n        </tr>"
    "\n        "
)
_CELL = '<td role="cell" data-label="{label}">{value}</td>'
_END = "\n      "  # before </tbody>


class _Words(NamedTuple):
    kind: str
    received: str
    last: str
    betweenness: str
    never: str
    member_path: str


def _words() -> _Words:
    # The catalogue's words, trusted as a template's ``_`` trusts them; the link to a
    # member's page ("/coordinators/members/" then the id).
    return _Words(
        _("Kind"),
        _("Received"),
        _("Last exchange"),
        _("Betweenness"),
        _("never"),
        escape(url_for("coordinators.member", membership_id=0)[:-1]),
    )


def people_rows(
    key: str,
    people: Sequence[NamedMember],
    kind_words: dict[str, str],
    words: _Words | None = None,
) -> Markup:
    """What goes after ``<tbody role="rowgroup">`` up to ``</tbody>`` for the list
    ``key`` (only-received, never-given, quiet or brokers): a row for each of
    ``people``. ``words``: the lists' words, when the caller has them."""
    if words is None:
        words = _words()
    kinds = {kind: escape(word) for kind, word in kind_words.items()}
    html = ["\n        "]
    for person in people:
        received = quiet = brokers = ""
        if key == "only-received":
            received = _CELL.format(label=words.received, value=escape(hours(person.minutes or 0)))
        if key == "quiet":
            last = person.last_exchange
            quiet = _CELL.format(
                label=words.last, value=escape(long_date(last)) if last else words.never
            )
        if key == "brokers":
            brokers = _CELL.format(
                label=words.betweenness, value=escape(number(person.score or 0, 3))
            )
        kind = kinds.get(person.kind)
        html.append(
            _ROW.format(
                path=words.member_path,
                id=escape(person.membership_id),
                name=escape(person.name),
                kind_word=words.kind,
                kind=kind if kind is not None else escape(person.kind),
                received=received,
                quiet=quiet,
                brokers=brokers,
            )
        )
    html.append(_END)
    return Markup("".join(html))  # noqa: S704 - every value escaped above


def people_rows_drawer() -> Callable[[str, Sequence[NamedMember], dict[str, str]], Markup]:
    """``people_rows`` for one render: the lists' words and link worked out once, when
    the first list is drawn (a partner's report draws none)."""
    found: list[_Words] = []

    def draw(key: str, people: Sequence[NamedMember], kind_words: dict[str, str]) -> Markup:
        if not found:
            found.append(_words())
        return people_rows(key, people, kind_words, found[0])

    return draw
