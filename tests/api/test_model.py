"""One integration test with the real default embedder (MiniLM)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from broker.api.app import create_app
from broker.services.context import Broker
from broker.services.profiles import load_files
from tests.api.conftest import ORG_A, REPORT, settings_for


@pytest.mark.model
@pytest.mark.slow
def test_suggestions_and_what_if_with_the_default_embedder(tmp_path: Path) -> None:
    broker = Broker(settings_for(tmp_path / "broker.db", "minilm"))
    load_files(broker, [REPORT])

    with TestClient(create_app(broker=broker)) as client:
        health = client.get("/health").json()
        found = client.get(f"/organisations/{ORG_A}/suggestions").json()
        what_if = client.post(
            "/match",
            params={"kind": "tso"},
            json={
                "name": "Girls into Physics, Sheffield",
                "kind": "hei",
                "aims": "Encourage girls in Sheffield schools to study physics and "
                "engineering at university.",
                "target_groups": ["girls-women"],
                "subjects": ["physics", "engineering"],
                "town": "Sheffield",
            },
        ).json()
    broker.store.dispose()

    assert health["embedder"] == "minilm"
    assert len(found["suggestions"]) == 10
    assert all(s["components"]["aims"] > 0 for s in found["suggestions"])
    names = [s["name"] for s in what_if["suggestions"]]
    assert names
    # The report's girls-in-physics charity should be among the first few.
    assert any("Talent 2030" in n or "Women" in n for n in names[:5]), names
