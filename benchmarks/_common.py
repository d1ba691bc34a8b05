"""Shared helpers: the machine, timing statistics, synthetic data, JSON out."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = Path(os.environ.get("BROKER_BENCH_DIR", "/tmp/broker-bench"))


def log(message: str) -> None:
    """Progress for the person watching: stderr, never the JSON on stdout."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def emit(result: dict[str, Any]) -> None:
    """Print one benchmark's JSON object on stdout."""
    print(json.dumps(result, indent=2, default=_plain), flush=True)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def parse_sizes(text: str) -> list[int]:
    """Read "1000,10k,100k" as [1000, 10000, 100000]."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        scale = 1000 if part.endswith("k") else 1
        sizes.append(int(float(part.rstrip("k")) * scale))
    return sizes


def machine() -> dict[str, Any]:
    """The machine the figures come from: cores, memory, CPU, numpy's BLAS."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    blas: list[dict[str, Any]] = []
    try:
        from threadpoolctl import threadpool_info

        blas = [
            {
                key: info.get(key)
                for key in ("user_api", "internal_api", "version", "num_threads")
            }
            | {"architecture": info.get("architecture")}
            for info in threadpool_info()
        ]
    except ImportError:
        blas = [{"error": "threadpoolctl is not installed"}]
    return {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "ram_gib": ram,
        "cpu": cpu,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "threadpools": blas,
        "loadavg_at_start": os.getloadavg(),
        "code_at_start": _CODE_AT_START,
    }


def code_version() -> dict[str, Any]:
    """The commit measured and the files changed since (others edit the tree)."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    changed = git("status", "--short", "--", "broker").splitlines()
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "changed_in_broker": [line[3:] for line in changed],
        "changed_mtimes": {
            line[3:]: time.strftime(
                "%H:%M:%S", time.localtime((ROOT / line[3:]).stat().st_mtime)
            )
            for line in changed
            if (ROOT / line[3:]).is_file()
        },
    }


_CODE_AT_START: dict[str, Any] = {}


def stats_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95, min and max of timings, in milliseconds."""
    values = np.asarray(seconds) * 1000
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 3),
        "p95_ms": round(float(np.percentile(values, 95)), 3),
        "min_ms": round(float(values.min()), 3),
        "max_ms": round(float(values.max()), 3),
        "n": len(values),
    }


def median(values: Sequence[float]) -> float:
    """The median, rounded for the JSON."""
    return round(float(statistics.median(values)), 4)


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    """Run once; return the wall seconds and the result."""
    started = time.perf_counter()
    found = function()
    return time.perf_counter() - started, found


def vm_kib(field: str = "VmRSS") -> int:
    """A field of /proc/self/status, in KiB (VmRSS, VmHWM, ...)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def synth_file(count: int, seed: int = 0) -> Path:
    """A synthetic import file of ``count`` organisations, written once, reused."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    path = WORK_DIR / f"synth-{count}-s{seed}.json"
    if path.exists():
        return path
    from broker.synth import synthesise

    log(f"synthesising {count} organisations (seed {seed})")
    seconds, data = timed(lambda: synthesise(count, seed=seed))
    log(f"synthesised in {seconds:.1f} s; writing {path}")
    building = path.with_suffix(".part")
    building.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    building.replace(path)
    return path


def synth_data(count: int, seed: int = 0) -> dict[str, Any]:
    """The synthetic import object of ``count`` organisations (cached on disk)."""
    return json.loads(synth_file(count, seed).read_text(encoding="utf-8"))


def offline() -> None:
    """Keep Hugging Face libraries off the network (the models are packaged)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def loaded_store(count: int, seed: int = 0, embedder: str = "static") -> str:
    """A SQLite store holding the synthetic file of ``count``, loaded once, reused.

    Loaded by ``broker load`` in a child process, so that the loading leaves
    nothing behind in the measuring process.
    """
    import subprocess

    path = WORK_DIR / f"store-{count}-s{seed}-{embedder}.db"
    url = f"sqlite:///{path}"
    done = WORK_DIR / (path.name + ".complete")
    if path.exists() and done.exists():
        return url
    for leftover in WORK_DIR.glob(path.name + "*"):
        leftover.unlink()
    source = synth_file(count, seed)
    log(f"loading {source.name} into {path} with the {embedder} embedder")
    env = dict(os.environ, BROKER_EMBEDDER=embedder, HF_HUB_OFFLINE="1")
    broker = Path(sys.executable).with_name("broker")
    subprocess.run(
        [str(broker), "load", str(source), "--db", url, "--json"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    done.touch()
    return url


_CODE_AT_START.update(code_version())
