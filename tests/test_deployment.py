"""A shared deployment: two server processes on one PostgreSQL database.

A write through one process must show in the other's suggestions within a
bounded time, because each process rebuilds its index when the store's
version changes.
"""

from __future__ import annotations

import time

import httpx
import pytest

from broker.services.access import create_api_key
from broker.services.context import Broker
from broker.services.profiles import load_files
from broker.settings import Settings
from tests.conftest import FIXTURES
from tests.postgres import create_database
from tests.servers import server

pytestmark = pytest.mark.slow

VISIBLE_WITHIN_SECONDS = 10.0


def test_a_write_through_one_process_reaches_the_other(postgres: str) -> None:
    url = create_database(postgres)
    broker = Broker(Settings(database_url=url, embedder="tfidf"))
    load_files(broker, [FIXTURES / "report.json"])
    key = create_api_key(broker, "admin", None)
    broker.store.dispose()
    newcomer = {
        "id": "southwark-young-scientists",
        "name": "Southwark Young Scientists",
        "kind": "tso",
        "aims": (
            "Research internships and mentoring in science for Black African and "
            "Caribbean teenagers in London schools, aiming at top universities."
        ),
        "target_groups": ["black-african-caribbean", "low-income"],
        "subjects": ["general-stem", "biology"],
        "stages": ["ks4", "ks5"],
        "activities": ["research-project", "mentoring"],
        "town": "London",
        "reach": "local",
    }

    with server(url) as writer, server(url) as reader:
        wanted = f"{reader}/organisations/generating-genius/suggestions?limit=50"
        first = httpx.get(wanted, timeout=30)
        assert first.status_code == 200, first.text
        before = {s["id"] for s in first.json()["suggestions"]}
        assert newcomer["id"] not in before

        created = httpx.post(
            f"{writer}/organisations",
            json=newcomer,
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
        assert created.status_code == 201, created.text
        written = time.monotonic()

        while True:
            response = httpx.get(wanted, timeout=30)
            assert response.status_code == 200, response.text
            found = response.json()["suggestions"]
            if newcomer["id"] in {s["id"] for s in found}:
                break
            assert time.monotonic() - written < VISIBLE_WITHIN_SECONDS
            time.sleep(0.2)
