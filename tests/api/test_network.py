"""Community brokers, regional plans, their pictures and the graph export."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

pytest.importorskip("broker.services.regions")

PNG = b"\x89PNG\r\n\x1a\n"


def test_brokers_are_tsos_ranked_best_first(client: TestClient) -> None:
    response = client.get("/brokers", params={"target_group": "low-income"})

    assert response.status_code == 200
    brokers = response.json()["brokers"]
    assert brokers
    scores = [b["score"] for b in brokers]
    assert scores == sorted(scores, reverse=True)
    for found in brokers[:5]:
        assert client.get(f"/organisations/{found['id']}").json()["kind"] == "tso"
        assert found["reasons"]


def test_brokers_near_a_town_give_distances(client: TestClient) -> None:
    brokers = client.get("/brokers", params={"near": "Bradford", "limit": 5}).json()[
        "brokers"
    ]

    assert 0 < len(brokers) <= 5
    assert all(b["distance_km"] is not None for b in brokers)


def test_brokers_near_an_unknown_town_name_the_field(client: TestClient) -> None:
    response = client.get("/brokers", params={"near": "Atlantis"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "near"


def test_regional_plan(client: TestClient) -> None:
    response = client.get("/regions/london/plan")

    assert response.status_code == 200
    plan = response.json()
    assert plan["region"] == "london"
    assert plan["summary"]["organisations"] > 0
    for key in ("communities", "lead_candidates", "proposed_links", "gaps"):
        assert isinstance(plan[key], list)
    assert plan["lead_candidates"]


def test_unknown_region_lists_the_valid_ones(client: TestClient) -> None:
    response = client.get("/regions/atlantis/plan")

    assert response.status_code == 422
    assert "london" in response.json()["errors"][0]["fix"]


@pytest.mark.parametrize("picture", ["network.png", "map.png"])
def test_region_pictures_are_png(client: TestClient, picture: str) -> None:
    response = client.get(f"/regions/south-west/{picture}")

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(PNG)


def test_graph_as_node_link_json(client: TestClient) -> None:
    graph = client.get("/graph").json()

    assert len(graph["nodes"]) == 80
    assert all("contact_email" not in node for node in graph["nodes"])


def test_graph_as_graphml(client: TestClient) -> None:
    response = client.get("/graph", params={"format": "graphml"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphml+xml")
    root = ET.fromstring(response.text)
    assert root.tag.endswith("graphml")


def test_graph_in_an_unknown_format_is_422(client: TestClient) -> None:
    assert client.get("/graph", params={"format": "csv"}).status_code == 422


def test_broker_finder_page(client: TestClient) -> None:
    response = client.get(
        "/find-brokers", params={"target_group": "girls-women", "near": "Leeds"}
    )

    assert response.status_code == 200
    assert "broker score" in response.text
    assert "km away" in response.text


def test_broker_finder_shows_an_unknown_town_next_to_the_field(
    client: TestClient,
) -> None:
    response = client.get("/find-brokers", params={"near": "Atlantis"})

    assert response.status_code == 422
    assert 'id="near-error"' in response.text


def test_hub_page_shows_the_plan_and_pictures(client: TestClient) -> None:
    response = client.get("/hubs/london")

    assert response.status_code == 200
    html = response.text
    assert "London: hub plan" in html
    assert 'src="/regions/london/network.png"' in html
    assert 'src="/regions/london/map.png"' in html
    assert "Who could lead the hub" in html


def test_unknown_hub_is_a_404_page(client: TestClient) -> None:
    assert client.get("/hubs/atlantis").status_code == 404
