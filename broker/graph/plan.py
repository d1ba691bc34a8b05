"""A regional hub plan: communities, leads, brokers, new links and gaps.

:func:`regional_plan` is what ``broker plan REGION`` shows. It works on the
region's subgraph only (see :func:`~broker.graph.build.region_members`), so
its cost follows the size of the region, not of the country:

- communities: Louvain with a fixed seed on the regional subgraph;
- lead candidates: universities and TSOs central to the region and
  connected to the most target groups (:func:`lead_candidates`);
- brokers: TSOs ranked by :func:`~broker.graph.brokerage.rank_brokers_in`;
- proposed links: candidate links (from the matcher, via the services) that
  join communities or reach an unserved target group (:func:`bridging_links`);
- coverage gaps: target groups nobody in the region serves, and schools and
  learner groups with nobody serving their target groups nearby
  (:func:`coverage_gaps`).
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from broker.geo import EARTH_RADIUS_KM
from broker.graph.brokerage import (
    BrokerRanking,
    betweenness,
    betweenness_sample_size,
    check_region,
    rank_brokers_in,
    target_groups_reached,
)
from broker.graph.build import (
    LEARNER_KINDS,
    PROVIDER_KINDS,
    canonical_subgraph,
    region_members,
)
from broker.vocabulary import KIND_LABELS, KINDS, REGIONS, TARGET_GROUPS, label

log = logging.getLogger(__name__)

CandidateLink = tuple[Hashable, Hashable, float, Sequence[str]]
GapKind = Literal["target_group", "organisation"]

DEFAULT_MAX_KM = 25.0
# Weights of the lead-candidate score components (they sum to 1).
LEAD_WEIGHTS: Mapping[str, float] = {
    "degree": 0.4,
    "betweenness": 0.3,
    "target_groups": 0.3,
}


@dataclass(frozen=True)
class Community:
    """A Louvain community of the region's organisations."""

    index: int
    label: str
    members: tuple[str, ...]
    kinds: dict[str, int]
    partnerships: int
    target_groups: tuple[str, ...]

    @property
    def size(self) -> int:
        """Number of organisations in the community."""
        return len(self.members)

    def as_dict(self) -> dict[str, Any]:
        """Return the community, JSON-ready."""
        return {
            "index": self.index,
            "label": self.label,
            "size": self.size,
            "kinds": dict(self.kinds),
            "partnerships": self.partnerships,
            "target_groups": list(self.target_groups),
            "members": list(self.members),
        }


@dataclass(frozen=True)
class LeadCandidate:
    """A university or TSO that could lead a regional hub."""

    id: str
    name: str
    kind: str
    score: float
    components: dict[str, float]
    degree: int
    betweenness: float
    communities: int
    target_groups: tuple[str, ...]
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the candidate, JSON-ready."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "score": round(self.score, 4),
            "components": {k: round(v, 4) for k, v in self.components.items()},
            "degree": self.degree,
            "betweenness": round(self.betweenness, 6),
            "communities": self.communities,
            "target_groups": list(self.target_groups),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class ProposedLink:
    """A new partnership worth brokering, and why."""

    a: str
    b: str
    score: float
    communities: tuple[int | None, int | None]
    bridges: bool
    target_groups: tuple[str, ...]
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the link, JSON-ready."""
        return {
            "a": self.a,
            "b": self.b,
            "score": round(self.score, 4),
            "communities": list(self.communities),
            "bridges": self.bridges,
            "target_groups": list(self.target_groups),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class CoverageGap:
    """A target group, or a school or learner group, that nobody serves.

    ``severity`` counts the (school or learner group, target group) pairs in
    the region that the gap leaves unserved; see :func:`coverage_gaps`.
    """

    kind: GapKind
    target_groups: tuple[str, ...]
    severity: int
    reason: str
    id: str | None = None
    name: str | None = None
    organisation_kind: str | None = None
    lat: float | None = None
    lon: float | None = None
    nearest_km: float | None = None

    @property
    def located(self) -> bool:
        """Whether the gap has a place (organisation gaps with coordinates)."""
        return self.lat is not None and self.lon is not None

    def as_dict(self) -> dict[str, Any]:
        """Return the gap, JSON-ready."""
        return {
            "kind": self.kind,
            "target_groups": list(self.target_groups),
            "severity": self.severity,
            "reason": self.reason,
            "id": self.id,
            "name": self.name,
            "organisation_kind": self.organisation_kind,
            "lat": self.lat,
            "lon": self.lon,
            "nearest_km": None
            if self.nearest_km is None
            else round(self.nearest_km, 1),
        }


@dataclass(frozen=True)
class RegionalPlan:
    """Everything ``broker plan REGION`` shows, from one graph and one seed."""

    region: str
    communities: tuple[Community, ...]
    lead_candidates: tuple[LeadCandidate, ...]
    brokers: tuple[BrokerRanking, ...]
    proposed_links: tuple[ProposedLink, ...]
    gaps: tuple[CoverageGap, ...]
    summary: dict[str, Any]
    notes: tuple[str, ...]
    graph: nx.Graph = field(repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """Return the plan, JSON-ready (the regional graph is left out)."""
        return {
            "region": self.region,
            "region_label": REGIONS[self.region],
            "summary": dict(self.summary),
            "notes": list(self.notes),
            "communities": [c.as_dict() for c in self.communities],
            "lead_candidates": [c.as_dict() for c in self.lead_candidates],
            "brokers": [b.as_dict() for b in self.brokers],
            "proposed_links": [p.as_dict() for p in self.proposed_links],
            "gaps": [g.as_dict() for g in self.gaps],
        }


def _name(G: nx.Graph, node: Hashable) -> str:
    return str(G.nodes[node].get("name") or node)


def _tags(G: nx.Graph, node: Hashable) -> tuple[str, ...]:
    return tuple(G.nodes[node].get("target_groups") or ())


def _in_vocabulary_order(tags: Iterable[str]) -> tuple[str, ...]:
    found = set(tags)
    return tuple(t for t in TARGET_GROUPS if t in found)


def _labels(tags: Iterable[str]) -> str:
    """Join target-group labels as 'a, b and c'."""
    labels = [label("target_groups", t) for t in tags]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def _community_label(G: nx.Graph, members: Collection[Hashable]) -> str:
    """Name a community after its member with the most partners inside it."""
    inside = set(members)

    def internal(n: Hashable) -> int:
        return sum(1 for p in G.adj[n] if p in inside)

    hub = min(inside, key=lambda n: (-internal(n), str(n)))
    if len(inside) == 1:
        return _name(G, hub)
    return f"around {_name(G, hub)}"


def _kind_counts(H: nx.Graph, members: Iterable[Hashable]) -> dict[str, int]:
    """How many members of each kind, in the order of the kinds vocabulary."""
    found = Counter(str(H.nodes[n].get("kind")) for n in members)
    ordered = {kind: found[kind] for kind in KINDS if found[kind]}
    ordered.update({k: v for k, v in sorted(found.items()) if k not in ordered})
    return ordered


def communities_of(H: nx.Graph, *, seed: int = 0) -> tuple[Community, ...]:
    """Return the Louvain communities of a graph, largest first.

    Louvain (Blondel et al. 2008) maximises modularity on the ``weight``
    edge attribute (active ties 1.0, past 0.5), with ``seed`` fixing its
    random node order, so the same graph in the same node order gives the
    same communities (build the graph with
    :func:`~broker.graph.build.canonical_subgraph` for that). An
    organisation with no partners is a community of its own. Communities
    are numbered from 0 by size, largest first, then by their smallest id.
    An empty graph has none.

    References
    ----------
    Blondel, V. D., Guillaume, J.-L., Lambiotte, R. and Lefebvre, E. (2008).
    "Fast unfolding of communities in large networks". Journal of
    Statistical Mechanics P10008.
    """
    if H.number_of_nodes() == 0:
        return ()
    # Isolates are singletons under Louvain anyway; leaving them out of its
    # passes saves a fifth of the time on a region with many of them.
    linked = H.subgraph([n for n in H if H.degree(n) > 0])
    found = nx.community.louvain_communities(linked, weight="weight", seed=seed)
    found.extend({n} for n in H if H.degree(n) == 0)
    groups = sorted(
        (sorted(map(str, members)) for members in found), key=lambda m: (-len(m), m[0])
    )
    by_id = {str(n): n for n in H}
    community_of = {by_id[i]: index for index, ids in enumerate(groups) for i in ids}

    # One pass over the edges for each community's ties and hub.
    ties: Counter[int] = Counter()
    inside_degree: Counter[Hashable] = Counter()
    for u, v in H.edges():
        if community_of[u] == community_of[v]:
            ties[community_of[u]] += 1
            inside_degree[u] += 1
            inside_degree[v] += 1

    communities = []
    for index, ids in enumerate(groups):
        members = [by_id[i] for i in ids]
        hub = min(members, key=lambda n: (-inside_degree[n], str(n)))
        communities.append(
            Community(
                index=index,
                label=_name(H, hub) if len(ids) == 1 else f"around {_name(H, hub)}",
                members=tuple(ids),
                kinds=_kind_counts(H, members),
                partnerships=ties[index],
                target_groups=_in_vocabulary_order(
                    t for n in members for t in _tags(H, n)
                ),
            )
        )
    return tuple(communities)


def lead_candidates(
    H: nx.Graph,
    communities: Sequence[Community],
    *,
    betweenness_values: Mapping[Hashable, float] | None = None,
    limit: int = 10,
    seed: int = 0,
) -> list[LeadCandidate]:
    """Rank the universities and TSOs of a regional graph as hub leads.

    The score, in [0, 1], is a weighted sum (:data:`LEAD_WEIGHTS`) of:
    degree / the highest degree of the candidates (partners in the region),
    betweenness / the highest betweenness of the candidates (on ``H``, see
    :func:`~broker.graph.brokerage.betweenness`), and the share of the
    target-group vocabulary reached (own tags and partner schools' and
    learner groups'). Reasons add how many communities its partners span.
    A candidate with no partners scores on target groups only; a graph with
    no university or TSO gives an empty list. Ties are broken by id.

    References
    ----------
    Freeman, L. C. (1978). "Centrality in social networks: conceptual
    clarification". Social Networks 1(3): 215-239.
    """
    candidates = [n for n, kind in H.nodes(data="kind") if kind in PROVIDER_KINDS]
    if not candidates:
        return []
    if betweenness_values is None:
        betweenness_values = betweenness(H, seed=seed)

    community_of = {m: c.index for c in communities for m in c.members}
    top_degree = max(H.degree(n) for n in candidates)
    top_betweenness = max(betweenness_values.get(n, 0.0) for n in candidates)

    found: list[LeadCandidate] = []
    for n in candidates:
        degree = int(H.degree(n))
        between = betweenness_values.get(n, 0.0)
        reached = target_groups_reached(H, n)
        spans = {community_of.get(str(p)) for p in H.adj[n]} | {
            community_of.get(str(n))
        }
        components = {
            "degree": degree / top_degree if top_degree else 0.0,
            "betweenness": between / top_betweenness if top_betweenness > 0 else 0.0,
            "target_groups": len(reached) / len(TARGET_GROUPS),
        }
        score = sum(LEAD_WEIGHTS[k] * components[k] for k in LEAD_WEIGHTS)

        reasons = []
        if degree:
            most = " (the most of any)" if degree == top_degree else ""
            reasons.append(f"partners with {degree} organisations in the region{most}")
        else:
            reasons.append("has no partners in the region yet")
        if components["betweenness"] >= 0.5:
            reasons.append(
                f"on many shortest paths between the region's organisations "
                f"(betweenness {between:.3f})"
            )
        if len(spans - {None}) > 1:
            reasons.append(f"has partners in {len(spans - {None})} communities")
        if reached:
            shown = ", ".join(label("target_groups", t) for t in reached[:3])
            more = f" and {len(reached) - 3} more" if len(reached) > 3 else ""
            if len(reached) <= 3:
                shown = _labels(reached)
            reasons.append(f"reaches {len(reached)} target groups: {shown}{more}")
        data = H.nodes[n]
        found.append(
            LeadCandidate(
                id=str(n),
                name=_name(H, n),
                kind=str(data.get("kind")),
                score=score,
                components=components,
                degree=degree,
                betweenness=between,
                communities=len(spans - {None}),
                target_groups=reached,
                reasons=tuple(reasons),
            )
        )
    found.sort(key=lambda c: (-c.score, c.id))
    return found[:limit]


def _unmet(G: nx.Graph, node: Hashable) -> set[str]:
    """Target groups of a school or learner group that no partner serves."""
    served: set[str] = set()
    for partner in G.adj[node]:
        if G.nodes[partner].get("kind") in PROVIDER_KINDS:
            served.update(_tags(G, partner))
    return set(_tags(G, node)) - served


def bridging_links(
    G: nx.Graph,
    communities: Sequence[Collection[Hashable]],
    candidate_links: Iterable[CandidateLink],
    *,
    unserved_groups: Collection[str] = (),
    per_pair: int = 2,
    limit: int | None = None,
) -> list[ProposedLink]:
    """Keep the candidate links that join communities or reach unserved learners.

    ``candidate_links`` are (a, b, score, reasons) tuples, e.g. the
    matcher's suggestions; ``communities`` are collections of node ids (a
    node in none, such as an organisation outside the region, counts as a
    community of its own, "outside the region"). A link is kept when both
    ends are in ``G``, at least one is in a community, they are not partners
    already, and either:

    - it bridges: a and b are in different communities; or
    - it reaches an unserved target group: one end is a university or TSO
      whose target groups include one that the other end, a school or
      learner group, lists and none of its partners serves; or one that is
      in ``unserved_groups`` (the region's target-group gaps).

    Links are taken best score first (ties by ids); a pair given twice keeps
    its best score. At most ``per_pair`` links are kept per unordered pair
    of communities (so one well-connected pair cannot fill the list), and
    at most ``limit`` in all. Each kept link's reasons are the given ones
    followed by what it bridges and which target groups it reaches. No
    candidates, or none that qualify, give an empty list.
    """
    community_of: dict[Hashable, int] = {}
    members_of: dict[int, Collection[Hashable]] = {}
    for index, members in enumerate(communities):
        members_of[index] = members
        for m in members:
            community_of[m] = index
    labels: dict[int, str] = {}

    def describe(index: int | None, node: Hashable) -> str:
        if index is None:
            return f"{_name(G, node)} from outside the region"
        if len(members_of[index]) == 1:
            return f"{_name(G, node)}, on its own so far"
        if index not in labels:
            labels[index] = _community_label(G, members_of[index])
        return f"the community {labels[index]}"

    best: dict[tuple[str, str], tuple[float, Hashable, Hashable, tuple[str, ...]]] = {}
    for a, b, score, reasons in candidate_links:
        key = (str(a), str(b)) if str(a) <= str(b) else (str(b), str(a))
        if key not in best or float(score) > best[key][0]:
            best[key] = (float(score), a, b, tuple(reasons))
    ordered = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))

    unserved = set(unserved_groups)
    per_community_pair: Counter[tuple[int, int]] = Counter()
    kept: list[ProposedLink] = []
    for _, (score, a, b, given) in ordered:
        if a == b or a not in G or b not in G or G.has_edge(a, b):
            continue
        ca, cb = community_of.get(a), community_of.get(b)
        if ca is None and cb is None:
            continue
        bridges = ca != cb

        reached: set[str] = set()
        learner_side: dict[Hashable, set[str]] = {}
        for p, q in ((a, b), (b, a)):
            if G.nodes[p].get("kind") not in PROVIDER_KINDS:
                continue
            offered = set(_tags(G, p))
            if G.nodes[q].get("kind") in LEARNER_KINDS:
                met = offered & _unmet(G, q)
                if met:
                    learner_side[q] = met
                reached |= met
            reached |= offered & unserved
        if not bridges and not reached:
            continue

        ends = sorted((-1 if ca is None else ca, -1 if cb is None else cb))
        pair = (ends[0], ends[1])
        if per_community_pair[pair] >= per_pair:
            continue
        per_community_pair[pair] += 1

        reasons = list(given)
        if bridges:
            reasons.append(f"joins {describe(ca, a)} with {describe(cb, b)}")
        for q, met in learner_side.items():
            reasons.append(
                f"would serve {_labels(_in_vocabulary_order(met))} at {_name(G, q)}, "
                "whom no current partner serves"
            )
        regional = _in_vocabulary_order(reached & unserved)
        if regional:
            reasons.append(
                f"brings {_labels(regional)}, whom nobody in the region serves"
            )
        kept.append(
            ProposedLink(
                a=str(a),
                b=str(b),
                score=score,
                communities=(ca, cb),
                bridges=bridges,
                target_groups=_in_vocabulary_order(reached),
                reasons=tuple(reasons),
            )
        )
        if limit is not None and len(kept) >= limit:
            break
    return kept


def _unit_vectors(lat_lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere for (lat, lon) rows in degrees."""
    lat, lon = np.radians(lat_lon[:, 0]), np.radians(lat_lon[:, 1])
    return np.column_stack(
        [np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]
    )


def _provider_trees(G: nx.Graph) -> dict[str, tuple[cKDTree, list[Hashable]]]:
    """One k-d tree per target group over the located providers.

    Points are on the unit sphere, so the straight-line (chord) distance c
    that the tree measures gives the great-circle distance 2R asin(c / 2)
    exactly, without a haversine metric.
    """
    points: dict[str, list[tuple[float, float]]] = {}
    owners: dict[str, list[Hashable]] = {}
    for n, data in G.nodes(data=True):
        if data.get("kind") not in PROVIDER_KINDS:
            continue
        lat, lon = data.get("lat"), data.get("lon")
        if lat is None or lon is None:
            continue
        for tag in data.get("target_groups") or ():
            points.setdefault(tag, []).append((lat, lon))
            owners.setdefault(tag, []).append(n)
    return {
        tag: (cKDTree(_unit_vectors(np.asarray(coords))), owners[tag])
        for tag, coords in points.items()
    }


def coverage_gaps(
    G: nx.Graph, region: str, *, max_km: float = DEFAULT_MAX_KM
) -> list[CoverageGap]:
    """Return the region's coverage gaps, most severe first.

    Two kinds of gap, on one scale: ``severity`` is the number of (school or
    learner group in the region, target group) pairs the gap leaves
    unserved.

    - ``"target_group"``: a target group of the vocabulary that no
      university or TSO of the region (its members, see
      :func:`~broker.graph.build.region_members`) lists. Severity: how many
      of the region's schools and learner groups list it (0 when none do:
      still a gap in provision, shown last).
    - ``"organisation"``: a school or learner group of the region with
      target groups that none of its partners serves and no university or
      TSO anywhere (any region) lists within ``max_km`` km, by great-circle
      distance through one k-d tree per target group (no all-pairs
      distances). Severity: how many of its target
      groups are unserved; ``nearest_km`` is the distance to the nearest
      provider of any of them (None when there is none with coordinates).

    Edge cases: a school or learner group with no target groups has no
    declared need and no gap. One with no coordinates is checked against
    its partners only, and its gap says so (``lat``/``lon`` None); providers
    with no coordinates count only as partners. A region with no
    organisations has every target group as a gap of severity 0. Ties are
    ordered target-group gaps first, then farther nearest provider first,
    then id. Raises :class:`~broker.errors.ValidationFailed` for an unknown
    region.
    """
    region = check_region(region)
    return _coverage_gaps(G, region, region_members(G, region), max_km=max_km)


def _coverage_gaps(
    G: nx.Graph, region: str, members: Collection[Hashable], *, max_km: float
) -> list[CoverageGap]:
    place = REGIONS[region]
    providers = [n for n in members if G.nodes[n].get("kind") in PROVIDER_KINDS]
    learners = sorted(
        (n for n in members if G.nodes[n].get("kind") in LEARNER_KINDS), key=str
    )
    offered = {t for n in providers for t in _tags(G, n)}
    demand = Counter(t for n in learners for t in set(_tags(G, n)))

    gaps: list[CoverageGap] = []
    for tag in TARGET_GROUPS:
        if tag in offered:
            continue
        asking = demand[tag]
        who = (
            f"{asking} schools or learner groups in the region list them"
            if asking
            else "no school or learner group in the region lists them either"
        )
        gaps.append(
            CoverageGap(
                kind="target_group",
                target_groups=(tag,),
                severity=asking,
                reason=f"no university or TSO working in {place} serves "
                f"{label('target_groups', tag)}; {who}",
            )
        )

    # Needs left after current partners, then looked up by distance.
    remaining = {n: _unmet(G, n) for n in learners}
    remaining = {n: tags for n, tags in remaining.items() if tags}
    nearest: dict[tuple[Hashable, str], tuple[float, Hashable]] = {}
    if remaining:
        trees = _provider_trees(G)
        for tag in TARGET_GROUPS:
            asking_here = [
                n
                for n, tags in remaining.items()
                if tag in tags and G.nodes[n].get("lat") is not None
            ]
            if not asking_here or tag not in trees:
                continue
            tree, owners = trees[tag]
            coords = np.asarray(
                [(G.nodes[n]["lat"], G.nodes[n]["lon"]) for n in asking_here]
            )
            chord, index = tree.query(_unit_vectors(coords), k=1)
            km = 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0.0, 1.0))
            for n, found, i in zip(
                asking_here, km.tolist(), index.tolist(), strict=True
            ):
                nearest[(n, tag)] = (found, owners[i])

    for n, tags in remaining.items():
        data = G.nodes[n]
        located = data.get("lat") is not None and data.get("lon") is not None
        unserved = _in_vocabulary_order(
            t
            for t in tags
            if not (located and nearest.get((n, t), (math.inf, None))[0] <= max_km)
        )
        if not unserved:
            continue
        found = [nearest[(n, t)] for t in unserved if (n, t) in nearest]
        closest = min(found, key=lambda item: (item[0], str(item[1])), default=None)
        kind = KIND_LABELS.get(data.get("kind"), "organisation")
        who = f"{data.get('name') or n} ({kind})"
        if not located:
            why = (
                "has no coordinates, so only its partners were checked, "
                "and none serves them"
            )
        elif closest is None:
            why = (
                "no partner serves them and no located university or TSO anywhere does"
            )
        else:
            why = (
                f"no partner serves them and no university or TSO serving them is "
                f"within {max_km:g} km (nearest: {_name(G, closest[1])}, "
                f"{closest[0]:.1f} km)"
            )
        gaps.append(
            CoverageGap(
                kind="organisation",
                target_groups=unserved,
                severity=len(unserved),
                reason=f"{who} lists {_labels(unserved)}; {why}",
                id=str(n),
                name=str(data.get("name") or n),
                organisation_kind=data.get("kind"),
                lat=data.get("lat"),
                lon=data.get("lon"),
                nearest_km=None if closest is None else closest[0],
            )
        )

    position = {tag: i for i, tag in enumerate(TARGET_GROUPS)}

    def order(gap: CoverageGap) -> tuple[Any, ...]:
        far = math.inf if gap.nearest_km is None else gap.nearest_km
        first = position.get(gap.target_groups[0], len(position))
        return (-gap.severity, gap.kind != "target_group", -far, gap.id or "", first)

    gaps.sort(key=order)
    return gaps


def regional_plan(
    G: nx.Graph,
    region: str,
    *,
    candidate_links: Iterable[CandidateLink] = (),
    max_km: float = DEFAULT_MAX_KM,
    seed: int = 0,
    limit: int = 10,
    max_links: int = 50,
) -> RegionalPlan:
    """Return the hub plan of a region: communities, leads, brokers, links, gaps.

    The region's organisations are those whose region is ``region`` plus the
    national-reach organisations with partners there
    (:func:`~broker.graph.build.region_members`); every measure is taken on
    their subgraph, copied in sorted order so that the same data and
    ``seed`` give the same plan. Lead candidates and brokers are cut to
    ``limit``; proposed links come from ``candidate_links`` through
    :func:`bridging_links` (with the region's target-group gaps as the
    unserved groups, at most 2 per community pair and ``max_links`` in
    all); gaps from
    :func:`coverage_gaps` within ``max_km``. Betweenness is sampled with
    ``seed`` above :data:`~broker.graph.brokerage.BETWEENNESS_EXACT_LIMIT`
    organisations, and the notes say so.

    ``region`` must be a region tag (case and spaces are forgiven), else
    :class:`~broker.errors.ValidationFailed` names the field and lists the
    valid tags. A region with no organisations gives an empty plan whose
    notes say why, not an error.
    """
    started = time.perf_counter()
    region = check_region(region)
    members = region_members(G, region)
    H = canonical_subgraph(G, members)
    candidate_links = list(candidate_links)
    notes: list[str] = []

    if H.number_of_nodes() == 0:
        notes.append(
            f"no organisations in {REGIONS[region]} ({region}), and no national "
            "organisation has partners there: nothing to plan yet; load profiles "
            "with this region, or partnerships with organisations in it"
        )
        gaps = _coverage_gaps(G, region, members, max_km=max_km)
        return RegionalPlan(
            region=region,
            communities=(),
            lead_candidates=(),
            brokers=(),
            proposed_links=(),
            gaps=tuple(gaps),
            summary=_summary(H, (), (), (), (), gaps, candidate_links),
            notes=tuple(notes),
            graph=H,
        )

    communities = communities_of(H, seed=seed)
    between = betweenness(H, seed=seed)
    sampled = betweenness_sample_size(H.number_of_nodes())
    if sampled is not None:
        notes.append(
            f"betweenness estimated from {sampled} sampled organisations "
            f"(seed {seed}) because the region has {H.number_of_nodes()}"
        )

    leads = lead_candidates(H, communities, betweenness_values=between, limit=limit)
    brokers = rank_brokers_in(H, limit=limit, seed=seed, betweenness_values=between)
    gaps = _coverage_gaps(G, region, members, max_km=max_km)
    unserved = {g.target_groups[0] for g in gaps if g.kind == "target_group"}
    links = bridging_links(
        G,
        [set(c.members) for c in communities],
        candidate_links,
        unserved_groups=unserved,
        limit=max_links,
    )

    unlocated = sum(1 for g in gaps if g.kind == "organisation" and not g.located)
    if unlocated:
        notes.append(
            f"{unlocated} schools or learner groups with gaps have no coordinates: "
            "only their partners were checked"
        )
    if candidate_links and not links:
        notes.append(
            "none of the candidate links joins two communities or reaches an "
            "unserved target group"
        )
    if not candidate_links:
        notes.append("no candidate links were given, so no new links are proposed")

    plan = RegionalPlan(
        region=region,
        communities=communities,
        lead_candidates=tuple(leads),
        brokers=tuple(brokers),
        proposed_links=tuple(links),
        gaps=tuple(gaps),
        summary=_summary(H, communities, leads, brokers, links, gaps, candidate_links),
        notes=tuple(notes),
        graph=H,
    )
    log.info(
        "regional plan for %s: %s organisations, %s communities, %s gaps in %.2f s",
        region,
        H.number_of_nodes(),
        len(communities),
        len(gaps),
        time.perf_counter() - started,
    )
    return plan


def _summary(
    H: nx.Graph,
    communities: Sequence[Community],
    leads: Sequence[LeadCandidate],
    brokers: Sequence[BrokerRanking],
    links: Sequence[ProposedLink],
    gaps: Sequence[CoverageGap],
    candidate_links: Sequence[CandidateLink],
) -> dict[str, Any]:
    kinds = Counter(kind for _, kind in H.nodes(data="kind"))
    return {
        "organisations": H.number_of_nodes(),
        "by_kind": {kind: kinds.get(kind, 0) for kind in KINDS},
        "partnerships": H.number_of_edges(),
        "isolated": sum(1 for n in H if H.degree(n) == 0),
        "communities": len(communities),
        "lead_candidates": len(leads),
        "brokers": len(brokers),
        "candidate_links": len(candidate_links),
        "proposed_links": len(links),
        "gaps": len(gaps),
        "target_group_gaps": sum(1 for g in gaps if g.kind == "target_group"),
        "organisation_gaps": sum(1 for g in gaps if g.kind == "organisation"),
    }


__all__ = [
    "DEFAULT_MAX_KM",
    "LEAD_WEIGHTS",
    "CandidateLink",
    "Community",
    "CoverageGap",
    "LeadCandidate",
    "ProposedLink",
    "RegionalPlan",
    "bridging_links",
    "communities_of",
    "coverage_gaps",
    "lead_candidates",
    "regional_plan",
]
