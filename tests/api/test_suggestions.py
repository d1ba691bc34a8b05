"""Suggestions, what-if matches, explanations and feedback through the API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ORG_A, Keys, bearer

WHAT_IF: dict[str, Any] = {
    "name": "Leeds Girls Code",
    "kind": "tso",
    "aims": "Coding clubs that help girls from low-income homes in Leeds "
    "choose computing and engineering degrees.",
    "needs": "University students as mentors and campus visits.",
    "target_groups": ["girls-women", "low-income"],
    "subjects": ["computing", "engineering"],
    "stages": ["ks3", "ks4"],
    "town": "Leeds",
}


def _suggestions(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get(f"/organisations/{ORG_A}/suggestions", params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_suggestions_follow_the_contract(client: TestClient) -> None:
    found = _suggestions(client, limit=5)

    assert found["organisation"] == ORG_A
    assert 0 < len(found["suggestions"]) <= 5
    scores = [s["score"] for s in found["suggestions"]]
    assert scores == sorted(scores, reverse=True)
    first = found["suggestions"][0]
    assert set(first) == {
        "id",
        "name",
        "kind",
        "score",
        "components",
        "reasons",
        "distance_km",
        "is_partner",
    }
    assert first["reasons"]
    assert all(0 <= v <= 1 for v in first["components"].values())
    assert ORG_A not in {s["id"] for s in found["suggestions"]}


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"kind": "tso"}, lambda s, o: s["kind"] == "tso"),
        ({"max_km": 100}, lambda s, o: s["distance_km"] is not None),
        ({"region": "london"}, lambda s, o: o["region"] == "london"),
        (
            {"target_group": "first-generation"},
            lambda s, o: "first-generation" in o["target_groups"],
        ),
    ],
)
def test_suggestion_filters(
    client: TestClient, params: dict[str, Any], check: Any
) -> None:
    found = _suggestions(client, **params, limit=20)

    for suggestion in found["suggestions"]:
        other = client.get(f"/organisations/{suggestion['id']}").json()
        assert check(suggestion, other)
        if "max_km" in params:
            assert suggestion["distance_km"] <= params["max_km"]


def test_partners_are_left_out_unless_asked_for(client: TestClient) -> None:
    partners = {
        p["a"] if p["b"] == ORG_A else p["b"]
        for p in client.get("/partnerships", params={"organisation": ORG_A}).json()[
            "partnerships"
        ]
    }

    without = _suggestions(client, limit=100)["suggestions"]
    with_partners = _suggestions(client, limit=100, include_partners=True)[
        "suggestions"
    ]

    assert partners
    assert not partners & {s["id"] for s in without}
    flagged = {s["id"] for s in with_partners if s["is_partner"]}
    assert flagged and flagged <= partners


def test_suggestions_for_unknown_organisation_are_404(client: TestClient) -> None:
    response = client.get("/organisations/nobody/suggestions")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"max_km": -5}, "max_km"),
        ({"max_km": "far"}, "max_km"),
        ({"kind": "charity"}, "kind"),
        ({"region": "atlantis"}, "region"),
    ],
)
def test_bad_suggestion_parameters_name_the_field(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    response = client.get(f"/organisations/{ORG_A}/suggestions", params=params)

    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == field
    assert error["fix"]


def test_declined_suggestion_leaves_the_list(client: TestClient, keys: Keys) -> None:
    before = [s["id"] for s in _suggestions(client)["suggestions"]]

    response = client.post(
        "/feedback",
        json={
            "organisation_id": ORG_A,
            "suggested_id": before[0],
            "verdict": "declined",
            "reason": "We already work with them through another programme.",
        },
        headers=bearer(keys.editor_a),
    )

    assert response.status_code == 201
    assert response.json()["verdict"] == "declined"
    after = [s["id"] for s in _suggestions(client)["suggestions"]]
    assert before[0] not in after
    assert after[: len(before) - 1] == before[1:]


def test_accepted_suggestion_stays(client: TestClient, keys: Keys) -> None:
    before = [s["id"] for s in _suggestions(client)["suggestions"]]

    client.post(
        "/feedback",
        json={
            "organisation_id": ORG_A,
            "suggested_id": before[0],
            "verdict": "accepted",
        },
        headers=bearer(keys.editor_a),
    )

    assert before[0] in [s["id"] for s in _suggestions(client)["suggestions"]]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"suggested_id": ORG_A, "verdict": "declined"}, 422, "suggested_id"),
        ({"suggested_id": "nobody", "verdict": "declined"}, 404, None),
        ({"suggested_id": "intouniversity", "verdict": "maybe"}, 422, "verdict"),
    ],
)
def test_bad_feedback(
    client: TestClient,
    keys: Keys,
    body: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    response = client.post(
        "/feedback",
        json={"organisation_id": ORG_A, **body},
        headers=bearer(keys.editor_a),
    )

    assert response.status_code == status
    if field:
        assert response.json()["errors"][0]["field"] == field


def test_match_suggests_without_storing(client: TestClient) -> None:
    before = client.get("/health").json()

    response = client.post("/match", json=WHAT_IF, params={"kind": "hei", "limit": 5})

    assert response.status_code == 200, response.text
    found = response.json()
    assert found["organisation"] == "what-if"
    assert 0 < len(found["suggestions"]) <= 5
    assert {s["kind"] for s in found["suggestions"]} == {"hei"}
    assert client.get("/health").json() == before


def test_match_problems_name_each_field(client: TestClient) -> None:
    body = {**WHAT_IF, "kind": "charity", "target_groups": ["pirates"], "aims": ""}

    response = client.post("/match", json=body)

    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"kind", "target_groups.0", "aims"}
    tags = next(e for e in response.json()["errors"] if e["field"] == "target_groups.0")
    assert "low-income" in tags["fix"]


def test_explain_a_pair(client: TestClient) -> None:
    listed = _suggestions(client)["suggestions"][0]["id"]

    found = client.get(f"/organisations/{ORG_A}/explain/{listed}").json()

    assert (found["a"], found["b"]) == (ORG_A, listed)
    assert found["in_list"] is True
    assert found["rank"] == 1
    assert found["why"]


def test_explain_one_organisation_with_itself_is_422(client: TestClient) -> None:
    response = client.get(f"/organisations/{ORG_A}/explain/{ORG_A}")

    assert response.status_code == 422
