"""Held-out evaluation: metrics by hand, planted data, no leakage, learning."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from broker.matching.embedders import load_embedder
from broker.matching.evaluation import (
    evaluable,
    folds,
    learned_in_folds,
    on_other_index,
    query_metrics,
    random_order,
    run_method,
    summarise,
    weighted,
)
from broker.matching.index import ProfileIndex, build_index, embed_organisations
from broker.profiles import Organisation, Partnership
from broker.settings import DEFAULT_WEIGHTS

DIM = 16


@pytest.mark.parametrize(
    ("rank_of", "expected"),
    [
        (1, {"recall@1": 1, "recall@5": 1, "recall@10": 1, "mrr": 1, "ndcg@10": 1}),
        (
            3,
            {
                "recall@1": 0,
                "recall@5": 1,
                "recall@10": 1,
                "mrr": 1 / 3,
                "ndcg@10": 0.5,
            },
        ),
        (
            7,
            {
                "recall@1": 0,
                "recall@5": 0,
                "recall@10": 1,
                "mrr": 1 / 7,
                "ndcg@10": 1 / 3,
            },
        ),
        (
            11,
            {"recall@1": 0, "recall@5": 0, "recall@10": 0, "mrr": 1 / 11, "ndcg@10": 0},
        ),
        (None, {"recall@1": 0, "recall@5": 0, "recall@10": 0, "mrr": 0, "ndcg@10": 0}),
    ],
)
def test_metrics_of_one_query_by_hand(
    rank_of: int | None, expected: dict[str, float]
) -> None:
    # nDCG of one relevant item at rank r is 1/log2(r+1): r=3 gives 1/2, r=7 gives 1/3.
    assert query_metrics(rank_of) == pytest.approx(expected)


def test_summary_means_and_intervals_by_hand() -> None:
    found = summarise([1, 2, None, 4], seed=1)
    assert found["mrr"]["mean"] == pytest.approx((1 + 0.5 + 0 + 0.25) / 4, abs=1e-4)
    assert found["recall@1"]["mean"] == pytest.approx(0.25)
    assert found["recall@5"]["mean"] == pytest.approx(0.75)
    assert 0 <= found["mrr"]["low"] <= found["mrr"]["mean"] <= found["mrr"]["high"] <= 1
    assert found["mrr"]["n"] == 4
    assert summarise([])["mrr"]["mean"] == 0


def test_folds_cover_every_pair_once() -> None:
    pairs = [Partnership(a=f"a{i}", b=f"b{i}") for i in range(10)]
    assert [len(f) for f in folds(pairs, None, 0)] == [1] * 10
    split = folds(pairs, 3, seed=4)
    assert sorted(p.key for f in split for p in f) == sorted(p.key for p in pairs)
    assert folds(pairs, 3, seed=4) == split
    assert evaluable([*pairs, Partnership(a="x", b="y", status="proposed")]) == pairs


TAGS = ("young-carers", "care-experienced", "disabled", "mature", "rural-coastal")
STAGE_TAGS = (
    "primary",
    "ks3",
    "ks4",
    "ks5",
    "undergraduate",
    "postgraduate",
    "adult",
    "teachers",
)


def _organisation(
    org_id: str,
    kind: str,
    lat: float,
    lon: float,
    target_groups: Sequence[str] = (),
    stages: Sequence[str] = (),
) -> Organisation:
    return Organisation(
        id=org_id,
        name=org_id,
        kind=kind,
        aims=f"Organisation {org_id}.",
        target_groups=tuple(target_groups),
        stages=tuple(stages),
        lat=lat,
        lon=lon,
        reach="local",
    )


def _index(
    organisations: list[Organisation], partnerships: list[Partnership], seed: int
) -> ProfileIndex:
    rng = np.random.default_rng(seed)
    vectors = {
        field: rng.normal(size=(len(organisations), DIM)).astype(np.float32)
        for field in ("aims", "offers", "needs")
    }
    return build_index(organisations, vectors, partnerships)


def planted(
    count: int = 12, seed: int = 0
) -> tuple[list[Organisation], list[Partnership]]:
    """Each TSO's partner shares its rare target group and stands beside it.

    Nearer than the partner to each side stands a decoy of the partner's
    kind with another group (nearer, no shared group), and far away a decoy
    with the same group (shared group, far): only geography and target
    groups together find the partner.
    """
    rng = np.random.default_rng(seed)
    organisations, partnerships = [], []
    for i in range(count):
        lat, lon = 50.5 + rng.uniform(0, 4), -3.5 + rng.uniform(0, 3)
        group = TAGS[i % len(TAGS)]
        other = TAGS[(i + 2) % len(TAGS)]
        organisations += [
            _organisation(f"tso-{i}", "tso", lat, lon, [group]),
            _organisation(f"hei-{i}", "hei", lat + 0.02, lon, [group]),
            _organisation(f"near-hei-{i}", "hei", lat - 0.005, lon, [other]),
            _organisation(f"near-tso-{i}", "tso", lat + 0.025, lon, [other]),
            _organisation(f"far-hei-{i}", "hei", 57.5 - lat / 10, -4.0, [group]),
        ]
        partnerships.append(Partnership(a=f"tso-{i}", b=f"hei-{i}"))
    return organisations, partnerships


def test_the_engine_beats_every_baseline_on_planted_partners() -> None:
    organisations, partnerships = planted()
    index = _index(organisations, partnerships, seed=1)
    tfidf = load_embedder("tfidf", cache_dir=None)  # type: ignore[arg-type]
    text_index = build_index(
        organisations, embed_organisations(organisations, tfidf), partnerships
    )
    hidden = folds(evaluable(partnerships), None, 0)
    engine = run_method("engine", weighted(DEFAULT_WEIGHTS), index, hidden)
    baselines = [
        run_method("random", random_order(0), index, hidden),
        run_method("geography", weighted({"geography": 1.0}), index, hidden),
        run_method("groups", weighted({"target_groups": 1.0}), index, hidden),
        run_method("text", on_other_index(text_index, {"aims": 1.0}), index, hidden),
        run_method("aims", weighted({"aims": 1.0}), index, hidden),
    ]
    assert engine.overall["recall@5"]["mean"] == pytest.approx(1.0)
    for baseline in baselines:
        assert engine.overall["mrr"]["mean"] > baseline.overall["mrr"]["mean"], (
            baseline.name
        )
    assert set(engine.by_kind_pair) == {"tso->hei", "hei->tso"}


def test_the_hidden_edge_never_reaches_the_scorer() -> None:
    organisations, partnerships = planted(count=6)
    index = _index(organisations, partnerships, seed=2)
    seen_pairs: list[tuple[str, str]] = []

    def spy(
        seen: ProfileIndex,
        asker: str,
        allowed: np.ndarray,
        training: Sequence[Partnership],
    ) -> np.ndarray:
        for pair in partnerships:
            hidden = pair.key not in {p.key for p in training}
            if hidden:
                a, b = seen.rows[pair.a], seen.rows[pair.b]
                assert seen.adjacency[a, b] == 0 and seen.adjacency[b, a] == 0
                assert pair.key not in {p.key for p in seen.partnerships}
                seen_pairs.append(pair.key)
        return weighted(DEFAULT_WEIGHTS)(seen, asker, allowed, training)

    result = run_method("spy", spy, index, folds(evaluable(partnerships), 3, seed=0))
    # Every query happened with its own pair hidden, and each hidden partner
    # stayed rankable (not dropped as "already partners").
    assert len(seen_pairs) >= len(partnerships)
    assert all(q.rank is not None for q in result.queries)


def test_learned_weights_beat_the_defaults_when_one_component_decides() -> None:
    # Partners share a rare stage and nothing else; every other component is
    # noise. The default weights give stages 5%, so noise wins; learning
    # (fitted in each fold on the training pairs only) finds the stage.
    rng = np.random.default_rng(5)
    organisations, partnerships = [], []
    for i in range(24):
        stage = STAGE_TAGS[i % len(STAGE_TAGS)]
        for side, kind in (("t", "tso"), ("h", "hei")):
            organisations.append(
                _organisation(
                    f"{side}-{i}",
                    kind,
                    50.5 + rng.uniform(0, 4),
                    -3.5 + rng.uniform(0, 3),
                    rng.choice(TAGS, size=2, replace=False),
                    [stage],
                )
            )
        partnerships.append(Partnership(a=f"t-{i}", b=f"h-{i}"))
    index = _index(organisations, partnerships, seed=6)
    hidden = folds(evaluable(partnerships), 4, seed=0)

    default = run_method("default", weighted(DEFAULT_WEIGHTS), index, hidden)
    learned = run_method(
        "learned", learned_in_folds(DEFAULT_WEIGHTS, partnerships), index, hidden
    )
    assert learned.overall["mrr"]["mean"] > default.overall["mrr"]["mean"] + 0.1
