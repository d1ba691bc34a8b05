"""``broker load`` of a synthetic file into SQLite and PostgreSQL, then a re-load.

Each load runs as its own process under ``/usr/bin/time -v`` (wall time and
peak RSS), embedding included. The re-load of the unchanged file must embed
nothing: the count of cached vectors is read before and after, and the
command's log line "embedded N new texts" is looked for.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks._common import ROOT, WORK_DIR, log, machine, synth_file

NAME = "load"
RELOAD_TARGET_S = 60.0
_EMBEDDED = re.compile(r"embedded (\d+) new texts")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's options."""
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--embedder", choices=["static", "minilm"], default="static")
    parser.add_argument("--backends", default="sqlite,postgresql")


def _broker_command() -> list[str]:
    found = Path(sys.executable).with_name("broker")
    return [str(found)] if found.exists() else [sys.executable, "-m", "broker"]


def _run(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a command; wall seconds, peak RSS and its output."""
    timer = shutil.which("time") or "/usr/bin/time"
    use_time = Path(timer).exists()
    full = [timer, "-v", *command] if use_time else command
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(full, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    peak_kib = None
    if use_time:
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        peak_kib = int(found.group(1)) if found else None
    else:
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        # ru_maxrss of children is the largest so far: only a rise is this one's.
        peak_kib = after if after > before else None
    if done.returncode != 0:
        msg = f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        raise RuntimeError(msg)
    embedded = [int(n) for n in _EMBEDDED.findall(done.stderr)]
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mib": None if peak_kib is None else round(peak_kib / 1024, 1),
        "texts_embedded_logged": sum(embedded),
        "stdout_tail": done.stdout[-400:],
    }


def _count_vectors(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(text("SELECT count(*) FROM vectors")).one()[0]
            )
    finally:
        engine.dispose()


def _load_twice(url: str, path: Path, env: dict[str, str]) -> dict[str, Any]:
    command = [*_broker_command(), "load", str(path), "--db", url, "--json"]
    log(f"{NAME}: first load into {url.split('?')[0]}")
    first = _run(command, env)
    vectors = _count_vectors(url)
    log(f"{NAME}: first load {first['wall_s']} s; re-loading the unchanged file")
    second = _run(command, env)
    after = _count_vectors(url)
    log(f"{NAME}: re-load {second['wall_s']} s")
    return {
        "first_load": first,
        "vectors_cached_after_first": vectors,
        "reload": second,
        "vectors_cached_after_reload": after,
        "reload_embedded_nothing": after == vectors
        and second["texts_embedded_logged"] == 0,
        "reload_under_target": second["wall_s"] < RELOAD_TARGET_S,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Load into each backend; return the JSON object."""
    started = time.perf_counter()
    path = synth_file(args.size, args.seed)
    env = dict(os.environ)
    env.update(
        {
            "BROKER_EMBEDDER": args.embedder,
            "BROKER_LOG_LEVEL": "INFO",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "COLUMNS": "200",
        }
    )
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    results: dict[str, Any] = {}
    with ExitStack() as stack:
        for backend in backends:
            if backend == "sqlite":
                db = WORK_DIR / f"load-{args.size}-{args.embedder}.db"
                for leftover in db.parent.glob(db.name + "*"):
                    leftover.unlink()
                url = f"sqlite:///{db}"
            elif backend == "postgresql":
                sys.path.insert(0, str(ROOT))
                from tests.postgres import create_database, postgres_server

                template = stack.enter_context(postgres_server())
                url = create_database(template)
            else:
                msg = f"unknown backend {backend!r}; use sqlite or postgresql"
                raise SystemExit(msg)
            found = _load_twice(url, path, env)
            found["database"] = url if backend == "sqlite" else "throwaway server"
            results[backend] = found
    return {
        "benchmark": NAME,
        "what": (
            "`broker load FILE --json` as a subprocess under /usr/bin/time -v, "
            "embedding included, into a fresh database; then the same command "
            "again on the unchanged file"
        ),
        "organisations": args.size,
        "file": str(path),
        "file_mib": round(path.stat().st_size / 1024**2, 1),
        "embedder": args.embedder,
        "reload_target_s": RELOAD_TARGET_S,
        "backends": results,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": machine(),
    }
