"""Services over the graph: community brokers, regional plans, exports.

The graph is built from the same snapshot as the matcher's index, so both
see one version of the store. A regional plan asks the matcher for proposed
links from a bounded set of the region's organisations (its best-connected
universities and TSOs, and its learner groups and schools), so that a plan
stays fast on a national directory.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Literal

import networkx as nx

from broker.errors import ProblemDetail, ValidationFailed
from broker.geo import find_town
from broker.graph.brokerage import check_region
from broker.graph.brokerage import rank_brokers as rank_graph_brokers
from broker.graph.build import build_graph, region_members
from broker.graph.draw import draw_map, draw_network
from broker.graph.export import to_graphml, to_node_link
from broker.graph.plan import RegionalPlan
from broker.graph.plan import regional_plan as plan_region
from broker.matching.ranker import suggest
from broker.services.context import Broker
from broker.services.profiles import check_filters

log = logging.getLogger(__name__)

# How many of a region's organisations the plan asks the matcher about, on
# each side (universities and TSOs; schools and learner groups). Each ask is
# one ranking over the whole directory: 120 asks took 40 s at 100k profiles,
# 86% of the plan's time.
# TODO: rank all the askers in one matrix product instead of one query each;
# then this bound can grow back and the plan can weigh more candidate links.
PLAN_QUERIES_PER_SIDE = 20
PLAN_SUGGESTIONS_EACH = 5

_graphs: dict[int, tuple[int, nx.Graph]] = {}
_graphs_lock = threading.Lock()


def graph_of(broker: Broker) -> nx.Graph:
    """The partnership graph at the store's current version (built once)."""
    snapshot = broker.snapshot()
    with _graphs_lock:
        cached = _graphs.get(id(broker))
        if cached is None or cached[0] != snapshot.version:
            graph = build_graph(snapshot.organisations, snapshot.partnerships)
            _graphs[id(broker)] = (snapshot.version, graph)
            return graph
        return cached[1]


def _place(near: str | None) -> tuple[float, float] | None:
    if not near:
        return None
    place = find_town(near)
    if place is None:
        raise ValidationFailed(
            [
                ProblemDetail(
                    "near", f"unknown town {near!r}", "use a UK town or city name"
                )
            ]
        )
    return place.lat, place.lon


def rank_brokers(
    broker: Broker,
    *,
    target_group: str | None = None,
    region: str | None = None,
    near: str | None = None,
    max_km: float | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    """TSOs ranked as community brokers for those learners and that place."""
    check_filters(region=region, target_group=target_group)
    options: dict[str, Any] = {}
    if max_km is not None:
        options["max_km"] = max_km
    found = rank_graph_brokers(
        graph_of(broker),
        target_group=target_group,
        region=region,
        near=_place(near),
        limit=limit,
        **options,
    )
    return {
        "target_group": target_group,
        "region": region,
        "near": near,
        "brokers": [b.as_dict() for b in found],
    }


def _askers(graph: nx.Graph, region: str) -> list[str]:
    """The region's organisations whose suggestions may become proposed links."""
    members = region_members(graph, region)

    def best(kinds: set[str]) -> list[str]:
        chosen = [n for n in members if graph.nodes[n].get("kind") in kinds]
        chosen.sort(key=lambda n: (-graph.degree(n), str(n)))
        return [str(n) for n in chosen[:PLAN_QUERIES_PER_SIDE]]

    return best({"hei", "tso"}) + best({"school", "learner_group"})


def build_plan(broker: Broker, region: str) -> RegionalPlan:
    """The regional hub plan, with proposed links taken from the matcher."""
    region = check_region(region)
    started = time.perf_counter()
    snapshot = broker.snapshot()
    graph = graph_of(broker)
    candidates: list[tuple[str, str, float, tuple[str, ...]]] = [
        (p.a, p.b, 1.0, ("a proposed partnership on record",))
        for p in snapshot.partnerships
        if p.status == "proposed"
    ]
    for asker in _askers(graph, region):
        for item in suggest(
            snapshot.index,
            asker,
            weights=snapshot.weights,
            limit=PLAN_SUGGESTIONS_EACH,
            declined=snapshot.declined,
        ):
            candidates.append((asker, item.id, item.score, tuple(item.reasons)))
    plan = plan_region(graph, region, candidate_links=candidates)
    log.info(
        "plan for %s: %s candidate links from the matcher, %.2f s",
        region,
        len(candidates),
        time.perf_counter() - started,
    )
    return plan


def regional_plan(broker: Broker, region: str) -> dict[str, Any]:
    """The regional hub plan as a JSON-ready mapping."""
    return build_plan(broker, region).as_dict()


def plan_pictures(
    broker: Broker, region: str, image_format: Literal["png", "svg"] = "png"
) -> tuple[bytes, bytes]:
    """The region's network picture and its map of gaps."""
    plan = build_plan(broker, region)
    return (
        draw_network(plan, image_format=image_format),
        draw_map(plan, image_format=image_format),
    )


def graph_export(broker: Broker, fmt: str = "json") -> str:
    """The whole partnership graph as node-link JSON or GraphML."""
    import json

    graph = graph_of(broker)
    if fmt == "graphml":
        return to_graphml(graph)
    if fmt == "json":
        return json.dumps(to_node_link(graph), ensure_ascii=False)
    raise ValidationFailed(
        [ProblemDetail("format", f"unknown format {fmt!r}", "use json or graphml")]
    )
