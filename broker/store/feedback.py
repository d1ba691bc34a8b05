"""Feedback on suggestions: accepted, declined or contacted."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.store.database import bump_version
from broker.store.organisations import get_organisation
from broker.store.tables import FeedbackRow

Verdict = Literal["accepted", "declined", "contacted"]
VERDICTS: tuple[str, ...] = ("accepted", "declined", "contacted")


@dataclass(frozen=True)
class Feedback:
    """One recorded verdict on a suggestion."""

    organisation_id: str
    suggested_id: str
    verdict: str
    reason: str
    created_at: datetime | None = None


def record_feedback(
    session: Session, organisation_id: str, suggested_id: str, verdict: str, reason: str
) -> Feedback:
    """Store one verdict; both organisations must exist."""
    get_organisation(session, organisation_id)
    get_organisation(session, suggested_id)
    row = FeedbackRow(
        organisation_id=organisation_id,
        suggested_id=suggested_id,
        verdict=verdict,
        reason=reason,
    )
    session.add(row)
    session.flush()
    bump_version(session)
    return Feedback(organisation_id, suggested_id, verdict, reason, row.created_at)


def all_feedback(session: Session) -> list[Feedback]:
    """Every verdict, oldest first."""
    rows = session.scalars(select(FeedbackRow).order_by(FeedbackRow.id))
    return [
        Feedback(r.organisation_id, r.suggested_id, r.verdict, r.reason, r.created_at)
        for r in rows
    ]


def declined_pairs(feedback: list[Feedback]) -> dict[str, set[str]]:
    """Which suggestions each organisation has declined (its latest verdict)."""
    latest: dict[tuple[str, str], str] = {}
    for item in feedback:
        latest[(item.organisation_id, item.suggested_id)] = item.verdict
    declined: dict[str, set[str]] = defaultdict(set)
    for (organisation_id, suggested_id), verdict in latest.items():
        if verdict == "declined":
            declined[organisation_id].add(suggested_id)
    return dict(declined)
