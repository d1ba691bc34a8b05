"""Services over evaluation and learned weights."""

from __future__ import annotations

import logging
import time
from typing import Any

from broker.matching.embedders import load_embedder
from broker.matching.evaluation import (
    MethodResult,
    evaluable,
    folds,
    learned_in_folds,
    on_other_index,
    random_order,
    run_method,
    weighted,
)
from broker.matching.index import build_index, embed_organisations
from broker.matching.learning import fit_weights
from broker.services.context import Broker
from broker.store.weights import latest_weights, save_weights

log = logging.getLogger(__name__)


def _feedback_pairs(
    broker: Broker,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    from broker.store.feedback import all_feedback

    with broker.store.reading() as session:
        items = all_feedback(session)
    accepted = [
        (f.organisation_id, f.suggested_id) for f in items if f.verdict == "accepted"
    ]
    declined = [
        (f.organisation_id, f.suggested_id) for f in items if f.verdict == "declined"
    ]
    return accepted, declined


def evaluate(
    broker: Broker,
    *,
    k: int = 10,
    fold_count: int | None = None,
    seed: int = 0,
    ablation: bool = True,
) -> tuple[dict[str, Any], list[MethodResult]]:
    """Held-out quality of the engine, its baselines and ablations."""
    started = time.perf_counter()
    snapshot = broker.snapshot()
    index = snapshot.index
    pairs = evaluable(snapshot.partnerships)
    hidden = folds(pairs, fold_count, seed)
    defaults = dict(broker.settings.weights)
    in_use = snapshot.weights

    tfidf = load_embedder("tfidf", broker.settings.cache_dir)
    text_index = build_index(
        snapshot.organisations,
        embed_organisations(snapshot.organisations, tfidf),
        snapshot.partnerships,
    )
    methods = [
        ("random", random_order(seed)),
        ("geography only", weighted({"geography": 1.0})),
        ("target groups only", weighted({"target_groups": 1.0})),
        ("TF-IDF text only", on_other_index(text_index, {"aims": 1.0})),
        ("embedding of aims only", weighted({"aims": 1.0})),
        ("full engine (default weights)", weighted(defaults)),
    ]
    accepted, declined = _feedback_pairs(broker)
    methods.append(
        (
            "full engine (weights learned in each fold)",
            learned_in_folds(
                defaults, pairs, accepted=accepted, declined=declined, seed=seed
            ),
        )
    )
    if ablation:
        for name in defaults:
            if defaults[name] > 0:
                without = {n: w for n, w in defaults.items() if n != name}
                methods.append((f"without {name}", weighted(without)))

    results = [run_method(n, r, index, hidden, k=k, seed=seed) for n, r in methods]
    report = {
        "embedder": broker.embedder.name,
        "organisations": len(snapshot.organisations),
        "partnerships_evaluated": len(pairs),
        "queries": len(results[0].queries) if results else 0,
        "protocol": "leave-one-out" if fold_count is None else f"{fold_count}-fold",
        "k": k,
        "seed": seed,
        "weights": {
            "default": defaults,
            "in_use": in_use,
            "source": snapshot.weights_source,
        },
        "learned_fit": _learned_report(broker),
        "seconds": round(time.perf_counter() - started, 1),
        "methods": [r.as_dict() for r in results],
    }
    return report, results


def _learned_report(broker: Broker) -> dict[str, Any] | None:
    with broker.store.reading() as session:
        learned = latest_weights(session)
    if learned is None:
        return None
    return {"weights": learned.weights, "report": learned.report}


def learn(broker: Broker, *, seed: int = 0) -> dict[str, Any]:
    """Fit component weights on partnerships and feedback; store them."""
    snapshot = broker.snapshot()
    accepted, declined = _feedback_pairs(broker)
    fit = fit_weights(
        snapshot.index,
        accepted=accepted,
        declined=declined,
        seed=seed,
        defaults=broker.settings.weights,
    )
    report = dict(fit.report)
    report["embedder"] = broker.embedder.name
    report["store_version"] = snapshot.version
    with broker.store.transaction() as session:
        save_weights(session, fit.weights, report)
    log.info("learned weights stored: %s", fit.weights)
    return {"weights": fit.weights, "report": report}
