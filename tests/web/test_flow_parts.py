"""The shared-roles diagram's repeated parts (report_views/flow_parts.py) are what the
``flow_chart`` macro's loops drew, byte for byte, in English and Welsh: totals shown or
not, bands to and from the pot marked as credits, bars of no height left out, labels
escaped."""

from __future__ import annotations

from flask import g, render_template_string

from timebank.report_views import words
from timebank.report_views.charts import flows
from timebank.report_views.flow_parts import flow_parts
from timebank.report_views.words import row_label
from timebank.reports.reciprocity import is_shown
from timebank.reports.reciprocity.model import (
    Column,
    Row,
    Scope,
    Suppressed,
    SuppressionReason,
    Table,
    Unit,
)

# The flow_chart macro's loops before flow_parts (report_views/_macros.html).
LOOPS_TEMPLATE = """{% for side in fc.givers %}<li class="flow-{{ side.key }}"><span class="flow-key" aria-hidden="true"></span>{{ side.label }}{% if is_shown(side.total) %}<br><span class="flow-total">{{ show(side.total, unit) }}</span>{% endif %}</li>{% endfor %}
|{% for band in fc.bands %}<path class="band band-from-{{ band.source }}{% if band.source == 'pot' or band.target == 'pot' %} band-credits{% endif %}" d="{{ band.path }}"/>{% endfor %}
      {% for side in fc.givers %}{% if side.height %}<rect class="flow-node flow-node-{{ side.key }}" x="0" y="{{ side.y }}" width="10" height="{{ side.height }}"/>{% endif %}{% endfor %}
      {% for side in fc.receivers %}{% if side.height %}<rect class="flow-node flow-node-{{ side.key }}" x="{{ fc.width - 10 }}" y="{{ side.y }}" width="10" height="{{ side.height }}"/>{% endif %}{% endfor %}
|{% for side in fc.receivers %}<li class="flow-{{ side.key }}">{{ side.label }}{% if is_shown(side.total) %}<br><span class="flow-total">{{ show(side.total, unit) }}</span>{% endif %}</li>{% endfor %}"""  # noqa: E501

HIDDEN = Suppressed(SuppressionReason.SMALL)
KEYS = ("participant", "professional", "organisation", "pot")


def _table(cells: list[tuple]) -> Table:
    columns = tuple(Column(key, key.title(), Unit.MINUTES) for key in KEYS)
    labels = ("Participants", 'Pros <b>"&"</b>', "Organisations", "Community pot")
    rows = tuple(
        Row(key, label, key != "professional", values)
        for key, label, values in zip(KEYS, labels, cells, strict=True)
    )
    return Table("flows", "Flows", "", Scope.WHOLE, columns, rows, None)


def test_the_parts_are_the_macros_loops_in_each_language(app):
    tables = [
        _table([(60, 120, 0, 30), (90, 0, 15, 0), (0, 45, 0, 0), (0, 240, 0, 0)]),
        _table([(HIDDEN, 120, 0, 30), (90, 0, None, 0), (0, 0, 0, 0), (0, 0, 0, 0)]),
        _table([(0, 0, 0, 0)] * 4),
    ]
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):
            show = words.shower(5)
            for table in tables:
                chart = flows(table, row_label)
                wanted = render_template_string(
                    LOOPS_TEMPLATE, fc=chart, unit=Unit.MINUTES, show=show, is_shown=is_shown
                )
                parts = flow_parts(chart, Unit.MINUTES, show)
                assert wanted == f"{parts.givers}\n|{parts.shapes}\n|{parts.receivers}"
            parts = flow_parts(flows(tables[0], row_label), Unit.MINUTES, show)
            assert "band-credits" in parts.shapes
            assert "Pros &lt;b&gt;&#34;&amp;&#34;&lt;/b&gt;" in parts.givers
