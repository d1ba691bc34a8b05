from __future__ import annotations

import networkx as nx
import pytest

from broker.errors import ValidationFailed
from broker.graph.draw import SPRING_LIMIT, draw_map, draw_network, network_layout
from broker.graph.plan import regional_plan
from tests.graph.factories import CANDIDATES, two_clusters

PNG = b"\x89PNG\r\n\x1a\n"


def test_network_picture_of_a_plan_is_a_png_with_dashed_links() -> None:
    plan = regional_plan(two_clusters(), "north-east", candidate_links=CANDIDATES)

    png = draw_network(plan)
    svg = draw_network(plan, image_format="svg")

    assert png.startswith(PNG)
    assert b"<svg" in svg
    assert b"stroke-dasharray" in svg
    assert b"proposed link" in svg or b"proposed" in svg.lower()


def test_pictures_are_the_same_for_the_same_data() -> None:
    plan = regional_plan(two_clusters(), "north-east", candidate_links=CANDIDATES)

    assert draw_network(plan) == draw_network(plan)
    assert draw_map(plan, image_format="svg") == draw_map(plan, image_format="svg")


def test_map_marks_the_gaps() -> None:
    plan = regional_plan(two_clusters(), "north-east")
    located = [g for g in plan.gaps if g.kind == "organisation" and g.located]

    svg = draw_map(plan, image_format="svg")

    assert located
    assert svg.count(b"stroke: #d62728") >= len(located)


@pytest.mark.parametrize("draw", [draw_network, draw_map])
def test_empty_graphs_still_draw(draw: object) -> None:
    assert callable(draw)
    assert draw(nx.Graph()).startswith(PNG)


def test_large_graphs_are_laid_out_by_communities() -> None:
    G = nx.connected_caveman_graph(SPRING_LIMIT // 10 + 5, 10)
    G.add_node("alone")
    nx.set_node_attributes(G, "school", "kind")

    positions = network_layout(G, seed=0)

    assert set(positions) == set(G)
    assert positions == network_layout(G, seed=0)
    assert draw_network(G).startswith(PNG)


def test_an_unknown_image_format_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="image_format: image format 'gif'"):
        draw_network(two_clusters(), image_format="gif")  # type: ignore[arg-type]
