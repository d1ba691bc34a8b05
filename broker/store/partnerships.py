"""Reading and writing partnerships."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from broker.profiles import Partnership
from broker.store.database import bump_version
from broker.store.organisations import WriteCounts
from broker.store.tables import PartnershipRow

_FIELDS = ("activity", "since", "until", "status")


def _from_row(row: PartnershipRow) -> Partnership:
    return Partnership.model_construct(
        a=row.a,
        b=row.b,
        activity=row.activity,
        since=row.since,
        until=row.until,
        status=row.status,
    )


def all_partnerships(session: Session) -> list[Partnership]:
    """Every partnership, ordered by pair."""
    rows = session.scalars(select(PartnershipRow).order_by(PartnershipRow.a, PartnershipRow.b))
    return [_from_row(row) for row in rows]


def partnerships_of(session: Session, organisation_id: str) -> list[Partnership]:
    """The partnerships one organisation is part of."""
    rows = session.scalars(
        select(PartnershipRow)
        .where(or_(PartnershipRow.a == organisation_id, PartnershipRow.b == organisation_id))
        .order_by(PartnershipRow.a, PartnershipRow.b)
    )
    return [_from_row(row) for row in rows]


def upsert_partnerships(
    session: Session, partnerships: Sequence[Partnership]
) -> WriteCounts:
    """Insert or update partnerships; the same pair in either order is one."""
    counts = WriteCounts()
    for partnership in partnerships:
        a, b = partnership.key
        row = session.get(PartnershipRow, (a, b))
        values = {f: getattr(partnership, f) for f in _FIELDS}
        if row is None:
            session.add(PartnershipRow(a=a, b=b, **values))
            counts.created += 1
        elif any(getattr(row, f) != v for f, v in values.items()):
            for field, value in values.items():
                setattr(row, field, value)
            counts.updated += 1
        else:
            counts.unchanged += 1
    session.flush()
    if counts.created or counts.updated:
        bump_version(session)
    return counts
