"""The network picture: nodes typed participant, professional, organisation or pot,
edges from giver to receiver weighted by hours, returned ties marked; and its
pseudonymisation for partners.

Partners' rules (docs/reports.md): no picture unless at least ``threshold`` people who
consented are in it; if one kind of person has 1 to threshold-1 people in it, every
person is shown as kind "member"; edge weights are hours bands, not minutes; no labels;
node ids are pseudonyms made afresh for every report read (:func:`pseudonymise`).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import secrets
from itertools import chain

from timebank.reports.reciprocity.facts import EdgeSet
from timebank.reports.reciprocity.model import (
    SMALL,
    Edge,
    Graph,
    Node,
    NodeKind,
    Suppressed,
)

# Lower edges (in minutes) of the hours bands shown to partners: under 2 h, 2-5,
# 5-10, 10-20, 20 or more.
BANDS = (0, 120, 300, 600, 1200)
PEOPLE_KINDS = (NodeKind.PARTICIPANT, NodeKind.PROFESSIONAL)
# More nodes than a browser can lay out or a person can read.
MAX_NODES = 1000


def band(minutes: int) -> int:
    return sum(1 for lower in BANDS if minutes >= lower)


def node_id(account_id: int) -> str:
    return f"a{account_id}"


def draw(
    time: EdgeSet,
    pot: EdgeSet,
    *,
    partner: bool,
    threshold: int,
    names: dict[int, str] | None = None,
) -> tuple[Graph | Suppressed, bool]:
    """The picture of the period's network (``time``) with the pot's credits
    (``pot``), and whether people's kinds were hidden. Partners get no labels and
    banded weights; coordinators get ``names`` (account id -> name) and minutes."""
    # The pot's credits are drawn only to and from people and organisations already in
    # the network of time, so the picture shows exactly the network's people.
    pot = _within(pot, time)
    roles = {**pot.role, **time.role}
    person_of = {**pot.person, **time.person}
    people = {person for person in person_of.values() if person is not None}
    if partner and len(people) < threshold:
        return SMALL, False
    kinds_hidden = False
    if partner:
        per_kind = {
            kind: len({person_of[a] for a, r in roles.items() if r == kind and person_of.get(a)})
            for kind in PEOPLE_KINDS
        }
        kinds_hidden = any(0 < count < threshold for count in per_kind.values())
    chosen = _heaviest(time, pot)
    nodes = []
    for account_id, role in sorted(roles.items()):
        if chosen is not None and account_id not in chosen:
            continue
        kind = NodeKind(role)
        if kinds_hidden and kind in PEOPLE_KINDS:
            kind = NodeKind.MEMBER
        label = None if partner or names is None or kind == NodeKind.POT else names.get(account_id)
        nodes.append(Node(node_id(account_id), kind, label))
    edges = []
    for is_time, found in ((True, time), (False, pot)):
        for (giver, receiver), minutes in sorted(found.minutes.items()):
            if chosen is not None and not (giver in chosen and receiver in chosen):
                continue
            if not is_time:
                # Credits go from the debited account to the credited one (a donation
                # credits the pot, a grant its recipient): the other way from time.
                giver, receiver = receiver, giver
            edges.append(
                Edge(
                    source=node_id(giver),
                    target=node_id(receiver),
                    weight=float(band(minutes)) if partner else round(minutes / 60, 2),
                    minutes=None if partner else minutes,
                    reciprocated=is_time and (receiver, giver) in time.minutes,
                    time=is_time,
                )
            )
    graph = Graph(tuple(nodes), tuple(edges), pseudonymised=False, complete=chosen is None)
    return graph, kinds_hidden


def _within(pot: EdgeSet, time: EdgeSet) -> EdgeSet:
    kept = EdgeSet()
    for (a, b), minutes in pot.minutes.items():
        if all(x in time.role or pot.role.get(x) == "pot" for x in (a, b)):
            kept.minutes[(a, b)] = minutes
            for x in (a, b):
                kept.role[x] = pot.role[x]
                kept.person[x] = pot.person.get(x)
                kept.membership[x] = pot.membership.get(x)
    return kept


def _heaviest(time: EdgeSet, pot: EdgeSet) -> set[int] | None:
    """None when the whole network fits in MAX_NODES; otherwise the accounts met by
    taking edges heaviest first until MAX_NODES are reached."""
    if len({*time.role, *pot.role}) <= MAX_NODES:
        return None
    chosen: set[int] = set()
    # Heaviest first (ties by the pair): a heap, since only the first few hundred
    # edges of tens of thousands are usually taken.
    ranked = [(-m, pair) for pair, m in chain(time.minutes.items(), pot.minutes.items())]
    heapq.heapify(ranked)
    while ranked:
        _, (giver, receiver) = heapq.heappop(ranked)
        new = {giver, receiver} - chosen
        if len(chosen) + len(new) > MAX_NODES:
            continue
        chosen |= new
        if len(chosen) == MAX_NODES:
            break
    return chosen


def pseudonymise(graph: Graph, salt: bytes | None = None) -> Graph:
    """The same picture with every node id replaced by an HMAC-SHA256 of it under a
    key made for this call (``salt``, random when None), in a new order: ids cannot
    be linked between two reports, nor to accounts."""
    key = salt if salt is not None else secrets.token_bytes(32)
    alias = {
        n.id: "n" + hmac.new(key, n.id.encode(), hashlib.sha256).hexdigest()[:16]
        for n in graph.nodes
    }
    nodes = sorted((Node(alias[n.id], n.kind, None) for n in graph.nodes), key=lambda n: n.id)
    edges = sorted(
        (
            Edge(alias[e.source], alias[e.target], e.weight, e.minutes, e.reciprocated, e.time)
            for e in graph.edges
        ),
        key=lambda e: (e.source, e.target),
    )
    return Graph(tuple(nodes), tuple(edges), pseudonymised=True, complete=graph.complete)
