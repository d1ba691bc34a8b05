"""The JSON API's routes, one module per domain concept."""

from __future__ import annotations

from fastapi import APIRouter

from broker.api.routes import (
    matching,
    organisations,
    partnerships,
    regions,
    system,
)

router = APIRouter()
for module in (system, organisations, matching, partnerships, regions):
    router.include_router(module.router)

__all__ = ["router"]
