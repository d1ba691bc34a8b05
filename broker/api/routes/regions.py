"""The partnership network: community brokers, regional hub plans, the graph."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from broker.api.deps import BrokerDep
from broker.api.routes.responses import problems
from broker.api.schemas import BrokerList, Region, RegionalPlan, TargetGroup
from broker.services.context import Broker

log = logging.getLogger(__name__)

router = APIRouter(tags=["network"])

RegionPath = Annotated[
    Region, Path(description="A region tag.", examples=["south-west"])
]
PNG = {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}


class PictureCache:
    """The last few regions' pictures, kept until the store changes."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._found: OrderedDict[tuple[int, str], tuple[bytes, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def pictures(self, broker: Broker, region: str) -> tuple[bytes, bytes]:
        """The network and map pictures of a region, drawn once per store version."""
        from broker.services.regions import plan_pictures

        key = (broker.snapshot().version, region)
        with self._lock:
            if key in self._found:
                self._found.move_to_end(key)
                return self._found[key]
        drawn: tuple[bytes, bytes] = plan_pictures(broker, region)
        with self._lock:
            self._found[key] = drawn
            while len(self._found) > self.size:
                self._found.popitem(last=False)
        return drawn


def _cache(request: Request) -> PictureCache:
    cache = getattr(request.app.state, "pictures", None)
    if not isinstance(cache, PictureCache):
        cache = PictureCache()
        request.app.state.pictures = cache
    return cache


@router.get(
    "/brokers",
    response_model=BrokerList,
    summary="Third-sector organisations ranked as community brokers",
    responses=problems(422, 503),
)
def brokers(
    broker: BrokerDep,
    target_group: Annotated[
        TargetGroup | None, Query(description="Brokers that reach this group.")
    ] = None,
    region: Annotated[
        Region | None, Query(description="Brokers in this region.")
    ] = None,
    near: Annotated[
        str | None,
        Query(
            max_length=100, description="A UK town or city to measure distance from."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Community brokers that reach a target group, best first, with reasons."""
    from broker.services.regions import rank_brokers

    found: dict[str, Any] = rank_brokers(
        broker, target_group=target_group, region=region, near=near or None, limit=limit
    )
    return found


@router.get(
    "/regions/{region}/plan",
    response_model=RegionalPlan,
    summary="A regional hub plan",
    responses=problems(422, 503),
)
def plan(broker: BrokerDep, region: RegionPath) -> dict[str, Any]:
    """Communities, lead candidates, proposed links and gaps in a region."""
    from broker.services.regions import regional_plan

    found: dict[str, Any] = regional_plan(broker, region)
    return found


@router.get(
    "/regions/{region}/network.png",
    response_class=Response,
    summary="A picture of a region's partnership network",
    responses={200: PNG, **problems(422, 503)},
)
def network_picture(
    request: Request, broker: BrokerDep, region: RegionPath
) -> Response:
    """The region's network: organisations as dots, partnerships as lines."""
    network, _ = _cache(request).pictures(broker, region)
    return Response(network, media_type="image/png", headers=_CACHE_HEADERS)


@router.get(
    "/regions/{region}/map.png",
    response_class=Response,
    summary="A map of a region's organisations and coverage gaps",
    responses={200: PNG, **problems(422, 503)},
)
def map_picture(request: Request, broker: BrokerDep, region: RegionPath) -> Response:
    """The region's map: where organisations are, and where learners are not reached."""
    _, drawn = _cache(request).pictures(broker, region)
    return Response(drawn, media_type="image/png", headers=_CACHE_HEADERS)


_CACHE_HEADERS = {"Cache-Control": "no-cache"}


@router.get(
    "/graph",
    response_class=Response,
    summary="The partnership graph, for network tools",
    responses={
        200: {
            "description": "Node-link JSON (networkx) or GraphML.",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/graphml+xml": {"schema": {"type": "string"}},
            },
        },
        **problems(422),
    },
)
def graph(
    broker: BrokerDep,
    fmt: Annotated[
        Literal["json", "graphml"],
        Query(alias="format", description="json (node-link) or graphml."),
    ] = "json",
) -> Response:
    """Organisations as nodes with public attributes, partnerships as edges."""
    from broker.services.regions import graph_export

    text: str = graph_export(broker, fmt)
    if fmt == "graphml":
        return Response(
            text,
            media_type="application/graphml+xml",
            headers={"Content-Disposition": 'attachment; filename="broker.graphml"'},
        )
    return Response(text, media_type="application/json")
