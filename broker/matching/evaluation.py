"""Held-out evaluation: can the engine find real partnerships it was not shown?

Each known partnership (active or past) is hidden in turn (leave-one-out) or
with its fold (seeded k-fold). The hidden pairs are removed from everything
the engine sees: the index is rebuilt without their edges, so the network
component cannot see them and the "already partners" exclusion does not
drop them. Then each side of a hidden pair ranks every candidate the kind
rules allow (other known partners excluded, as in real use) and the rank of
the other side is recorded. A side whose kind may not be suggested to the
other (e.g. a learner group to a TSO) gives no query.

Metrics per query, with one relevant item at rank r (1-based):
recall@k = 1 if r <= k; reciprocal rank = 1/r; nDCG@10 = 1/log2(r + 1) if
r <= 10 (the ideal DCG is 1). Each is averaged over queries, with a
percentile bootstrap 95% interval (Efron and Tibshirani, 1993) over queries.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from broker.matching.index import ProfileIndex, probe
from broker.matching.scoring import (
    Filters,
    allowed_rows,
    exclusions,
    normalise_weights,
    rank,
)
from broker.profiles import Partnership

log = logging.getLogger(__name__)

CUTOFFS = (1, 5, 10)
METRICS = ("recall@1", "recall@5", "recall@10", "mrr", "ndcg@10")
BOOTSTRAP_SAMPLES = 1000

# A method ranks the allowed rows of one query: (index, query id, allowed
# mask, training pairs) -> rows best first.
Ranker = Callable[[ProfileIndex, str, np.ndarray, Sequence[Partnership]], np.ndarray]


@dataclass(frozen=True)
class Query:
    """One side of a hidden pair: who asks, whom it should find, at what rank."""

    asker: str
    wanted: str
    kind_pair: str
    rank: int | None
    candidates: int


@dataclass
class MethodResult:
    """The metrics of one method over all queries, overall and per kind pair."""

    name: str
    overall: dict[str, dict[str, float]]
    by_kind_pair: dict[str, dict[str, dict[str, float]]]
    queries: list[Query] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Metrics as a JSON-ready mapping (queries left out)."""
        return {
            "name": self.name,
            "overall": self.overall,
            "by_kind_pair": self.by_kind_pair,
        }


def query_metrics(rank_of: int | None, k: int = 10) -> dict[str, float]:
    """Metrics of one query whose single relevant item is at ``rank_of``.

    ``rank_of`` None (the item was not ranked at all) scores 0 everywhere.
    ``k`` is the cutoff of the last recall and of nDCG.
    """
    cutoffs = sorted({*CUTOFFS[:-1], k})
    found: dict[str, float] = {}
    for cut in cutoffs:
        found[f"recall@{cut}"] = float(rank_of is not None and rank_of <= cut)
    found["mrr"] = 0.0 if rank_of is None else 1.0 / rank_of
    ideal = rank_of is not None and rank_of <= k
    found[f"ndcg@{k}"] = float(1.0 / np.log2(rank_of + 1)) if ideal and rank_of else 0.0
    return found


def summarise(
    ranks: Sequence[int | None], *, k: int = 10, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Mean of each metric with a bootstrap 95% interval; empty gives zeros."""
    per_query = [query_metrics(r, k) for r in ranks]
    names = list(query_metrics(1, k))
    if not per_query:
        return {n: {"mean": 0.0, "low": 0.0, "high": 0.0, "n": 0} for n in names}
    table = np.array([[q[n] for n in names] for q in per_query])
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(table), size=(BOOTSTRAP_SAMPLES, len(table)))
    means = table[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5], axis=0)
    return {
        n: {
            "mean": round(float(table[:, i].mean()), 4),
            "low": round(float(low[i]), 4),
            "high": round(float(high[i]), 4),
            "n": len(table),
        }
        for i, n in enumerate(names)
    }


def evaluable(partnerships: Sequence[Partnership]) -> list[Partnership]:
    """The partnerships that count as known: active and past, not proposed."""
    return [p for p in partnerships if p.status != "proposed"]


def folds(
    pairs: Sequence[Partnership], count: int | None, seed: int
) -> list[list[Partnership]]:
    """Split pairs into hidden sets: one per pair (None) or ``count`` seeded folds."""
    if count is None or count >= len(pairs):
        return [[p] for p in pairs]
    order = np.random.default_rng(seed).permutation(len(pairs))
    return [[pairs[i] for i in order[f::count]] for f in range(count)]


def held_out(
    index: ProfileIndex, hidden_sets: Sequence[Sequence[Partnership]]
) -> Iterator[tuple[ProfileIndex, list[Partnership], Sequence[Partnership]]]:
    """For each hidden set: the index without those edges, the training pairs,
    and the hidden pairs. Everything a method sees comes from the first two."""
    known = evaluable(index.partnerships)
    for hidden in hidden_sets:
        keys = {p.key for p in hidden}
        training = [p for p in known if p.key not in keys]
        yield index.with_partnerships(training), training, hidden


def _queries(
    index: ProfileIndex, hidden: Sequence[Partnership]
) -> Iterator[tuple[str, str, str, np.ndarray]]:
    for pair in hidden:
        for asker, wanted in ((pair.a, pair.b), (pair.b, pair.a)):
            if asker not in index.rows or wanted not in index.rows:
                continue
            query = probe(index, asker)
            allowed = allowed_rows(exclusions(index, query, Filters()))
            if not allowed[index.rows[wanted]]:
                continue
            other = index.organisations[index.rows[wanted]]
            kinds = f"{query.organisation.kind}->{other.kind}"
            yield asker, wanted, kinds, allowed


def run_method(
    name: str,
    ranker: Ranker,
    index: ProfileIndex,
    hidden_sets: Sequence[Sequence[Partnership]],
    *,
    k: int = 10,
    seed: int = 0,
) -> MethodResult:
    """Evaluate one method over every hidden set."""
    queries: list[Query] = []
    for seen, training, hidden in held_out(index, hidden_sets):
        for asker, wanted, kinds, allowed in _queries(seen, hidden):
            order = ranker(seen, asker, allowed, training)
            where = np.flatnonzero(order == seen.rows[wanted])
            position = int(where[0]) + 1 if len(where) else None
            queries.append(Query(asker, wanted, kinds, position, int(allowed.sum())))
    by_pair: dict[str, list[int | None]] = defaultdict(list)
    for q in queries:
        by_pair[q.kind_pair].append(q.rank)
    return MethodResult(
        name=name,
        overall=summarise([q.rank for q in queries], k=k, seed=seed),
        by_kind_pair={
            pair: summarise(ranks, k=k, seed=seed)
            for pair, ranks in sorted(by_pair.items())
        },
        queries=queries,
    )


def weighted(weights: Mapping[str, float]) -> Ranker:
    """A method that ranks by the engine's reciprocal score under these weights."""
    share = normalise_weights(weights)

    def ranker(
        index: ProfileIndex, asker: str, allowed: np.ndarray, _: Sequence[Partnership]
    ) -> np.ndarray:
        return rank(index, probe(index, asker), share, allowed).rows

    return ranker


def random_order(seed: int) -> Ranker:
    """A method that orders the allowed candidates at random (seeded)."""
    rng = np.random.default_rng(seed)

    def ranker(
        index: ProfileIndex, asker: str, allowed: np.ndarray, _: Sequence[Partnership]
    ) -> np.ndarray:
        return rng.permutation(np.flatnonzero(allowed))

    return ranker


def on_other_index(other: ProfileIndex, weights: Mapping[str, float]) -> Ranker:
    """A method that scores with another index's vectors (e.g. TF-IDF texts).

    The held-out partnerships of the index in use are carried over, so the
    other index sees exactly the same training pairs.
    """
    share = normalise_weights(weights)

    def ranker(
        index: ProfileIndex,
        asker: str,
        allowed: np.ndarray,
        training: Sequence[Partnership],
    ) -> np.ndarray:
        seen = other.with_partnerships(training)
        return rank(seen, probe(seen, asker), share, allowed).rows

    return ranker


def plot_results(results: Sequence[MethodResult], *, k: int = 10) -> bytes:
    """A PNG bar chart of recall@k, MRR and nDCG@k with their 95% intervals."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    shown = (f"recall@{k}", "mrr", f"ndcg@{k}")
    figure, axes = plt.subplots(figsize=(10, 0.45 * len(results) + 1.8))
    height = 0.8 / len(shown)
    for i, metric in enumerate(shown):
        means = np.array([r.overall[metric]["mean"] for r in results])
        lows = np.array([r.overall[metric]["low"] for r in results])
        highs = np.array([r.overall[metric]["high"] for r in results])
        places = np.arange(len(results)) + i * height
        axes.barh(
            places,
            means,
            height,
            xerr=[means - lows, highs - means],
            label=metric,
            capsize=2,
        )
    axes.set_yticks(np.arange(len(results)) + height)
    axes.set_yticklabels([r.name for r in results])
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.set_xlabel("mean over held-out queries (bars: bootstrap 95% interval)")
    axes.legend(loc="lower right")
    axes.set_title("Finding hidden partnerships: engine, baselines and ablations")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()


def learned_in_folds(
    defaults: Mapping[str, float],
    known: Sequence[Partnership],
    *,
    accepted: Sequence[tuple[str, str]] = (),
    declined: Sequence[tuple[str, str]] = (),
    seed: int = 0,
) -> Ranker:
    """A method that fits weights on each fold's training pairs, then ranks.

    The fit sees only the held-out index (its partnerships are the training
    pairs) and feedback on pairs that are not hidden in that fold.
    """
    from broker.matching.learning import fit_weights

    every_key = {p.key for p in known}
    fitted: dict[int, dict[str, float]] = {}

    def ranker(
        index: ProfileIndex,
        asker: str,
        allowed: np.ndarray,
        training: Sequence[Partnership],
    ) -> np.ndarray:
        if id(index) not in fitted:
            fitted.clear()
            hidden = every_key - {p.key for p in training}
            fit = fit_weights(
                index,
                accepted=[a for a in accepted if tuple(sorted(a)) not in hidden],
                declined=declined,
                seed=seed,
                defaults=defaults,
            )
            fitted[id(index)] = fit.weights
        share = normalise_weights(fitted[id(index)])
        return rank(index, probe(index, asker), share, allowed).rows

    return ranker
