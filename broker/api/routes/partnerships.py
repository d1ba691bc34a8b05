"""Partnerships, imports and feedback on suggestions."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from broker.api.deps import AdminKey, AnyKey, BrokerDep
from broker.api.routes.organisations import one_record
from broker.api.routes.responses import WRITE, problems
from broker.api.schemas import (
    Feedback,
    FeedbackIn,
    ImportIn,
    ImportReport,
    OrganisationId,
    Partnership,
    PartnershipIn,
    PartnershipList,
)
from broker.errors import NotFound, ValidationFailed
from broker.services.access import require_editor_of
from broker.services.feedback import give_feedback
from broker.services.profiles import import_mapping, list_partnerships, save_partnership

log = logging.getLogger(__name__)

router = APIRouter()


@router.get(
    "/partnerships",
    response_model=PartnershipList,
    tags=["partnerships"],
    summary="List partnerships",
    responses=problems(404, 422),
)
def partnerships(
    broker: BrokerDep,
    organisation: Annotated[
        OrganisationId | None,
        Query(description="Only this organisation's partnerships."),
    ] = None,
) -> PartnershipList:
    """All partnerships, or one organisation's, ordered by pair."""
    found = list_partnerships(broker, organisation)
    return PartnershipList(
        partnerships=[Partnership.model_validate(p.model_dump()) for p in found]
    )


@router.post(
    "/partnerships",
    response_model=Partnership,
    status_code=status.HTTP_201_CREATED,
    tags=["partnerships"],
    summary="Create or update a partnership (admin)",
    responses={
        200: {"model": Partnership, "description": "The pair existed and was updated."},
        **problems(*WRITE, 503),
    },
)
def create_partnership(
    broker: BrokerDep, key: AdminKey, body: PartnershipIn, response: Response
) -> Partnership:
    """Record that two organisations work together; the pair is unordered."""
    pair = {body.a, body.b}
    try:
        existed = any({p.a, p.b} == pair for p in list_partnerships(broker, body.a))
    except NotFound:
        existed = False  # saving names the unknown organisation
    try:
        saved = save_partnership(broker, body.model_dump())
    except ValidationFailed as error:
        raise one_record(error, "partnerships") from None
    log.info("partnership %s-%s saved with key %s", saved.a, saved.b, key.prefix)
    if existed:
        response.status_code = status.HTTP_200_OK
    return Partnership.model_validate(saved.model_dump())


@router.post(
    "/import",
    response_model=ImportReport,
    tags=["organisations"],
    summary="Import organisations and partnerships (admin)",
    responses=problems(*WRITE, 503),
)
def import_file(broker: BrokerDep, key: AdminKey, body: ImportIn) -> ImportReport:
    """Import profiles and partnerships as one transaction; any problem rejects all.

    Organisations are matched on id: new ones are created, changed ones
    updated. Importing the same file twice changes nothing.
    """
    report = import_mapping(broker, body.model_dump(mode="json"))
    log.info("import with key %s: %s", key.prefix, report.as_dict())
    return ImportReport.model_validate(report.as_dict())


@router.post(
    "/feedback",
    response_model=Feedback,
    status_code=status.HTTP_201_CREATED,
    tags=["suggestions"],
    summary="Accept or decline a suggestion (its organisation's editor or an admin)",
    responses=problems(*WRITE, 404),
)
def feedback(broker: BrokerDep, key: AnyKey, body: FeedbackIn) -> Feedback:
    """Record a verdict; a declined suggestion leaves that organisation's list."""
    require_editor_of(key, body.organisation_id)
    given = give_feedback(
        broker, body.organisation_id, body.suggested_id, body.verdict, body.reason
    )
    log.info(
        "%s %s %s with key %s",
        body.organisation_id,
        body.verdict,
        body.suggested_id,
        key.prefix,
    )
    return Feedback(
        organisation_id=given.organisation_id,
        suggested_id=given.suggested_id,
        verdict=body.verdict,
        reason=given.reason,
        created_at=_utc(given.created_at),
    )


def _utc(moment: datetime | None) -> datetime | None:
    """The store's timestamps are UTC; say so, as RFC 3339 requires."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
