"""The network picture's JSON block written directly (report_views/picture_json.py) is
what ``htmlsafe_json_dumps`` of ``graph.elements`` with Flask's JSON gave, byte for
byte: names with HTML's characters, quotes and non-ASCII letters, brokers, credits,
whole and fractional weights, a partner's picture without labels, an empty one."""

from __future__ import annotations

from flask import current_app
from jinja2.utils import htmlsafe_json_dumps

from timebank.report_views import graph
from timebank.report_views.picture_json import elements_json
from timebank.reports.reciprocity.model import Edge, Graph, Node, NodeKind


def _old(picture: Graph, brokers: dict[str, float] | None) -> str:
    env = current_app.jinja_env
    return htmlsafe_json_dumps(
        graph.elements(picture, brokers),
        dumps=env.policies["json.dumps_function"],
        **env.policies["json.dumps_kwargs"],
    )


def test_the_json_is_what_tojson_gave(app):
    nodes = (
        Node("a1", NodeKind.PARTICIPANT, 'Ann <b>O\'Brien</b> & "Co" </script>'),
        Node("a2", NodeKind.PROFESSIONAL, "Siân Ŵyn 🌱 \\ back\nslash"),
        Node("a3", NodeKind.ORGANISATION, None),
        Node("a4", NodeKind.MEMBER, ""),
        Node("pot", NodeKind.POT, None),
    )
    edges = (
        Edge("a1", "a2", 2.5, 150, True, True),
        Edge("a2", "a1", 3, 180, True, True),
        Edge("pot", "a3", 0.1 + 0.2, 18, False, False),
        Edge("a4", "pot", 1e-7, 0, False, False),
        Edge("a3", "a4", 12345678.875, None, False, True),
    )
    brokers = {"a1": 0.123456789, "a3": 1, "nobody": 0.5}
    with app.test_request_context("/"):
        for pseudonymised in (False, True):
            for complete in (True, False):
                picture = Graph(nodes, edges, pseudonymised, complete)
                for chosen in (brokers, {}, None):
                    assert elements_json(picture, chosen) == _old(picture, chosen)
        empty = Graph((), (), True)
        assert elements_json(empty) == _old(empty, None)
        drawn = elements_json(Graph(nodes, edges, False))
        assert "</script>" not in drawn
        assert "\\u003cb\\u003eO\\u0027Brien" in drawn
