"""Brokerage: who links organisations that are not linked to each other.

Three families of measure, all on the undirected partnership graph:

- Gould-Fernandez brokerage roles over the partition by kind
  (:func:`brokerage_roles`): how often an organisation sits between two
  partners that have no tie of their own, by the kinds of the three;
- Burt's structural holes (:func:`structural_holes`): constraint and
  effective size of each organisation's partners;
- betweenness (:func:`betweenness`): the share of shortest paths that pass
  through an organisation, sampled on large graphs.

:func:`rank_brokers` combines them into a ranking of third-sector
organisations as community brokers for a target group and a place.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import scipy as sp
import scipy.sparse.csgraph

from broker.errors import ProblemDetail, ValidationFailed
from broker.geo import haversine_km
from broker.graph.build import LEARNER_KINDS, canonical_subgraph, region_members
from broker.vocabulary import KIND_LABELS, REGIONS, TARGET_GROUPS, check_tags, label

ROLES: tuple[str, ...] = (
    "coordinator",
    "itinerant",
    "representative_gatekeeper",
    "liaison",
)

# Betweenness is exact up to this many nodes, and estimated from this many
# sampled sources above it.
BETWEENNESS_EXACT_LIMIT = 2000
BETWEENNESS_SAMPLES = 200
# Sources times nodes for sampled betweenness: 200 sources on a region of up
# to 25,000 organisations, 50 on a national graph of 100,000.
BETWEENNESS_BUDGET = 5_000_000

# Weights of the broker score components (they sum to 1); without a place the
# distance weight is shared out in proportion to the others.
BROKER_WEIGHTS: Mapping[str, float] = {
    "brokerage": 0.4,
    "betweenness": 0.2,
    "target_groups": 0.2,
    "distance": 0.2,
}
# How much each Gould-Fernandez role counts towards community brokerage: a
# TSO between a university and a school (liaison) is what the score looks
# for; linking two schools, or its own kind to another, counts half; linking
# two TSOs not at all.
ROLE_WEIGHTS: Mapping[str, float] = {
    "coordinator": 0.0,
    "itinerant": 0.5,
    "representative_gatekeeper": 0.5,
    "liaison": 1.0,
}
LOW_CONSTRAINT = 0.35
# Cells of one sources-by-edges array in the batched betweenness.
_BATCH_CELLS = 4_000_000
DEFAULT_MAX_KM = 50.0

_PLURALS: Mapping[str, str] = {
    "hei": "universities",
    "tso": "third-sector organisations",
    "school": "schools",
    "learner_group": "learner groups",
}


@dataclass(frozen=True)
class BrokerageRoles:
    """Counts of one organisation's Gould-Fernandez brokerage triples.

    Each unordered triple a-v-b (a and b partners of v, not partners of each
    other) counts once, under the role given by the groups of a, v and b.
    ``representative_gatekeeper`` combines Gould and Fernandez's
    representative and gatekeeper roles, which coincide on an undirected
    graph (see :func:`brokerage_roles`).
    """

    coordinator: int = 0
    itinerant: int = 0
    representative_gatekeeper: int = 0
    liaison: int = 0

    @property
    def total(self) -> int:
        """All brokerage triples of the organisation, whatever the role."""
        return int(sum(getattr(self, role) for role in ROLES))

    def weighted(self, weights: Mapping[str, float] = ROLE_WEIGHTS) -> float:
        """Return the sum of the role counts times their weights."""
        return float(sum(weights[role] * getattr(self, role) for role in ROLES))

    def as_dict(self) -> dict[str, int]:
        """Return the counts by role, JSON-ready."""
        return {role: getattr(self, role) for role in ROLES}


Partition = str | Mapping[Hashable, Hashable]


def _group_of(G: nx.Graph, partition: Partition) -> Callable[[Hashable], Hashable]:
    """The group of a node: a node attribute, or a lookup in a mapping."""
    if isinstance(partition, str):
        attribute = partition
        return lambda n: G.nodes[n].get(attribute)
    return lambda n: partition.get(n)


def _pair(g: Hashable, h: Hashable) -> tuple[Hashable, Hashable]:
    return (g, h) if str(g) <= str(h) else (h, g)


def open_pairs(
    G: nx.Graph, node: Hashable, partition: Partition = "kind"
) -> Counter[tuple[Hashable, Hashable]]:
    """Count the open pairs of a node's partners by the groups of the pair.

    An open pair is two distinct partners a and b of ``node`` with no edge
    between them: ``node`` is the only link between them. Keys are the
    groups of a and b in sorted order (by ``str``). A node with fewer than
    two partners has none. Cost: the sum over partners p of
    min(degree(node), degree(p)).
    """
    group = _group_of(G, partition)
    partners = [p for p in G.adj[node] if p != node]
    inside = set(partners)
    sizes = Counter(group(p) for p in partners)

    pairs: Counter[tuple[Hashable, Hashable]] = Counter()
    groups = sorted(sizes, key=str)
    for i, g in enumerate(groups):
        pairs[(g, g)] = sizes[g] * (sizes[g] - 1) // 2
        for h in groups[i + 1 :]:
            pairs[(g, h)] = sizes[g] * sizes[h]

    # Subtract the closed pairs: partners tied to each other. Each is seen
    # from both ends, so count halves.
    closed: Counter[tuple[Hashable, Hashable]] = Counter()
    for a in partners:
        around = G.adj[a]
        if len(around) < len(inside):
            ties = [b for b in around if b in inside and b != a]
        else:
            ties = [b for b in inside if b in around and b != a]
        for b in ties:
            closed[_pair(group(a), group(b))] += 1
    for key, twice in closed.items():
        pairs[key] -= twice // 2
    return +pairs


def brokerage_roles(
    G: nx.Graph,
    partition: Partition = "kind",
    nodes: Iterable[Hashable] | None = None,
) -> dict[Hashable, BrokerageRoles]:
    """Count the Gould-Fernandez brokerage roles of each node.

    A brokerage triple of v is a path a - v - b where a != b and a and b are
    not adjacent. With g(x) the group of x (the node attribute named by
    ``partition``, by default the organisation kind, or a mapping from node
    to group), the triple is:

    - coordinator: g(a) = g(v) = g(b), brokering inside one's own group;
    - itinerant (consultant): g(a) = g(b) != g(v), an outsider linking two
      members of one group;
    - representative / gatekeeper: g(v) equals exactly one of g(a), g(b);
    - liaison: g(a), g(v) and g(b) all differ.

    Gould and Fernandez define the roles on directed ties, where
    representative (g(v) = g(a), v passes its group's tie outwards) and
    gatekeeper (g(v) = g(b), v lets an outsider in) differ. Here each
    undirected edge is a reciprocal tie, so every unordered triple is the
    two directed paths a -> v -> b and b -> v -> a, and exactly one of them
    is a representative path and the other a gatekeeper path. We count each
    unordered triple once: ``representative_gatekeeper`` equals both the
    representative and the gatekeeper count of a directed implementation on
    the symmetrised graph, while our coordinator, itinerant and liaison
    counts are half of its counts (it sees each unordered triple twice).

    Returns a :class:`BrokerageRoles` per node of ``nodes`` (all nodes when
    None). Counts are non-negative integers; a node with fewer than two
    partners, or whose partners are all tied to each other, has all zeros.
    Nodes with no group (a missing attribute) form a group of their own.
    Self-loops are ignored.

    References
    ----------
    Gould, R. V. and Fernandez, R. M. (1989). "Structures of mediation: a
    formal approach to brokerage in transaction networks". Sociological
    Methodology 19: 89-126.
    """
    group = _group_of(G, partition)
    found: dict[Hashable, BrokerageRoles] = {}
    for v in G if nodes is None else nodes:
        counts = dict.fromkeys(ROLES, 0)
        own = group(v)
        for (g, h), count in open_pairs(G, v, partition).items():
            if g == h:
                role = "coordinator" if g == own else "itinerant"
            elif own in (g, h):
                role = "representative_gatekeeper"
            else:
                role = "liaison"
            counts[role] += count
        found[v] = BrokerageRoles(**counts)
    return found


@dataclass(frozen=True)
class StructuralHoles:
    """Burt's constraint and effective size of one organisation.

    ``constraint`` is None for an organisation with no partners (undefined:
    there is nobody to be constrained by) where networkx gives NaN;
    ``effective_size`` is then 0.0 (no non-redundant partners).
    """

    constraint: float | None
    effective_size: float

    def as_dict(self) -> dict[str, float | None]:
        """Return both measures, JSON-ready."""
        return {"constraint": self.constraint, "effective_size": self.effective_size}


def structural_holes(
    G: nx.Graph, nodes: Iterable[Hashable] | None = None, weight: str | None = "weight"
) -> dict[Hashable, StructuralHoles]:
    """Return Burt's constraint and effective size of each node.

    Constraint (Burt 2004) measures how far v's partners are tied to each
    other, so that v cannot play them off against each other:

        c(v) = sum over partners j of (p_vj + sum over q of p_vq * p_qj)^2

    with p_xy the share of x's tie weight spent on y (``weight``, 1 when
    None or missing) and q ranging over partners of v tied to j. It ranges
    from about 1/degree (many partners, none tied to each other) up to 1.0
    for a single partner, and slightly above 1 (at most 1.125) in dense
    small cliques. Low constraint means the node spans structural holes.

    Effective size is Borgatti's (1997) form of Burt's measure on the
    unweighted ties: n - 2t/n with n partners and t ties among them, from 1
    (all partners tied to each other) to n (none tied).

    The values equal :func:`networkx.constraint` (same ``weight``) and the
    unweighted :func:`networkx.effective_size`, computed over common
    partners only, which is fast for a subset of nodes on a large graph.
    Edge cases: a node with no partners gets ``constraint=None`` and
    ``effective_size=0.0`` (networkx gives NaN for both). Self-loops are
    ignored.

    References
    ----------
    Burt, R. S. (2004). "Structural holes and good ideas". American Journal
    of Sociology 110(2): 349-399.
    Borgatti, S. P. (1997). "Structural holes: unpacking Burt's redundancy
    measures". Connections 20(1): 35-38.
    """
    strength: dict[Hashable, float] = {}

    def tie(x: Hashable, y: Hashable) -> float:
        if weight is None:
            return 1.0
        return float(G.adj[x][y].get(weight, 1.0))

    def total(x: Hashable) -> float:
        if x not in strength:
            strength[x] = sum(tie(x, y) for y in G.adj[x] if y != x)
        return strength[x]

    found: dict[Hashable, StructuralHoles] = {}
    for v in G if nodes is None else nodes:
        partners = [p for p in G.adj[v] if p != v]
        if not partners:
            found[v] = StructuralHoles(constraint=None, effective_size=0.0)
            continue
        inside = set(partners)
        own = total(v)
        constraint = 0.0
        ties_among = 0
        for j in partners:
            around = G.adj[j]
            if len(around) < len(inside):
                common = [q for q in around if q in inside and q != j]
            else:
                common = [q for q in inside if q in around and q != j]
            ties_among += len(common)
            indirect = sum(tie(v, q) / own * tie(q, j) / total(q) for q in common)
            constraint += (tie(v, j) / own + indirect) ** 2
        n = len(partners)
        found[v] = StructuralHoles(
            constraint=constraint, effective_size=n - ties_among / n
        )
    return found


def betweenness_sample_size(
    n: int,
    *,
    exact_limit: int = BETWEENNESS_EXACT_LIMIT,
    samples: int = BETWEENNESS_SAMPLES,
) -> int | None:
    """Return the number of sampled sources for betweenness, None when exact.

    Up to ``samples`` sources, fewer on very large graphs so that sources
    times nodes stays near :data:`BETWEENNESS_BUDGET` (but never below 32).
    """
    if n <= exact_limit:
        return None
    return min(n, samples, max(32, BETWEENNESS_BUDGET // n))


def betweenness(
    G: nx.Graph,
    *,
    exact_limit: int = BETWEENNESS_EXACT_LIMIT,
    samples: int = BETWEENNESS_SAMPLES,
    seed: int = 0,
) -> dict[Hashable, float]:
    """Return the normalised betweenness centrality of every node.

    Betweenness of v is the share of shortest paths between pairs of other
    nodes that pass through v (Freeman 1977), normalised to [0, 1] by the
    (n - 1)(n - 2) ordered pairs, on unweighted ties (tie strength is not a
    distance). Exact up to ``exact_limit`` nodes; above that, estimated from
    ``samples`` source nodes drawn with ``seed`` (Brandes and Pich 2007),
    so the same graph in the same node order gives the same values.

    The values are those of ``networkx.betweenness_centrality(G, k=k,
    normalized=True, seed=seed)`` with the same k (None when exact),
    including its choice of sampled sources and its rescaling; breadth-first
    search runs in scipy and Brandes' accumulation as array operations over
    many sources at once, an order of magnitude faster than networkx.
    Isolated nodes, and graphs of fewer than three nodes, give 0.0.

    References
    ----------
    Freeman, L. C. (1977). "A set of measures of centrality based on
    betweenness". Sociometry 40(1): 35-41.
    Brandes, U. (2001). "A faster algorithm for betweenness centrality".
    Journal of Mathematical Sociology 25(2): 163-177.
    Brandes, U. and Pich, C. (2007). "Centrality estimation in large
    networks". International Journal of Bifurcation and Chaos 17(7).
    """
    nodes = list(G)
    n = len(nodes)
    if n < 3:
        return dict.fromkeys(nodes, 0.0)
    k = betweenness_sample_size(n, exact_limit=exact_limit, samples=samples)
    sources = nodes if k is None or k == n else random.Random(seed).sample(nodes, k)

    index = {node: i for i, node in enumerate(nodes)}
    ends = np.array(
        [(index[u], index[v]) for u, v in G.edges() if u != v], dtype=np.int64
    ).reshape(-1, 2)
    tails = np.concatenate([ends[:, 0], ends[:, 1]])
    heads = np.concatenate([ends[:, 1], ends[:, 0]])
    total = _dependencies(n, tails, heads, np.array([index[s] for s in sources]))

    # networkx's rescaling with endpoints excluded: sources see one pair fewer.
    if len(sources) == n:
        scale = np.full(n, 1.0 / ((n - 1) * (n - 2)))
    else:
        kk = len(sources)
        scale = np.full(n, 1.0 / (kk * (n - 2)))
        source_scale = 1.0 / ((kk - 1) * (n - 2)) if kk > 1 else 0.0
        scale[[index[s] for s in sources]] = source_scale
    return dict(zip(nodes, (total * scale).tolist(), strict=True))


def _dependencies(
    n: int, tails: np.ndarray, heads: np.ndarray, sources: np.ndarray
) -> np.ndarray:
    """Sum over ``sources`` of Brandes' dependencies of every node.

    ``tails`` and ``heads`` list each edge in both directions. For a batch
    of sources at once, scipy's breadth-first distances pick out the edges
    of the shortest-path DAGs (head one step further than tail); path counts
    then flow down those edges level by level, and dependencies flow back
    up, as array operations over all the batch's edges of one level. The
    work is linear in edges per source, whatever the graph's diameter.
    """
    adjacency = sp.sparse.csr_array((np.ones(len(tails)), (tails, heads)), shape=(n, n))
    total = np.zeros(n)
    batch = max(1, _BATCH_CELLS // max(len(tails), n, 1))
    for start in range(0, len(sources), batch):
        source = sources[start : start + batch]
        b = len(source)
        distance = sp.sparse.csgraph.shortest_path(
            adjacency, method="D", unweighted=True, indices=source
        ).reshape(b, n)

        # Edges of each source's shortest-path DAG, sorted by the head's level.
        from_tail = distance[:, tails]
        on_path = np.isfinite(from_tail) & (distance[:, heads] == from_tail + 1)
        row, edge = np.nonzero(on_path)
        level = (from_tail[row, edge] + 1).astype(np.int64)
        order = np.argsort(level, kind="stable")
        level = level[order]
        tail = (row * n + tails[edge])[order]
        head = (row * n + heads[edge])[order]
        deepest = int(level[-1]) if len(level) else 0
        bounds = np.searchsorted(level, np.arange(1, deepest + 2))

        # Forward: shortest-path counts. Backward: dependencies.
        sigma = np.zeros(b * n)
        sigma[np.arange(b) * n + source] = 1.0
        for depth in range(deepest):
            at = slice(bounds[depth], bounds[depth + 1])
            np.add.at(sigma, head[at], sigma[tail[at]])
        delta = np.zeros(b * n)
        for depth in range(deepest - 1, -1, -1):
            at = slice(bounds[depth], bounds[depth + 1])
            share = sigma[tail[at]] / sigma[head[at]] * (1.0 + delta[head[at]])
            np.add.at(delta, tail[at], share)
        delta[np.arange(b) * n + source] = 0.0
        total += delta.reshape(b, n).sum(axis=0)
    return total


def target_groups_reached(G: nx.Graph, node: Hashable) -> tuple[str, ...]:
    """Return the target groups an organisation reaches, in vocabulary order.

    Those in its own profile and those of the schools and learner groups it
    partners in ``G``. An organisation with no tags and no such partners
    reaches none.
    """
    reached = set(G.nodes[node].get("target_groups") or ())
    for partner in G.adj[node]:
        if G.nodes[partner].get("kind") in LEARNER_KINDS:
            reached.update(G.nodes[partner].get("target_groups") or ())
    return tuple(tag for tag in TARGET_GROUPS if tag in reached)


@dataclass(frozen=True)
class BrokerRanking:
    """A third-sector organisation ranked as a community broker."""

    id: str
    name: str
    region: str | None
    reach: str | None
    score: float
    components: dict[str, float]
    roles: BrokerageRoles
    betweenness: float
    constraint: float | None
    effective_size: float
    target_groups: tuple[str, ...]
    distance_km: float | None
    reasons: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """Return the ranking, JSON-ready, with numbers rounded for display."""
        return {
            "id": self.id,
            "name": self.name,
            "region": self.region,
            "reach": self.reach,
            "score": round(self.score, 4),
            "components": {k: round(v, 4) for k, v in self.components.items()},
            "roles": self.roles.as_dict(),
            "betweenness": round(self.betweenness, 6),
            "constraint": None
            if self.constraint is None
            else round(self.constraint, 4),
            "effective_size": round(self.effective_size, 3),
            "target_groups": list(self.target_groups),
            "distance_km": None
            if self.distance_km is None
            else round(self.distance_km, 1),
            "reasons": list(self.reasons),
        }


def check_region(region: str) -> str:
    """Return the canonical region tag, or raise naming the valid tags.

    Case, spaces and underscores are forgiven (``"North East"`` is
    ``"north-east"``); an unknown or empty region raises
    :class:`~broker.errors.ValidationFailed` on the field ``region`` with
    the valid tags in the fix.
    """
    tags = check_tags("region", [region])
    if not tags:
        problem = ProblemDetail(
            field="region",
            problem="no region given",
            fix="use one of: " + ", ".join(REGIONS),
        )
        raise ValidationFailed([problem])
    return tags[0]


def _check_ranking_inputs(
    target_group: str | None,
    region: str | None,
    near: tuple[float, float] | None,
    max_km: float,
    limit: int,
) -> tuple[str | None, str | None]:
    problems: list[ProblemDetail] = []
    if target_group is not None:
        tags = check_tags("target_groups", [target_group])
        if not tags:
            fix = "use one of: " + ", ".join(TARGET_GROUPS)
            problems.append(ProblemDetail("target_group", "empty target group", fix))
        target_group = tags[0] if tags else None
    if region is not None:
        region = check_region(region)
    if near is not None:
        lat, lon = near
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            found = f"({lat}, {lon}) is not a (lat, lon) place"
            problems.append(
                ProblemDetail("near", found, "give lat in -90..90, lon in -180..180")
            )
    if not max_km > 0:
        problems.append(
            ProblemDetail("max_km", f"max_km is {max_km}", "give a distance above 0")
        )
    if limit < 1:
        problems.append(ProblemDetail("limit", f"limit is {limit}", "give 1 or more"))
    if problems:
        raise ValidationFailed(problems)
    return target_group, region


def _sorted_if_needed(G: nx.Graph) -> nx.Graph:
    """Return G itself when its nodes are in sorted order, else a sorted copy."""
    nodes = list(G)
    if nodes == sorted(nodes, key=str):
        return G
    return canonical_subgraph(G, nodes)


def _nearest(
    G: nx.Graph, candidates: Sequence[Hashable], near: tuple[float, float]
) -> dict[Hashable, tuple[float, Hashable | None]]:
    """Distance from ``near`` to each candidate or the nearest of its partners.

    Returns (km, partner) where partner is None when the candidate's own
    location is the nearest; candidates with no located place are missing.
    """
    owners: list[int] = []
    via: list[Hashable | None] = []
    lats: list[float] = []
    lons: list[float] = []
    for i, c in enumerate(candidates):
        for place, partner in [(c, None), *((p, p) for p in G.adj[c])]:
            lat, lon = G.nodes[place].get("lat"), G.nodes[place].get("lon")
            if lat is None or lon is None:
                continue
            owners.append(i)
            via.append(partner)
            lats.append(lat)
            lons.append(lon)
    if not owners:
        return {}
    km = haversine_km(near[0], near[1], np.asarray(lats), np.asarray(lons))

    found: dict[Hashable, tuple[float, Hashable | None]] = {}
    for row, i in enumerate(owners):
        c = candidates[i]
        if c not in found or km[row] < found[c][0]:
            found[c] = (float(km[row]), via[row])
    return found


def _listing(labels: Sequence[str], shown: int = 3) -> str:
    if len(labels) <= shown:
        return ", ".join(labels)
    return ", ".join(labels[:shown]) + f" and {len(labels) - shown} more"


def _counted(count: int, kind: str) -> str:
    noun = KIND_LABELS[kind] if count == 1 else _PLURALS[kind]
    return f"{count} {noun}"


def linking_reason(G: nx.Graph, node: Hashable) -> str | None:
    """Say which kinds of partner an organisation links, e.g. universities with
    schools, or None when it has no partners on both sides."""
    kinds = Counter(G.nodes[p].get("kind") for p in G.adj[node] if p != node)
    learners = [k for k in ("school", "learner_group") if kinds[k]]
    if not kinds["hei"] or not learners:
        return None
    pairs = open_pairs(G, node)
    untied = sum(pairs[_pair("hei", k)] for k in learners)
    sides = " and ".join(_counted(kinds[k], k) for k in learners)
    text = f"links {_counted(kinds['hei'], 'hei')} with {sides}"
    if untied:
        text += f" ({untied} of those pairs have no partnership of their own)"
    return text


def _broker_reasons(
    G: nx.Graph,
    node: Hashable,
    roles: BrokerageRoles,
    holes: StructuralHoles,
    reached: tuple[str, ...],
    target_group: str | None,
    distance: tuple[float, Hashable | None] | None,
    betweenness_share: float,
) -> tuple[str, ...]:
    reasons: list[str] = []
    linking = linking_reason(G, node)
    if linking:
        reasons.append(linking)
    if roles.liaison:
        reasons.append(
            f"liaison in {roles.liaison} brokerage triples: between partners of "
            "two other kinds that are not partners of each other"
        )
    elif roles.itinerant or roles.representative_gatekeeper:
        reasons.append(
            f"brokers {roles.itinerant + roles.representative_gatekeeper} pairs of "
            "partners that are not partners of each other"
        )

    if target_group is not None:
        own = target_group in (G.nodes[node].get("target_groups") or ())
        serving = sum(
            1
            for p in G.adj[node]
            if G.nodes[p].get("kind") in LEARNER_KINDS
            and target_group in (G.nodes[p].get("target_groups") or ())
        )
        where = []
        if own:
            where.append("in its own aims")
        if serving:
            plural = "s" if serving > 1 else ""
            where.append(
                f"through {serving} partner school{plural} or learner group{plural}"
            )
        reasons.append(
            f"reaches {label('target_groups', target_group)} " + " and ".join(where)
        )
    elif reached:
        labels = [label("target_groups", t) for t in reached]
        reasons.append(f"reaches {len(reached)} target groups: {_listing(labels)}")

    if distance is not None:
        km, partner = distance
        if partner is None:
            reasons.append(f"based {km:.1f} km from the place")
        else:
            name = G.nodes[partner].get("name") or partner
            reasons.append(f"works {km:.1f} km from the place, with {name}")
    if holes.constraint is not None and holes.constraint < LOW_CONSTRAINT:
        reasons.append(
            f"low constraint ({holes.constraint:.2f}): few of its partners work "
            "with each other, so it bridges separate groups"
        )
    if betweenness_share >= 0.5:
        reasons.append("on many of the shortest paths between organisations")
    return tuple(reasons)


def rank_brokers(
    G: nx.Graph,
    *,
    target_group: str | None = None,
    region: str | None = None,
    near: tuple[float, float] | None = None,
    max_km: float = DEFAULT_MAX_KM,
    limit: int = 20,
    seed: int = 0,
) -> list[BrokerRanking]:
    """Rank third-sector organisations as community brokers, best first.

    Candidates are the TSOs (kind ``"tso"``) of the working graph: the
    region's organisations (see :func:`~broker.graph.build.region_members`)
    when ``region`` is given, else the whole graph. All measures are taken
    on the working graph. With ``target_group``, only TSOs that reach it
    (:func:`target_groups_reached`) are kept; with ``near`` (lat, lon), only
    those within ``max_km`` of it, measured to the TSO or the nearest of its
    partners, whichever is nearer (a charity works where its schools are).
    TSOs with no coordinates and no located partner are dropped when
    ``near`` is given: they cannot be shown to be near.

    The score, in [0, 1], is a weighted sum (:data:`BROKER_WEIGHTS`) of:

    - brokerage: log(1 + b) / log(1 + max b) over the candidates, where b is
      the role-weighted count of Gould-Fernandez triples
      (:data:`ROLE_WEIGHTS`: liaison 1, itinerant and representative /
      gatekeeper 0.5, coordinator 0);
    - betweenness: betweenness / the highest betweenness of the candidates;
    - target_groups: the share of the target-group vocabulary reached;
    - distance: 1 - km / max_km (only with ``near``; otherwise its weight is
      shared among the others in proportion).

    A graph with no TSO, or none left after the filters, gives an empty
    list. Ties are broken by id, and sampled betweenness is seeded, so the
    same data gives the same ranking. Reasons name the roles held, the
    target groups reached, the distance and a low constraint
    (:func:`structural_holes`).

    References
    ----------
    Gould and Fernandez (1989), Burt (2004), Brandes (2001): see
    :func:`brokerage_roles`, :func:`structural_holes`, :func:`betweenness`.
    """
    target_group, region = _check_ranking_inputs(
        target_group, region, near, max_km, limit
    )
    if region is not None:
        W = canonical_subgraph(G, region_members(G, region))
    else:
        W = _sorted_if_needed(G)
    return rank_brokers_in(
        W,
        target_group=target_group,
        near=near,
        max_km=max_km,
        limit=limit,
        seed=seed,
    )


def rank_brokers_in(
    W: nx.Graph,
    *,
    target_group: str | None = None,
    near: tuple[float, float] | None = None,
    max_km: float = DEFAULT_MAX_KM,
    limit: int = 20,
    seed: int = 0,
    betweenness_values: Mapping[Hashable, float] | None = None,
) -> list[BrokerRanking]:
    """Rank the TSOs of an already chosen working graph (see :func:`rank_brokers`).

    ``betweenness_values`` lets a caller that has computed betweenness on
    ``W`` pass it in; inputs are not validated here.
    """
    candidates = [n for n, kind in W.nodes(data="kind") if kind == "tso"]
    reached = {c: target_groups_reached(W, c) for c in candidates}
    if target_group is not None:
        candidates = [c for c in candidates if target_group in reached[c]]

    distances: dict[Hashable, tuple[float, Hashable | None]] = {}
    if near is not None:
        distances = {
            c: found
            for c, found in _nearest(W, candidates, near).items()
            if found[0] <= max_km
        }
        candidates = [c for c in candidates if c in distances]
    if not candidates:
        return []

    roles = brokerage_roles(W, "kind", candidates)
    if betweenness_values is None:
        betweenness_values = betweenness(W, seed=seed)

    weights = dict(BROKER_WEIGHTS)
    if near is None:
        weights.pop("distance")
    scale = sum(weights.values())
    top_brokerage = max(roles[c].weighted() for c in candidates)
    top_betweenness = max(betweenness_values.get(c, 0.0) for c in candidates)

    scored: list[tuple[float, str, Hashable, dict[str, float]]] = []
    for c in candidates:
        components = {
            "brokerage": (
                math.log1p(roles[c].weighted()) / math.log1p(top_brokerage)
                if top_brokerage > 0
                else 0.0
            ),
            "betweenness": (
                betweenness_values.get(c, 0.0) / top_betweenness
                if top_betweenness > 0
                else 0.0
            ),
            "target_groups": len(reached[c]) / len(TARGET_GROUPS),
        }
        if near is not None:
            components["distance"] = max(0.0, 1.0 - distances[c][0] / max_km)
        score = sum(weights[k] * components[k] for k in weights) / scale
        scored.append((score, str(c), c, components))
    scored.sort(key=lambda item: (-item[0], item[1]))

    # Structural holes and reasons only for those shown.
    shown = scored[:limit]
    holes = structural_holes(W, [c for _, _, c, _ in shown])
    rankings: list[BrokerRanking] = []
    for score, key, c, components in shown:
        data = W.nodes[c]
        rankings.append(
            BrokerRanking(
                id=key,
                name=str(data.get("name") or c),
                region=data.get("region"),
                reach=data.get("reach"),
                score=score,
                components=components,
                roles=roles[c],
                betweenness=betweenness_values.get(c, 0.0),
                constraint=holes[c].constraint,
                effective_size=holes[c].effective_size,
                target_groups=reached[c],
                distance_km=distances[c][0] if near is not None else None,
                reasons=_broker_reasons(
                    W,
                    c,
                    roles[c],
                    holes[c],
                    reached[c],
                    target_group,
                    distances.get(c),
                    components["betweenness"],
                ),
            )
        )
    return rankings


__all__ = [
    "BETWEENNESS_BUDGET",
    "BETWEENNESS_EXACT_LIMIT",
    "BETWEENNESS_SAMPLES",
    "BROKER_WEIGHTS",
    "ROLES",
    "ROLE_WEIGHTS",
    "BrokerRanking",
    "BrokerageRoles",
    "StructuralHoles",
    "betweenness",
    "betweenness_sample_size",
    "brokerage_roles",
    "check_region",
    "linking_reason",
    "open_pairs",
    "rank_brokers",
    "rank_brokers_in",
    "structural_holes",
    "target_groups_reached",
]
