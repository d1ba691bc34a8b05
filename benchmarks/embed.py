"""Embedding throughput through broker's cache pipeline against a bare encode.

``Broker.vectors_for`` on a fresh SQLite store hashes the texts, reads the
cache, embeds the missing ones and writes them back. It is timed next to a
bare ``SentenceTransformer.encode`` of the texts it embeds (the unique
non-blank ones, at the same batch size), alternating, in one process. A
second call on the same organisations must embed nothing: the embedder is
wrapped in a counting proxy to show it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import log, machine, median, offline, synth_data

NAME = "embed"
TARGET_OVERHEAD = 0.10
BATCH_SIZE = 64  # MiniLMEmbedder's batch size


class CountingEmbedder:
    """Passes calls to an embedder and counts the texts it is asked to embed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.cacheable = inner.cacheable
        self.calls = 0
        self.texts = 0

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        return np.asarray(self.inner.encode(texts, progress=progress))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's options."""
    parser.add_argument(
        "--orgs", type=int, default=200, help="organisations (3 texts each)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)


def _pipeline(
    organisations: list[Any], embedder: Any, folder: Path, run: int
) -> dict[str, Any]:
    """vectors_for on a fresh store, then again; seconds and texts embedded."""
    from broker.services.context import Broker
    from broker.settings import Settings

    url = f"sqlite:///{folder / f'embed-{run}.db'}"
    broker = Broker(Settings(database_url=url, embedder="minilm"))
    counting = CountingEmbedder(embedder)
    broker.__dict__["embedder"] = counting  # the cached_property's slot

    started = time.perf_counter()
    broker.vectors_for(organisations)
    first = time.perf_counter() - started
    embedded = counting.texts

    started = time.perf_counter()
    broker.vectors_for(organisations)
    second = time.perf_counter() - started
    broker.store.dispose()
    return {
        "first_s": first,
        "first_texts_embedded": embedded,
        "second_s": second,
        "second_calls": counting.calls - 1,
        "second_texts_embedded": counting.texts - embedded,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure; return the JSON object."""
    offline()
    import torch

    from broker.matching.embedders import load_embedder, normalise_text
    from broker.profiles import TEXT_FIELDS, parse_organisation
    from broker.settings import Settings

    started = time.perf_counter()
    data = synth_data(args.orgs, args.seed)
    organisations = [parse_organisation(o) for o in data["organisations"]]
    texts = [o.text_of(f) for o in organisations for f in TEXT_FIELDS]
    unique = list(dict.fromkeys(t for t in map(normalise_text, texts) if t))
    log(f"{NAME}: {len(texts)} texts, {len(unique)} unique non-blank")

    cache_dir = Settings().cache_dir
    minilm = load_embedder("minilm", cache_dir)
    static = load_embedder("static", cache_dir)
    model = minilm.model  # type: ignore[attr-defined]

    def bare(batch: list[str]) -> np.ndarray:
        return np.asarray(
            model.encode(
                batch,
                batch_size=BATCH_SIZE,
                show_progress_bar=False,
                convert_to_numpy=True,
            )
        )

    bare(unique[:BATCH_SIZE])  # warm the model
    bare_unique, pipe, static_s = [], [], []
    with tempfile.TemporaryDirectory(prefix="broker-bench-embed-") as folder:
        for run_number in range(args.repeats):
            log(f"{NAME}: repeat {run_number + 1}/{args.repeats}")
            seconds = time.perf_counter()
            bare(unique)
            bare_unique.append(time.perf_counter() - seconds)
            pipe.append(_pipeline(organisations, minilm, Path(folder), run_number))
            seconds = time.perf_counter()
            static.encode(unique)
            static_s.append(time.perf_counter() - seconds)

    first = median([p["first_s"] for p in pipe])
    base = median(bare_unique)
    overhead = round(first / base - 1, 4)
    return {
        "benchmark": NAME,
        "what": (
            "Broker.vectors_for on a fresh SQLite store (hash, cache read, embed "
            "missing, cache write) against SentenceTransformer.encode of the "
            f"texts it embeds, batch {BATCH_SIZE}, alternating, same process"
        ),
        "embedder": minilm.name,
        "organisations": len(organisations),
        "texts": len(texts),
        "unique_nonblank_texts": len(unique),
        "repeats": args.repeats,
        "torch_threads": torch.get_num_threads(),
        "bare_encode_unique_s": base,
        "pipeline_first_s": first,
        "pipeline_texts_embedded": pipe[0]["first_texts_embedded"],
        "bare_texts_per_s": round(len(unique) / base, 1),
        "pipeline_texts_per_s": round(len(unique) / first, 1),
        "pipeline_overhead": overhead,
        "meets_target": overhead <= TARGET_OVERHEAD,
        "target_overhead": TARGET_OVERHEAD,
        "second_call_s": median([p["second_s"] for p in pipe]),
        "second_call_encode_calls": max(p["second_calls"] for p in pipe),
        "second_call_texts_embedded": max(p["second_texts_embedded"] for p in pipe),
        "static": {
            "embedder": static.name,
            "dimension": static.dimension,
            "encode_unique_s": median(static_s),
            "texts_per_s": round(len(unique) / median(static_s), 1),
            "times_faster_than_minilm": round(base / median(static_s), 1),
        },
        "runs": {
            "bare_unique_s": bare_unique,
            "pipeline": pipe,
            "static_s": static_s,
        },
        "seconds": round(time.perf_counter() - started, 1),
        "machine": machine(),
    }
