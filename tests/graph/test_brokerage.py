from __future__ import annotations

import itertools
import math
import random
from collections import Counter

import networkx as nx
import pytest

from broker.errors import ValidationFailed
from broker.graph.brokerage import (
    BrokerageRoles,
    betweenness,
    betweenness_sample_size,
    brokerage_roles,
    open_pairs,
    rank_brokers,
    structural_holes,
    target_groups_reached,
)
from broker.graph.build import build_graph
from tests.graph.factories import (
    CARDIFF,
    MIDDLESBROUGH,
    NEWCASTLE,
    kinds_graph,
    org,
    partnerships,
)

KINDS = ["hei", "tso", "school", "learner_group"]


def _hub() -> nx.Graph:
    """A charity t between two universities, two schools and another charity."""
    return kinds_graph(
        {
            "t": "tso",
            "h1": "hei",
            "h2": "hei",
            "s1": "school",
            "s2": "school",
            "t2": "tso",
            "t3": "tso",
        },
        [
            ("t", "h1"),
            ("t", "h2"),
            ("t", "s1"),
            ("t", "s2"),
            ("t", "t2"),
            ("h1", "s1"),
            ("t2", "t3"),
        ],
    )


def test_roles_counted_by_hand() -> None:
    # t has partners h1, h2, s1, s2, t2: 10 pairs, of which h1-s1 is closed.
    # The 9 open pairs, by the kinds of the ends (t is a tso):
    #   h1-h2, s1-s2                      both ends one other kind: itinerant 2
    #   h1-s2, h2-s1, h2-s2               hei-school, neither a tso: liaison 3
    #   h1-t2, h2-t2, s1-t2, s2-t2        one end a tso like t: repr./gatek. 4
    # t2 has partners t and t3, not tied, all three tsos: coordinator 1.
    # h1 (partners t, s1) and s1 (partners t, h1) sit in a triangle: nothing.
    roles = brokerage_roles(_hub())

    assert roles["t"] == BrokerageRoles(
        coordinator=0, itinerant=2, representative_gatekeeper=4, liaison=3
    )
    assert roles["t"].total == 9
    assert roles["t2"] == BrokerageRoles(coordinator=1)
    assert roles["h1"] == roles["s1"] == roles["h2"] == BrokerageRoles()


def test_open_pairs_by_kinds() -> None:
    pairs = open_pairs(_hub(), "t")

    assert pairs == Counter(
        {
            ("hei", "hei"): 1,
            ("school", "school"): 1,
            ("hei", "school"): 3,
            ("hei", "tso"): 2,
            ("school", "tso"): 2,
        }
    )


def test_roles_over_a_given_partition() -> None:
    G = nx.path_graph(3)

    assert brokerage_roles(G, {0: "x", 1: "y", 2: "z"})[1] == BrokerageRoles(liaison=1)
    assert brokerage_roles(G, {0: "x", 1: "y", 2: "x"})[1] == BrokerageRoles(
        itinerant=1
    )
    assert brokerage_roles(G, {0: "x", 1: "x", 2: "y"}, nodes=[1]) == {
        1: BrokerageRoles(representative_gatekeeper=1)
    }


def _directed_counts(G: nx.Graph, v: object) -> Counter[str]:
    """Gould and Fernandez on the symmetrised digraph, by brute force."""
    kind = G.nodes
    counts: Counter[str] = Counter()
    for a, b in itertools.permutations(G.adj[v], 2):
        if G.has_edge(a, b):
            continue
        ga, gv, gb = kind[a]["kind"], kind[v]["kind"], kind[b]["kind"]
        if ga == gv == gb:
            counts["coordinator"] += 1
        elif ga == gb:
            counts["itinerant"] += 1
        elif ga == gv:
            counts["representative"] += 1
        elif gv == gb:
            counts["gatekeeper"] += 1
        else:
            counts["liaison"] += 1
    return counts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_roles_match_the_directed_definition(seed: int) -> None:
    G = nx.gnp_random_graph(40, 0.15, seed=seed)
    rng = random.Random(seed)
    nx.set_node_attributes(G, {n: rng.choice(KINDS) for n in G}, "kind")

    roles = brokerage_roles(G)

    for v in G:
        directed = _directed_counts(G, v)
        assert 2 * roles[v].coordinator == directed["coordinator"]
        assert 2 * roles[v].itinerant == directed["itinerant"]
        assert 2 * roles[v].liaison == directed["liaison"]
        assert roles[v].representative_gatekeeper == directed["representative"]
        assert roles[v].representative_gatekeeper == directed["gatekeeper"]


@pytest.mark.parametrize(
    ("G", "node", "constraint", "effective_size"),
    [
        # A star of three: each leaf takes a third, none tied: 3 * (1/3)^2.
        (nx.star_graph(3), 0, 1 / 3, 3.0),
        # A triangle: (1/2 + 1/2 * 1/2)^2 twice; two partners tied: 2 - 2/2.
        (nx.complete_graph(3), 0, 1.125, 1.0),
        # A single partner holds all of one's time.
        (nx.path_graph(2), 0, 1.0, 1.0),
    ],
)
def test_structural_holes_by_hand(
    G: nx.Graph, node: int, constraint: float, effective_size: float
) -> None:
    holes = structural_holes(G)[node]

    assert holes.constraint == pytest.approx(constraint)
    assert holes.effective_size == pytest.approx(effective_size)


def test_isolates_have_no_constraint_and_no_effective_size() -> None:
    G = nx.Graph()
    G.add_node("alone")

    holes = structural_holes(G)["alone"]

    assert holes.constraint is None
    assert holes.effective_size == 0.0
    assert math.isnan(nx.constraint(G)["alone"])


@pytest.mark.parametrize("seed", [4, 5])
def test_structural_holes_match_networkx(seed: int) -> None:
    G = nx.gnp_random_graph(30, 0.2, seed=seed)
    rng = random.Random(seed)
    for u, v in G.edges():
        G.edges[u, v]["weight"] = rng.choice([0.5, 1.0])
    linked = [n for n in G if G.degree(n)]

    ours = structural_holes(G, linked)
    constraint = nx.constraint(G, weight="weight")
    effective = nx.effective_size(G, nodes=linked)

    for n in linked:
        assert ours[n].constraint == pytest.approx(constraint[n])
        assert ours[n].effective_size == pytest.approx(effective[n])


def test_betweenness_of_a_path_by_hand() -> None:
    # Node 2 of 0-1-2-3-4 lies on 0-3, 0-4, 1-3, 1-4: 4 of the 6 pairs of others.
    found = betweenness(nx.path_graph(5))

    assert found == pytest.approx({0: 0.0, 1: 0.5, 2: 4 / 6, 3: 0.5, 4: 0.0})


@pytest.mark.parametrize(
    ("G", "exact_limit"),
    [
        (nx.karate_club_graph(), 2000),
        (nx.barabasi_albert_graph(300, 2, seed=1), 2000),
        (nx.barabasi_albert_graph(300, 2, seed=1), 100),
        (nx.disjoint_union(nx.cycle_graph(7), nx.star_graph(5)), 5),
    ],
)
def test_betweenness_matches_networkx(G: nx.Graph, exact_limit: int) -> None:
    samples = 20
    k = betweenness_sample_size(len(G), exact_limit=exact_limit, samples=samples)

    ours = betweenness(G, exact_limit=exact_limit, samples=samples, seed=7)
    theirs = nx.betweenness_centrality(G, k=k, seed=7)

    assert ours == pytest.approx(theirs)


def _region() -> nx.Graph:
    """Two charities in the North East and one in Wales.

    tso-link works with a university and two schools (liaison); tso-schools
    only with two schools; tso-wales with a Welsh university and school.
    """
    organisations = [
        org("tso-link", "tso", target_groups=["girls-women"]),
        org("tso-schools", "tso", at=MIDDLESBROUGH),
        org("uni", "hei"),
        org("school-a", "school", target_groups=["low-income"]),
        org("school-b", "school", target_groups=["care-experienced"]),
        org("school-c", "school", at=MIDDLESBROUGH, target_groups=["low-income"]),
        org("school-d", "school", at=MIDDLESBROUGH),
        org("tso-wales", "tso", region="wales", at=CARDIFF),
        org("uni-wales", "hei", region="wales", at=CARDIFF),
        org("school-wales", "school", region="wales", at=CARDIFF),
    ]
    pairs = [
        ("tso-link", "uni"),
        ("tso-link", "school-a"),
        ("tso-link", "school-b"),
        ("tso-schools", "school-c"),
        ("tso-schools", "school-d"),
        ("tso-wales", "uni-wales"),
        ("tso-wales", "school-wales"),
    ]
    return build_graph(organisations, partnerships(pairs))


def test_target_groups_reached_include_partner_schools() -> None:
    reached = target_groups_reached(_region(), "tso-link")

    assert reached == ("low-income", "girls-women", "care-experienced")


def test_rank_brokers_prefers_the_liaison() -> None:
    ranking = rank_brokers(_region(), region="north-east")

    assert [r.id for r in ranking] == ["tso-link", "tso-schools"]
    best = ranking[0]
    assert best.roles == BrokerageRoles(liaison=2, itinerant=1)
    assert best.reasons[0] == (
        "links 1 university with 2 schools "
        "(2 of those pairs have no partnership of their own)"
    )
    assert 0.0 <= ranking[1].score < best.score <= 1.0
    assert best.distance_km is None


def test_rank_brokers_filters_by_target_group_and_place() -> None:
    G = _region()

    care = rank_brokers(G, target_group="care-experienced")
    near = rank_brokers(G, near=MIDDLESBROUGH, max_km=20)
    # tso-link is in Newcastle, 51 km away, and has no partner nearer.
    wide = rank_brokers(G, near=MIDDLESBROUGH, max_km=60)

    assert [r.id for r in care] == ["tso-link"]
    assert (
        "reaches care-experienced learners through 1 partner school or learner group"
        in care[0].reasons
    )
    assert [r.id for r in near] == ["tso-schools"]
    assert near[0].distance_km == pytest.approx(0.0)
    assert {r.id for r in wide} == {"tso-link", "tso-schools"}
    assert next(r for r in wide if r.id == "tso-link").distance_km == pytest.approx(
        51.3, abs=0.3
    )


def test_rank_brokers_is_stable_and_json_ready() -> None:
    G = _region()

    first = [r.as_dict() for r in rank_brokers(G, near=NEWCASTLE)]
    second = [r.as_dict() for r in rank_brokers(G, near=NEWCASTLE)]

    assert first == second
    assert first[0]["components"].keys() == {
        "brokerage",
        "betweenness",
        "target_groups",
        "distance",
    }


def test_rank_brokers_on_a_graph_without_charities_is_empty() -> None:
    G = build_graph([org("uni", "hei"), org("school", "school")], [])

    assert rank_brokers(G) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"target_group": "pirates"}, "unknown tag 'pirates'"),
        ({"region": "atlantis"}, "region: unknown tag 'atlantis'"),
        ({"limit": 0}, "limit: limit is 0"),
        ({"max_km": -1.0}, "max_km: max_km is -1.0"),
        ({"near": (95.0, 0.0)}, "near: \\(95.0, 0.0\\) is not a"),
    ],
)
def test_rank_brokers_rejects_bad_input(
    arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        rank_brokers(_region(), **arguments)  # type: ignore[arg-type]
