"""Reading and writing organisation profiles."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from broker.errors import NotFound
from broker.profiles import TAG_FIELDS, Organisation
from broker.store.database import bump_version
from broker.store.tables import OrganisationRow

_CHUNK = 500


def join_tags(tags: Iterable[str]) -> str:
    """Store a tag list as ``;a;b;`` so LIKE '%;a;%' finds it."""
    tags = list(tags)
    return f";{';'.join(tags)};" if tags else ""


def split_tags(stored: str) -> tuple[str, ...]:
    """Read a tag list stored by :func:`join_tags`."""
    return tuple(t for t in stored.split(";") if t)


def content_hash(organisation: Organisation) -> str:
    """A hash of every stored field, to tell an unchanged re-import."""
    fields = organisation.model_dump(mode="json")
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def to_row_values(organisation: Organisation) -> dict[str, Any]:
    """The column values of one organisation."""
    values = organisation.model_dump()
    for field in TAG_FIELDS:
        values[field] = join_tags(values[field])
    values["content_hash"] = content_hash(organisation)
    return values


def from_row(row: OrganisationRow | Row[Any]) -> Organisation:
    """Build the domain model back from its row (already valid)."""
    values = {c: getattr(row, c) for c in Organisation.model_fields}
    for field in TAG_FIELDS:
        values[field] = split_tags(values[field])
    return Organisation.model_construct(**values)


def get_organisation(session: Session, organisation_id: str) -> Organisation:
    """Return one organisation, or raise NotFound naming the id."""
    row = session.get(OrganisationRow, organisation_id)
    if row is None:
        msg = (
            f"no organisation with id {organisation_id!r}; "
            "list ids with 'broker orgs' or GET /organisations"
        )
        raise NotFound(msg)
    return from_row(row)


def _filtered(
    query: Select[Any],
    *,
    kind: str | None,
    region: str | None,
    target_group: str | None,
    text: str | None,
) -> Select[Any]:
    if kind:
        query = query.where(OrganisationRow.kind == kind)
    if region:
        query = query.where(OrganisationRow.region == region)
    if target_group:
        query = query.where(OrganisationRow.target_groups.like(f"%;{target_group};%"))
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(
            or_(
                func.lower(OrganisationRow.name).like(pattern),
                func.lower(OrganisationRow.aims).like(pattern),
                func.lower(OrganisationRow.town).like(pattern),
            )
        )
    return query


def list_organisations(
    session: Session,
    *,
    kind: str | None = None,
    region: str | None = None,
    target_group: str | None = None,
    text: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Organisation], int]:
    """Return one page of organisations by name, and how many match in all."""
    filters = {
        "kind": kind,
        "region": region,
        "target_group": target_group,
        "text": text,
    }
    total = session.scalar(_filtered(select(func.count(OrganisationRow.id)), **filters))
    rows = session.scalars(
        _filtered(select(OrganisationRow), **filters)
        .order_by(OrganisationRow.name, OrganisationRow.id)
        .limit(limit)
        .offset(offset)
    )
    return [from_row(row) for row in rows], int(total or 0)


def all_organisations(session: Session) -> list[Organisation]:
    """Every organisation, ordered by id.

    Plain column rows, not ORM objects: at 100k profiles the ORM's identity
    map and instrumentation cost more than reading the rows.
    """
    columns = [getattr(OrganisationRow, f) for f in Organisation.model_fields]
    rows = session.execute(select(*columns).order_by(OrganisationRow.id))
    return [from_row(row) for row in rows]


def existing_ids(session: Session, ids: Iterable[str]) -> set[str]:
    """The subset of ``ids`` that the store holds."""
    found: set[str] = set()
    ids = list(ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found.update(
            session.scalars(
                select(OrganisationRow.id).where(OrganisationRow.id.in_(chunk))
            )
        )
    return found


@dataclass
class WriteCounts:
    """How many records a write created, updated or left as they were."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


def upsert_organisations(
    session: Session, organisations: Sequence[Organisation]
) -> WriteCounts:
    """Insert new organisations and update changed ones, matched on id."""
    counts = WriteCounts()
    for start in range(0, len(organisations), _CHUNK):
        chunk = [to_row_values(o) for o in organisations[start : start + _CHUNK]]
        found = session.execute(
            select(OrganisationRow.id, OrganisationRow.content_hash).where(
                OrganisationRow.id.in_([v["id"] for v in chunk])
            )
        )
        stored: dict[str, str] = dict(found.all())
        new = [v for v in chunk if v["id"] not in stored]
        changed = [
            v
            for v in chunk
            if v["id"] in stored and stored[v["id"]] != v["content_hash"]
        ]
        if new:
            session.execute(insert(OrganisationRow), new)
        if changed:
            for values in changed:
                values["updated_at"] = func.now()
                session.execute(
                    update(OrganisationRow)
                    .where(OrganisationRow.id == values["id"])
                    .values(**values)
                )
        counts.created += len(new)
        counts.updated += len(changed)
        counts.unchanged += len(chunk) - len(new) - len(changed)
    if counts.created or counts.updated:
        bump_version(session)
    return counts


def delete_organisation(session: Session, organisation_id: str) -> None:
    """Delete one organisation with its partnerships and feedback."""
    get_organisation(session, organisation_id)
    session.execute(
        delete(OrganisationRow).where(OrganisationRow.id == organisation_id)
    )
    bump_version(session)
