"""Learned component weights, kept with the report of how they were fitted."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.store.database import bump_version
from broker.store.tables import LearnedWeightsRow


@dataclass(frozen=True)
class LearnedWeights:
    """Weights by component, the fit's report and when it was made."""

    weights: dict[str, float]
    report: dict[str, Any]
    created_at: datetime | None


def save_weights(
    session: Session, weights: dict[str, float], report: dict[str, Any]
) -> None:
    """Store a new set of learned weights; the newest is the one in use."""
    session.add(
        LearnedWeightsRow(weights=json.dumps(weights), report=json.dumps(report))
    )
    session.flush()
    bump_version(session)


def latest_weights(session: Session) -> LearnedWeights | None:
    """The newest learned weights, or None when none were fitted."""
    row = session.scalar(
        select(LearnedWeightsRow).order_by(LearnedWeightsRow.id.desc())
    )
    if row is None:
        return None
    return LearnedWeights(
        json.loads(row.weights), json.loads(row.report), row.created_at
    )
