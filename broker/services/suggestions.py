"""Services over the matcher: suggestions, what-if matches and explanations."""

from __future__ import annotations

from typing import Any

from broker.profiles import parse_organisation
from broker.services.context import Broker
from broker.services.profiles import check_filters
from broker.store.organisations import get_organisation


def suggest(
    broker: Broker,
    organisation_id: str,
    *,
    kind: str | None = None,
    limit: int = 10,
    region: str | None = None,
    max_km: float | None = None,
    target_group: str | None = None,
    include_partners: bool = False,
    diversity: float = 0.0,
) -> dict[str, Any]:
    """Ranked suggestions for one organisation, as the contract's JSON object."""
    from broker.matching.ranker import suggest as rank

    check_filters(kind=kind, region=region, target_group=target_group)
    with broker.store.reading() as session:
        get_organisation(session, organisation_id)
    snapshot = broker.snapshot()
    found = rank(
        snapshot.index,
        organisation_id,
        weights=snapshot.weights,
        limit=limit,
        kind=kind,
        region=region,
        max_km=max_km,
        target_group=target_group,
        include_partners=include_partners,
        declined=snapshot.declined,
        diversity=diversity,
    )
    return {
        "organisation": organisation_id,
        "suggestions": [s.as_dict() for s in found],
    }


def match_profile(
    broker: Broker,
    data: dict[str, Any],
    *,
    kind: str | None = None,
    limit: int = 10,
    region: str | None = None,
    max_km: float | None = None,
) -> dict[str, Any]:
    """Suggestions for an unsaved profile (what-if); nothing is stored."""
    from broker.geo import locate
    from broker.matching.index import embed_profile
    from broker.matching.ranker import suggest_for_profile

    check_filters(kind=kind, region=region)
    organisation = parse_organisation(data)
    lat, lon, where = locate(
        town=organisation.town,
        postcode=organisation.postcode,
        lat=organisation.lat,
        lon=organisation.lon,
        region=organisation.region,
    )
    organisation = organisation.model_copy(
        update={"lat": lat, "lon": lon, "region": where}
    )
    snapshot = broker.snapshot()
    vectors = embed_profile(organisation, broker.embedder)
    found = suggest_for_profile(
        snapshot.index,
        organisation,
        vectors,
        weights=snapshot.weights,
        limit=limit,
        kind=kind,
        region=region,
        max_km=max_km,
    )
    return {
        "organisation": organisation.id,
        "suggestions": [s.as_dict() for s in found],
    }


def explain(broker: Broker, a: str, b: str, *, limit: int = 10) -> dict[str, Any]:
    """The full score breakdown for one pair, and why B is or is not in A's list."""
    from broker.matching.explain import explain_pair

    with broker.store.reading() as session:
        get_organisation(session, a)
        get_organisation(session, b)
    snapshot = broker.snapshot()
    found = explain_pair(
        snapshot.index,
        a,
        b,
        weights=snapshot.weights,
        declined=snapshot.declined,
        limit=limit,
    )
    return found.as_dict()
