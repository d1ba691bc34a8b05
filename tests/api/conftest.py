"""Fixtures for the API and page tests.

The 80 profiles of the domain report are loaded once per session into a
template SQLite file; each test gets its own copy of that file (fast, and
isolated: a test's writes never reach another test).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from broker.api.app import create_app
from broker.services.access import create_api_key, revoke_api_key
from broker.services.context import Broker
from broker.services.profiles import load_files
from broker.settings import EmbedderName, Settings
from tests.conftest import FIXTURES

REPORT = FIXTURES / "report.json"
# The fast embedder for most tests; one integration test uses the default.
FAST_EMBEDDER = cast(EmbedderName, os.environ.get("BROKER_TEST_EMBEDDER", "tfidf"))

# Organisations the tests act as: an editor of A acts on A and on B.
ORG_A = "university-of-bath"
ORG_B = "intouniversity"


@dataclass(frozen=True)
class Keys:
    """API keys stored in the template database."""

    admin: str
    editor_a: str
    editor_b: str
    revoked: str


@dataclass(frozen=True)
class Template:
    """The loaded template database and its keys."""

    path: Path
    keys: Keys


def settings_for(path: Path, embedder: EmbedderName = FAST_EMBEDDER) -> Settings:
    """Settings for a SQLite file, with a small request limit for the tests."""
    return Settings(
        database_url=f"sqlite:///{path}",
        embedder=embedder,
        cache_dir=path.parent / "cache",
        max_request_bytes=200_000,
        use_learned_weights=False,
        warm_up=False,
    )


def bearer(key: str) -> dict[str, str]:
    """The header that presents an API key."""
    return {"Authorization": f"Bearer {key}"}


def copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite file with whatever write-ahead log it still has."""
    for suffix in ("", "-wal", "-shm"):
        found = source.with_name(source.name + suffix)
        if found.exists():
            shutil.copyfile(found, target.with_name(target.name + suffix))


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The report's profiles in a SQLite file, loaded once per session."""
    path = tmp_path_factory.mktemp("template") / "broker.db"
    broker = Broker(settings_for(path))
    load_files(broker, [REPORT])
    revoked = create_api_key(broker, "admin", None)
    revoke_api_key(broker, revoked.split("_")[1])
    keys = Keys(
        admin=create_api_key(broker, "admin", None),
        editor_a=create_api_key(broker, "editor", ORG_A),
        editor_b=create_api_key(broker, "editor", ORG_B),
        revoked=revoked,
    )
    broker.store.dispose()
    return Template(path, keys)


@pytest.fixture
def keys(template: Template) -> Keys:
    """The API keys of the test database."""
    return template.keys


@pytest.fixture
def broker(template: Template, tmp_path: Path) -> Iterator[Broker]:
    """A broker over this test's own copy of the template database."""
    path = tmp_path / "broker.db"
    copy_database(template.path, path)
    found = Broker(settings_for(path))
    yield found
    found.store.dispose()


@pytest.fixture
def app(broker: Broker) -> FastAPI:
    """The app over this test's database."""
    return create_app(broker=broker)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client calling the app in process."""
    with TestClient(app) as found:
        yield found


def free_port() -> int:
    """A TCP port that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """A real uvicorn server for the app, on a free port, in a thread."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the uvicorn server did not start within 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
