"""The partnership graph: organisations as nodes, partnerships as edges.

:func:`build_graph` turns validated profiles into an undirected
:class:`networkx.Graph`. Everything else in :mod:`broker.graph` takes that
graph (or a subgraph of it) and returns results; nothing here touches the
store or the file system.

Node attributes (one node per organisation id):

    kind, name, region, town, lat, lon, reach      scalars; region, town, lat
                                                   and lon may be None
    target_groups, subjects, stages, activities    tuples of tags

Edge attributes (one edge per partnership pair):

    activity   the partnership's activity ("" when not given)
    since      first year, or None
    until      last year, or None
    status     "active" or "past"
    weight     tie strength: 1.0 for active, 0.5 for past partnerships

Proposed partnerships are not edges: they do not exist yet, so they must not
count as ties in brokerage, communities or gaps. :func:`build_graph` leaves
them out and records how many it left out in ``G.graph["proposed_skipped"]``;
the services hand them to a plan as candidate links instead.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import networkx as nx

from broker.profiles import TAG_FIELDS, Organisation, Partnership

log = logging.getLogger(__name__)

NODE_FIELDS: tuple[str, ...] = ("kind", "name", "region", "town", "lat", "lon", "reach")
LIST_FIELDS: tuple[str, ...] = TAG_FIELDS
EDGE_FIELDS: tuple[str, ...] = ("activity", "since", "until", "status", "weight")
EDGE_WEIGHTS: Mapping[str, float] = {"active": 1.0, "past": 0.5}

# Organisations that run activities, and those whose learners they serve.
PROVIDER_KINDS: frozenset[str] = frozenset({"hei", "tso"})
LEARNER_KINDS: frozenset[str] = frozenset({"school", "learner_group"})


def node_attributes(organisation: Organisation) -> dict[str, Any]:
    """Return the node attributes of one organisation (public fields only)."""
    found: dict[str, Any] = {
        field: getattr(organisation, field) for field in NODE_FIELDS
    }
    for field in LIST_FIELDS:
        found[field] = tuple(getattr(organisation, field))
    return found


def build_graph(
    organisations: Sequence[Organisation], partnerships: Sequence[Partnership]
) -> nx.Graph:
    """Build the undirected partnership graph of organisations.

    Nodes are the organisation ids, inserted in sorted order so that every
    seeded algorithm downstream sees the same order for the same data,
    whatever order the store returned. Edges are the active and past
    partnerships, with ``weight`` 1.0 (active) or 0.5 (past).

    Edge cases: a partnership naming an organisation that is not among
    ``organisations`` is skipped with a warning; proposed partnerships are
    skipped and counted in ``G.graph["proposed_skipped"]``; when the same
    pair appears twice as active or past, the later record wins, as it does
    in the store. An organisation with no partners is an isolated node.
    """
    G = nx.Graph(name="broker partnerships")
    G.add_nodes_from(
        (o.id, node_attributes(o)) for o in sorted(organisations, key=lambda o: o.id)
    )

    proposed = 0
    skipped = 0
    unknown: set[str] = set()
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    for partnership in partnerships:
        if partnership.status == "proposed":
            proposed += 1
            continue
        if partnership.a not in G or partnership.b not in G:
            skipped += 1
            unknown.update(e for e in (partnership.a, partnership.b) if e not in G)
            continue
        edges[partnership.key] = {
            "activity": partnership.activity,
            "since": partnership.since,
            "until": partnership.until,
            "status": partnership.status,
            "weight": EDGE_WEIGHTS[partnership.status],
        }
    G.add_edges_from((a, b, edges[(a, b)]) for a, b in sorted(edges))

    G.graph["proposed_skipped"] = proposed
    if skipped:
        log.warning(
            "skipped %s partnerships naming unknown organisations, e.g. %s",
            skipped,
            ", ".join(sorted(unknown)[:5]),
        )
    log.info(
        "partnership graph built: %s organisations, %s partnerships",
        G.number_of_nodes(),
        G.number_of_edges(),
    )
    return G


def canonical_subgraph(G: nx.Graph, nodes: Iterable[Hashable]) -> nx.Graph:
    """Return an independent copy of the subgraph on ``nodes``, sorted.

    Nodes and edges are inserted in sorted order (by ``str`` of the id), so
    Louvain, sampled betweenness and layouts seeded with the same seed give
    the same answer for the same data, however ``G`` was built. Nodes that
    are not in ``G`` are ignored.
    """
    keep = sorted((n for n in set(nodes) if n in G), key=str)
    H = nx.Graph()
    H.graph.update(G.graph)
    H.add_nodes_from((n, G.nodes[n]) for n in keep)
    inside = set(keep)
    found = []
    for u in keep:
        for v, data in G.adj[u].items():
            if v in inside and str(u) < str(v):
                found.append((u, v, data))
    found.sort(key=lambda edge: (str(edge[0]), str(edge[1])))
    H.add_edges_from(found)
    return H


def region_members(G: nx.Graph, region: str) -> set[Hashable]:
    """Return the organisations of a region: those in it and those working in it.

    An organisation belongs to ``region`` when its ``region`` attribute is
    that tag, or when its ``reach`` is ``"national"`` and at least one of its
    partners is in the region (a national charity with schools in the region
    works there even if its office is elsewhere). Organisations with no
    region and no such partner belong to no region. Linear in the size of
    ``G``; no validation of the tag (callers check it).
    """
    inside = {n for n, r in G.nodes(data="region") if r == region}
    visiting = {
        n
        for n, reach in G.nodes(data="reach")
        if reach == "national"
        and n not in inside
        and any(partner in inside for partner in G.adj[n])
    }
    return inside | visiting


__all__ = [
    "EDGE_FIELDS",
    "EDGE_WEIGHTS",
    "LEARNER_KINDS",
    "LIST_FIELDS",
    "NODE_FIELDS",
    "PROVIDER_KINDS",
    "build_graph",
    "canonical_subgraph",
    "node_attributes",
    "region_members",
]
