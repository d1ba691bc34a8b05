"""The documented error responses of a route, by status."""

from __future__ import annotations

from typing import Any

from broker.api.problems import KINDS
from broker.api.schemas import Problem

# Statuses that every write may answer with.
WRITE = (400, 401, 403, 413, 422)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI responses for these problem statuses.

    The app's OpenAPI document serves them as ``application/problem+json``.
    """
    return {
        status: {"model": Problem, "description": KINDS[status][1]}
        for status in sorted(set(statuses))
    }
