"""The network picture's parts for its page: the picture's data as the page's JSON
block, the ties table's rows as HTML, and which kinds of shape and line the key shows.
Made on each render; a coordinator's network body is kept whole above them
(``kept_body``), and a partner's picture has new pseudonyms on every call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from timebank.filters import hours_in_this_language
from timebank.quick_gettext import gettext as _
from timebank.report_views import graph
from timebank.reports.reciprocity import Graph
from timebank.reports.reciprocity.model import NodeKind

KINDS = ("participant", "professional", "member", "organisation", "pot")


@dataclass(frozen=True)
class PictureParts:
    elements_json: Markup  # what ``elements|tojson`` gave
    ties: Markup  # the rows of the ties table
    kinds: tuple[str, ...]  # the kinds of shape in the picture, in the key's order
    credits: bool  # whether a line carries credits (to or from the pot), not time


# The ties table's rows, each on its line at the table's indentation in
# report_views/_network_picture.html.
_INDENT = "\n        "
_ROW = (
    '<tr role="row"><th scope="row" role="rowheader">{giver}</th>'
    '<td role="cell" data-label="{received}">{receiver}</td>'
    '<td role="cell" data-label="{time}">{amount}{credits}</td>'
    '<td role="cell" data-label="{returned}">{answer}</td></tr>'
)


def ties_rows(rows: list[graph.TextRow]) -> Markup:
    """The ties table's rows: each end's words and the amount escaped, the column words
    translated once for the table (a big picture has thousands of rows; drawn by a
    template, the rows were a fifth of a partner's network page)."""
    # The catalogue's words, trusted as a template's ``_`` trusts them.
    received, time, returned = _("Received"), _("Time"), _("Returned")
    credits, yes, no = " " + _("(credits, not time)"), _("yes"), _("no")
    html = [_INDENT, _INDENT, _INDENT]
    for row in rows:
        html += (
            _INDENT,
            _ROW.format(
                giver=escape(row.giver),
                received=received,
                receiver=escape(row.receiver),
                time=time,
                amount=escape(row.amount),
                credits=credits if row.credits else "",
                returned=returned,
                answer=yes if row.returned else no,
            ),
            _INDENT,
        )
    return Markup("".join(html))  # noqa: S704 - every value escaped above


def ties_table(picture: Graph, hours: Callable[[int], str]) -> Markup:
    """``ties_rows(graph.text_rows(picture, hours))`` in one pass: each end's words (and
    each amount) worked out and escaped once, not once per tie, and no row objects made
    on the way (a coordinator's picture has a few hundred ties; the two steps were two
    thirds of the network view's first view, ``kept_body``)."""
    kinds = graph.kind_words()
    bands = graph.band_table()
    nodes = {node.id: node for node in picture.nodes}
    named = not picture.pseudonymised
    names: dict[str, str] = {}  # each end's words, escaped
    numbers: dict[str, int] = {}  # as text_rows numbers them: in order of first mention

    def name(node_id: str) -> str:
        found = names.get(node_id)
        if found is not None:
            return found
        node = nodes[node_id]
        if node.label and named:
            words = node.label
        elif node.kind == NodeKind.POT:
            words = kinds[node.kind]
        else:
            numbers[node_id] = len(numbers) + 1
            words = _("%(kind)s %(number)s", kind=kinds[node.kind], number=numbers[node_id])
        names[node_id] = escape(words)
        return names[node_id]

    # A named end's words need no number: known before the first row.
    if named:
        names.update((node.id, escape(node.label)) for node in picture.nodes if node.label)
    amounts: dict[tuple[int | None, float], str] = {}
    received, time, returned = _("Received"), _("Time"), _("Returned")
    credits, yes, no = " " + _("(credits, not time)"), _("yes"), _("no")
    html = [_INDENT, _INDENT, _INDENT]
    for edge in sorted(picture.edges, key=lambda e: (-e.weight, e.source, e.target)):
        giver = names.get(edge.source) or name(edge.source)
        receiver = names.get(edge.target) or name(edge.target)
        amount_key = (edge.minutes, edge.weight)
        amount = amounts.get(amount_key)
        if amount is None:
            amount = escape(
                hours(edge.minutes)
                if edge.minutes is not None
                else bands.get(round(edge.weight), "")
            )
            amounts[amount_key] = amount
        # _ROW, written out (a format string's look-ups cost more than the row).
        html += (
            _INDENT,
            f'<tr role="row"><th scope="row" role="rowheader">{giver}</th>'
            f'<td role="cell" data-label="{received}">{receiver}</td>'
            f'<td role="cell" data-label="{time}">{amount}{"" if edge.time else credits}</td>'
            f'<td role="cell" data-label="{returned}">{yes if edge.reciprocated else no}</td></tr>',
            _INDENT,
        )
    return Markup("".join(html))  # noqa: S704 - every value escaped above


def picture_parts(picture: Graph, brokers: dict[str, float]) -> PictureParts:
    env = current_app.jinja_env
    elements_json = htmlsafe_json_dumps(
        graph.elements(picture, brokers),
        dumps=env.policies["json.dumps_function"],
        **env.policies["json.dumps_kwargs"],
    )
    ties = ties_table(picture, hours_in_this_language())
    present = {str(node.kind) for node in picture.nodes}
    return PictureParts(
        elements_json=elements_json,
        ties=ties,
        kinds=tuple(kind for kind in KINDS if kind in present),
        credits=any(not edge.time for edge in picture.edges),
    )
