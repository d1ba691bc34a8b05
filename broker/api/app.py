"""The application factory: ``uvicorn --factory broker.api.app:create_app``."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from broker.api import pages, problems
from broker.api.limits import BodySizeLimit
from broker.api.routes import router as api_router
from broker.api.routes.regions import PictureCache
from broker.services.context import Broker
from broker.settings import Settings

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")

DESCRIPTION = """\
Suggests partners that widen access to higher-education STEM: universities,
third-sector organisations, schools and learner groups, ranked by how well
their aims, target groups, subjects, stages and places fit, with the reasons.

Reads need no key. Writes need an API key sent as `Authorization: Bearer ...`:
an admin key may do anything; an organisation's editor key may replace that
organisation's profile and give feedback as that organisation.

Errors are RFC 9457 problem details (`application/problem+json`) whose
`errors` list names each field, the problem and the fix.
"""

TAGS: list[dict[str, Any]] = [
    {"name": "organisations", "description": "Profiles: list, read, write, import."},
    {"name": "suggestions", "description": "Suggested partners, what-if, feedback."},
    {"name": "partnerships", "description": "Who already works with whom."},
    {"name": "network", "description": "Community brokers, regional plans, the graph."},
    {"name": "system", "description": "Health of the service."},
]


def _version() -> str:
    try:
        return version("broker")
    except PackageNotFoundError:
        return "0.0.0"


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with every error served as a problem detail."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=TAGS,
    )
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for code, response in operation.get("responses", {}).items():
                if not code.isdigit() or int(code) < 400:
                    continue
                response["content"] = {problems.PROBLEM_JSON: problem}
                if int(code) in problems.KINDS:
                    response["description"] = problems.KINDS[int(code)][1]
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema


def warm_up(broker: Broker) -> None:
    """Load the embedder and build the index, so the first users do not wait.

    Runs in a thread beside the server: requests that come first wait for
    this build (or answer from it), and /health answers at once.
    """
    try:
        broker.snapshot()
    except Exception:  # the first request will raise it again, with its status
        log.exception("warm-up failed; the first request will retry")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start warming up when the server starts (unless settings say not to)."""
    broker: Broker = app.state.broker
    if broker.settings.warm_up:
        threading.Thread(
            target=warm_up, args=(broker,), name="warm-up", daemon=True
        ).start()
    yield


def create_app(
    settings: Settings | None = None, broker: Broker | None = None
) -> FastAPI:
    """Build the API and the pages around a broker (made from settings if none)."""
    if broker is None:
        broker = Broker(settings)
    app = FastAPI(
        title="broker",
        version=_version(),
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.broker = broker
    app.state.pictures = PictureCache()

    problems.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=broker.settings.max_request_bytes)
    app.include_router(api_router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def openapi() -> dict[str, Any]:
        return build_openapi(app)

    app.openapi = openapi  # type: ignore[method-assign]
    log.info(
        "app ready: store %s, embedder %s, request limit %s bytes",
        broker.store.backend,
        broker.settings.embedder,
        broker.settings.max_request_bytes,
    )
    return app
