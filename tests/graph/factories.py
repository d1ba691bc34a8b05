"""Small hand-built profiles and graphs for the graph tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx

from broker.graph.build import build_graph
from broker.profiles import Organisation, Partnership, Status

# Newcastle, Middlesbrough 51 km away, and Cardiff.
NEWCASTLE = (54.9783, -1.6178)
MIDDLESBROUGH = (54.5742, -1.2350)
CARDIFF = (51.4816, -3.1791)

# Candidate links for two_clusters(), as the matcher would hand them over.
CANDIDATES: list[tuple[str, str, float, list[str]]] = [
    ("uni-n", "tso-n", 1.0, ["already partners"]),
    ("uni-n", "s-n2", 0.95, ["same cluster, need already met"]),
    ("uni-n", "s-s2", 0.9, ["similar aims"]),
    ("tso-n", "s-s1", 0.8, ["shared subjects"]),
    ("uni-n", "s-s1", 0.7, ["third link between the same clusters"]),
    ("uni-s", "school-alone", 0.5, ["near each other"]),
]


def org(
    id: str,
    kind: str,
    *,
    region: str | None = "north-east",
    at: tuple[float, float] | None = NEWCASTLE,
    target_groups: Sequence[str] = (),
    reach: str = "local",
    name: str | None = None,
) -> Organisation:
    """An organisation with just the fields the graph uses."""
    data: dict[str, Any] = {
        "id": id,
        "name": name or id.replace("-", " ").title(),
        "kind": kind,
        "aims": "widening access to STEM",
        "region": region,
        "reach": reach,
        "target_groups": list(target_groups),
    }
    if at is not None:
        data["lat"], data["lon"] = at
    return Organisation.model_validate(data)


def partnerships(
    pairs: Iterable[tuple[str, str]], status: Status = "active"
) -> list[Partnership]:
    """Partnerships of one status between the given pairs."""
    return [Partnership(a=a, b=b, status=status) for a, b in pairs]


def kinds_graph(kinds: dict[str, str], edges: Iterable[tuple[str, str]]) -> nx.Graph:
    """A bare graph whose nodes carry only a kind."""
    G = nx.Graph()
    for node, kind in kinds.items():
        G.add_node(node, kind=kind)
    G.add_edges_from(edges)
    return G


def two_clusters() -> nx.Graph:
    """Two separate hubs in the North East, with one isolated school.

    Cluster N (Newcastle): university uni-n, charity tso-n, schools s-n1, s-n2.
    Cluster S (Middlesbrough): university uni-s, schools s-s1, s-s2.
    school-alone (Middlesbrough) lists care-experienced learners; nobody
    serves them anywhere.
    """
    organisations = [
        org("uni-n", "hei", target_groups=["low-income"]),
        org("tso-n", "tso", target_groups=["girls-women"]),
        org("s-n1", "school", target_groups=["low-income"]),
        org("s-n2", "school", target_groups=["girls-women"]),
        org("uni-s", "hei", at=MIDDLESBROUGH, target_groups=["first-generation"]),
        org("s-s1", "school", at=MIDDLESBROUGH, target_groups=["first-generation"]),
        org("s-s2", "school", at=MIDDLESBROUGH),
        org(
            "school-alone",
            "school",
            at=MIDDLESBROUGH,
            target_groups=["care-experienced"],
        ),
    ]
    pairs = [
        ("uni-n", "tso-n"),
        ("uni-n", "s-n1"),
        ("tso-n", "s-n1"),
        ("tso-n", "s-n2"),
        ("uni-s", "s-s1"),
        ("uni-s", "s-s2"),
    ]
    return build_graph(organisations, partnerships(pairs))
