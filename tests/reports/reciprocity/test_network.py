"""Network measures against networkx's own functions (and brute force where networkx has
none) on random directed graphs, and on a few drawn by hand."""

from __future__ import annotations

import random

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timebank.reports.reciprocity import network
from timebank.reports.reciprocity.network import (
    betweenness,
    build_graph,
    edges_on_long_cycles,
    measures,
)


@st.composite
def weighted_digraphs(draw, max_nodes=9):
    n = draw(st.integers(1, max_nodes))
    p = draw(st.floats(0.05, 0.9))
    seed = draw(st.integers(0, 10**6))
    rng = random.Random(seed)
    minutes = {}
    for u in range(n):
        for v in range(n):
            if u != v and rng.random() < p:
                minutes[(u, v)] = rng.choice([15, 30, 60, 90, 120, 240])
    return n, minutes


def cycle_edges_by_enumeration(graph):
    """Edges on some simple directed cycle of three or more nodes, from networkx's
    enumeration of every simple cycle (fine for small graphs)."""
    found = set()
    for cycle in nx.simple_cycles(graph):
        if len(cycle) >= 3:
            found.update(zip(cycle, cycle[1:] + cycle[:1], strict=True))
    return found


@settings(max_examples=200, deadline=None)
@given(weighted_digraphs())
def test_measures_agree_with_networkx(case):
    _, minutes = case
    graph = build_graph(minutes)
    if graph.number_of_nodes() == 0:
        assert measures(graph, []).nodes == 0
        return
    members = [v for v in graph if v % 3 != 0]  # some nodes are organisations
    m = measures(graph, members)
    nodes = graph.number_of_nodes()
    links = graph.number_of_edges()
    if links:
        assert m.reciprocity == pytest.approx(nx.overall_reciprocity(graph))
    if nodes > 1:
        assert m.density == pytest.approx(nx.density(graph))
    total = sum(minutes.values())
    returned = sum(min(w, minutes[(v, u)]) for (u, v), w in minutes.items() if (v, u) in minutes)
    if total:
        assert m.weighted_reciprocity == pytest.approx(returned / total)
        on_cycles = sum(minutes[e] for e in cycle_edges_by_enumeration(graph))
        assert m.cycle_share == pytest.approx(on_cycles / total)
    assert edges_on_long_cycles(graph) == cycle_edges_by_enumeration(graph)
    if m.density is not None and m.density < 1 and links:
        r, d = nx.overall_reciprocity(graph), nx.density(graph)
        assert m.size_corrected_reciprocity == pytest.approx((r - d) / (1 - d))
    condensed = nx.condensation(graph)
    largest_scc = max((condensed.nodes[c]["members"] for c in condensed), key=len)
    assert m.strongly_connected_share == pytest.approx(len(largest_scc) / nodes)
    assert m.components == nx.number_weakly_connected_components(graph)
    assert m.giant_share == pytest.approx(
        len(max(nx.weakly_connected_components(graph), key=len)) / nodes
    )
    in_graph = [v for v in members if v in graph]
    if in_graph:
        partners = [len(set(nx.all_neighbors(graph, v))) for v in in_graph]
        assert m.mean_partners == pytest.approx(sum(partners) / len(partners))
    if nodes >= 3:
        centrality = nx.degree_centrality(graph.to_undirected())
        top = max(centrality.values())
        expected = sum(top - c for c in centrality.values()) / (nodes - 2)
        assert m.centralisation == pytest.approx(expected)


@settings(max_examples=100, deadline=None)
@given(weighted_digraphs(max_nodes=12))
def test_betweenness_is_networkx_on_the_undirected_network(case):
    _, minutes = case
    graph = build_graph(minutes)
    if graph.number_of_nodes() < 3:
        return
    expected = nx.betweenness_centrality(nx.Graph(graph.to_undirected()), normalized=True)
    assert betweenness(graph) == pytest.approx(expected)


def test_sampled_betweenness_does_not_depend_on_the_order_edges_come_in(monkeypatch):
    # A budget small enough that 16 sampled sources stand in for 60 nodes.
    monkeypatch.setattr(network, "BETWEENNESS_BUDGET", 1000)
    rng = random.Random(3)
    minutes = {}
    while len(minutes) < 150:
        u, v = rng.randrange(60), rng.randrange(60)
        if u != v:
            minutes[(u, v)] = 60
    edges = list(minutes.items())
    first = betweenness(build_graph(dict(edges)))
    for _ in range(3):
        rng.shuffle(edges)
        assert betweenness(build_graph(dict(edges))) == first


def test_larger_random_networks_agree_on_cycles():
    rng = random.Random(7)
    for n, p in ((40, 0.05), (60, 0.03), (30, 0.15)):
        graph = nx.gnp_random_graph(n, p, seed=rng.randrange(10**6), directed=True)
        for u, v in graph.edges:
            graph[u][v]["minutes"] = 60
        # Another independent check: an edge u -> v is on a cycle of three or more
        # exactly when u is reachable from v once the edge v -> u is taken away.
        expected = set()
        for u, v in graph.edges:
            without = graph.copy()
            if without.has_edge(v, u):
                without.remove_edge(v, u)
            without.remove_edge(u, v)
            if nx.has_path(without, v, u):
                expected.add((u, v))
        assert edges_on_long_cycles(graph) == expected


def test_a_triangle_and_a_returned_pair_by_hand():
    # a -> b -> c -> a (60 each), and d <-> a (30 and 90).
    graph = build_graph(
        {("a", "b"): 60, ("b", "c"): 60, ("c", "a"): 60, ("d", "a"): 30, ("a", "d"): 90}
    )
    m = measures(graph, ["a", "b", "c", "d"])
    assert m.reciprocity == pytest.approx(2 / 5)
    assert m.weighted_reciprocity == pytest.approx((30 + 30) / 300)
    assert m.cycle_share == pytest.approx(180 / 300)
    assert m.strongly_connected_share == 1.0
    assert m.density == pytest.approx(5 / 12)
    # Undirected degrees a 3, b 2, c 2, d 1: (0 + 1 + 1 + 2) / (3 * 2)
    assert m.centralisation == pytest.approx(4 / 6)
    assert m.mean_partners == pytest.approx(8 / 4)


def test_a_star_of_returned_ties_has_no_circles():
    graph = build_graph({("hub", x): 60 for x in "abc"} | {(x, "hub"): 60 for x in "abc"})
    m = measures(graph, ["hub", "a", "b", "c"])
    assert m.reciprocity == 1.0 and m.cycle_share == 0.0
    assert m.centralisation == 1.0
    assert betweenness(graph)["hub"] == 1.0


def test_too_small_for_some_measures():
    m = measures(build_graph({(1, 2): 60}), [1, 2])
    assert m.centralisation is None
    assert m.reciprocity == 0.0 and m.size_corrected_reciprocity == pytest.approx(-1.0)
    empty = measures(build_graph({}), [])
    assert empty.nodes == 0 and empty.reciprocity is None and empty.density is None


@st.composite
def ring_networks(draw):
    """Networks like a time bank's: mostly ties to near neighbours on a ring, some
    returned, a few long jumps; sparse enough that returned ties both do and do not
    lie on longer cycles."""
    n = draw(st.integers(3, 40))
    seed = draw(st.integers(0, 10**6))
    edges = draw(st.integers(n // 2, 3 * n))
    returned = draw(st.floats(0, 0.8))
    rng = random.Random(seed)
    minutes = {}
    for _ in range(edges):
        u = rng.randrange(n)
        v = (u + rng.choice((1, 2, -1, 3))) % n if rng.random() < 0.8 else rng.randrange(n)
        if u == v:
            continue
        minutes[(u, v)] = rng.choice([30, 60, 90])
        if rng.random() < returned:
            minutes[(v, u)] = rng.choice([30, 60, 90])
    return minutes


@settings(max_examples=300, deadline=None)
@given(ring_networks())
def test_cycle_edges_on_ring_networks_agree_with_plain_reachability(minutes):
    """Each edge u -> v against its definition: v reaches u once u -> v and v -> u are
    taken away (ring-like networks, where returned ties both do and do not lie on
    longer cycles, exercise the one-way shortcut and the search)."""
    graph = build_graph(minutes)
    expected = set()
    for u, v in graph.edges:
        without = graph.copy()
        if without.has_edge(v, u):
            without.remove_edge(v, u)
        without.remove_edge(u, v)
        if nx.has_path(without, v, u):
            expected.add((u, v))
    assert edges_on_long_cycles(graph) == expected
    if minutes:
        m = measures(graph, list(graph))
        assert m.cycle_share == sum(minutes[e] for e in expected) / sum(minutes.values())


@settings(max_examples=200, deadline=None)
@given(weighted_digraphs(), st.sets(st.integers(0, 8)), st.data())
def test_measures_from_the_minutes_are_the_measures_of_the_weighted_graph(case, members, data):
    # network_of reads the minutes without building a weighted graph (measures_of);
    # some pairs may have summed to nothing.
    _, minutes = case
    for pair in data.draw(st.sets(st.sampled_from(sorted(minutes)))) if minutes else ():
        minutes[pair] = 0
    assert network.measures_of(minutes, members) == measures(build_graph(minutes), members)
