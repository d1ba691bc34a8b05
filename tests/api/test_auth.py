"""Who may write what: the authorisation matrix.

Reads need no key. Admin keys may do anything. An organisation's editor key
may replace that organisation's profile and give feedback as it, nothing
else. A missing, unknown or revoked key is 401; a key that may not is 403.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ORG_A, ORG_B, Keys, bearer

PROFILE: dict[str, Any] = {
    "name": "University of Bath",
    "kind": "hei",
    "aims": "Widen access to STEM degrees for learners from low-income homes.",
    "town": "Bath",
}


def _write(action: str) -> tuple[str, str, dict[str, Any]]:
    """The method, path and body of each write the matrix tries."""
    writes: dict[str, tuple[str, str, dict[str, Any]]] = {
        "put own profile": ("PUT", f"/organisations/{ORG_A}", PROFILE),
        "put other profile": ("PUT", f"/organisations/{ORG_B}", PROFILE),
        "feedback as own": (
            "POST",
            "/feedback",
            {"organisation_id": ORG_A, "suggested_id": ORG_B, "verdict": "declined"},
        ),
        "feedback as other": (
            "POST",
            "/feedback",
            {"organisation_id": ORG_B, "suggested_id": ORG_A, "verdict": "accepted"},
        ),
        "create organisation": (
            "POST",
            "/organisations",
            {**PROFILE, "id": "new-university", "name": "New University"},
        ),
        "delete own": ("DELETE", f"/organisations/{ORG_A}", {}),
        "import": ("POST", "/import", {"organisations": [], "partnerships": []}),
        "create partnership": ("POST", "/partnerships", {"a": ORG_A, "b": ORG_B}),
    }
    return writes[action]


# Expected status for each key (None: no key) and action, as an editor of A.
MATRIX: dict[str, dict[str, int]] = {
    "put own profile": {"none": 401, "revoked": 401, "editor_a": 200, "admin": 200},
    "put other profile": {"none": 401, "revoked": 401, "editor_a": 403, "admin": 200},
    "feedback as own": {"none": 401, "revoked": 401, "editor_a": 201, "admin": 201},
    "feedback as other": {"none": 401, "revoked": 401, "editor_a": 403, "admin": 201},
    "create organisation": {
        "none": 401,
        "revoked": 401,
        "editor_a": 403,
        "admin": 201,
    },
    "delete own": {"none": 401, "revoked": 401, "editor_a": 403, "admin": 204},
    "import": {"none": 401, "revoked": 401, "editor_a": 403, "admin": 200},
    "create partnership": {
        "none": 401,
        "revoked": 401,
        "editor_a": 403,
        "admin": 201,
    },
}
CASES = [
    (action, holder, status)
    for action, row in MATRIX.items()
    for holder, status in row.items()
]


@pytest.mark.parametrize(("action", "holder", "status"), CASES)
def test_authorisation_matrix(
    client: TestClient, keys: Keys, action: str, holder: str, status: int
) -> None:
    method, path, body = _write(action)
    headers = {} if holder == "none" else bearer(getattr(keys, holder))

    response = client.request(
        method, path, json=body if body else None, headers=headers
    )

    assert response.status_code == status, response.text
    if status in (401, 403):
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["status"] == status
        assert problem["type"] == (
            "/problems/unauthenticated" if status == 401 else "/problems/forbidden"
        )


def test_401_says_how_to_send_a_key(client: TestClient) -> None:
    response = client.post("/import", json={})

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["detail"]


def test_revoked_key_is_named(client: TestClient, keys: Keys) -> None:
    response = client.post("/import", json={}, headers=bearer(keys.revoked))

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    ["Bearer brk_nothing_here", "Bearer not-a-key", "Basic dXNlcjpwYXNz", "Bearer"],
)
def test_unknown_or_malformed_keys_are_401(client: TestClient, header: str) -> None:
    response = client.post("/import", json={}, headers={"Authorization": header})

    assert response.status_code == 401


def test_editor_of_a_is_told_which_organisation_it_edits(
    client: TestClient, keys: Keys
) -> None:
    response = client.put(
        f"/organisations/{ORG_B}", json=PROFILE, headers=bearer(keys.editor_a)
    )

    assert response.status_code == 403
    detail = response.json()["detail"]
    assert ORG_A in detail
    assert ORG_B in detail


@pytest.mark.parametrize(
    "path",
    [
        "/health",
        "/organisations",
        f"/organisations/{ORG_A}",
        "/partnerships",
        f"/organisations/{ORG_A}/suggestions",
    ],
)
def test_reads_need_no_key_and_ignore_a_bad_one(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200
    assert client.get(path, headers=bearer("brk_bad_key")).status_code == 200


def test_deleting_an_organisation_revokes_its_editor_key(
    client: TestClient, keys: Keys
) -> None:
    client.delete(f"/organisations/{ORG_A}", headers=bearer(keys.admin))

    response = client.put(
        f"/organisations/{ORG_A}", json=PROFILE, headers=bearer(keys.editor_a)
    )

    assert response.status_code == 401
