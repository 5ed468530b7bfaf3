"""The rows of the coordinators' lists of names (who has only received, who has never
given, who has gone quiet, the brokers) as HTML: each person's name linked to their
page, their kind and the list's own column. Up to ``names_shown`` rows in each of four
lists; drawn by report_views/_coordinator_lists.html's loop, they were a tenth of the
report's first view (``kept_body``). The lists' headings and tables are still drawn by
that template, at the same indentation.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def people_rows(key: str, people: Sequence[NamedMember], kind_words: dict[str, str]) -> Markup:
    """What goes after ``<tbody role="rowgroup">`` up to ``</tbody>`` for the list
    ``key`` (only-received, never-given, quiet or brokers): a row for each of
    ``people``."""
    # The catalogue's words, trusted as a template's ``_`` trusts them; the link to a
    # member's page ("/coordinators/members/" then the id) made once for the list.
    kind_word = _("Kind")
    received_word, last_word = _("Received"), _("Last exchange")
    betweenness_word, never_word = _("Betweenness"), _("never")
    member_path = escape(url_for("coordinators.member", membership_id=0)[:-1])
    html = ["\n        "]
    for person in people:
        received = quiet = brokers = ""
        if key == "only-received":
            received = _CELL.format(label=received_word, value=escape(hours(person.minutes or 0)))
        if key == "quiet":
            last = person.last_exchange
            quiet = _CELL.format(
                label=last_word, value=escape(long_date(last)) if last else never_word
            )
        if key == "brokers":
            brokers = _CELL.format(
                label=betweenness_word, value=escape(number(person.score or 0, 3))
            )
        html.append(
            _ROW.format(
                path=member_path,
                id=escape(person.membership_id),
                name=escape(person.name),
                kind_word=kind_word,
                kind=escape(kind_words.get(person.kind, person.kind)),
                received=received,
                quiet=quiet,
                brokers=brokers,
            )
        )
    html.append(_END)
    return Markup("".join(html))  # noqa: S704 - every value escaped above
