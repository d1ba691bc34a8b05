from __future__ import annotations

import json
from typing import Any

import networkx as nx
import pytest

from broker.graph.build import build_graph
from broker.graph.export import from_graphml, from_node_link, to_graphml, to_node_link
from tests.graph.factories import org, partnerships, two_clusters


def _with_gaps() -> nx.Graph:
    """A graph with None values, empty tuples and a past partnership."""
    return build_graph(
        [
            org("uni-a", "hei", target_groups=["low-income", "first-generation"]),
            org("school-b", "school", at=None, region=None),
        ],
        partnerships([("uni-a", "school-b")], "past"),
    )


GRAPHS = [two_clusters, _with_gaps, nx.Graph]


def _same(G: nx.Graph, H: nx.Graph) -> None:
    assert sorted(G.nodes(data=True)) == sorted(H.nodes(data=True))
    edges = {frozenset((u, v)): d for u, v, d in G.edges(data=True)}
    again = {frozenset((u, v)): d for u, v, d in H.edges(data=True)}
    assert edges == again


@pytest.mark.parametrize("make", GRAPHS)
def test_graphml_reloads_to_the_same_graph(make: Any) -> None:
    G = make()

    H = from_graphml(to_graphml(G))

    _same(G, H)


def test_graphml_holds_no_tuples_or_none() -> None:
    text = to_graphml(_with_gaps())

    plain = nx.parse_graphml(text)

    assert plain.nodes["uni-a"]["target_groups"] == "low-income;first-generation"
    assert "lat" not in plain.nodes["school-b"]
    assert "until" not in plain.edges["uni-a", "school-b"]
    assert plain.edges["uni-a", "school-b"]["weight"] == pytest.approx(0.5)


@pytest.mark.parametrize("make", GRAPHS)
def test_node_link_is_json_and_reloads_in_networkx(make: Any) -> None:
    G = make()

    data = json.loads(json.dumps(to_node_link(G)))
    plain = nx.node_link_graph(data, edges="edges")

    assert sorted(plain) == sorted(G)
    assert {frozenset(e) for e in plain.edges()} == {frozenset(e) for e in G.edges()}
    _same(G, from_node_link(data))


def test_node_link_keeps_unknowns_as_null() -> None:
    data = to_node_link(_with_gaps())

    school = next(node for node in data["nodes"] if node["id"] == "school-b")

    assert school["lat"] is None
    assert school["target_groups"] == []
    assert data["edges"][0]["until"] is None


def test_graphml_types_hold_every_value_of_an_attribute() -> None:
    G = nx.Graph()
    G.add_node("a", flag=True, score=1, note='say "hi" & <bye>')
    G.add_node("b", flag=False, score=2.5)

    H = from_graphml(to_graphml(G))

    assert H.nodes["a"]["flag"] is True
    assert H.nodes["b"]["flag"] is False
    assert H.nodes["a"]["score"] == 1.0
    assert H.nodes["b"]["score"] == 2.5
    assert H.nodes["a"]["note"] == 'say "hi" & <bye>'
