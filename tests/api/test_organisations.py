"""Organisations through the API: list, read, create, replace, delete, import."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from broker.services.context import Broker
from broker.services.profiles import find_organisation
from tests.api.conftest import ORG_A, Keys, bearer

NEW: dict[str, Any] = {
    "id": "bradford-robotics-club",
    "name": "Bradford Robotics Club",
    "kind": "tso",
    "aims": "After-school robotics for girls from low-income homes in Bradford.",
    "offers": "Volunteers and a workshop space.",
    "needs": "Engineering students as mentors.",
    "target_groups": ["girls-women", "low-income"],
    "subjects": ["engineering", "computing"],
    "stages": ["ks3", "ks4"],
    "activities": ["after-school-club"],
    "town": "Bradford",
    "contact_email": "hello@example.org",
}


def test_list_is_paginated_by_name(client: TestClient) -> None:
    first = client.get("/organisations", params={"limit": 5}).json()
    second = client.get("/organisations", params={"limit": 5, "offset": 5}).json()

    assert first["total"] == 80
    assert (first["limit"], first["offset"]) == (5, 0)
    names = [o["name"] for o in first["organisations"] + second["organisations"]]
    assert names == sorted(names)
    assert len(set(names)) == 10


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"kind": "hei"}, lambda o: o["kind"] == "hei"),
        ({"region": "london"}, lambda o: o["region"] == "london"),
        (
            {"target_group": "girls-women"},
            lambda o: "girls-women" in o["target_groups"],
        ),
        ({"q": "bristol"}, lambda o: "bristol" in str(o).lower()),
    ],
)
def test_list_filters(client: TestClient, params: dict[str, str], check: Any) -> None:
    found = client.get("/organisations", params={**params, "limit": 200}).json()

    assert 0 < found["total"] < 80
    assert len(found["organisations"]) == found["total"]
    assert all(check(o) for o in found["organisations"])


def test_unknown_filter_names_the_valid_tags(client: TestClient) -> None:
    response = client.get("/organisations", params={"target_group": "pirates"})

    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "target_group"
    assert "pirates" in error["problem"]
    assert "low-income" in error["fix"]


def test_read_one_has_public_fields_only(client: TestClient) -> None:
    response = client.get(f"/organisations/{ORG_A}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == ORG_A
    assert body["kind"] == "hei"
    assert "contact_email" not in body


def test_read_unknown_is_404_naming_the_id(client: TestClient) -> None:
    response = client.get("/organisations/no-such-place")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "no-such-place" in response.json()["detail"]


def test_create_then_read_never_shows_the_contact_email(
    client: TestClient, keys: Keys
) -> None:
    created = client.post("/organisations", json=NEW, headers=bearer(keys.admin))

    assert created.status_code == 201
    assert created.headers["location"] == f"/organisations/{NEW['id']}"
    assert created.json()["region"] == "yorkshire-humber"
    assert created.json()["lat"] == pytest.approx(53.8, abs=0.1)
    for response in (
        created,
        client.get(f"/organisations/{NEW['id']}"),
        client.get("/organisations", params={"q": "robotics"}),
    ):
        assert "hello@example.org" not in response.text
        assert "contact_email" not in response.text


def test_create_an_existing_id_is_a_conflict(client: TestClient, keys: Keys) -> None:
    response = client.post(
        "/organisations", json={**NEW, "id": ORG_A}, headers=bearer(keys.admin)
    )

    assert response.status_code == 409
    assert f"PUT /organisations/{ORG_A}" in response.json()["detail"]


def test_create_with_an_unknown_town_names_the_field(
    client: TestClient, keys: Keys
) -> None:
    response = client.post(
        "/organisations", json={**NEW, "town": "Atlantis"}, headers=bearer(keys.admin)
    )

    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "town"
    assert "Atlantis" in error["problem"]
    assert "postcode" in error["fix"]
    assert client.get(f"/organisations/{NEW['id']}").status_code == 404


def test_replace_keeps_the_id_and_changes_the_profile(
    client: TestClient, keys: Keys
) -> None:
    profile = {k: v for k, v in NEW.items() if k != "id"}

    response = client.put(
        f"/organisations/{ORG_A}", json=profile, headers=bearer(keys.editor_a)
    )

    assert response.status_code == 200
    assert response.json()["id"] == ORG_A
    assert client.get(f"/organisations/{ORG_A}").json()["name"] == NEW["name"]


def test_replace_takes_back_what_was_read(client: TestClient, keys: Keys) -> None:
    read = client.get(f"/organisations/{ORG_A}").json()
    read["needs"] = "Volunteers who speak Urdu for family science evenings."

    response = client.put(
        f"/organisations/{ORG_A}", json=read, headers=bearer(keys.editor_a)
    )

    assert response.status_code == 200
    assert client.get(f"/organisations/{ORG_A}").json() == read


def test_replace_keeps_the_contact_email_that_reads_never_show(
    client: TestClient, broker: Broker, keys: Keys
) -> None:
    sent = {**NEW, "id": None}
    client.put(f"/organisations/{NEW['id']}", json=sent, headers=bearer(keys.admin))
    read = client.get(f"/organisations/{NEW['id']}").json()
    read["aims"] = "Family science evenings in Urdu and English."

    response = client.put(
        f"/organisations/{NEW['id']}", json=read, headers=bearer(keys.admin)
    )

    assert response.status_code == 200
    stored = find_organisation(broker, NEW["id"])
    assert stored.aims == read["aims"]
    assert stored.contact_email == NEW["contact_email"]


def test_replace_refuses_a_different_id_in_the_body(
    client: TestClient, keys: Keys
) -> None:
    response = client.put(
        f"/organisations/{ORG_A}", json=NEW, headers=bearer(keys.editor_a)
    )

    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail.startswith("id: ")
    assert ORG_A in detail
    assert client.get(f"/organisations/{ORG_A}").json()["name"] != NEW["name"]


def test_admin_put_creates_a_new_organisation(client: TestClient, keys: Keys) -> None:
    profile = {k: v for k, v in NEW.items() if k != "id"}

    response = client.put(
        "/organisations/brand-new", json=profile, headers=bearer(keys.admin)
    )

    assert response.status_code == 201
    assert response.headers["location"] == "/organisations/brand-new"


def test_delete_removes_the_organisation_and_its_partnerships(
    client: TestClient, keys: Keys
) -> None:
    response = client.delete(f"/organisations/{ORG_A}", headers=bearer(keys.admin))

    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/organisations/{ORG_A}").status_code == 404
    pairs = client.get("/partnerships").json()["partnerships"]
    assert all(ORG_A not in (p["a"], p["b"]) for p in pairs)
    assert client.get("/organisations").json()["total"] == 79


def test_delete_unknown_is_404(client: TestClient, keys: Keys) -> None:
    response = client.delete("/organisations/nobody", headers=bearer(keys.admin))

    assert response.status_code == 404


def test_import_creates_then_leaves_unchanged(client: TestClient, keys: Keys) -> None:
    body = {
        "organisations": [NEW],
        "partnerships": [{"a": NEW["id"], "b": ORG_A, "since": 2024}],
    }

    first = client.post("/import", json=body, headers=bearer(keys.admin))
    again = client.post("/import", json=body, headers=bearer(keys.admin))

    assert first.status_code == 200
    assert first.json() == {
        "organisations": {"created": 1, "updated": 0, "unchanged": 0},
        "partnerships": {"created": 1, "updated": 0, "unchanged": 0},
    }
    assert again.json()["organisations"] == {"created": 0, "updated": 0, "unchanged": 1}


def test_import_problems_name_the_row_and_write_nothing(
    client: TestClient, keys: Keys
) -> None:
    body = {
        "organisations": [NEW, {**NEW, "id": "second", "kind": "charity"}],
        "partnerships": [{"a": NEW["id"], "b": "nobody-we-know"}],
    }

    response = client.post("/import", json=body, headers=bearer(keys.admin))

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"field": "organisations.kind", "row": 2} == {
        k: errors[0][k] for k in ("field", "row")
    }
    assert client.get(f"/organisations/{NEW['id']}").status_code == 404


def test_import_reports_unknown_partners(client: TestClient, keys: Keys) -> None:
    body = {"partnerships": [{"a": ORG_A, "b": "nobody-we-know"}]}

    response = client.post("/import", json=body, headers=bearer(keys.admin))

    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "partnerships.b"
    assert error["row"] == 1
    assert "nobody-we-know" in error["problem"]
