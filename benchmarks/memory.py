"""Resident memory of a process that holds a built snapshot and its graph.

Measured in a fresh child process from /proc/self/status (VmRSS after each
step, VmHWM for the peak), so nothing the parent did is counted.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from typing import Any

import numpy as np

from benchmarks._common import ROOT, loaded_store, log, machine, offline, vm_kib

NAME = "memory"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's options."""
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--db", help="a loaded database URL (default: build one)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)


def _index_bytes(index: Any) -> dict[str, int]:
    """Bytes of the index's numpy and sparse arrays, by field."""
    from scipy import sparse

    found: dict[str, int] = {}
    for name, value in vars(index).items():
        if isinstance(value, np.ndarray):
            found[name] = value.nbytes
        elif sparse.issparse(value):
            found[name] = sum(
                getattr(value, part).nbytes for part in ("data", "indices", "indptr")
            )
        elif name == "overlap":
            found[name] = sum(v.nbytes for v in value.values())
        elif name == "sketch":
            found[name] = value.basis.nbytes + value.matrix.nbytes
    return found


def _child(url: str) -> dict[str, Any]:
    """Build the snapshot and graph here, reading VmRSS after each step."""
    offline()
    steps: list[dict[str, Any]] = [{"step": "interpreter", "rss_mib": 0.0}]

    def mark(step: str) -> None:
        gc.collect()
        steps.append({"step": step, "rss_mib": _mib(vm_kib("VmRSS"))})

    steps[0]["rss_mib"] = _mib(vm_kib("VmRSS"))
    from broker.services.context import Broker
    from broker.services.regions import graph_of
    from broker.settings import Settings

    mark("imports")
    broker = Broker(Settings(database_url=url, embedder="static"))
    mark("store opened")
    broker.embedder  # noqa: B018 - load the model outside the snapshot's figure
    mark("embedder loaded")
    snapshot = broker.snapshot()
    mark("snapshot built (index)")
    graph = graph_of(broker)
    mark("graph built")
    for before, after in zip(steps, steps[1:], strict=False):
        after["delta_mib"] = round(after["rss_mib"] - before["rss_mib"], 1)
    arrays = _index_bytes(snapshot.index)
    return {
        "organisations": len(snapshot.organisations),
        "partnerships": len(snapshot.partnerships),
        "graph_nodes": graph.number_of_nodes(),
        "graph_edges": graph.number_of_edges(),
        "steps": steps,
        "peak_rss_mib": _mib(vm_kib("VmHWM")),
        "snapshot_delta_mib": round(steps[-2]["rss_mib"] - steps[-3]["rss_mib"], 1),
        "graph_delta_mib": round(steps[-1]["rss_mib"] - steps[-2]["rss_mib"], 1),
        "index_array_mib": round(sum(arrays.values()) / 1024**2, 1),
        "index_arrays_mib": {k: round(v / 1024**2, 2) for k, v in arrays.items()},
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure in a child process; return the JSON object."""
    if args.child:
        return _child(args.db)
    started = time.perf_counter()
    url = args.db or loaded_store(args.size, args.seed)
    log(f"{NAME}: measuring a fresh process on {url}")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", NAME, "--child", "--db", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout)
    return {
        "benchmark": NAME,
        "what": (
            "VmRSS of a fresh process after each step: imports, store, embedder, "
            "Broker.snapshot() (organisations, partnerships, index), graph_of()"
        ),
        "database": url,
        **found,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": machine(),
    }
