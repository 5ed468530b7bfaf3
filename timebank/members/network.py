"""My network: the people I have exchanged time with, as a table and a small picture."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from timebank.extensions import db
from timebank.members.views import bp
from timebank.reports.member_figures import (
    NO_MEMBER_NAME,
    NO_ORGANISATION_NAME,
    Connection,
    my_network,
    pot_moves,
)

# The picture: me in the centre, the others on a circle, room for names at the sides.
WIDTH, HEIGHT = 760, 560
CX, CY = WIDTH / 2, HEIGHT / 2
RADIUS = 190
NODE_RADIUS = 22
MOST_IN_PICTURE = 12
MAX_LABEL = 18
# On a phone the picture is less than half its drawn size: names there are first names
# only, in larger type (see .node-label-short in site.css).
MAX_SHORT_LABEL = 10


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float


@dataclass(frozen=True)
class Node:
    connection: Connection
    x: float
    y: float
    label: str
    short_label: str
    label_x: float
    label_y: float
    short_label_y: float
    anchor: str
    gave: Line | None  # from me to them: hours I gave them
    got: Line | None  # from them to me: hours they gave me


def _short(name: str, limit: int = MAX_LABEL) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def _first_name(name: str) -> str:
    """The first name ("Tariq" for "Tariq Hussain"); a name whose first word says
    little on its own ("A member") stays whole, shortened if need be."""
    words = name.split()
    first = words[0] if words else name
    return _short(first if len(first) >= 3 else name, MAX_SHORT_LABEL)


def _line(ax, ay, bx, by, offset, minutes, most) -> Line | None:
    """A line between two circles' edges, moved sideways by ``offset``, as thick as
    its share of the most time in the picture (1 to 10 units)."""
    if minutes <= 0:
        return None
    dx, dy = bx - ax, by - ay
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length
    px, py = -uy * offset, ux * offset
    # Leave room at the end for the arrow head.
    start, end = NODE_RADIUS + 2, length - NODE_RADIUS - 10
    width = 1.5 + 8.5 * minutes / most
    return Line(
        round(ax + ux * start + px, 1),
        round(ay + uy * start + py, 1),
        round(ax + ux * end + px, 1),
        round(ay + uy * end + py, 1),
        round(width, 1),
    )


def in_my_language(connections: list[Connection]) -> list[Connection]:
    """The ledger names anyone it has no name for in English: here they follow the
    reader's language, and the list keeps the ledger's order (most time
    first, then by name)."""
    stand_ins = {
        ("member", NO_MEMBER_NAME): _("A member"),
        ("organisation", NO_ORGANISATION_NAME): _("An organisation"),
    }
    named = []
    for connection in connections:
        key = (connection.kind, connection.name)
        if key in stand_ins:
            connection = replace(connection, name=stand_ins[key])
        named.append(connection)
    named.sort(key=lambda c: (-c.total, c.name.lower(), c.account_id))
    return named


def layout(connections: list[Connection]) -> list[Node]:
    """Places for the people I have exchanged the most time with, on a circle."""
    shown = connections[:MOST_IN_PICTURE]
    if not shown:
        return []
    most = max(max(c.given, c.received) for c in shown) or 1
    nodes = []
    for index, connection in enumerate(shown):
        angle = -math.pi / 2 + 2 * math.pi * index / len(shown)
        cos, sin = math.cos(angle), math.sin(angle)
        x, y = CX + RADIUS * cos, CY + RADIUS * sin
        label_distance = RADIUS + NODE_RADIUS + 8
        anchor = "middle" if abs(cos) < 0.3 else "start" if cos > 0 else "end"
        label_y = CY + label_distance * sin + (18 if sin > 0.3 else -8 if sin < -0.3 else 5)
        short_label_y = CY + label_distance * sin + (30 if sin > 0.3 else -10 if sin < -0.3 else 10)
        nodes.append(
            Node(
                connection=connection,
                x=round(x, 1),
                y=round(y, 1),
                label=_short(connection.name),
                short_label=_first_name(connection.name),
                label_x=round(CX + label_distance * cos, 1),
                label_y=round(label_y, 1),
                short_label_y=round(short_label_y, 1),
                anchor=anchor,
                gave=_line(CX, CY, x, y, 6, connection.given, most),
                got=_line(x, y, CX, CY, 6, connection.received, most),
            )
        )
    return nodes


@bp.get("/network")
@login_required
def network():
    membership = current_user.current_membership()
    if membership is None:
        return redirect(url_for("members.dashboard"))
    connections = in_my_language(my_network(db.session(), membership.account))
    return render_template(
        "members/network.html",
        pot=pot_moves(db.session(), membership.account),
        bank=membership.time_bank,
        membership=membership,
        connections=connections,
        nodes=layout(connections),
        most_in_picture=MOST_IN_PICTURE,
        width=WIDTH,
        height=HEIGHT,
        cx=CX,
        cy=CY,
        node_radius=NODE_RADIUS,
    )
