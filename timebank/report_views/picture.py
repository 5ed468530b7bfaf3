"""The network picture's parts for its page: the picture's data as the page's JSON
block, the ties table's rows as HTML, and which kinds of shape and line the key shows.
Made on each render; a coordinator's network body is kept whole above them
(``kept_body``), and a partner's picture has new pseudonyms on every call.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from timebank.filters import hours
from timebank.report_views import graph
from timebank.reports.reciprocity import Graph

KINDS = ("participant", "professional", "member", "organisation", "pot")


@dataclass(frozen=True)
class PictureParts:
    elements_json: Markup  # what ``elements|tojson`` gave
    ties: Markup  # the rows of the ties table
    kinds: tuple[str, ...]  # the kinds of shape in the picture, in the key's order
    credits: bool  # whether a line carries credits (to or from the pot), not time


def picture_parts(picture: Graph, brokers: dict[str, float]) -> PictureParts:
    env = current_app.jinja_env
    json_dumps = env.policies["json.dumps_function"]
    elements_json = htmlsafe_json_dumps(
        graph.elements(picture, brokers), dumps=json_dumps, **env.policies["json.dumps_kwargs"]
    )
    ties = env.get_template("report_views/_network_ties.html").render(
        text_rows=graph.text_rows(picture, hours)
    )
    present = {str(node.kind) for node in picture.nodes}
    return PictureParts(
        elements_json=elements_json,
        ties=Markup(ties),  # noqa: S704 - rendered by the autoescaping template
        kinds=tuple(kind for kind in KINDS if kind in present),
        credits=any(not edge.time for edge in picture.edges),
    )
