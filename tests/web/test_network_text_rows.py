"""The network picture's text alternative (report_views/graph.py): a partner's rows
name each end by its kind and a number kept for the whole table, amounts in bands; a
coordinator's rows name people and give hours."""

from __future__ import annotations

from timebank.report_views.graph import text_rows
from timebank.reports.reciprocity.model import Edge, Graph, Node, NodeKind


def hours(minutes: int) -> str:
    return f"{minutes / 60:g} h"


def picture(pseudonymised: bool) -> Graph:
    label = (lambda name: None) if pseudonymised else (lambda name: name)
    return Graph(
        nodes=(
            Node("x1", NodeKind.PARTICIPANT, label("Ann")),
            Node("x2", NodeKind.PROFESSIONAL, label("Bea")),
            Node("x3", NodeKind.PARTICIPANT, label("Cai")),
            Node("pot", NodeKind.POT, None),
        ),
        edges=(
            Edge("x1", "x2", 5, 900 if not pseudonymised else None, True, True),
            Edge("x2", "x1", 3, 240 if not pseudonymised else None, True, True),
            Edge("x3", "x1", 1, 60 if not pseudonymised else None, False, True),
            Edge("pot", "x3", 2, 120 if not pseudonymised else None, False, False),
        ),
        pseudonymised=pseudonymised,
    )


def test_a_partners_rows_number_each_end_once_for_the_whole_table(app):
    with app.test_request_context():
        rows = text_rows(picture(pseudonymised=True), hours)
    assert [(r.giver, r.receiver, r.amount, r.returned, r.credits) for r in rows] == [
        ("Participant 1", "Professional 2", "20 h or more", True, False),
        ("Professional 2", "Participant 1", "5 to 10 h", True, False),
        ("Community pot", "Participant 3", "2 to 5 h", False, True),
        ("Participant 3", "Participant 1", "under 2 h", False, False),
    ]


def test_a_coordinators_rows_name_people_and_give_hours(app):
    with app.test_request_context():
        rows = text_rows(picture(pseudonymised=False), hours)
    assert [(r.giver, r.receiver, r.amount) for r in rows] == [
        ("Ann", "Bea", "15 h"),
        ("Bea", "Ann", "4 h"),
        ("Community pot", "Cai", "2 h"),
        ("Cai", "Ann", "1 h"),
    ]


def test_the_rows_are_in_welsh_for_a_welsh_reader(app):
    with app.test_request_context(headers={"Accept-Language": "cy"}):
        rows = text_rows(picture(pseudonymised=True), hours)
    assert rows[0].giver != "Participant 1"
    assert rows[0].amount != "20 h or more"


# The template that drew the ties table's rows before report_views.picture.ties_rows.
TIES_TEMPLATE = """{# comment #}
        {% set received_word, time_word, returned_word = _('Received'), _('Time'), _('Returned') %}
        {% set credits_words, yes_word, no_word = _("(credits, not time)"), _("yes"), _("no") %}
        {% for row in text_rows %}
        <tr role="row"><th scope="row" role="rowheader">{{ row.giver }}</th><td role="cell" data-label="{{ received_word }}">{{ row.receiver }}</td><td role="cell" data-label="{{ time_word }}">{{ row.amount }}{% if row.credits %} {{ credits_words }}{% endif %}</td><td role="cell" data-label="{{ returned_word }}">{% if row.returned %}{{ yes_word }}{% else %}{{ no_word }}{% endif %}</td></tr>
        {% endfor %}
"""  # noqa: E501


def test_the_ties_rows_are_the_templates_in_each_language_with_names_escaped(app):
    from flask import g, render_template_string

    from timebank.report_views.picture import ties_rows

    awkward = Graph(
        nodes=(
            Node("x1", NodeKind.PARTICIPANT, 'Ann <b>O\'Brien</b> & "Co"'),
            Node("x2", NodeKind.PROFESSIONAL, "Bea"),
            Node("pot", NodeKind.POT, None),
        ),
        edges=(
            Edge("x1", "x2", 5, 900, True, True),
            Edge("pot", "x1", 2, 120, False, False),
        ),
        pseudonymised=False,
    )
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):
            for graph in (awkward, picture(pseudonymised=True)):
                rows = text_rows(graph, hours)
                assert ties_rows(rows) == render_template_string(TIES_TEMPLATE, text_rows=rows)
            drawn = ties_rows(text_rows(awkward, hours))
            assert "Ann &lt;b&gt;O&#39;Brien&lt;/b&gt; &amp; &#34;Co&#34;" in drawn
            assert ("Received" in drawn) == (language == "en")
    assert ties_rows([]) == "\n        " * 3


def test_the_ties_table_in_one_pass_is_the_rows_of_text_rows(app):
    """report_views/picture.ties_table draws what ties_rows(text_rows(...)) drew, in
    English and Welsh: names escaped, unnamed ends numbered in order of first mention
    (a coordinator's picture with an unnamed member too), bands for a partner's
    amounts, credits marked."""
    from flask import g

    from timebank.report_views.picture import ties_rows, ties_table

    awkward = Graph(
        nodes=(
            Node("x1", NodeKind.PARTICIPANT, 'Ann <b>O\'Brien</b> & "Co"'),
            Node("x2", NodeKind.PROFESSIONAL, None),
            Node("x3", NodeKind.ORGANISATION, "{0} & {name}"),
            Node("x4", NodeKind.MEMBER, None),
            Node("pot", NodeKind.POT, None),
        ),
        edges=(
            Edge("x1", "x2", 5, 900, True, True),
            Edge("x2", "x1", 5, 900, True, True),
            Edge("x4", "x3", 0.5, 30, False, True),
            Edge("pot", "x1", 2, 120, False, False),
            Edge("x3", "pot", 2, 125, False, False),
        ),
        pseudonymised=False,
    )
    banded = Graph(
        nodes=picture(pseudonymised=True).nodes,
        edges=tuple(
            Edge(e.source, e.target, weight, None, e.reciprocated, e.time)
            for e, weight in zip(picture(pseudonymised=True).edges, (5, 4.4, 1, 9), strict=True)
        ),
        pseudonymised=True,
    )
    empty = Graph(nodes=(), edges=(), pseudonymised=True)
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):
            for graph in (awkward, banded, empty, picture(True), picture(False)):
                assert ties_table(graph, hours) == ties_rows(text_rows(graph, hours))
            drawn = ties_table(awkward, hours)
            assert "Ann &lt;b&gt;O&#39;Brien&lt;/b&gt; &amp; &#34;Co&#34;" in drawn
            assert "{0} &amp; {name}" in drawn
            assert ("Received" in drawn) == (language == "en")
