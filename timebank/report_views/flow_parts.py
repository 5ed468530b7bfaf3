"""The shared-roles diagram's repeated parts as HTML: the givers' and receivers' labels
with their totals, and the diagram's bands and bars, as the ``flow_chart`` macro's loops
drew them (report_views/_macros.html, which still draws the rest at the same place).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from markupsafe import Markup, escape

from timebank.report_views.charts import FlowChart, FlowSide
from timebank.report_views.table_rows import as_html
from timebank.reports.reciprocity import Unit, is_shown
from timebank.reports.reciprocity.model import Value

_GIVER = (
    '<li class="flow-{key}"><span class="flow-key" aria-hidden="true"></span>{label}{total}</li>'
)
_RECEIVER = '<li class="flow-{key}">{label}{total}</li>'
_TOTAL = '<br><span class="flow-total">{}</span>'
_BAND = '<path class="band band-from-{source}{credits}" d="{path}"/>'
_NODE = '<rect class="flow-node flow-node-{key}" x="{x}" y="{y}" width="10" height="{height}"/>'


class FlowParts(NamedTuple):
    givers: Markup  # the givers' list items
    shapes: Markup  # the SVG's bands, then the givers' and the receivers' bars
    receivers: Markup  # the receivers' list items


def flow_parts(chart: FlowChart, unit: Unit, show: Callable[[Value, Unit], Markup]) -> FlowParts:
    """The diagram's parts, each value shown in ``unit``."""

    def items(sides: tuple[FlowSide, ...], item: str) -> str:
        return "".join(
            item.format(
                key=escape(side.key),
                label=escape(side.label),
                total=_TOTAL.format(as_html(show(side.total, unit)))
                if is_shown(side.total)
                else "",
            )
            for side in sides
        )

    def nodes(sides: tuple[FlowSide, ...], x: int) -> str:
        return "".join(
            _NODE.format(key=escape(side.key), x=x, y=side.y, height=side.height)
            for side in sides
            if side.height
        )

    bands = "".join(
        _BAND.format(
            source=escape(band.source),
            credits=" band-credits" if band.source == "pot" or band.target == "pot" else "",
            path=escape(band.path),
        )
        for band in chart.bands
    )
    shapes = (
        f"{bands}\n      {nodes(chart.givers, 0)}\n      {nodes(chart.receivers, chart.width - 10)}"
    )
    return FlowParts(
        Markup(items(chart.givers, _GIVER)),  # noqa: S704 - every value escaped
        Markup(shapes),  # noqa: S704 - every value escaped
        Markup(items(chart.receivers, _RECEIVER)),  # noqa: S704 - every value escaped
    )
