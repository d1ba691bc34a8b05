"""Reasons in plain English, and the breakdown of one pair."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest

from broker.errors import ValidationFailed
from broker.matching import ProfileIndex, explain_pair, suggest
from broker.matching.scoring import harmonic
from broker.settings import DEFAULT_WEIGHTS
from tests.matching.factories import BRISTOL, DURHAM, index_of, links, org, topic

WEIGHTS = DEFAULT_WEIGHTS


def _reasons(index: ProfileIndex, a: str, b: str) -> list[str]:
    found = suggest(index, a, weights=WEIGHTS, include_partners=True, limit=50)
    return next(s.reasons for s in found if s.id == b)


def test_reasons_name_shared_tags_in_labels() -> None:
    index = index_of(
        [
            org(
                "a",
                target_groups=["girls-women", "young-carers"],
                subjects=["physics"],
                stages=["ks4"],
                activities=["mentoring"],
            ),
            org(
                "b",
                target_groups=["young-carers", "girls-women"],
                subjects=["physics", "chemistry"],
                stages=["ks4", "ks5"],
                activities=["mentoring", "residential"],
            ),
        ]
    )
    found = _reasons(index, "a", "b")
    assert "both work with girls and women and young carers" in found
    assert "both teach physics" in found
    assert "both serve key stage 4" in found
    assert found[-1] == "both run mentoring"


def test_reasons_for_broad_subjects() -> None:
    index = index_of(
        [org("a", subjects=["physics"]), org("b", subjects=["general-stem"])]
    )
    assert "they cover STEM in general, which includes your physics" in _reasons(
        index, "a", "b"
    )
    assert "you cover STEM in general, which includes their physics" in _reasons(
        index, "b", "a"
    )


def test_reasons_for_geography() -> None:
    index = index_of(
        [
            org("a"),
            org("durham", at=DURHAM),
            org("national", at=BRISTOL, reach="national", region="south-west"),
            org("unplaced", at=None),
        ]
    )
    assert "23 km apart" in _reasons(index, "a", "durham")
    assert "national reach, 397 km apart" in _reasons(index, "a", "national")
    assert "both in North East" in _reasons(index, "a", "unplaced")


def test_reasons_name_shared_partners() -> None:
    index = index_of(
        [
            org("a"),
            org("b"),
            org("imperial", name="Imperial College London"),
            org("soton", name="University of Southampton"),
            org("x"),
            org("y"),
            org("c"),
        ],
        partnerships=links(
            [
                ("a", "imperial"),
                ("b", "imperial"),
                ("a", "soton"),
                ("b", "soton"),
                ("a", "x"),
                ("x", "y"),
                ("y", "c"),
            ]
        ),
    )
    shared = "shares 2 partners: Imperial College London, University of Southampton"
    assert shared in _reasons(index, "a", "b")
    assert "linked through your partners' partners" in _reasons(index, "a", "c")


def test_reasons_for_texts_say_only_how_similar() -> None:
    index = index_of(
        [
            org("school", "school", needs="mentoring", offers="funding"),
            org("mentors", offers="mentoring", needs="funding"),
        ],
        {
            "school": {"needs": topic("mentoring"), "offers": topic("funding")},
            "mentors": {
                "offers": topic("mentoring"),
                "needs": topic(("funding", 0.5), ("arts", 0.866)),
            },
        },
    )
    found = _reasons(index, "school", "mentors")
    assert "aims are closely related" in found
    assert "what they offer closely fits what you need" in found
    assert "what you offer fits what they need" in found


def test_reasons_are_never_empty() -> None:
    index = index_of(
        [org("a", at=None, region=None), org("b", at=None, region=None)],
        {"a": {"aims": topic("physics")}, "b": {"aims": topic("arts")}},
    )
    assert _reasons(index, "a", "b") == ["aims are loosely related (0.00)"]


def _pair_index() -> ProfileIndex:
    return index_of(
        [
            org("me", "hei", target_groups=["mature"]),
            org("best", target_groups=["mature"]),
            org("second"),
            org("third", at=BRISTOL, region="south-west"),
            org("partner"),
            org("uni", "hei"),
            org("refused"),
        ],
        {"me": {"aims": topic("physics", "girls")}, "third": {"aims": topic("arts")}},
        partnerships=links([("me", "partner")]),
    )


@pytest.mark.parametrize(
    ("b", "kwargs", "why"),
    [
        ("second", {}, "ranked 2nd of 4; in the top 10"),
        ("third", {"limit": 2}, "ranked 4th of 4; the list shows 2"),
        ("uni", {}, "kind rule: a university is not suggested a university"),
        ("partner", {}, r"already partners \(active\)"),
        ("refused", {"declined": {"refused": {"me"}}}, "declined: one of the two"),
        ("third", {"region": "north-east"}, "filtered out: not in North East"),
        ("third", {"max_km": 50}, "filtered out: not known to be within 50 km"),
    ],
)
def test_why_b_is_or_is_not_listed(b: str, kwargs: dict[str, Any], why: str) -> None:
    found = explain_pair(_pair_index(), "me", b, weights=WEIGHTS, **kwargs)
    assert re.match(why, found.why)
    assert found.in_list == why.endswith("top 10")


def test_pair_rank_agrees_with_the_list() -> None:
    index = _pair_index()
    listed = suggest(index, "me", weights=WEIGHTS)
    for place, suggestion in enumerate(listed, start=1):
        found = explain_pair(index, "me", suggestion.id, weights=WEIGHTS)
        assert found.rank == place
        assert found.in_list
        assert found.score == pytest.approx(suggestion.score, rel=1e-5)
        assert found.forward == pytest.approx(suggestion.components)


def test_pair_breakdown_both_ways() -> None:
    index = index_of(
        [
            org("school", "school", needs="mentoring", offers="funding"),
            org("one-sided", offers="mentoring", needs="arts"),
        ],
        {
            "school": {"needs": topic("mentoring"), "offers": topic("funding")},
            "one-sided": {"offers": topic("mentoring"), "needs": topic("arts")},
        },
    )
    found = explain_pair(index, "school", "one-sided", weights=WEIGHTS)
    assert found.forward["complementarity"] == pytest.approx(1)
    assert found.backward["complementarity"] == pytest.approx(0)
    assert found.contributions["aims"] == pytest.approx(found.weights["aims"])
    assert sum(found.contributions.values()) == pytest.approx(found.forward_score)
    expected = harmonic(found.forward_score, found.backward_score)
    assert found.score == pytest.approx(float(expected))
    data = found.as_dict()
    assert data["why"] == "ranked 1st of 1; in the top 10"
    assert data["forward"]["complementarity"] == 1.0
    json.dumps(data)


def test_pair_of_one_organisation_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="got 'me' twice"):
        explain_pair(_pair_index(), "me", "me", weights=WEIGHTS)


def test_pair_distance_is_geodesic() -> None:
    found = explain_pair(_pair_index(), "me", "third", weights=WEIGHTS)
    assert found.distance_km == pytest.approx(397.5, abs=0.1)
    assert np.isfinite(found.score)
