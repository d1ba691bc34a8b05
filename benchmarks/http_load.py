"""A bounded load test of a running broker server on loopback.

50 concurrent clients for 60 s (both settable), each looping over a mix of
requests: suggestions for a random organisation (60%), searches (30%) and
profile updates through the API (10%, needs an admin key). Prints one JSON
object: requests, errors by status, throughput, and p50/p99 latency per kind.

    make run &                     # or: broker serve --db sqlite:///broker.db
    .venv/bin/python -m benchmarks.http_load --key "$(cat .broker-demo-key)"

Only loopback addresses are accepted: this never sends traffic elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections import Counter, defaultdict
from urllib.parse import urlparse

import httpx

SEARCHES = ("physics", "mentoring", "London", "girls", "Bradford", "university")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def _client(
    base: str,
    key: str | None,
    ids: list[str],
    until: float,
    seed: int,
    latencies: dict[str, list[float]],
    statuses: Counter[str],
) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while time.monotonic() < until:
            roll = rng.random()
            started = time.perf_counter()
            if roll < 0.6:
                kind = "suggestions"
                answer = await client.get(
                    f"/organisations/{rng.choice(ids)}/suggestions"
                )
            elif roll < 0.9 or not key:
                kind = "search"
                answer = await client.get(
                    "/organisations", params={"q": rng.choice(SEARCHES), "limit": 20}
                )
            else:
                kind = "update"
                target = rng.choice(ids)
                profile = (await client.get(f"/organisations/{target}")).json()
                profile["needs"] = f"Updated by the load test at {time.time():.3f}."
                answer = await client.put(
                    f"/organisations/{target}", json=profile, headers=headers
                )
            latencies[kind].append((time.perf_counter() - started) * 1000)
            statuses[f"{kind} {answer.status_code}"] += 1


async def run(
    base: str, key: str | None, clients: int, seconds: float
) -> dict[str, object]:
    """Drive the server and summarise what it answered."""
    host = urlparse(base).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        msg = f"refusing to load-test {host!r}: only loopback addresses"
        raise SystemExit(msg)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        listing = (await client.get("/organisations", params={"limit": 200})).json()
    ids = [o["id"] for o in listing["organisations"]]
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: Counter[str] = Counter()
    started = time.monotonic()
    until = started + seconds
    await asyncio.gather(
        *(
            _client(base, key, ids, until, n, latencies, statuses)
            for n in range(clients)
        )
    )
    elapsed = time.monotonic() - started
    total = sum(statuses.values())
    errors = {k: v for k, v in statuses.items() if not k.endswith((" 200", " 201"))}
    return {
        "benchmark": "http_load",
        "base": base,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": total,
        "throughput_per_s": round(total / elapsed, 1),
        "errors": errors,
        "statuses": dict(statuses),
        "latency_ms": {
            kind: {
                "count": len(values),
                "p50": round(statistics.median(values), 1),
                "p99": round(_percentile(values, 0.99), 1),
            }
            for kind, values in sorted(latencies.items())
        },
    }


def main() -> None:
    """Parse the options, run the load and print the JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--key", default=None, help="An admin key, for the updates.")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    result = asyncio.run(run(args.base, args.key, args.clients, args.seconds))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
