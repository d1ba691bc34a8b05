from __future__ import annotations

import json
import random

import networkx as nx
import pytest

from broker.errors import ValidationFailed
from broker.graph.build import build_graph, canonical_subgraph, region_members
from broker.graph.plan import (
    CandidateLink,
    bridging_links,
    communities_of,
    coverage_gaps,
    regional_plan,
)
from broker.vocabulary import TARGET_GROUPS
from tests.graph.factories import (
    CANDIDATES,
    CARDIFF,
    MIDDLESBROUGH,
    org,
    partnerships,
    two_clusters,
)


def test_two_clusters_make_three_communities() -> None:
    H = two_clusters()

    communities = communities_of(H, seed=0)

    assert [c.members for c in communities] == [
        ("s-n1", "s-n2", "tso-n", "uni-n"),
        ("s-s1", "s-s2", "uni-s"),
        ("school-alone",),
    ]
    assert communities[0].label == "around Tso N"
    assert communities[0].partnerships == 4
    assert communities[2].label == "School Alone"


def test_plan_proposes_links_between_the_clusters() -> None:
    plan = regional_plan(two_clusters(), "north-east", candidate_links=CANDIDATES)

    assert [(link.a, link.b) for link in plan.proposed_links] == [
        ("uni-n", "s-s2"),
        ("tso-n", "s-s1"),
        ("uni-s", "school-alone"),
    ]
    first = plan.proposed_links[0]
    assert first.bridges
    assert first.communities == (0, 1)
    assert first.reasons == (
        "similar aims",
        "joins the community around Tso N with the community around Uni S",
    )


def test_bridging_links_keep_one_per_community_pair_when_asked() -> None:
    G = two_clusters()
    communities = [set(c.members) for c in communities_of(G)]

    links = bridging_links(G, communities, CANDIDATES, per_pair=1)

    assert [(link.a, link.b) for link in links] == [
        ("uni-n", "s-s2"),
        ("uni-s", "school-alone"),
    ]


def test_bridging_links_reach_an_unserved_target_group() -> None:
    G = two_clusters()
    # A Welsh charity for care-experienced learners, and a university in
    # school-n1's own community that would serve a group nobody serves there.
    G.add_node("tso-wales", kind="tso", name="Tso Wales", region="wales")
    G.nodes["tso-wales"]["target_groups"] = ("care-experienced",)
    G.nodes["s-n1"]["target_groups"] = ("low-income", "disabled")
    G.nodes["uni-n"]["target_groups"] = ("low-income", "disabled")
    G.remove_edge("uni-n", "s-n1")
    G.add_edge("uni-n", "s-n2")
    region = canonical_subgraph(G, region_members(G, "north-east"))
    communities = [set(c.members) for c in communities_of(region)]
    candidates: list[CandidateLink] = [
        ("tso-wales", "school-alone", 0.4, []),
        ("uni-n", "s-n1", 0.3, []),
    ]

    links = bridging_links(G, communities, candidates)

    assert [(link.a, link.b) for link in links] == [
        ("tso-wales", "school-alone"),
        ("uni-n", "s-n1"),
    ]
    outside, inside = links
    assert outside.target_groups == ("care-experienced",)
    assert outside.communities == (None, 2)
    assert outside.reasons[0] == (
        "joins Tso Wales from outside the region with School Alone, on its own so far"
    )
    assert not inside.bridges
    assert inside.target_groups == ("low-income", "disabled")
    assert inside.reasons == (
        "would serve learners from low-income homes and disabled learners at S N1, "
        "whom no current partner serves",
    )


def _with_known_gaps() -> nx.Graph:
    """two_clusters plus a school 51 km from the only low-income provider,
    and a school with no coordinates asking for disabled learners."""
    G = two_clusters()
    extra = build_graph(
        [
            org("s-far", "school", at=MIDDLESBROUGH, target_groups=["low-income"]),
            org("s-nowhere", "school", at=None, target_groups=["disabled"]),
        ],
        [],
    )
    G.add_nodes_from(extra.nodes(data=True))
    return G


def test_coverage_gaps_find_the_known_gaps() -> None:
    gaps = coverage_gaps(_with_known_gaps(), "north-east", max_km=25.0)

    top = [(g.kind, g.id, g.target_groups, g.severity) for g in gaps[:5]]
    assert top == [
        ("target_group", None, ("care-experienced",), 1),
        ("target_group", None, ("disabled",), 1),
        # No provider at all (nearest unknown) before the one 51 km away.
        ("organisation", "s-nowhere", ("disabled",), 1),
        ("organisation", "school-alone", ("care-experienced",), 1),
        ("organisation", "s-far", ("low-income",), 1),
    ]
    nowhere, alone, far = gaps[2:5]
    assert far.nearest_km == pytest.approx(51.3, abs=0.3)
    assert "nearest: Uni N, 51." in far.reason
    assert nowhere.located is False
    assert "no coordinates" in nowhere.reason
    assert alone.nearest_km is None
    # Every other target group has no provider in the region and no demand.
    assert len(gaps) == 5 + len(TARGET_GROUPS) - 5
    assert {g.severity for g in gaps[5:]} == {0}


def test_a_wider_radius_closes_the_distance_gap() -> None:
    gaps = coverage_gaps(_with_known_gaps(), "north-east", max_km=60.0)

    assert "s-far" not in {g.id for g in gaps}


def test_plan_is_identical_across_runs_and_input_order() -> None:
    G = two_clusters()
    organisations = [
        org(
            str(n),
            str(d["kind"]),
            at=(d["lat"], d["lon"]),
            target_groups=list(d["target_groups"]),
        )
        for n, d in G.nodes(data=True)
    ]
    links = partnerships(list(G.edges()))
    random.Random(1).shuffle(organisations)
    shuffled = build_graph(organisations, list(reversed(links)))

    first = regional_plan(G, "north-east", candidate_links=CANDIDATES).as_dict()
    second = regional_plan(G, "north-east", candidate_links=CANDIDATES).as_dict()
    third = regional_plan(shuffled, "north-east", candidate_links=CANDIDATES).as_dict()

    assert first == second == third
    assert json.loads(json.dumps(first)) == first


def test_plan_summary_and_lead_candidates() -> None:
    plan = regional_plan(two_clusters(), "North East")

    assert plan.region == "north-east"
    assert plan.summary["organisations"] == 8
    assert plan.summary["by_kind"] == {
        "hei": 2,
        "tso": 1,
        "school": 5,
        "learner_group": 0,
    }
    assert plan.summary["communities"] == 3
    assert plan.summary["isolated"] == 1
    # uni-s and uni-n both have two partners, but only uni-s links two
    # organisations that are not partners (betweenness).
    assert [c.id for c in plan.lead_candidates] == ["tso-n", "uni-s", "uni-n"]
    assert plan.lead_candidates[0].reasons[0] == (
        "partners with 3 organisations in the region (the most of any)"
    )
    assert [b.id for b in plan.brokers] == ["tso-n"]
    assert "no candidate links were given" in plan.notes[-1]


def test_national_organisations_with_partners_join_the_plan() -> None:
    G = two_clusters()
    G.add_node("tso-national", kind="tso", name="N", region="wales", reach="national")
    G.add_edge("tso-national", "school-alone", weight=1.0, status="active")

    plan = regional_plan(G, "north-east")

    assert "tso-national" in plan.graph
    assert plan.summary["organisations"] == 9


def test_a_region_with_no_organisations_gives_an_empty_plan() -> None:
    plan = regional_plan(two_clusters(), "scotland")

    assert plan.summary["organisations"] == 0
    assert not plan.communities and not plan.lead_candidates and not plan.brokers
    assert not plan.proposed_links
    assert "no organisations in Scotland (scotland)" in plan.notes[0]
    assert plan.as_dict()["region_label"] == "Scotland"


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ("atlantis", "region: unknown tag 'atlantis' \\(use one of: north-east, "),
        ("", "region: no region given \\(use one of: north-east, "),
    ],
)
def test_an_invalid_region_names_the_field_and_the_valid_tags(
    region: str, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message) as raised:
        regional_plan(two_clusters(), region)

    problem = raised.value.problems[0]
    assert problem.field == "region"
    assert "northern-ireland" in problem.fix


def test_coverage_gaps_check_the_region_too() -> None:
    with pytest.raises(ValidationFailed, match="unknown tag 'mars'"):
        coverage_gaps(two_clusters(), "mars")


def test_organisations_elsewhere_serve_across_the_border() -> None:
    G = build_graph(
        [
            org(
                "school-cardiff",
                "school",
                region="wales",
                at=CARDIFF,
                target_groups=["mature"],
            ),
            org(
                "uni-bristol",
                "hei",
                region="south-west",
                at=(51.4545, -2.5879),
                target_groups=["mature"],
            ),
        ],
        [],
    )

    gaps = coverage_gaps(G, "wales", max_km=50.0)

    assert "school-cardiff" not in {g.id for g in gaps}
    assert ("mature",) in {g.target_groups for g in gaps if g.kind == "target_group"}
