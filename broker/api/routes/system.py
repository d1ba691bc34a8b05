"""Health of the service."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from broker.api.deps import BrokerDep
from broker.api.schemas import Health
from broker.services.profiles import search_organisations

log = logging.getLogger(__name__)

router = APIRouter(tags=["system"])


@router.get("/health", response_model=Health, summary="Is the service up?")
def health(broker: BrokerDep) -> Health:
    """Whether the service is up, its store version, embedder and size."""
    _, total = search_organisations(broker, limit=1)
    return Health(
        store_version=broker.store.version(),
        embedder=broker.settings.embedder,
        organisations=total,
    )
