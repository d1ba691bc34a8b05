"""Partnerships through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import ORG_A, ORG_B, Keys, bearer


def test_list_all_and_one_organisations(client: TestClient) -> None:
    everything = client.get("/partnerships").json()["partnerships"]
    mine = client.get("/partnerships", params={"organisation": ORG_A}).json()

    assert len(everything) == 78
    assert mine["partnerships"]
    assert all(ORG_A in (p["a"], p["b"]) for p in mine["partnerships"])


def test_list_for_unknown_organisation_is_404(client: TestClient) -> None:
    response = client.get("/partnerships", params={"organisation": "nobody"})

    assert response.status_code == 404


def test_create_then_update_the_same_pair(client: TestClient, keys: Keys) -> None:
    body = {"a": ORG_B, "b": ORG_A, "activity": "mentoring", "since": 2023}

    created = client.post("/partnerships", json=body, headers=bearer(keys.admin))
    updated = client.post(
        "/partnerships",
        json={"a": ORG_A, "b": ORG_B, "status": "past", "since": 2023, "until": 2024},
        headers=bearer(keys.admin),
    )

    assert created.status_code == 201
    assert {created.json()["a"], created.json()["b"]} == {ORG_A, ORG_B}
    assert updated.status_code == 200
    assert updated.json()["status"] == "past"
    pairs = client.get("/partnerships", params={"organisation": ORG_B}).json()
    assert sum(ORG_A in (p["a"], p["b"]) for p in pairs["partnerships"]) == 1


def test_a_partnership_needs_two_organisations(client: TestClient, keys: Keys) -> None:
    response = client.post(
        "/partnerships", json={"a": ORG_A, "b": ORG_A}, headers=bearer(keys.admin)
    )

    assert response.status_code == 422
    assert ORG_A in response.json()["detail"]
