"""The network picture's data (``graph.elements``) as the page's JSON block, written
directly: what ``elements|tojson`` gave (Flask's JSON with its keys sorted, non-ASCII
escaped, then ``<``, ``>``, ``&`` and ``'`` escaped for HTML), without making a dict
for each of the picture's few hundred shapes and lines, sorting their keys and encoding
each one again. Each node id is encoded once, however many lines it ends. The
picture's JSON took a sixth of the network view's first view (``kept_body``).
"""

from __future__ import annotations

import json
import math

from markupsafe import Markup

from timebank.reports.reciprocity import Graph

_string = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]
_BOOLEAN = {True: "true", False: "false"}
# Each data's keys in sorted order, as ``sort_keys`` writes them.
_EDGE = (
    '{"data": {"id": "e%d", "reciprocated": %s, "source": %s, "target": %s, "time": %s,'
    ' "weight": %s}}'
)


def _number(value: float | int | bool | None) -> str:
    """A number as Python's JSON encoder writes it (``bool`` first: it is an int)."""
    if type(value) is float and math.isfinite(value):
        return float.__repr__(value)
    if value is None or isinstance(value, bool):
        return "null" if value is None else _BOOLEAN[value]
    if isinstance(value, int):
        return int.__repr__(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _truth(value: bool) -> str:
    return "true" if value is True else "false" if value is False else _number(value)


def elements_json(picture: Graph, brokers: dict[str, float] | None = None) -> Markup:
    """``htmlsafe_json_dumps(graph.elements(picture, brokers), sort_keys=True)`` with
    Flask's JSON, written directly."""
    brokers = brokers or {}
    ids: dict[str, str] = {}  # each node id, encoded once

    def encoded(node_id: str) -> str:
        found = ids.get(node_id)
        if found is None:
            found = ids[node_id] = _string(node_id)
        return found

    named = not picture.pseudonymised
    nodes = []
    for node in picture.nodes:
        data = []
        if node.id in brokers:
            data.append(f'"broker": {_number(round(brokers[node.id], 4))}')
        data.append(f'"id": {encoded(node.id)}')
        data.append(f'"kind": {_string(str(node.kind))}')
        if node.label is not None and named:
            data.append(f'"label": {_string(node.label)}')
        nodes.append('{"data": {' + ", ".join(data) + "}}")
    edges = [
        _EDGE
        % (
            index,
            "true" if edge.reciprocated is True else _truth(edge.reciprocated),
            ids.get(edge.source) or encoded(edge.source),
            ids.get(edge.target) or encoded(edge.target),
            "true" if edge.time is True else _truth(edge.time),
            _number(edge.weight),
        )
        for index, edge in enumerate(picture.edges)
    ]
    text = (
        f'{{"edges": [{", ".join(edges)}], "nodes": [{", ".join(nodes)}],'
        f' "pseudonymised": {_number(picture.pseudonymised)}}}'
    )
    return Markup(  # noqa: S704 - JSON with HTML's characters escaped, as |tojson does
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )
