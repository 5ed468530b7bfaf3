"""The network picture's data for Cytoscape.js (static/js/network-graph.js), and its
text alternative as rows for the table beside it.

The picture's data goes in the page as a JSON block (not run as a script, so the strict
Content Security Policy allows it). A partner's picture has no labels at all: no name
goes into the page, not even hidden, and node ids are the report's pseudonyms.
"""

from __future__ import annotations

from dataclasses import dataclass

from timebank.quick_gettext import gettext as _
from timebank.reports.reciprocity import Graph
from timebank.reports.reciprocity.model import NodeKind


def kind_words() -> dict[str, str]:
    return {
        NodeKind.PARTICIPANT: _("Participant"),
        NodeKind.PROFESSIONAL: _("Professional"),
        NodeKind.MEMBER: _("Member"),
        NodeKind.ORGANISATION: _("Organisation"),
        NodeKind.POT: _("Community pot"),
    }


def elements(graph: Graph, brokers: dict[str, float] | None = None) -> dict:
    """Cytoscape's elements: nodes coloured by kind, edges weighted, returned ties
    marked. Labels only where the report has them (a coordinator's picture)."""
    brokers = brokers or {}
    nodes = []
    for node in graph.nodes:
        data: dict = {"id": node.id, "kind": str(node.kind)}
        if node.label is not None and not graph.pseudonymised:
            data["label"] = node.label
        if node.id in brokers:
            data["broker"] = round(brokers[node.id], 4)
        nodes.append({"data": data})
    edges = [
        {
            "data": {
                "id": f"e{index}",
                "source": edge.source,
                "target": edge.target,
                "weight": edge.weight,
                "reciprocated": edge.reciprocated,
                "time": edge.time,
            }
        }
        for index, edge in enumerate(graph.edges)
    ]
    return {"nodes": nodes, "edges": edges, "pseudonymised": graph.pseudonymised}


@dataclass(frozen=True)
class TextRow:
    """One tie of the picture in words: who (by kind, and name for coordinators) gave
    how much to whom, and whether it was returned."""

    giver: str
    receiver: str
    amount: str
    returned: bool
    credits: bool  # a donation to or grant from the pot: credits, not time


def band_table() -> dict[int, str]:
    """The words of each band of hours (a partner's picture shows bands, not hours)."""
    return {
        1: _("under 2 h"),
        2: _("2 to 5 h"),
        3: _("5 to 10 h"),
        4: _("10 to 20 h"),
        5: _("20 h or more"),
    }


def text_rows(graph: Graph, hours) -> list[TextRow]:
    """The text alternative: every tie, heaviest first. A partner's rows name each end
    by kind and a short number for this picture only (Person 1, Person 2...), so the
    structure can be followed without any name."""
    kinds = kind_words()
    bands = band_table()
    names: dict[str, str] = {}  # each end's words, worked out once (a big picture has
    # thousands of rows, and the same ends again and again)
    numbers: dict[str, int] = {}

    def name(node_id: str, kind: NodeKind, label: str | None) -> str:
        if label and not graph.pseudonymised:
            return label
        if node_id in names:
            return names[node_id]
        if kind == NodeKind.POT:  # one per bank: its name is enough, and takes no number
            names[node_id] = kinds[kind]
        else:
            numbers[node_id] = len(numbers) + 1
            names[node_id] = _("%(kind)s %(number)s", kind=kinds[kind], number=numbers[node_id])
        return names[node_id]

    rows = []
    for row in graph.rows():
        amount = hours(row.minutes) if row.minutes is not None else bands.get(round(row.weight), "")
        rows.append(
            TextRow(
                giver=name(row.source, row.source_kind, row.source_label),
                receiver=name(row.target, row.target_kind, row.target_label),
                amount=amount,
                returned=row.reciprocated,
                credits=not row.time,
            )
        )
    return rows
