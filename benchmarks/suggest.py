"""Suggestion latency for one organisation, warm, against a bare numpy floor.

The floor is the least any exact search must do: one float32 matrix-vector
product over the aims matrix and a top-k by ``np.argpartition``. Both are
timed in the same process, query by query, interleaved, so machine noise
falls on both alike.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import time
from typing import Any

import numpy as np

from benchmarks._common import (
    log,
    machine,
    median,
    offline,
    parse_sizes,
    stats_ms,
    synth_data,
)

NAME = "suggest"
LIMIT = 10
TARGET_RATIO = 2.0
TARGET_P50_MS = 50.0
MINILM_DIMENSION = 384


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's options."""
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--dim384",
        action="store_true",
        help="at 100k and above, also run at MiniLM's 384 dimensions",
    )
    parser.add_argument(
        "--blas-threads",
        default="default",
        help=(
            "comma-separated BLAS thread limits to measure each variant under "
            "(threadpoolctl), e.g. default,1; default: as installed"
        ),
    )


def _organisations(count: int, seed: int) -> tuple[list[Any], list[Any]]:
    from broker.profiles import Partnership, parse_organisation

    data = synth_data(count, seed)
    organisations = [parse_organisation(o) for o in data["organisations"]]
    partnerships = [Partnership.model_validate(p) for p in data["partnerships"]]
    return organisations, partnerships


def _floor(aims: np.ndarray, query: np.ndarray) -> np.ndarray:
    scores = aims @ query
    top = np.argpartition(-scores, LIMIT)[:LIMIT]
    return top[np.argsort(-scores[top])]


def _measure(index: Any, ids: list[str], repeats: int) -> dict[str, Any]:
    """Time the ranker and the floor, query by query, for each repeat."""
    from broker.matching.ranker import suggest
    from broker.settings import DEFAULT_WEIGHTS

    aims = index.aims
    for warm in ids[:10]:
        suggest(index, warm, weights=DEFAULT_WEIGHTS, limit=LIMIT)
        _floor(aims, aims[index.rows[warm]])

    runs = []
    for _ in range(repeats):
        ranker, floor = [], []
        for org_id in ids:
            query = aims[index.rows[org_id]]
            started = time.perf_counter()
            suggest(index, org_id, weights=DEFAULT_WEIGHTS, limit=LIMIT)
            middle = time.perf_counter()
            _floor(aims, query)
            ended = time.perf_counter()
            ranker.append(middle - started)
            floor.append(ended - middle)
        r, f = stats_ms(ranker), stats_ms(floor)
        runs.append(
            {
                "ranker": r,
                "floor": f,
                "ratio_p50": round(r["p50_ms"] / f["p50_ms"], 2),
                "ratio_p95": round(r["p95_ms"] / f["p95_ms"], 2),
            }
        )
    p50 = median([run["ranker"]["p50_ms"] for run in runs])
    ratio = median([run["ratio_p50"] for run in runs])
    return {
        "ranker_p50_ms": p50,
        "ranker_p95_ms": median([run["ranker"]["p95_ms"] for run in runs]),
        "floor_p50_ms": median([run["floor"]["p50_ms"] for run in runs]),
        "floor_p95_ms": median([run["floor"]["p95_ms"] for run in runs]),
        "ratio_p50": ratio,
        "ratio_p95": median([run["ratio_p95"] for run in runs]),
        "runs": runs,
    }


def _random_unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    found = rng.standard_normal((n, d), dtype=np.float32)
    return found / np.linalg.norm(found, axis=1, keepdims=True)


def _threads(setting: str) -> Any:
    """A context that limits BLAS threads, or changes nothing for "default"."""
    from threadpoolctl import threadpool_limits

    if setting == "default":
        return contextlib.nullcontext()
    return threadpool_limits(int(setting))


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure every size; return the JSON object."""
    offline()
    from broker.matching.embedders import load_embedder
    from broker.matching.index import build_index, embed_organisations
    from broker.settings import Settings

    started = time.perf_counter()
    embedder = load_embedder("static", Settings().cache_dir)
    rng = np.random.default_rng(args.seed)
    results = []
    for size in parse_sizes(args.sizes):
        organisations, partnerships = _organisations(size, args.seed)
        log(f"{NAME}: embedding {3 * size} texts with {embedder.name}")
        embed_s = time.perf_counter()
        vectors = embed_organisations(organisations, embedder)
        embed_s = time.perf_counter() - embed_s
        build_s = time.perf_counter()
        index = build_index(organisations, vectors, partnerships)
        build_s = time.perf_counter() - build_s
        ids = [
            organisations[int(i)].id
            for i in rng.choice(size, size=min(args.queries, size), replace=False)
        ]
        variants = [("static", index, embedder.dimension)]
        if args.dim384 and size >= 100_000 and embedder.dimension != MINILM_DIMENSION:
            # Same geometry at 384 dimensions: a random isometry of the static
            # vectors keeps every dot product, so only the width changes.
            q, _ = np.linalg.qr(
                rng.standard_normal((MINILM_DIMENSION, embedder.dimension))
            )
            lift = q.astype(np.float32).T
            lifted = {name: v @ lift for name, v in vectors.items()}
            variants.append(
                (
                    "static-lifted-384",
                    build_index(organisations, lifted, partnerships),
                    MINILM_DIMENSION,
                )
            )
            del lifted
            unit = {
                name: np.where(
                    np.any(v != 0, axis=1, keepdims=True),
                    _random_unit(rng, size, MINILM_DIMENSION),
                    0.0,
                ).astype(np.float32)
                for name, v in vectors.items()
            }
            variants.append(
                (
                    "random-unit-384",
                    build_index(organisations, unit, partnerships),
                    MINILM_DIMENSION,
                )
            )
            del unit
        for (label, built, dimension), threads in itertools.product(
            variants, args.blas_threads.split(",")
        ):
            log(f"{NAME}: N={size} {label} threads={threads}: {len(ids)} queries")
            with _threads(threads):
                found = _measure(built, ids, args.repeats)
            found.update(
                {
                    "n": size,
                    "blas_threads": threads,
                    "vectors": label,
                    "dimension": dimension,
                    "partnerships": len(partnerships),
                    "queries": len(ids),
                    "repeats": args.repeats,
                    "embed_s": round(embed_s, 2),
                    "build_index_s": round(build_s, 2),
                    "meets_ratio_target": found["ratio_p50"] <= TARGET_RATIO,
                    "meets_p50_target": found["ranker_p50_ms"] < TARGET_P50_MS,
                }
            )
            log(
                f"{NAME}: N={size} {label}: ranker p50 {found['ranker_p50_ms']} ms, "
                f"floor p50 {found['floor_p50_ms']} ms, ratio {found['ratio_p50']}"
            )
            results.append(found)
        del variants, index, vectors
    return {
        "benchmark": NAME,
        "what": (
            "broker.matching.ranker.suggest(index, id, weights=DEFAULT_WEIGHTS, "
            "limit=10), warm, against a float32 mat-vec over the aims matrix plus "
            "argpartition top-10, query by query in the same process"
        ),
        "embedder": embedder.name,
        "embedder_dimension": embedder.dimension,
        "embedder_note": (
            "texts embedded with the static (model2vec) tier, because embedding "
            "100k profiles (300k texts) with MiniLM takes about 40 min here; "
            "'static-lifted-384' maps the static vectors isometrically into 384 "
            "dimensions (MiniLM's width, same dot products); 'random-unit-384' "
            "uses random unit vectors (no low-rank structure: the worst case for "
            "the sketch bound)"
        ),
        "targets": {"ratio_p50_at_100k": TARGET_RATIO, "p50_ms_at_100k": 50},
        "results": results,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": machine(),
    }
