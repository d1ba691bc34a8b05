"""Suggestions: for a stored organisation, for an unsaved profile, and why."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query

from broker.api.deps import BrokerDep
from broker.api.routes.organisations import OrganisationPath
from broker.api.routes.responses import problems
from broker.api.schemas import Explanation, MatchIn, Region, SuggestionList, TargetGroup
from broker.profiles import Kind
from broker.services.suggestions import explain, match_profile, suggest

log = logging.getLogger(__name__)

router = APIRouter(tags=["suggestions"])

KindFilter = Annotated[
    Kind | None,
    Query(
        description=(
            "Only partners of this kind. It must be a kind this organisation is "
            "ever suggested: universities are suggested TSOs and schools; TSOs "
            "any but learner groups; schools and learner groups TSOs and "
            "universities."
        )
    ),
]
Limit = Annotated[int, Query(ge=1, le=100, description="How many suggestions.")]
MaxKm = Annotated[
    float | None,
    Query(
        gt=0,
        le=20_000,
        allow_inf_nan=False,
        description="Only partners within this distance, in km.",
    ),
]


@router.get(
    "/organisations/{organisation_id}/suggestions",
    response_model=SuggestionList,
    summary="Suggested partners for an organisation",
    responses=problems(404, 422, 503),
)
def suggestions(
    broker: BrokerDep,
    organisation_id: OrganisationPath,
    kind: KindFilter = None,
    limit: Limit = 10,
    region: Annotated[
        Region | None, Query(description="Only partners in this region.")
    ] = None,
    max_km: MaxKm = None,
    target_group: Annotated[
        TargetGroup | None, Query(description="Only partners that serve this group.")
    ] = None,
    include_partners: Annotated[
        bool, Query(description="Also list organisations that are partners already.")
    ] = False,
) -> dict[str, Any]:
    """Ranked suggestions with score components and reasons, best first.

    Suggestions the organisation has declined are left out.
    """
    return suggest(
        broker,
        organisation_id,
        kind=kind,
        limit=limit,
        region=region,
        max_km=max_km,
        target_group=target_group,
        include_partners=include_partners,
    )


@router.post(
    "/match",
    response_model=SuggestionList,
    summary="Suggested partners for an unsaved profile (what-if)",
    responses=problems(400, 413, 422, 503),
)
def match(
    broker: BrokerDep,
    body: MatchIn,
    kind: KindFilter = None,
    limit: Limit = 10,
    region: Annotated[
        Region | None, Query(description="Only partners in this region.")
    ] = None,
    max_km: MaxKm = None,
) -> dict[str, Any]:
    """Describe an organisation and see who it should talk to; nothing is stored."""
    return match_profile(
        broker,
        body.as_profile(body.id),
        kind=kind,
        limit=limit,
        region=region,
        max_km=max_km,
    )


@router.get(
    "/organisations/{organisation_id}/explain/{other_id}",
    response_model=Explanation,
    summary="Why one organisation is or is not suggested to another",
    responses=problems(404, 422, 503),
)
def explanation(
    broker: BrokerDep,
    organisation_id: OrganisationPath,
    other_id: OrganisationPath,
) -> dict[str, Any]:
    """The full score breakdown for the pair, and where the other stands in the list."""
    return explain(broker, organisation_id, other_id)
