"""Crash safety: a loader killed with SIGKILL leaves no half-imported batch."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from broker.synth import synthesise

pytestmark = pytest.mark.slow

ORGS = 6000


@pytest.fixture(scope="module")
def big_import(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "big.json"
    path.write_text(json.dumps(synthesise(ORGS, seed=11)))
    return path


def _command(db: Path, source: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "broker",
        "load",
        str(source),
        "--db",
        f"sqlite:///{db}",
    ]


ENV = dict(os.environ, BROKER_EMBEDDER="tfidf", BROKER_LOG_LEVEL="WARNING")


def _counts(db: Path) -> tuple[int, int, str]:
    with sqlite3.connect(db) as connection:
        organisations = connection.execute(
            "SELECT count(*) FROM organisations"
        ).fetchone()[0]
        partnerships = connection.execute(
            "SELECT count(*) FROM partnerships"
        ).fetchone()[0]
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
    return organisations, partnerships, integrity


@pytest.mark.parametrize("after_seconds", [1.5, 3.0, 4.5, 6.0])
def test_a_killed_load_is_all_or_nothing_and_can_be_rerun(
    tmp_path: Path, big_import: Path, after_seconds: float
) -> None:
    db = tmp_path / "broker.db"
    expected = json.loads(big_import.read_text())
    loader = subprocess.Popen(
        _command(db, big_import),
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(after_seconds)
    if loader.poll() is None:
        os.kill(loader.pid, signal.SIGKILL)
    loader.wait(timeout=30)

    if db.exists():
        organisations, partnerships, integrity = _counts(db)
        assert integrity == "ok"
        assert (organisations, partnerships) in {
            (0, 0),
            (len(expected["organisations"]), len(expected["partnerships"])),
        }

    rerun = subprocess.run(
        _command(db, big_import), env=ENV, capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    assert _counts(db) == (
        len(expected["organisations"]),
        len(expected["partnerships"]),
        "ok",
    )
