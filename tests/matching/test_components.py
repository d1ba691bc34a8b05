"""Each score component on hand-built profiles with known values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from broker.geo import haversine_km
from broker.matching import components as C
from broker.matching.index import ProfileIndex, probe, unit_points
from broker.matching.scoring import complementarity_both, symmetric_components
from broker.settings import DEFAULT_WEIGHTS
from broker.vocabulary import REACHES
from tests.matching.factories import (
    BRISTOL,
    NEWCASTLE,
    index_of,
    links,
    org,
    topic,
)

LOCAL, REGIONAL, NATIONAL = (REACHES.index(r) for r in REACHES)


def _scores(index: ProfileIndex, org_id: str, name: str) -> dict[str, float]:
    """One component of org_id against every row, by id."""
    values = symmetric_components(index, probe(index, org_id), slice(None), [name])
    return {
        o.id: float(v) for o, v in zip(index.organisations, values[name], strict=True)
    }


def test_components_match_the_weight_names() -> None:
    assert set(C.COMPONENTS) == set(DEFAULT_WEIGHTS)


def test_aims_is_cosine_with_negatives_clipped() -> None:
    matrix = np.vstack(
        [topic("physics"), topic("girls"), -topic("physics"), np.zeros(8, np.float32)]
    )
    assert C.aims(matrix, topic("physics")).tolist() == pytest.approx([1, 0, 0, 0])
    both = topic("physics", "girls")
    assert C.aims(matrix, both)[0] == pytest.approx(1 / math.sqrt(2))


def test_aims_of_an_empty_text_is_zero() -> None:
    assert C.aims(np.vstack([topic("physics")]), np.zeros(8, np.float32))[0] == 0


@pytest.mark.parametrize(
    ("candidate_own", "query_own", "expected"),
    [(True, True, 1.0), (False, True, 0.75), (True, False, 0.75), (False, False, 0.5)],
)
def test_complementarity_discounts_aims_standing_in(
    candidate_own: bool, query_own: bool, expected: float
) -> None:
    found = C.complementarity(
        np.array([1.0, -0.5]), np.array([candidate_own] * 2), query_own
    )
    assert found.tolist() == pytest.approx([expected, 0.0])


def test_complementarity_is_directional() -> None:
    school = org("school", "school", needs="mentoring", offers="a venue")
    mentors = org("mentors", offers="mentors", needs="money")
    index = index_of(
        [school, mentors],
        {
            "school": {"needs": topic("mentoring"), "offers": topic("arts")},
            "mentors": {"offers": topic("mentoring"), "needs": topic("funding")},
        },
    )
    forward, backward = complementarity_both(
        index, probe(index, "school"), np.array([1])
    )
    assert forward[0] == pytest.approx(1.0)
    assert backward[0] == pytest.approx(0.0)


def test_complementarity_falls_back_to_aims_for_empty_offers() -> None:
    school = org("school", "school", needs="mentoring")
    silent = org("silent")
    index = index_of(
        [school, silent],
        {
            "school": {"needs": topic("mentoring")},
            "silent": {"aims": topic("mentoring")},
        },
    )
    forward, _ = complementarity_both(index, probe(index, "school"), np.array([1]))
    assert forward[0] == pytest.approx(0.75)


def test_target_groups_count_rare_groups_more() -> None:
    index = index_of(
        [
            org("a", target_groups=["girls-women", "rural-coastal"]),
            org("common", target_groups=["girls-women"]),
            org("rare", target_groups=["rural-coastal"]),
            org("d", target_groups=["girls-women"]),
            org("e", target_groups=["girls-women"]),
            org("none"),
        ]
    )
    common = math.log(7 / 5) + 1
    rare = math.log(7 / 3) + 1
    found = _scores(index, "a", "target_groups")
    assert found["common"] == pytest.approx(common / math.hypot(common, rare), rel=1e-5)
    assert found["rare"] == pytest.approx(rare / math.hypot(common, rare), rel=1e-5)
    assert found["rare"] > found["common"]
    assert found["none"] == 0
    assert found["a"] == pytest.approx(1)


def test_idf_weights_are_smoothed() -> None:
    index = index_of([org("a", target_groups=["mature"]), org("b")])
    column = list(index.tags_of("target_groups")[0].indices)[0]
    assert index.target_idf[column] == pytest.approx(math.log(3 / 2) + 1)
    assert index.target_idf.max() == pytest.approx(math.log(3) + 1)


@pytest.mark.parametrize(
    ("mine", "theirs", "expected"),
    [
        (["physics"], ["physics"], 1.0),
        (["physics"], ["chemistry"], 0.0),
        (["physics"], ["general-stem"], 1 / math.sqrt(6)),
        (["physics"], ["all-subjects"], 0.5 / math.sqrt(2.5)),
        (["general-stem"], ["all-subjects"], 1.5 / math.sqrt(1.5 * 2.5)),
        (["general-stem"], ["general-stem"], 1.0),
        (["physics", "chemistry"], ["general-stem"], 1 / math.sqrt(3)),
        ([], ["physics"], 0.0),
    ],
)
def test_subjects_with_broad_tags(
    mine: list[str], theirs: list[str], expected: float
) -> None:
    index = index_of([org("a", subjects=mine), org("b", subjects=theirs)])
    assert _scores(index, "a", "subjects")["b"] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    ("mine", "theirs", "expected"),
    [
        (["ks4"], ["ks4"], 1.0),
        (["ks4"], ["ks5"], 0.4 / 1.08),
        (["primary"], ["ks5"], 0.0),
        (["teachers"], ["ks3"], 0.0),
        ([], ["ks3"], 0.0),
    ],
)
def test_stages_match_neighbours_in_part(
    mine: list[str], theirs: list[str], expected: float
) -> None:
    index = index_of([org("a", stages=mine), org("b", stages=theirs)])
    assert _scores(index, "a", "stages")["b"] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    ("km", "reach", "other", "same_region", "expected"),
    [
        (25.0, LOCAL, LOCAL, False, math.exp(-1)),
        (0.0, LOCAL, LOCAL, False, 1.0),
        (100.0, LOCAL, REGIONAL, False, math.exp(-1)),
        (300.0, REGIONAL, REGIONAL, True, 0.85),
        (300.0, LOCAL, LOCAL, True, 0.25),
        (30.0, LOCAL, NATIONAL, False, math.exp(-0.1)),
        (600.0, NATIONAL, LOCAL, False, 0.5),
        (600.0, NATIONAL, LOCAL, True, 1.0),
        (math.nan, LOCAL, LOCAL, False, 0.5),
        (math.nan, REGIONAL, LOCAL, True, 0.85),
    ],
)
def test_geography(
    km: float, reach: int, other: int, same_region: bool, expected: float
) -> None:
    found = C.geography(
        np.array([km]), reach, np.array([other], dtype=np.int8), np.array([same_region])
    )
    assert found[0] == pytest.approx(expected, rel=1e-5)


def test_geography_of_profiles_without_coordinates_is_neutral() -> None:
    index = index_of([org("a"), org("nowhere", at=None, region=None)])
    assert _scores(index, "a", "geography")["nowhere"] == pytest.approx(0.5)


def test_chord_distance_is_close_to_great_circle() -> None:
    points = unit_points(np.array([BRISTOL[0]]), np.array([BRISTOL[1]]))
    point = unit_points(np.array([NEWCASTLE[0]]), np.array([NEWCASTLE[1]]))[0]
    chord = C.chord_km(points, point)[0]
    arc = haversine_km(*NEWCASTLE, np.array([BRISTOL[0]]), np.array([BRISTOL[1]]))[0]
    assert chord == pytest.approx(arc, rel=1e-3)


def test_network_adamic_adar_over_a_shared_partner() -> None:
    index = index_of(
        [org("a"), org("b"), org("z"), org("loner")],
        partnerships=links([("a", "z"), ("b", "z")]),
    )
    found = _scores(index, "a", "network")
    assert found["b"] == pytest.approx(1 - math.exp(-1 / math.log(3)), rel=1e-5)
    assert found["loner"] == 0


def test_network_counts_past_partnerships_at_half_weight() -> None:
    index = index_of(
        [org("a"), org("b"), org("z")],
        partnerships=links([("a", "z")], "past") + links([("b", "z")]),
    )
    expected = 1 - math.exp(-0.5 / math.log(2.5))
    assert _scores(index, "a", "network")["b"] == pytest.approx(expected, rel=1e-5)


def test_network_partners_of_partners_count_less() -> None:
    index = index_of(
        [org("a"), org("x"), org("y"), org("b"), org("c")],
        partnerships=links([("a", "x"), ("x", "y"), ("y", "b"), ("c", "x")]),
    )
    found = _scores(index, "a", "network")
    # a-x-y-b: 1 / (s_x s_y) = 1 / (3 * 2), at half weight.
    assert found["b"] == pytest.approx(1 - math.exp(-0.5 / 6), rel=1e-5)
    assert found["c"] > found["b"]


def test_network_without_partners_or_unsaved_is_zero() -> None:
    index = index_of([org("a"), org("b")], partnerships=links([("b", "a")], "proposed"))
    assert C.network(index.adjacency, index.strength, 0).tolist() == [0, 0]
    assert C.network(index.adjacency, index.strength, None).tolist() == [0, 0]
