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

import httpx
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


def test_a_server_killed_during_writes_keeps_every_acknowledged_write(
    tmp_path: Path,
) -> None:
    from broker.services.access import create_api_key
    from broker.services.context import Broker
    from broker.services.profiles import load_files
    from broker.settings import Settings
    from tests.conftest import FIXTURES
    from tests.servers import server

    url = f"sqlite:///{tmp_path / 'broker.db'}"
    broker = Broker(Settings(database_url=url, embedder="tfidf"))
    load_files(broker, [FIXTURES / "report.json"])
    key = create_api_key(broker, "admin", None)
    count_before = _counts(tmp_path / "broker.db")[0]
    broker.store.dispose()
    headers = {"Authorization": f"Bearer {key}"}
    acknowledged: list[int] = []
    processes: list[subprocess.Popen[bytes]] = []

    with server(url, process_out=processes) as base:
        profile = httpx.get(f"{base}/organisations/teach-first", timeout=30).json()
        started = time.monotonic()
        for number in range(1000):
            if number == 15 or time.monotonic() - started > 20:
                os.kill(processes[0].pid, signal.SIGKILL)
            profile["aims"] = f"Revision {number} of our aims for STEM outreach."
            try:
                answer = httpx.put(
                    f"{base}/organisations/teach-first",
                    json=profile,
                    headers=headers,
                    timeout=30,
                )
            except httpx.TransportError:
                break
            assert answer.status_code == 200, answer.text
            acknowledged.append(number)

    assert acknowledged, "no write was acknowledged before the kill"
    organisations, _, integrity = _counts(tmp_path / "broker.db")
    assert integrity == "ok"
    assert organisations == count_before
    with server(url) as base:
        stored = httpx.get(f"{base}/organisations/teach-first", timeout=30).json()
    # The last acknowledged write is there (or one sent after it, if the
    # kill came between its commit and its answer).
    revision = int(stored["aims"].split()[1])
    assert revision >= acknowledged[-1]
