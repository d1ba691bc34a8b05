"""Real server processes for the tests: `broker serve` on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(
    url: str, *, process_out: list[subprocess.Popen[bytes]] | None = None
) -> Iterator[str]:
    """Serve the store at ``url``; yield the base address; stop it after."""
    port = _free_port()
    env = dict(os.environ, BROKER_EMBEDDER="tfidf", BROKER_LOG_LEVEL="WARNING")
    process = subprocess.Popen(
        [sys.executable, "-m", "broker", "serve", "--db", url, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if process_out is not None:
        process_out.append(process)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            pytest.fail("the server did not start within 60 s")
        yield base
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)
