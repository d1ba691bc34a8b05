"""Suggestions: who to partner with, best first, each with its reasons.

A query scans every row once for the cheap symmetric components, scores a
shortlist exactly both ways (see :func:`broker.matching.scoring.rank`), and
only then does per-suggestion work: reasons and geodesic distances.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from broker.errors import ProblemDetail, ValidationFailed
from broker.matching.explain import distance_between, probe_is_partner, reasons
from broker.matching.index import Probe, ProfileIndex, probe, probe_profile
from broker.matching.scoring import (
    allowed_rows,
    check_filters,
    exclusions,
    normalise_weights,
    pair_components,
    rank,
)
from broker.profiles import Organisation

# With diversity on, re-ordering picks from this many times ``limit``.
DIVERSITY_POOL = 5


@dataclass(frozen=True)
class Suggestion:
    """One suggested partner, with its reciprocal score and the reasons."""

    id: str
    name: str
    kind: str
    score: float
    components: dict[str, float]
    reasons: list[str]
    distance_km: float | None
    is_partner: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the suggestion object of ``broker suggest --json``."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "score": round(self.score, 4),
            "components": {k: round(v, 4) for k, v in self.components.items()},
            "reasons": list(self.reasons),
            "distance_km": None
            if self.distance_km is None
            else round(self.distance_km, 1),
            "is_partner": self.is_partner,
        }


def diversify(
    aims: np.ndarray, scores: np.ndarray, limit: int, diversity: float
) -> list[int]:
    """Pick ``limit`` positions by maximal marginal relevance over aims vectors.

    Each step takes the candidate with the largest
    ``(1 - diversity) * score - diversity * (max similarity to those taken)``
    (Carbonell and Goldstein, 1998). ``diversity`` 0 keeps the score order;
    0.3 breaks up near-identical aims without losing relevance; 1 ignores
    the score after the first pick.
    """
    similar = np.maximum(aims @ aims.T, 0.0)
    taken: list[int] = []
    penalty = np.zeros(len(scores), dtype=np.float32)
    free = np.ones(len(scores), dtype=bool)
    for _ in range(min(limit, len(scores))):
        value = np.where(free, (1 - diversity) * scores - diversity * penalty, -np.inf)
        pick = int(np.argmax(value))
        taken.append(pick)
        free[pick] = False
        penalty = np.maximum(penalty, similar[pick])
    return taken


def _suggest(
    index: ProfileIndex,
    query: Probe,
    *,
    weights: Mapping[str, float],
    limit: int,
    kind: str | None,
    region: str | None,
    max_km: float | None,
    target_group: str | None,
    include_partners: bool,
    declined: Mapping[str, set[str]] | None,
    diversity: float,
) -> list[Suggestion]:
    """Rank, diversify and explain the suggestions for one probe."""
    if limit < 1:
        raise ValidationFailed(
            [ProblemDetail("limit", f"got {limit}", "ask for 1 or more")]
        )
    if not 0 <= diversity <= 1:
        problem = f"got {diversity}"
        raise ValidationFailed([ProblemDetail("diversity", problem, "use 0 to 1")])
    share = normalise_weights(weights)
    filters = check_filters(
        query, kind=kind, region=region, max_km=max_km, target_group=target_group
    )
    left_out = exclusions(
        index, query, filters, include_partners=include_partners, declined=declined
    )
    allowed = allowed_rows(left_out)

    pool = limit * DIVERSITY_POOL if diversity > 0 else limit
    ranking = rank(index, query, share, allowed, top=pool)
    rows, scores = ranking.rows[:pool], ranking.score[:pool]
    if diversity > 0:
        picked = diversify(index.aims[rows], scores, limit, diversity)
        rows, scores = rows[picked], scores[picked]

    values, backward = pair_components(index, query, rows, ranking.symmetric)
    found = []
    for i, row in enumerate(rows.tolist()):
        forward = {name: float(column[i]) for name, column in values.items()}
        distance = distance_between(index, query, row)
        partner = probe_is_partner(index, query, row)
        other = index.organisations[row]
        found.append(
            Suggestion(
                id=other.id,
                name=other.name,
                kind=other.kind,
                score=float(scores[i]),
                components=forward,
                reasons=reasons(
                    index,
                    query,
                    row,
                    forward,
                    float(backward[i]),
                    share,
                    distance,
                    partner,
                ),
                distance_km=distance,
                is_partner=partner,
            )
        )
    return found


def suggest(
    index: ProfileIndex,
    org_id: str,
    *,
    weights: Mapping[str, float],
    limit: int = 10,
    kind: str | None = None,
    region: str | None = None,
    max_km: float | None = None,
    target_group: str | None = None,
    include_partners: bool = False,
    declined: Mapping[str, set[str]] | None = None,
    diversity: float = 0.0,
) -> list[Suggestion]:
    """Return the best partners for an indexed organisation, best first.

    Raises NotFound for an unknown id and ValidationFailed for a bad filter.
    Existing partners are left out unless ``include_partners``, then marked;
    pairs in ``declined`` (id -> declined ids, either way) are left out.
    """
    return _suggest(
        index,
        probe(index, org_id),
        weights=weights,
        limit=limit,
        kind=kind,
        region=region,
        max_km=max_km,
        target_group=target_group,
        include_partners=include_partners,
        declined=declined,
        diversity=diversity,
    )


def suggest_for_profile(
    index: ProfileIndex,
    organisation: Organisation,
    vectors: Mapping[str, np.ndarray],
    *,
    weights: Mapping[str, float],
    limit: int = 10,
    kind: str | None = None,
    region: str | None = None,
    max_km: float | None = None,
    target_group: str | None = None,
    include_partners: bool = False,
    declined: Mapping[str, set[str]] | None = None,
    diversity: float = 0.0,
) -> list[Suggestion]:
    """Return suggestions for an unsaved profile (what-if); nothing is stored.

    ``vectors`` maps "aims", "offers" and "needs" to (d,) vectors from the
    embedder that built the index (see ``index.embed_profile``).
    """
    return _suggest(
        index,
        probe_profile(index, organisation, vectors),
        weights=weights,
        limit=limit,
        kind=kind,
        region=region,
        max_km=max_km,
        target_group=target_group,
        include_partners=include_partners,
        declined=declined,
        diversity=diversity,
    )
