"""The network picture's heavy parts, made once for each coordinator's report and
language: the picture's data as the page's JSON block, the ties table's rows as HTML,
and which kinds of shape and line the key shows.

A coordinator's cached report is one immutable object for as long as its bank's ledger
is unchanged (``codec.loads`` keeps the last few by their text), and these parts depend
on nothing else but the language (names of kinds, hours and their words) and the
brokers (from the report). The network view drew them afresh on every request: the
text alternative has a row per tie (hundreds in the demo), the largest part of the
page's time. A partner's report has new pseudonyms on every call, so its parts are made
each time and not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from timebank import quick_gettext
from timebank.filters import hours
from timebank.report_views import graph
from timebank.reports.reciprocity import Graph, ReciprocityReport

KEPT = 16  # as many as codec.loads keeps
KINDS = ("participant", "professional", "member", "organisation", "pot")


@dataclass(frozen=True)
class PictureParts:
    elements_json: Markup  # what ``elements|tojson`` gave
    ties: Markup  # the rows of the ties table
    kinds: tuple[str, ...]  # the kinds of shape in the picture, in the key's order
    credits: bool  # whether a line carries credits (to or from the pot), not time


# (id of the report, language, brokers) -> (the report, its parts). The report is held
# so that its id is not reused by another while its parts are kept.
_kept: OrderedDict[tuple, tuple[ReciprocityReport, PictureParts]] = OrderedDict()
_kept_lock = threading.Lock()


def picture_parts(
    report: ReciprocityReport, picture: Graph, brokers: dict[str, float]
) -> PictureParts:
    if picture.pseudonymised:
        return _made(picture, brokers)
    key = (id(report), str(quick_gettext.locale()), tuple(sorted(brokers.items())))
    with _kept_lock:  # a worker's threads share it
        found = _kept.get(key)
        if found is not None and found[0] is report:
            _kept.move_to_end(key)
            return found[1]
    parts = _made(picture, brokers)
    with _kept_lock:
        _kept[key] = (report, parts)
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return parts


def _made(picture: Graph, brokers: dict[str, float]) -> PictureParts:
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
