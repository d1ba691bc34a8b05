"""Learned component weights: a logistic regression on known partnerships.

Positives are known partnerships (active or past) and accepted suggestions;
negatives are declined suggestions plus, for each positive, a few sampled
candidates its asker could have been shown instead (allowed by the kind
rules, not partners). Features are the component values of the pair; a
pair's own edge is hidden while its features are computed (in five seeded
groups), so the network component learns from shared partners, not from
the partnership it is asked about.

Weights are the regression's coefficients with negative ones set to 0, then
scaled to sum to 1, so they plug into the same weighted sum as the hand-set
defaults. The fit is cross-validated (stratified 5-fold ROC AUC) and its
report says how much data it saw.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from broker.matching.components import COMPONENTS
from broker.matching.index import ProfileIndex, probe
from broker.matching.scoring import Filters, allowed_rows, exclusions, pair_components

log = logging.getLogger(__name__)

Pair = tuple[str, str]
FEATURE_GROUPS = 5


@dataclass(frozen=True)
class LearnedFit:
    """Fitted weights with the report of how they were fitted."""

    weights: dict[str, float]
    report: dict[str, Any]


def pair_features(index: ProfileIndex, pairs: Sequence[Pair]) -> np.ndarray:
    """Component values of each (asker, other) pair, one row per pair.

    Complementarity is the mean of its two directions; the other components
    are symmetric. Columns follow ``COMPONENTS``.
    """
    found = np.zeros((len(pairs), len(COMPONENTS)), dtype=np.float32)
    by_asker: dict[str, list[int]] = defaultdict(list)
    for i, (asker, _) in enumerate(pairs):
        by_asker[asker].append(i)
    for asker, positions in by_asker.items():
        query = probe(index, asker)
        rows = np.array([index.rows[pairs[i][1]] for i in positions], dtype=np.int64)
        values, backward = pair_components(index, query, rows)
        for column, name in enumerate(COMPONENTS):
            found[positions, column] = values[name]
        column = COMPONENTS.index("complementarity")
        found[positions, column] = (values["complementarity"] + backward) / 2
    return found


def _hidden_features(
    index: ProfileIndex, positives: Sequence[Pair], seed: int
) -> np.ndarray:
    """Features of the positives, each computed with its own edge hidden."""
    found = np.zeros((len(positives), len(COMPONENTS)), dtype=np.float32)
    groups = np.random.default_rng(seed).integers(0, FEATURE_GROUPS, len(positives))
    for group in range(FEATURE_GROUPS):
        members = np.flatnonzero(groups == group)
        if not len(members):
            continue
        keys = {tuple(sorted(positives[int(i)])) for i in members}
        kept = [p for p in index.partnerships if p.key not in keys]
        seen = index.with_partnerships(kept)
        found[members] = pair_features(seen, [positives[int(i)] for i in members])
    return found


def sample_negatives(
    index: ProfileIndex, positives: Sequence[Pair], per_positive: int, seed: int
) -> list[Pair]:
    """For each positive, candidates its asker could have been shown instead."""
    rng = np.random.default_rng(seed)
    taken = {tuple(sorted(p)) for p in positives}
    negatives: list[Pair] = []
    for asker, _ in positives:
        allowed = allowed_rows(exclusions(index, probe(index, asker), Filters()))
        choices = [
            index.organisations[r].id
            for r in np.flatnonzero(allowed)
            if tuple(sorted((asker, index.organisations[r].id))) not in taken
        ]
        if not choices:
            continue
        picks = rng.choice(
            len(choices), size=min(per_positive, len(choices)), replace=False
        )
        negatives.extend((asker, choices[i]) for i in picks)
    return negatives


def fit_weights(
    index: ProfileIndex,
    *,
    accepted: Sequence[Pair] = (),
    declined: Sequence[Pair] = (),
    negatives_per_positive: int = 5,
    seed: int = 0,
    defaults: Mapping[str, float] | None = None,
) -> LearnedFit:
    """Fit component weights on the index's partnerships and the feedback.

    Raises ValueError when there are fewer than 5 positives (nothing to
    learn from). When every coefficient comes out non-positive the defaults
    are kept and the report says so.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    known = [p for p in index.partnerships if p.status != "proposed"]
    positives: list[Pair] = [(p.a, p.b) for p in known]
    positives += [
        pair for pair in accepted if pair[0] in index.rows and pair[1] in index.rows
    ]
    if len(positives) < 5:
        msg = (
            f"only {len(positives)} known partnerships or accepted suggestions; "
            "learning needs at least 5"
        )
        raise ValueError(msg)
    negatives = sample_negatives(index, positives, negatives_per_positive, seed)
    negatives += [
        pair for pair in declined if pair[0] in index.rows and pair[1] in index.rows
    ]

    features = np.vstack(
        [_hidden_features(index, positives, seed), pair_features(index, negatives)]
    )
    labels = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives))])
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
    splits = min(5, len(positives), len(negatives))
    folds = StratifiedKFold(n_splits=splits, shuffle=True, random_state=seed)
    auc = cross_val_score(model, features, labels, cv=folds, scoring="roc_auc")
    model.fit(features, labels)

    raw = dict(zip(COMPONENTS, (float(c) for c in model.coef_[0]), strict=True))
    kept = {name: max(value, 0.0) for name, value in raw.items()}
    total = sum(kept.values())
    fallback = total <= 0
    if fallback:
        log.warning("every learned coefficient is non-positive; keeping the defaults")
        weights = dict(defaults or {})
    else:
        weights = {name: round(value / total, 4) for name, value in kept.items()}
    baseline = None
    if defaults:
        column = np.array([defaults.get(name, 0.0) for name in COMPONENTS])
        baseline = float(roc_auc_score(labels, features @ column))
    report = {
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "positives": len(positives),
        "of_which_accepted_feedback": len(positives) - len(known),
        "negatives": len(negatives),
        "of_which_declined_feedback": len(negatives) - (len(negatives) - len(declined)),
        "negatives_per_positive": negatives_per_positive,
        "seed": seed,
        "cross_validated_auc": {
            "mean": round(float(auc.mean()), 4),
            "std": round(float(auc.std()), 4),
            "folds": splits,
        },
        "default_weights_auc": None if baseline is None else round(baseline, 4),
        "coefficients": {k: round(v, 4) for k, v in raw.items()},
        "kept_defaults": fallback,
    }
    return LearnedFit(weights=weights, report=report)
