"""Run every benchmark, or one by name: ``python -m benchmarks [NAME] [options]``.

Run all, each benchmark gets a fresh process, so one's memory and warm
caches do not colour the next.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from types import ModuleType

from benchmarks import embed, load, memory, plan, suggest, vectors
from benchmarks._common import ROOT, emit, log

BENCHMARKS: dict[str, ModuleType] = {
    module.NAME: module for module in (suggest, embed, load, plan, memory, vectors)
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    commands = parser.add_subparsers(dest="name")
    for name, module in BENCHMARKS.items():
        module.add_arguments(
            commands.add_parser(name, help=(module.__doc__ or "").splitlines()[0])
        )
    args = parser.parse_args(argv)

    if args.name is not None:
        emit(BENCHMARKS[args.name].run(args))
        return 0

    failed = []
    for name in BENCHMARKS:
        log(f"running {name}")
        done = subprocess.run([sys.executable, "-m", "benchmarks", name], cwd=ROOT)
        if done.returncode != 0:
            failed.append(name)
    if failed:
        log(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
