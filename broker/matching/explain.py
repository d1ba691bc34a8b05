"""Explanations: plain-English reasons for a suggestion, and a pair's breakdown.

Reasons are built from the vocabulary's labels and the component values,
strongest contribution first. Texts are compared only as vectors, so a
reason about them can say how similar they are, never what they say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from broker.errors import ProblemDetail, ValidationFailed
from broker.geo import geodesic_km
from broker.matching.index import Probe, ProfileIndex, probe
from broker.matching.scoring import (
    KIND_RULES,
    Filters,
    allowed_rows,
    check_filters,
    exclusions,
    harmonic,
    normalise_weights,
    pair_components,
    rank,
)
from broker.vocabulary import (
    BROAD_SUBJECTS,
    KIND_LABELS,
    REGIONS,
    TARGET_GROUPS,
    label,
)

# TODO: these bands suit MiniLM cosines; the static and tfidf embedders spread
# similarities differently. Calibrate per embedder once evaluation reports
# the similarity quantiles of known partners.
CLOSE = 0.6
RELATED = 0.4
MOST_LISTED = 3


def _join(labels: list[str], last: str = " and ") -> str:
    """Join labels as 'a, b and c', naming at most three and counting the rest."""
    if len(labels) > MOST_LISTED:
        rest = len(labels) - MOST_LISTED
        return f"{', '.join(labels[:MOST_LISTED])} and {rest} more"
    if len(labels) < 2:
        return "".join(labels)
    return f"{', '.join(labels[:-1])}{last}{labels[-1]}"


def _ordinal(n: int) -> str:
    """Return 1st, 2nd, 3rd, 4th, 11th, 21st ..."""
    suffix = (
        "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    )
    return f"{n}{suffix}"


def _degree(value: float) -> str:
    return "closely " if value >= CLOSE else ""


def distance_between(index: ProfileIndex, probe: Probe, row: int) -> float | None:
    """Return the geodesic distance in km, or None when either side is unplaced."""
    lat, lon = index.lats[row], index.lons[row]
    own = probe.organisation
    if own.lat is None or own.lon is None or np.isnan(lat) or np.isnan(lon):
        return None
    return geodesic_km((own.lat, own.lon), (float(lat), float(lon)))


def _tag_reasons(index: ProfileIndex, probe: Probe, row: int) -> dict[str, str]:
    """Return reasons from shared target groups, subjects, stages and activities."""
    own, other = probe.organisation, index.organisations[row]
    found: dict[str, str] = {}

    rarity = dict(zip(TARGET_GROUPS, index.target_idf, strict=True))
    groups = sorted(
        set(own.target_groups) & set(other.target_groups),
        key=lambda tag: (-rarity[tag], tag),
    )
    if groups:
        labels = [label("target_groups", tag) for tag in groups]
        found["target_groups"] = f"both work with {_join(labels)}"

    subjects = [tag for tag in own.subjects if tag in other.subjects]
    if subjects:
        labels = [label("subjects", tag) for tag in subjects]
        found["subjects"] = f"both teach {_join(labels)}"
    elif own.subjects and other.subjects:
        found["subjects"] = _broad_subjects(own.subjects, other.subjects)

    stages = [tag for tag in own.stages if tag in other.stages]
    if stages:
        found["stages"] = f"both serve {_join([label('stages', t) for t in stages])}"

    activities = [tag for tag in own.activities if tag in other.activities]
    if activities:
        labels = [label("activities", tag) for tag in activities]
        found["activities"] = f"both run {_join(labels)}"
    return {name: text for name, text in found.items() if text}


def _broad_subjects(own: tuple[str, ...], other: tuple[str, ...]) -> str:
    """Say how a broad subject tag on one side covers the other's subjects."""
    theirs = [tag for tag in other if tag in BROAD_SUBJECTS]
    mine = [tag for tag in own if tag in BROAD_SUBJECTS]
    if theirs:
        covered = _join([label("subjects", tag) for tag in own])
        return (
            f"they cover {label('subjects', theirs[0])}, which includes your {covered}"
        )
    if mine:
        covered = _join([label("subjects", tag) for tag in other])
        return f"you cover {label('subjects', mine[0])}, which includes their {covered}"
    return ""


def _geography_reason(
    index: ProfileIndex, probe: Probe, row: int, distance_km: float | None
) -> str:
    """Say how near the two are: national reach, km apart, or the same region."""
    apart = ""
    if distance_km is not None:
        apart = (
            "less than 1 km apart" if distance_km < 1 else f"{distance_km:.0f} km apart"
        )
    national = "national" in (probe.organisation.reach, index.organisations[row].reach)
    if national:
        return f"national reach, {apart}" if apart else "national reach"
    if apart:
        return apart
    region = probe.organisation.region
    if region is not None and region == index.organisations[row].region:
        return f"both in {REGIONS[region]}"
    return ""


def _network_reason(index: ProfileIndex, probe: Probe, row: int, value: float) -> str:
    """Name the shared partners, or say the link runs through partners' partners."""
    if probe.row is None or value <= 0:
        return ""
    shared = np.intersect1d(index.partners_of(probe.row), index.partners_of(row))
    if not shared.size:
        return "linked through your partners' partners"
    names = sorted(index.organisations[i].name for i in shared)
    noun = "partner" if len(names) == 1 else "partners"
    return f"shares {len(names)} {noun}: {_join(names, last=', ')}"


def _fit_reasons(
    index: ProfileIndex, probe: Probe, row: int, forward: float, backward: float
) -> list[tuple[float, str]]:
    """Phrase both directions of complementarity by the texts that were compared.

    A direction where aims stood in on both sides is left out: it would only
    repeat the aims reason.
    """
    other_offers, other_needs = index.has_offers[row], index.has_needs[row]
    their_offer = "what they offer" if other_offers else "their aims"
    your_need = "what you need" if probe.has_needs else "your aims"
    your_offer = "what you offer" if probe.has_offers else "your aims"
    their_need = "what they need" if other_needs else "their aims"
    found = []
    if forward >= RELATED and (other_offers or probe.has_needs):
        found.append((forward, f"{their_offer} {_degree(forward)}fits {your_need}"))
    if backward >= RELATED and (probe.has_offers or other_needs):
        found.append((backward, f"{your_offer} {_degree(backward)}fits {their_need}"))
    return found


def reasons(
    index: ProfileIndex,
    probe: Probe,
    row: int,
    forward: Mapping[str, float],
    backward_fit: float,
    weights: Mapping[str, float],
    distance_km: float | None,
    is_partner: bool = False,
) -> list[str]:
    """Return plain-English reasons for suggesting row to probe, strongest first.

    Each reason is ranked by its component's weighted contribution; shared
    activities (not a component) come last. The list is never empty: when
    nothing stands out it says how related the aims are.
    """
    ranked: list[tuple[float, str]] = []

    def add(name: str, text: str, value: float | None = None) -> None:
        if text:
            strength = forward[name] if value is None else value
            ranked.append((weights.get(name, 0.0) * strength, text))

    if forward["aims"] >= RELATED:
        add("aims", f"aims are {_degree(forward['aims'])}related")
    fit = forward["complementarity"]
    for value, text in _fit_reasons(index, probe, row, fit, backward_fit):
        add("complementarity", text, value)
    for name, text in _tag_reasons(index, probe, row).items():
        add(name, text, None if name in forward else 0.0)
    add("geography", _geography_reason(index, probe, row, distance_km))
    add("network", _network_reason(index, probe, row, forward["network"]))

    found = [text for _, text in sorted(ranked, key=lambda pair: -pair[0])]
    if not found:
        found = [f"aims are loosely related ({forward['aims']:.2f})"]
    if is_partner:
        found.insert(0, "already partners")
    return found


@dataclass(frozen=True)
class PairExplanation:
    """The full score breakdown for one pair, and where B stands in A's list."""

    a: str
    b: str
    weights: dict[str, float]
    forward: dict[str, float]
    backward: dict[str, float]
    contributions: dict[str, float]
    forward_score: float
    backward_score: float
    score: float
    rank: int | None
    listed: int
    limit: int
    in_list: bool
    why: str
    reasons: list[str] = field(default_factory=list)
    distance_km: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the explanation as a JSON-ready mapping, values to 4 places."""
        return {key: _rounded(value) for key, value in asdict(self).items()}


def _rounded(value: Any) -> Any:
    """Round floats to 4 places, inside mappings too."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return value


def _left_out_because(
    reason: str, index: ProfileIndex, probe: Probe, row: int, filters: Filters
) -> str:
    """Phrase why a row is not in the probe's list at all."""
    own, other = probe.organisation, index.organisations[row]
    if reason == "kind rule":
        shown = ", ".join(KIND_LABELS[kind] for kind in KIND_RULES[own.kind])
        return (
            f"kind rule: a {KIND_LABELS[own.kind]} is not suggested a "
            f"{KIND_LABELS[other.kind]} (only: {shown})"
        )
    if reason == "already partners":
        weight = index.adjacency[probe.row, row]
        status = "active" if weight >= 1 else "past"
        return f"already partners ({status}); include partners to list them"
    if reason == "declined":
        return "declined: one of the two turned this suggestion down"
    if reason == "kind filter":
        return f"filtered out: not a {KIND_LABELS[str(filters.kind)]}"
    if reason == "region filter":
        return f"filtered out: not in {REGIONS[str(filters.region)]}"
    if reason == "distance filter":
        return f"filtered out: not known to be within {filters.max_km:g} km"
    if reason == "target group filter":
        group = TARGET_GROUPS[str(filters.target_group)]
        return f"filtered out: does not work with {group}"
    return "the same organisation"


def explain_pair(
    index: ProfileIndex,
    a_id: str,
    b_id: str,
    *,
    weights: Mapping[str, float],
    declined: Mapping[str, set[str]] | None = None,
    limit: int = 10,
    kind: str | None = None,
    region: str | None = None,
    max_km: float | None = None,
    target_group: str | None = None,
    include_partners: bool = False,
) -> PairExplanation:
    """Break down B's score for A both ways, and say why B is or is not listed.

    The rank is B's place in A's full list (every allowed candidate, scored
    exactly, without diversity re-ordering).
    """
    if a_id == b_id:
        problem = f"got {a_id!r} twice"
        raise ValidationFailed([ProblemDetail("b", problem, "give two organisations")])
    own = probe(index, a_id)
    row = index.row(b_id)
    share = normalise_weights(weights)
    filters = check_filters(
        own, kind=kind, region=region, max_km=max_km, target_group=target_group
    )
    left_out = exclusions(
        index, own, filters, include_partners=include_partners, declined=declined
    )
    allowed = allowed_rows(left_out)

    values, backward_fit = pair_components(index, own, np.array([row]))
    forward = {name: float(v[0]) for name, v in values.items()}
    backward = dict(forward, complementarity=float(backward_fit[0]))
    forward_score = sum(share[name] * forward[name] for name in forward)
    backward_score = sum(share[name] * backward[name] for name in backward)
    distance = distance_between(index, own, row)
    is_partner = probe_is_partner(index, own, row)

    ranking = rank(index, own, share, allowed)
    found = np.flatnonzero(ranking.rows == row)
    position = int(found[0]) + 1 if found.size else None
    listed = len(ranking.rows)
    if position is None:
        reason = next(name for name, mask in left_out.items() if mask[row])
        why = _left_out_because(reason, index, own, row, filters)
    elif position <= limit:
        why = f"ranked {_ordinal(position)} of {listed}; in the top {limit}"
    else:
        why = f"ranked {_ordinal(position)} of {listed}; the list shows {limit}"

    return PairExplanation(
        a=a_id,
        b=b_id,
        weights=share,
        forward=forward,
        backward=backward,
        contributions={name: share[name] * forward[name] for name in forward},
        forward_score=forward_score,
        backward_score=backward_score,
        score=float(harmonic(forward_score, backward_score)),
        rank=position,
        listed=listed,
        limit=limit,
        in_list=position is not None and position <= limit,
        why=why,
        reasons=reasons(
            index,
            own,
            row,
            forward,
            backward["complementarity"],
            share,
            distance,
            is_partner,
        ),
        distance_km=distance,
    )


def probe_is_partner(index: ProfileIndex, probe: Probe, row: int) -> bool:
    """Return whether row is an active or past partner of the probe."""
    return probe.row is not None and bool(np.isin(row, index.partners_of(probe.row)))
