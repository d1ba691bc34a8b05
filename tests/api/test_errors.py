"""Problem details, request validation and the request size limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ORG_A, Keys, bearer

LIMIT = 200_000  # max_request_bytes in the test settings
MINIMAL = {"name": "X", "kind": "hei", "aims": "x"}


def test_validation_errors_are_problem_details(client: TestClient) -> None:
    response = client.get("/organisations", params={"limit": "many"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/invalid-input"
    assert problem["title"] == "Invalid input"
    assert problem["status"] == 422
    assert problem["instance"] == "/organisations"
    assert problem["errors"] == [
        {
            "field": "limit",
            "problem": problem["errors"][0]["problem"],
            "fix": "give a whole number",
        }
    ]
    assert "'many'" in problem["errors"][0]["problem"]


@pytest.mark.parametrize(
    ("body", "field", "fix"),
    [
        ({"kind": "hei", "aims": "x"}, "name", "add this field"),
        (
            {"name": "X", "kind": "hei", "aims": "x", "colour": "red"},
            "colour",
            "remove",
        ),
        ({"name": "X", "kind": "hei", "aims": "x", "lat": 123}, "lat", "at most 90"),
        (
            {"name": "X", "kind": "hei", "aims": "x", "website": "bath"},
            "website",
            "http",
        ),
        ({"name": "X", "kind": "hei", "aims": "x" * 4001}, "aims", "4000 characters"),
        ({"name": "X", "kind": "hei", "aims": "a\x00b"}, "aims", "control"),
    ],
)
def test_body_errors_name_the_field_and_the_fix(
    client: TestClient, keys: Keys, body: dict[str, object], field: str, fix: str
) -> None:
    response = client.put(
        f"/organisations/{ORG_A}", json=body, headers=bearer(keys.admin)
    )

    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert field in errors
    assert fix in errors[field]["fix"]


def test_invalid_json_is_a_problem(client: TestClient, keys: Keys) -> None:
    response = client.post(
        "/import",
        content=b'{"organisations": [',
        headers={**bearer(keys.admin), "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["fix"] == "fix the JSON syntax"


def test_unknown_path_and_method_are_problems(client: TestClient) -> None:
    missing = client.get("/nowhere")
    wrong = client.patch("/organisations")

    assert missing.status_code == 404
    assert missing.json()["type"] == "/problems/not-found"
    assert wrong.status_code == 405
    assert wrong.headers["content-type"] == "application/problem+json"


def test_a_browser_gets_the_problem_as_a_page(client: TestClient) -> None:
    response = client.get("/organisations/nobody", headers={"Accept": "text/html"})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "nobody" in response.text


def test_problem_types_have_pages(client: TestClient) -> None:
    response = client.get("/problems/invalid-input")

    assert response.status_code == 200
    assert "422" in response.text
    assert client.get("/problems/no-such-kind").status_code == 404


def test_body_over_the_limit_is_refused_before_reading(
    client: TestClient, keys: Keys
) -> None:
    response = client.post(
        "/import",
        content=b"{" + b" " * LIMIT + b"}",
        headers={**bearer(keys.admin), "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/content-too-large"
    assert f"{LIMIT:,}" in response.json()["detail"]


def test_chunked_body_over_the_limit_is_refused(client: TestClient, keys: Keys) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"organisations": ['
        for _ in range(LIMIT // 1000 + 10):
            yield b" " * 1000
        yield b"]}"

    response = client.post(
        "/import",
        content=chunks(),
        headers={**bearer(keys.admin), "Content-Type": "application/json"},
    )

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_chunked_body_under_the_limit_is_read(client: TestClient, keys: Keys) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"organisations": [], '
        yield b'"partnerships": []}'

    response = client.post(
        "/import",
        content=chunks(),
        headers={**bearer(keys.admin), "Content-Type": "application/json"},
    )

    assert response.status_code == 200


def test_form_over_the_limit_is_refused(client: TestClient) -> None:
    response = client.post("/what-if", data={"aims": "x" * (LIMIT + 1)})

    assert response.status_code == 413
