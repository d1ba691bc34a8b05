"""Ranking: reciprocity, kind rules, exclusions, filters and the shortlist."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from broker.errors import NotFound, ValidationFailed
from broker.matching import (
    COMPONENTS,
    KIND_RULES,
    ProfileIndex,
    Suggestion,
    suggest,
    suggest_for_profile,
)
from broker.matching.index import build_index, probe
from broker.matching.scoring import SHORTLIST, normalise_weights, rank
from broker.settings import DEFAULT_WEIGHTS
from broker.vocabulary import KINDS, REGIONS, TARGET_GROUPS
from tests.matching.factories import (
    BRISTOL,
    DURHAM,
    GATESHEAD,
    index_of,
    links,
    org,
    topic,
)

WEIGHTS = DEFAULT_WEIGHTS


def _ids(found: list[Suggestion]) -> list[str]:
    return [s.id for s in found]


def _reciprocity() -> ProfileIndex:
    """A school that needs mentoring and offers funding, and three charities."""
    school = org("school", "school", needs="mentoring", offers="funding")
    mutual = org("mutual", offers="mentoring", needs="funding")
    one_sided = org("one-sided", offers="mentoring", needs="arts")
    neither = org("neither", offers="arts", needs="arts")
    texts = {
        "school": {"needs": topic("mentoring"), "offers": topic("funding")},
        "mutual": {"offers": topic("mentoring"), "needs": topic("funding")},
        "one-sided": {"offers": topic("mentoring"), "needs": topic("arts")},
        "neither": {"offers": topic("arts"), "needs": topic("arts")},
    }
    return index_of([school, one_sided, neither, mutual], texts)


def test_a_mutual_match_ranks_above_a_one_sided_one() -> None:
    found = suggest(_reciprocity(), "school", weights=WEIGHTS)
    assert _ids(found) == ["mutual", "one-sided", "neither"]
    mutual, one_sided, _ = found
    assert mutual.components["complementarity"] == pytest.approx(1)
    assert one_sided.components["complementarity"] == pytest.approx(1)
    assert mutual.score > one_sided.score


def test_reciprocal_score_is_the_harmonic_mean() -> None:
    found = suggest(_reciprocity(), "school", weights=WEIGHTS)
    one_sided = found[1]
    share = normalise_weights(WEIGHTS)
    forward = sum(share[k] * v for k, v in one_sided.components.items())
    backward = forward - share["complementarity"]
    expected = 2 * forward * backward / (forward + backward)
    assert one_sided.score == pytest.approx(expected, rel=1e-5)
    assert all(0 <= s.score <= 1 for s in found)


@pytest.mark.parametrize("kind", KINDS)
def test_kind_rules(kind: str) -> None:
    others = [org(f"other-{k.replace('_', '-')}", k) for k in KINDS]
    index = index_of([org("me", kind), *others])
    found = suggest(index, "me", weights=WEIGHTS)
    assert {s.kind for s in found} == set(KIND_RULES[kind])


def test_partners_are_left_out_unless_asked_for() -> None:
    index = index_of(
        [org("a", "hei"), org("b"), org("c")], partnerships=links([("a", "b")])
    )
    assert _ids(suggest(index, "a", weights=WEIGHTS)) == ["c"]
    found = suggest(index, "a", weights=WEIGHTS, include_partners=True)
    marked = {s.id: s.is_partner for s in found}
    assert marked == {"b": True, "c": False}
    assert next(s for s in found if s.id == "b").reasons[0] == "already partners"


def test_past_partners_are_partners_and_proposed_ones_are_not() -> None:
    index = index_of(
        [org("a", "hei"), org("past"), org("proposed")],
        partnerships=links([("a", "past")], "past")
        + links([("a", "proposed")], "proposed"),
    )
    assert _ids(suggest(index, "a", weights=WEIGHTS)) == ["proposed"]


def test_declined_pairs_are_left_out_both_ways() -> None:
    index = index_of([org("a"), org("b"), org("c")])
    declined = {"a": {"b", "ghost"}}
    assert _ids(suggest(index, "a", weights=WEIGHTS, declined=declined)) == ["c"]
    assert _ids(suggest(index, "b", weights=WEIGHTS, declined=declined)) == ["c"]


def test_an_organisation_is_never_suggested_to_itself() -> None:
    index = index_of([org("a"), org("b")])
    assert _ids(suggest(index, "a", weights=WEIGHTS)) == ["b"]


def _spread() -> ProfileIndex:
    return index_of(
        [
            org("me", "hei"),
            org("near", at=GATESHEAD, target_groups=["young-carers"]),
            org("durham", at=DURHAM, target_groups=["mature"]),
            org("bristol", "school", at=BRISTOL, region="south-west"),
            org("nowhere", at=None, region=None),
        ]
    )


def test_filters() -> None:
    index = _spread()
    assert _ids(suggest(index, "me", weights=WEIGHTS, kind="school")) == ["bristol"]
    found = suggest(index, "me", weights=WEIGHTS, region="south-west")
    assert _ids(found) == ["bristol"]
    found = suggest(index, "me", weights=WEIGHTS, max_km=10)
    assert _ids(found) == ["near"]
    found = suggest(index, "me", weights=WEIGHTS, max_km=30)
    assert set(_ids(found)) == {"near", "durham"}
    found = suggest(index, "me", weights=WEIGHTS, target_group="Mature")
    assert _ids(found) == ["durham"]


def test_limit() -> None:
    assert len(suggest(_spread(), "me", weights=WEIGHTS, limit=2)) == 2


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"kind": "college"}, "unknown kind 'college'"),
        ({"kind": "hei"}, "a university is never suggested kind 'hei'.*tso, school"),
        ({"region": "atlantis"}, "unknown tag 'atlantis'"),
        ({"target_group": "pirates"}, "unknown tag 'pirates'"),
        ({"max_km": 0}, "max_km: got 0"),
        ({"limit": 0}, "ask for 1 or more"),
        ({"diversity": 2}, "use 0 to 1"),
    ],
)
def test_bad_filters_name_the_fix(filters: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        suggest(_spread(), "me", weights=WEIGHTS, **filters)


def test_unknown_organisation() -> None:
    with pytest.raises(NotFound, match="no organisation 'nobody'.*broker load"):
        suggest(_spread(), "nobody", weights=WEIGHTS)


def test_weights_are_normalised_and_missing_ones_weigh_nothing() -> None:
    assert normalise_weights({"aims": 2, "network": 2}) == {
        name: 0.5 if name in ("aims", "network") else 0.0 for name in COMPONENTS
    }
    index = _spread()
    by_place = suggest(index, "me", weights={"geography": 1})
    assert _ids(by_place) == ["near", "nowhere", "durham", "bristol"]


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"aims": 1, "activities": 1}, r"unknown components \['activities'\]"),
        ({"aims": -1}, "negative weights"),
        ({"aims": 0}, "all weights are 0"),
    ],
)
def test_bad_weights(weights: dict[str, float], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        normalise_weights(weights)


def test_as_dict_is_the_contract_object() -> None:
    found = suggest(_spread(), "me", weights=WEIGHTS)[0].as_dict()
    assert set(found) == {
        "id",
        "name",
        "kind",
        "score",
        "components",
        "reasons",
        "distance_km",
        "is_partner",
    }
    assert set(found["components"]) == set(COMPONENTS)
    assert found["id"] == "near" and found["kind"] == "tso"
    json.dumps(found)


def test_distance_is_shown_only_when_both_are_placed() -> None:
    found = {s.id: s.distance_km for s in suggest(_spread(), "me", weights=WEIGHTS)}
    assert found["nowhere"] is None
    assert found["durham"] == pytest.approx(22.7, abs=0.1)


def test_diversity_spreads_the_aims() -> None:
    physics = {"aims": topic("physics")}
    texts = {
        "me": {"aims": topic("physics", "girls")},
        "p1": physics,
        "p2": physics,
        "p3": physics,
        "girls": {"aims": topic(("girls", 0.9), ("maths", 0.436))},
    }
    index = index_of(
        [org("me", "hei"), org("p1"), org("p2"), org("p3"), org("girls")], texts
    )
    plain = suggest(index, "me", weights={"aims": 1}, limit=2)
    assert _ids(plain) == ["p1", "p2"]
    varied = suggest(index, "me", weights={"aims": 1}, limit=2, diversity=0.5)
    assert _ids(varied) == ["p1", "girls"]


def test_what_if_for_an_unsaved_profile() -> None:
    index = _spread()
    vectors = {"aims": topic("physics"), "offers": np.zeros(8), "needs": np.zeros(8)}
    newcomer = org("newcomer", "school", at=DURHAM)
    found = suggest_for_profile(index, newcomer, vectors, weights=WEIGHTS)
    assert _ids(found)[0] == "durham"
    assert "newcomer" not in index.rows


def test_what_if_for_a_revised_profile_keeps_its_partners() -> None:
    index = index_of(
        [org("a", "hei"), org("b"), org("c")], partnerships=links([("a", "b")])
    )
    vectors = {"aims": topic("girls"), "offers": np.zeros(8), "needs": np.zeros(8)}
    found = suggest_for_profile(index, org("a", "hei"), vectors, weights=WEIGHTS)
    assert _ids(found) == ["c"]


@pytest.mark.parametrize(
    "weights", [DEFAULT_WEIGHTS, {"complementarity": 1.0, "aims": 0.1}]
)
def test_shortlist_gives_the_same_top_as_a_full_scan(weights: dict[str, float]) -> None:
    rng = np.random.default_rng(7)
    n, width = SHORTLIST * 6, 96
    regions = list(REGIONS)
    groups = list(TARGET_GROUPS)
    organisations = [
        org(
            f"o{i}",
            KINDS[i % 4],
            at=(float(rng.uniform(50, 56)), float(rng.uniform(-4, 0))),
            region=regions[i % len(regions)],
            reach=("local", "regional", "national")[i % 3],
            offers="x" if i % 3 else "",
            needs="y" if i % 4 else "",
            target_groups=list(rng.choice(groups, 2, replace=False)),
        )
        for i in range(n)
    ]
    centres = rng.standard_normal((6, width))
    vectors = {
        name: centres[rng.integers(0, 6, n)] + rng.standard_normal((n, width))
        for name in ("aims", "offers", "needs")
    }
    pairs = rng.integers(0, n, (n, 2))
    index = build_index(
        organisations, vectors, links([(f"o{a}", f"o{b}") for a, b in pairs if a != b])
    )
    share = normalise_weights(weights)
    for query in ("o0", "o1", "o2", "o3"):
        found = probe(index, query)
        allowed = np.ones(n, dtype=bool)
        allowed[found.row] = False
        quick = rank(index, found, share, allowed, top=10)
        full = rank(index, found, share, allowed)
        assert quick.rows[:10].tolist() == full.rows[:10].tolist()
        assert quick.score[:10] == pytest.approx(full.score[:10])
