"""The profile index: rows, vectors, tags, places and partnerships."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from broker.errors import NotFound, ValidationFailed
from broker.matching.embedders import TfidfEmbedder
from broker.matching.index import (
    build_index,
    embed_organisations,
    embed_profile,
    probe,
    probe_profile,
)
from broker.vocabulary import KINDS, REACHES, REGIONS
from tests.matching.factories import DIMENSION, index_of, links, org, topic


def test_rows_codes_and_places() -> None:
    index = index_of(
        [
            org("a", "hei", reach="national", region="london"),
            org("b", "learner_group", at=None, region=None),
        ]
    )
    assert index.rows == {"a": 0, "b": 1}
    assert [KINDS[k] for k in index.kinds] == ["hei", "learner_group"]
    assert [REACHES[r] for r in index.reaches] == ["national", "local"]
    assert index.regions.tolist() == [list(REGIONS).index("london"), -1]
    assert np.isnan(index.lats[1]) and np.isnan(index.points[1]).all()
    assert len(index) == 2


def test_vectors_are_normalised_and_empty_texts_stay_zero() -> None:
    organisations = [org("a", offers="x"), org("b")]
    vectors = {
        "aims": np.array([[3.0] + [0.0] * 7, [0.0, 4.0] + [0.0] * 6]),
        "offers": np.array([[1.0] * 8, [0.0] * 8]),
        "needs": np.zeros((2, 8)),
    }
    index = build_index(organisations, vectors, [])
    assert index.aims.dtype == np.float32
    assert np.linalg.norm(index.aims, axis=1) == pytest.approx([1, 1])
    assert np.linalg.norm(index.offers, axis=1) == pytest.approx([1, 0])
    assert index.has_offers.tolist() == [True, False]
    assert index.has_needs.tolist() == [False, False]


def test_tags_are_sparse_binary() -> None:
    index = index_of(
        [org("a", target_groups=["girls-women", "mature"], subjects=["physics"])]
    )
    groups = index.tags_of("target_groups")
    assert groups.format == "csr"
    assert groups.sum() == 2
    assert index.tags_of("subjects").sum() == 1
    assert index.tags_of("activities").sum() == 0


def test_partnership_weights() -> None:
    index = index_of(
        [org("a"), org("b"), org("c"), org("d")],
        partnerships=links([("a", "b")])
        + links([("a", "c")], "past")
        + links([("a", "d")], "proposed")
        + links([("b", "a")], "past"),
    )
    adjacency = index.adjacency.toarray()
    assert adjacency[0].tolist() == [0, 1.0, 0.5, 0]
    assert (adjacency == adjacency.T).all()
    assert index.partners_of(0).tolist() == [1, 2]
    assert index.strength.tolist() == [1.5, 1.0, 0.5, 0]


def test_partnership_with_an_unknown_organisation_is_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="broker.matching.index"):
        index = index_of([org("a")], partnerships=links([("a", "ghost")]))
    assert index.adjacency.nnz == 0
    assert "partnership a-ghost skipped: ghost is not in the index" in caplog.text


def test_with_partnerships_shares_the_vectors() -> None:
    index = index_of([org("a"), org("b")], partnerships=links([("a", "b")]))
    hidden = index.with_partnerships([])
    assert hidden.aims is index.aims
    assert hidden.adjacency.nnz == 0
    assert index.adjacency.nnz == 2


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="listed more than once: a"):
        index_of([org("a"), org("a")])


def test_vectors_of_the_wrong_shape_are_refused() -> None:
    vectors = {name: np.zeros((1, DIMENSION)) for name in ("aims", "offers", "needs")}
    with pytest.raises(ValidationFailed, match=r"vectors.aims: got shape \(1, 8\)"):
        build_index([org("a"), org("b")], vectors, [])
    vectors["needs"] = np.zeros((1, 3))
    with pytest.raises(ValidationFailed, match="different widths"):
        build_index([org("a")], vectors, [])


def test_unknown_id_names_the_fix() -> None:
    index = index_of([org("a")])
    with pytest.raises(
        NotFound, match="no organisation 'zed' in the index; check the id"
    ):
        probe(index, "zed")


def test_sketch_bounds_every_dot_product() -> None:
    rng = np.random.default_rng(3)
    n, width = 300, 96
    organisations = [org(f"o{i}", offers="x" if i % 3 else "") for i in range(n)]
    vectors = {
        name: rng.standard_normal((n, width)) for name in ("aims", "offers", "needs")
    }
    vectors["offers"][::3] = 0
    index = build_index(organisations, vectors, [])
    query = rng.standard_normal(width).astype(np.float32)
    query /= np.linalg.norm(query)
    other = rng.standard_normal(width).astype(np.float32)
    other /= np.linalg.norm(other)
    offers = np.where(index.has_offers[:, None], index.offers, index.aims)
    needs = np.where(index.has_needs[:, None], index.needs, index.aims)
    bounds = index.sketch.bounds(query, other)
    assert (bounds[:, 0] >= offers @ query - 1e-5).all()
    assert (bounds[:, 1] >= needs @ other - 1e-5).all()


def test_probe_profile_of_an_unsaved_profile() -> None:
    index = index_of([org("a", target_groups=["mature"])], partnerships=[])
    vectors = {
        "aims": topic("girls") * 2,
        "offers": np.zeros(8),
        "needs": topic("maths"),
    }
    found = probe_profile(index, org("new", target_groups=["mature"]), vectors)
    assert found.row is None
    assert np.linalg.norm(found.aims) == pytest.approx(1)
    groups = found.overlap["target_groups"]
    assert groups @ index.overlap["target_groups"][0] == pytest.approx(1)


def test_probe_profile_refuses_vectors_of_another_width() -> None:
    index = index_of([org("a")])
    vectors = {name: np.ones(5) for name in ("aims", "offers", "needs")}
    with pytest.raises(ValidationFailed, match="embed the profile with the embedder"):
        probe_profile(index, org("new"), vectors)


def test_embed_organisations_fits_an_uncacheable_embedder() -> None:
    organisations = [
        org("a", offers="physics mentoring for girls", needs="university volunteers"),
        org("b", offers="", needs="a physics partner"),
    ]
    embedder = TfidfEmbedder(dimension=16)
    vectors = embed_organisations(organisations, embedder)
    assert {name: v.shape for name, v in vectors.items()} == {
        "aims": (2, 16),
        "offers": (2, 16),
        "needs": (2, 16),
    }
    assert not vectors["offers"][1].any()
    index = build_index(organisations, vectors, [])
    profile = embed_profile(org("c", needs="physics mentoring"), embedder)
    assert profile["needs"].shape == (16,)
    assert probe_profile(index, org("c"), profile).row is None
