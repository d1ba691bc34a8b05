"""Services over feedback on suggestions."""

from __future__ import annotations

from broker.errors import ProblemDetail, ValidationFailed
from broker.services.context import Broker
from broker.store.feedback import VERDICTS, Feedback, all_feedback, record_feedback


def give_feedback(
    broker: Broker,
    organisation_id: str,
    suggested_id: str,
    verdict: str,
    reason: str = "",
) -> Feedback:
    """Record a verdict; a declined suggestion leaves that organisation's list."""
    if verdict not in VERDICTS:
        raise ValidationFailed(
            [
                ProblemDetail(
                    "verdict",
                    f"unknown verdict {verdict!r}",
                    f"use one of: {', '.join(VERDICTS)}",
                )
            ]
        )
    if organisation_id == suggested_id:
        raise ValidationFailed(
            [
                ProblemDetail(
                    "suggested_id",
                    "an organisation cannot rate itself",
                    "give another id",
                )
            ]
        )
    with broker.store.transaction() as session:
        return record_feedback(session, organisation_id, suggested_id, verdict, reason)


def feedback_list(broker: Broker) -> list[Feedback]:
    """Every verdict recorded, oldest first."""
    with broker.store.reading() as session:
        return all_feedback(session)
