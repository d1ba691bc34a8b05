"""Regional plans and community-broker rankings on a loaded store.

The store is a SQLite file loaded once from the synthetic directory (see
``_common.loaded_store``) or any database given by ``--db``. The snapshot
and the graph are built first and timed apart; each plan is then timed
cold (first for that region) and warm (median of the repeats).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from benchmarks._common import loaded_store, log, machine, median, offline

NAME = "plan"
REGIONS = ("london", "north-west", "north-east")
BROKER_QUERIES = (
    {},
    {"target_group": "low-income"},
    {"target_group": "care-experienced", "region": "london"},
    {"near": "Manchester", "max_km": 30.0},
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's options."""
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--regions", default=",".join(REGIONS))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--db", help="a loaded database URL (default: build one)")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure; return the JSON object."""
    offline()
    from broker.services.context import Broker
    from broker.services.regions import build_plan, graph_of, rank_brokers
    from broker.settings import Settings

    started = time.perf_counter()
    url = args.db or loaded_store(args.size, args.seed)
    broker = Broker(Settings(database_url=url, embedder="static"))

    seconds = time.perf_counter()
    snapshot = broker.snapshot()
    snapshot_s = time.perf_counter() - seconds
    seconds = time.perf_counter()
    graph = graph_of(broker)
    graph_s = time.perf_counter() - seconds
    log(f"{NAME}: snapshot {snapshot_s:.1f} s, graph {graph_s:.1f} s")

    plans = []
    for region in args.regions.split(","):
        times = []
        for _ in range(1 + args.repeats):
            seconds = time.perf_counter()
            plan = build_plan(broker, region)
            times.append(time.perf_counter() - seconds)
        summary = plan.as_dict()
        log(f"{NAME}: {region}: cold {times[0]:.2f} s, warm {median(times[1:])} s")
        plans.append(
            {
                "region": region,
                "cold_s": round(times[0], 3),
                "warm_median_s": median(times[1:]),
                "runs_s": [round(t, 3) for t in times],
                "members": sum(
                    1
                    for _, data in graph.nodes(data=True)
                    if data.get("region") == region
                ),
                "plan_keys": sorted(summary),
            }
        )

    brokers = []
    for options in BROKER_QUERIES:
        times = []
        for _ in range(1 + args.repeats):
            seconds = time.perf_counter()
            found = rank_brokers(broker, **options)
            times.append(time.perf_counter() - seconds)
        log(f"{NAME}: rank_brokers {options}: warm {median(times[1:])} s")
        brokers.append(
            {
                "options": options,
                "cold_s": round(times[0], 3),
                "warm_median_s": median(times[1:]),
                "runs_s": [round(t, 3) for t in times],
                "brokers_returned": len(found["brokers"]),
            }
        )
    return {
        "benchmark": NAME,
        "what": (
            "broker.services.regions.build_plan(broker, region) and "
            "rank_brokers(broker, ...) on a loaded store, after the snapshot "
            "and the graph are built"
        ),
        "organisations": len(snapshot.organisations),
        "partnerships": len(snapshot.partnerships),
        "database": url,
        "snapshot_build_s": round(snapshot_s, 2),
        "graph_build_s": round(graph_s, 2),
        "plans": plans,
        "rank_brokers": brokers,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": machine(),
    }
