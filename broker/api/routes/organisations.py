"""Organisations: list, read, create, replace and delete profiles."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from broker.api.deps import AdminKey, AnyKey, BrokerDep
from broker.api.routes.responses import WRITE, problems
from broker.api.schemas import (
    Organisation,
    OrganisationIn,
    OrganisationPage,
    Region,
    ReplacementIn,
    TargetGroup,
)
from broker.errors import Conflict, NotFound, ProblemDetail, ValidationFailed
from broker.profiles import ID_PATTERN, Kind
from broker.profiles import Organisation as Profile
from broker.services.access import require_editor_of
from broker.services.profiles import (
    find_organisation,
    remove_organisation,
    save_organisation,
    search_organisations,
)

log = logging.getLogger(__name__)

router = APIRouter(prefix="/organisations", tags=["organisations"])

OrganisationPath = Annotated[
    str,
    Path(
        pattern=ID_PATTERN,
        description="The organisation's id.",
        examples=["university-of-bath"],
    ),
]


def one_record(error: ValidationFailed, section: str) -> ValidationFailed:
    """An import's problems with one record, named as that record's fields."""
    return ValidationFailed(
        [
            ProblemDetail(p.field.removeprefix(f"{section}."), p.problem, p.fix)
            for p in error.problems
        ]
    )


def _stored_contact(broker: BrokerDep, organisation_id: str) -> str | None:
    """The contact e-mail on record (None for a new organisation)."""
    try:
        return find_organisation(broker, organisation_id).contact_email
    except NotFound:
        return None


def _save(broker: BrokerDep, profile: dict[str, Any]) -> tuple[Profile, bool]:
    try:
        return save_organisation(broker, profile)
    except ValidationFailed as error:
        raise one_record(error, "organisations") from None


def public(organisation: Profile) -> Organisation:
    """The public fields of a profile (never its contact details)."""
    return Organisation.model_validate(organisation.public())


@router.get("", response_model=OrganisationPage, summary="List organisations")
def list_organisations(
    broker: BrokerDep,
    kind: Kind | None = None,
    region: Region | None = None,
    target_group: TargetGroup | None = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Text in the name, aims or town."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> OrganisationPage:
    """One page of organisations by name, filtered, with the total that match."""
    found, total = search_organisations(
        broker,
        kind=kind,
        region=region,
        target_group=target_group,
        text=q or None,
        limit=limit,
        offset=offset,
    )
    return OrganisationPage(
        total=total,
        limit=limit,
        offset=offset,
        organisations=[public(o) for o in found],
    )


@router.post(
    "",
    response_model=Organisation,
    status_code=status.HTTP_201_CREATED,
    summary="Create an organisation (admin)",
    responses=problems(*WRITE, 409, 503),
)
def create_organisation(
    broker: BrokerDep, key: AdminKey, body: OrganisationIn, response: Response
) -> Organisation:
    """Create an organisation; an id that is already stored is a conflict."""
    try:
        find_organisation(broker, body.id)
    except NotFound:
        pass
    else:
        msg = (
            f"an organisation with id {body.id!r} already exists; "
            f"change it with PUT /organisations/{body.id}, or choose another id"
        )
        raise Conflict(msg)
    organisation, _ = _save(broker, body.as_profile(body.id))
    log.info("organisation %s created with key %s", body.id, key.prefix)
    response.headers["Location"] = f"/organisations/{body.id}"
    return public(organisation)


@router.get(
    "/{organisation_id}",
    response_model=Organisation,
    summary="Read an organisation",
    responses=problems(404),
)
def read_organisation(
    broker: BrokerDep, organisation_id: OrganisationPath
) -> Organisation:
    """One organisation's public profile."""
    return public(find_organisation(broker, organisation_id))


@router.put(
    "/{organisation_id}",
    response_model=Organisation,
    summary="Replace an organisation's profile (its editor or an admin)",
    responses={
        201: {"model": Organisation, "description": "Created (admin keys only)."},
        **problems(*WRITE, 409, 503),
    },
)
def replace_organisation(
    broker: BrokerDep,
    key: AnyKey,
    organisation_id: OrganisationPath,
    body: ReplacementIn,
    response: Response,
) -> Organisation:
    """Replace the whole profile; fields left out take their defaults.

    The exception is ``contact_email``: reads never return it, so a client
    that sends back what it read would erase it. Left out, it is kept.
    """
    require_editor_of(key, organisation_id)
    if body.id is not None and body.id != organisation_id:
        msg = (
            f"id: the body's id {body.id!r} is not the path's {organisation_id!r}; "
            "leave id out or send the path's id (to rename, create the new id "
            "and delete the old one)"
        )
        raise Conflict(msg)
    profile = body.as_profile(organisation_id)
    if "contact_email" not in body.model_fields_set:
        profile["contact_email"] = _stored_contact(broker, organisation_id)
    organisation, created = _save(broker, profile)
    log.info("organisation %s saved with key %s", organisation_id, key.prefix)
    if created:
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = f"/organisations/{organisation_id}"
    return public(organisation)


@router.delete(
    "/{organisation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete an organisation (admin)",
    responses=problems(401, 403, 404, 422),
)
def delete_organisation(
    broker: BrokerDep, key: AdminKey, organisation_id: OrganisationPath
) -> None:
    """Delete an organisation with its partnerships, feedback and editor keys."""
    remove_organisation(broker, organisation_id)
    log.info("organisation %s deleted with key %s", organisation_id, key.prefix)
