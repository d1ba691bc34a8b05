"""Health, the OpenAPI document and the API reference page."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from broker.api.app import create_app
from broker.services.context import Broker
from tests.api.conftest import Template, copy_database, settings_for


def test_health(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["organisations"] == 80
    assert body["store_version"] > 0
    assert body["embedder"] in {"minilm", "static", "tfidf"}


def _operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def test_openapi_lists_every_route_of_the_contract(client: TestClient) -> None:
    operations = _operations(client.get("/openapi.json").json())

    assert set(operations) >= {
        ("GET", "/health"),
        ("GET", "/organisations"),
        ("POST", "/organisations"),
        ("GET", "/organisations/{organisation_id}"),
        ("PUT", "/organisations/{organisation_id}"),
        ("DELETE", "/organisations/{organisation_id}"),
        ("POST", "/import"),
        ("GET", "/organisations/{organisation_id}/suggestions"),
        ("POST", "/match"),
        ("GET", "/partnerships"),
        ("POST", "/partnerships"),
        ("POST", "/feedback"),
        ("GET", "/organisations/{organisation_id}/explain/{other_id}"),
        ("GET", "/brokers"),
        ("GET", "/regions/{region}/plan"),
        ("GET", "/graph"),
    }


def test_openapi_errors_are_problem_details(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    for operation in _operations(schema).values():
        for code, response in operation["responses"].items():
            if int(code) >= 400:
                assert list(response["content"]) == ["application/problem+json"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_openapi_has_examples_and_security(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operations = _operations(schema)
    components = schema["components"]

    assert components["schemas"]["OrganisationIn"]["examples"]
    assert components["schemas"]["FeedbackIn"]["examples"]
    assert components["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    assert operations[("POST", "/import")]["security"] == [{"ApiKey": []}]
    assert "security" not in operations[("GET", "/organisations")]
    tags = components["schemas"]["ReplacementIn"]["properties"]["target_groups"]
    assert "low-income" in tags["items"]["enum"]


def test_openapi_never_exposes_contact_email_in_responses(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]

    assert "contact_email" in schemas["ReplacementIn"]["properties"]
    assert "contact_email" not in schemas["Organisation"]["properties"]


def test_docs_page_is_served_without_external_files(client: TestClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert "POST" in response.text
    assert "/organisations/{organisation_id}/suggestions" in response.text
    assert "university-of-bath" in response.text  # a request example
    assert "cdn" not in response.text.lower()
    assert "https://" not in response.text.replace("https://www.bath.ac.uk/", "")


@pytest.mark.parametrize("warm_up", [True, False])
def test_the_server_builds_its_index_at_start_up_unless_told_not_to(
    template: Template, tmp_path: Path, warm_up: bool
) -> None:
    path = tmp_path / "broker.db"
    copy_database(template.path, path)
    broker = Broker(settings_for(path).model_copy(update={"warm_up": warm_up}))

    with TestClient(create_app(broker=broker)):  # starts the app; no request
        deadline = time.monotonic() + (60 if warm_up else 2)
        while broker.current is None and time.monotonic() < deadline:
            time.sleep(0.05)
        built = broker.current

    if warm_up:
        assert built is not None
        assert built.version == broker.store.version()
    else:
        assert built is None
    broker.store.dispose()
