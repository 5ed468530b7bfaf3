"""Network measures of an exchange network, with networkx.

The network is directed: an edge from giver to receiver weighted by the minutes of time
between them in the period (people and organisations; the pot moves credits, not time,
and is not in it). Formulas (docs/reports.md):

- dyadic reciprocity r: reciprocated directed ties / all directed ties; weighted:
  sum over ordered pairs of min(w_ij, w_ji) / sum of w_ij; size-corrected
  rho = (r - d) / (1 - d) with d the density;
- generalised reciprocity: the share of minutes on edges that lie on a directed cycle of
  three or more nodes; the share of nodes in the largest strongly connected component;
- density L / (n (n - 1)); mean partners: distinct neighbours (either direction) per
  member node; weakly connected components and the largest one's share;
- Freeman degree centralisation of the undirected graph: sum(max deg - deg_i) /
  ((n - 1)(n - 2));
- betweenness (coordinators only): of the undirected graph, normalised; exact in
  small networks, estimated from sampled sources (fixed seed) in large ones, as many
  as fit ``BETWEENNESS_BUDGET`` steps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

# Betweenness walks the whole network once per source: exact (every node a source)
# while that costs at most this many node-and-edge visits, otherwise estimated from as
# many sampled sources (fixed seed) as fit, and never fewer than BETWEENNESS_MIN_SOURCES.
BETWEENNESS_BUDGET = 2_000_000
BETWEENNESS_MIN_SOURCES = 16


@dataclass(frozen=True)
class Measures:
    nodes: int
    reciprocity: float | None
    weighted_reciprocity: float | None
    size_corrected_reciprocity: float | None
    cycle_share: float | None
    strongly_connected_share: float | None
    density: float | None
    mean_partners: float | None
    components: int | None
    giant_share: float | None
    centralisation: float | None


def build_graph(minutes: dict[tuple[int, int], int]) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(
        ((giver, receiver, m) for (giver, receiver), m in minutes.items() if m > 0),
        weight="minutes",
    )
    return graph


def measures(graph: nx.DiGraph, member_nodes: Iterable) -> Measures:
    """Every measure of ``graph`` (edges weighted by "minutes"); ``member_nodes`` are the
    nodes that are people (mean partners is per member). Undefined measures (too few
    nodes or edges) are None."""
    succ = {u: {v: data["minutes"] for v, data in nbrs.items()} for u, nbrs in graph.adjacency()}
    return _measures(graph, succ, member_nodes)


def measures_of(minutes: dict[tuple[int, int], int], member_nodes: Iterable) -> Measures:
    """:func:`measures` of the network of ``minutes`` by (giver, receiver), without
    building a weighted graph: networkx gets the bare edges (for the components) and the
    sums read the minutes from plain dicts."""
    succ: dict = {}
    edges = []
    for (u, v), m in minutes.items():
        if m > 0:
            succ.setdefault(u, {})[v] = m
            edges.append((u, v))
    for v in {v for nbrs in succ.values() for v in nbrs}:
        succ.setdefault(v, {})
    graph = nx.DiGraph()
    graph.add_edges_from(edges)
    return _measures(graph, succ, member_nodes)


def _measures(graph: nx.DiGraph, succ: dict, member_nodes: Iterable) -> Measures:
    """networkx finds the components; the sums run over plain dicts (its views cost
    more than the arithmetic). ``succ``: each node's successors and minutes."""
    n = graph.number_of_nodes()
    if n == 0:
        return Measures(0, *([None] * 10))
    links = sum(len(nbrs) for nbrs in succ.values())
    total = sum(w for nbrs in succ.values() for w in nbrs.values())
    reciprocated = returned = 0
    for u, nbrs in succ.items():
        for v, w in nbrs.items():
            back = succ[v].get(u)
            if back is not None:
                reciprocated += 1
                returned += min(w, back)
    neighbours: dict = {u: set(nbrs) for u, nbrs in succ.items()}
    for u, nbrs in succ.items():
        for v in nbrs:
            neighbours[v].add(u)
    reciprocity = reciprocated / links if links else None
    density = links / (n * (n - 1)) if n > 1 else None
    if reciprocity is None or density is None or density >= 1:
        size_corrected = None
    else:
        size_corrected = (reciprocity - density) / (1 - density)
    components = list(nx.strongly_connected_components(graph))
    on_cycles = sum(succ[u][v] for u, v in _edges_on_long_cycles(succ, components))
    members = [m for m in member_nodes if m in succ]
    weak = [len(c) for c in nx.weakly_connected_components(graph)]
    degrees = [len(found) for found in neighbours.values()]
    if n >= 3:
        top = max(degrees)
        centralisation = sum(top - d for d in degrees) / ((n - 1) * (n - 2))
    else:
        centralisation = None
    return Measures(
        nodes=n,
        reciprocity=reciprocity,
        weighted_reciprocity=returned / total if total else None,
        size_corrected_reciprocity=size_corrected,
        cycle_share=on_cycles / total if total else None,
        strongly_connected_share=max(len(c) for c in components) / n,
        density=density,
        mean_partners=(sum(len(neighbours[m]) for m in members) / len(members))
        if members
        else None,
        components=len(weak),
        giant_share=max(weak) / n,
        centralisation=centralisation,
    )


def edges_on_long_cycles(graph: nx.DiGraph) -> set[tuple]:
    """The edges that lie on some directed cycle of three or more distinct nodes.

    An edge u -> v lies on such a cycle exactly when there is a path from v back to u
    that does not use the edge v -> u (that path is simple and at least two steps long).
    Within a strongly connected component an edge whose reverse is absent always does.
    A returned tie does when its two ends are strongly connected by one-way edges
    alone; otherwise the path is looked for with a bidirectional search."""
    succ = {u: dict(nbrs) for u, nbrs in graph.adjacency()}
    return _edges_on_long_cycles(succ, list(nx.strongly_connected_components(graph)))


def _edges_on_long_cycles(succ: dict, components: list[set]) -> set[tuple]:
    where: dict = {}  # node -> its component, for components of three or more
    for i, component in enumerate(components):
        if len(component) >= 3:
            for u in component:
                where[u] = i
    found: set[tuple] = set()
    returned: list[tuple] = []
    # The one-way edges inside those components each lie on a long cycle. Two nodes
    # strongly connected by one-way edges alone are joined, each way, by a path that
    # uses no returned tie, so both edges of a returned tie between them do too: that
    # settles most returned ties without a search of their own.
    for u, i in where.items():
        for v in succ[u]:
            if where.get(v) != i:
                continue
            if u in succ[v]:
                returned.append((u, v))
            else:
                found.add((u, v))
    one_way = nx.DiGraph()
    one_way.add_nodes_from(where)
    one_way.add_edges_from(found)
    settled = {
        node: j for j, part in enumerate(nx.strongly_connected_components(one_way)) for node in part
    }
    pred: dict | None = None
    for u, v in returned:
        if settled[u] == settled[v]:
            found.add((u, v))
            continue
        if pred is None:
            pred = {node: {} for node in succ}
            for x, nbrs in succ.items():
                for y in nbrs:
                    pred[y][x] = True
        if _path_avoiding(succ, pred, components[where[u]], v, u):
            found.add((u, v))
    return found


def _path_avoiding(succ: dict, pred: dict, within: set, source, target) -> bool:
    """Whether ``target`` can be reached from ``source`` without the edge source ->
    target (inside one strongly connected component, where any such path lies): a
    search forward from ``source`` and backward from ``target``, growing the smaller
    side each time, until they meet."""
    forward_frontier = [n for n in succ[source] if n != target and n in within]
    backward_frontier = [n for n in pred[target] if n != source and n in within]
    if not forward_frontier or not backward_frontier:
        return False
    forward = {source, *forward_frontier}
    backward = {target, *backward_frontier}
    if not forward.isdisjoint(backward_frontier):
        return True
    while forward_frontier and backward_frontier:
        if len(forward_frontier) <= len(backward_frontier):
            step = []
            for node in forward_frontier:
                for nxt in succ[node]:
                    if nxt in backward:
                        return True
                    if nxt not in forward and nxt in within:
                        forward.add(nxt)
                        step.append(nxt)
            forward_frontier = step
        else:
            step = []
            for node in backward_frontier:
                for prev in pred[node]:
                    if prev in forward:
                        return True
                    if prev not in backward and prev in within:
                        backward.add(prev)
                        step.append(prev)
            backward_frontier = step
    return False


def betweenness(graph: nx.DiGraph) -> dict:
    """Normalised betweenness of each node in the undirected network (estimated from
    sampled sources in large networks). The network is rebuilt in sorted order so
    that the sampled sources, and so the estimate, depend on the network alone and not
    on the order its edges were read in."""
    undirected = nx.Graph()
    undirected.add_nodes_from(sorted(graph))
    undirected.add_edges_from(sorted(graph.edges()))
    n = undirected.number_of_nodes()
    if n < 3:
        return dict.fromkeys(undirected, 0.0)
    sources = max(BETWEENNESS_MIN_SOURCES, BETWEENNESS_BUDGET // (n + undirected.number_of_edges()))
    k = None if sources >= n else sources
    return nx.betweenness_centrality(undirected, k=k, seed=0, normalized=True)
