from __future__ import annotations

import logging
import random

import pytest

from broker.graph.build import build_graph, canonical_subgraph, region_members
from broker.profiles import Partnership
from tests.graph.factories import CARDIFF, org, partnerships


def test_nodes_carry_profile_fields_and_tuples() -> None:
    G = build_graph([org("uni-a", "hei", target_groups=["low-income", "disabled"])], [])

    data = G.nodes["uni-a"]
    assert data["kind"] == "hei"
    assert data["name"] == "Uni A"
    assert data["region"] == "north-east"
    assert data["lat"] == pytest.approx(54.9783)
    assert data["target_groups"] == ("low-income", "disabled")
    assert data["subjects"] == ()
    assert data["town"] is None
    assert "contact_email" not in data


@pytest.mark.parametrize(("status", "weight"), [("active", 1.0), ("past", 0.5)])
def test_edges_are_weighted_by_status(status: str, weight: float) -> None:
    link = Partnership.model_validate(
        {"a": "b-org", "b": "a-org", "status": status, "since": 2019, "until": None}
    )
    G = build_graph([org("a-org", "hei"), org("b-org", "school")], [link])

    assert G.edges["a-org", "b-org"] == {
        "activity": "",
        "since": 2019,
        "until": None,
        "status": status,
        "weight": weight,
    }


def test_proposed_partnerships_are_not_edges_but_counted() -> None:
    organisations = [org("a", "hei"), org("b", "school"), org("c", "tso")]
    links = partnerships([("a", "b")]) + partnerships([("a", "c")], "proposed")

    G = build_graph(organisations, links)

    assert sorted(G.edges()) == [("a", "b")]
    assert G.graph["proposed_skipped"] == 1


def test_unknown_organisations_are_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="broker.graph.build"):
        G = build_graph([org("a", "hei")], partnerships([("a", "ghost")]))

    assert G.number_of_edges() == 0
    assert "ghost" in caplog.text


def test_the_later_record_of_a_pair_wins() -> None:
    links = partnerships([("a", "b")]) + partnerships([("b", "a")], "past")

    G = build_graph([org("a", "hei"), org("b", "school")], links)

    assert G.edges["a", "b"]["status"] == "past"


def test_order_of_input_does_not_change_the_graph() -> None:
    organisations = [org(f"o-{i}", "school") for i in range(12)]
    links = partnerships([(f"o-{i}", f"o-{(i * 5 + 1) % 12}") for i in range(1, 12)])
    shuffled = organisations[:]
    random.Random(3).shuffle(shuffled)

    first = build_graph(organisations, links)
    second = build_graph(shuffled, list(reversed(links)))

    assert list(first) == list(second) == sorted(first)
    assert list(first.edges()) == list(second.edges())


def test_canonical_subgraph_is_sorted_and_independent() -> None:
    G = build_graph(
        [org(i, "school") for i in ("c", "a", "b", "d")],
        partnerships([("c", "a"), ("b", "d"), ("a", "b")]),
    )

    H = canonical_subgraph(G, ["d", "a", "b", "zzz"])
    H.nodes["a"]["name"] = "changed"

    assert list(H) == ["a", "b", "d"]
    assert sorted(H.edges()) == [("a", "b"), ("b", "d")]
    assert G.nodes["a"]["name"] == "A"


def test_region_members_include_national_organisations_working_there() -> None:
    G = build_graph(
        [
            org("local-school", "school"),
            org("national-tso", "tso", region="wales", at=CARDIFF, reach="national"),
            org("welsh-tso", "tso", region="wales", at=CARDIFF, reach="regional"),
            org("idle-national", "tso", region="wales", at=CARDIFF, reach="national"),
        ],
        partnerships([("local-school", "national-tso"), ("local-school", "welsh-tso")]),
    )

    assert region_members(G, "north-east") == {"local-school", "national-tso"}
    assert region_members(G, "wales") == {"national-tso", "welsh-tso", "idle-national"}
    assert region_members(G, "london") == set()
