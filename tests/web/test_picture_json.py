"""The network picture's data block on the page: Cytoscape's elements as JSON that
cannot end the script block or break out of it, whatever the names hold (HTML's
characters, quotes, non-ASCII letters), with names only in a coordinator's picture."""

from __future__ import annotations

import json

from timebank.report_views.picture import picture_parts
from timebank.reports.reciprocity.model import Edge, Graph, Node, NodeKind

NODES = (
    Node("a1", NodeKind.PARTICIPANT, 'Ann <b>O\'Brien</b> & "Co" </script>'),
    Node("a2", NodeKind.PROFESSIONAL, "Siân Ŵyn 🌱 \\ back\nslash"),
    Node("pot", NodeKind.POT, None),
)
EDGES = (Edge("a1", "a2", 2.5, 150, True, True), Edge("pot", "a1", 0.5, 30, False, False))


def test_the_data_block_is_json_that_cannot_leave_its_script(app):
    with app.test_request_context("/"):
        drawn = picture_parts(Graph(NODES, EDGES, False), {"a1": 0.123456789}).elements_json
        hidden = picture_parts(Graph(NODES, EDGES, True), {}).elements_json
    assert "</script>" not in drawn and "<b>" not in drawn and "'" not in drawn
    assert "\\u003cb\\u003eO\\u0027Brien" in drawn
    data = json.loads(drawn)
    assert [n["data"].get("label") for n in data["nodes"]] == [
        NODES[0].label,
        NODES[1].label,
        None,
    ]
    assert data["nodes"][0]["data"]["broker"] == 0.1235
    assert [e["data"]["weight"] for e in data["edges"]] == [2.5, 0.5]
    assert all("label" not in n["data"] for n in json.loads(hidden)["nodes"])
