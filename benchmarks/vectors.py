"""The vector cache: writing and reading N vectors, bytes against pgvector.

``put_vectors`` then ``get_vectors`` (every hash, shuffled) on SQLite,
Debian's PostgreSQL (float32 bytes) and the PostgreSQL 16 with pgvector that
the ``pgserver`` wheel bundles. Reads are what a process does at start-up;
each is repeated and the median kept. The ratio is against the bytes path on
Debian's PostgreSQL, run in the same process.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import ROOT, WORK_DIR, log, machine, median

NAME = "vectors"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's options."""
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)


def _measure(
    url: str, vectors: dict[str, np.ndarray], order: list[str], repeats: int
) -> dict[str, Any]:
    from sqlalchemy import text

    from broker.store import open_store
    from broker.store.vectors import get_vectors, put_vectors

    store = open_store(url)
    started = time.perf_counter()
    with store.transaction() as session:
        put_vectors(session, "bench", vectors)
    write_s = time.perf_counter() - started
    if store.backend == "postgresql":
        # Fresh statistics, as a long-lived database has; without them the
        # planner picks a poor plan for the first reads.
        with store.engine.connect() as connection:
            connection.execute(text("ANALYZE vectors"))
            connection.commit()
    reads = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        with store.reading() as session:
            found = get_vectors(session, "bench", order)
        reads.append(time.perf_counter() - started)
        if len(found) != len(vectors) or not all(
            np.array_equal(found[h], vectors[h]) for h in order[:1000]
        ):
            msg = f"{url}: vectors did not round-trip"
            raise RuntimeError(msg)
        del found
    with store.engine.connect() as connection:
        column = (
            "float32 bytes"
            if store.backend == "sqlite"
            else connection.scalar(
                text(
                    "SELECT udt_name FROM information_schema.columns"
                    " WHERE table_name = 'vectors' AND column_name = 'vector'"
                )
            )
        )
    store.dispose()
    return {
        "column": column,
        "write_s": round(write_s, 2),
        "read_median_s": round(median(reads), 3),
        "read_runs_s": [round(r, 3) for r in reads],
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Write and read the vectors on each database; return the JSON object."""
    sys.path.insert(0, str(ROOT))
    from tests.postgres import create_database, pgvector_bin_dir, postgres_server

    rng = np.random.default_rng(args.seed)
    matrix = rng.standard_normal((args.count, args.dimension)).astype(np.float32)
    vectors = {f"{i:064x}": row for i, row in enumerate(matrix)}
    order = list(vectors)
    rng.shuffle(order)

    sqlite_file = Path(WORK_DIR) / f"vectors-{args.count}.db"
    sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    for leftover in sqlite_file.parent.glob(sqlite_file.name + "*"):
        leftover.unlink()

    results: dict[str, Any] = {}
    with ExitStack() as stack:
        urls = {
            "sqlite": f"sqlite:///{sqlite_file}",
            "postgresql": create_database(stack.enter_context(postgres_server())),
            "pgvector": create_database(
                stack.enter_context(postgres_server(pgvector_bin_dir()))
            ),
        }
        for name, url in urls.items():
            log(f"{NAME}: {args.count} vectors into {name}")
            results[name] = _measure(url, vectors, order, args.repeats)
            log(f"{NAME}: {name} {results[name]}")
    bytes_read = results["postgresql"]["read_median_s"]
    return {
        "benchmark": NAME,
        "what": (
            "put_vectors of N random float32 vectors in one transaction, then "
            "get_vectors of every hash (shuffled), median of the repeats"
        ),
        "count": args.count,
        "dimension": args.dimension,
        "databases": results,
        "read_ratio_pgvector_to_bytes": round(
            results["pgvector"]["read_median_s"] / bytes_read, 2
        ),
        "machine": machine(),
    }
