"""Small hand-built profiles and text vectors for the matching tests.

Text vectors are built by hand on a few named axes (``topic``), so every
expected similarity is known without a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from broker.matching.index import ProfileIndex, build_index
from broker.profiles import TEXT_FIELDS, Organisation, Partnership, Status

# Newcastle; Gateshead, 2 km away; Durham, 23 km away; Bristol, far south.
NEWCASTLE = (54.9783, -1.6178)
GATESHEAD = (54.9527, -1.6034)
DURHAM = (54.7761, -1.5733)
BRISTOL = (51.4545, -2.5879)

AXES = ("physics", "girls", "mentoring", "funding", "maths", "arts", "careers", "rural")
DIMENSION = len(AXES)


def topic(*weights: tuple[str, float] | str) -> np.ndarray:
    """A unit vector along the named axes, e.g. topic("physics", ("girls", 0.5))."""
    vector = np.zeros(DIMENSION, dtype=np.float32)
    for item in weights:
        name, weight = (item, 1.0) if isinstance(item, str) else item
        vector[AXES.index(name)] += weight
    return vector / np.linalg.norm(vector)


def org(
    id: str,
    kind: str = "tso",
    *,
    at: tuple[float, float] | None = NEWCASTLE,
    region: str | None = "north-east",
    reach: str = "local",
    offers: str = "",
    needs: str = "",
    name: str | None = None,
    **tags: Sequence[str],
) -> Organisation:
    """An organisation with the fields the matcher reads."""
    data: dict[str, Any] = {
        "id": id,
        "name": name or id.replace("-", " ").title(),
        "kind": kind,
        "aims": f"aims of {id}",
        "offers": offers,
        "needs": needs,
        "region": region,
        "reach": reach,
        **{field: list(values) for field, values in tags.items()},
    }
    if at is not None:
        data["lat"], data["lon"] = at
    return Organisation.model_validate(data)


def links(
    pairs: Sequence[tuple[str, str]], status: Status = "active"
) -> list[Partnership]:
    """Partnerships of one status between the given pairs."""
    return [Partnership(a=a, b=b, status=status) for a, b in pairs]


def index_of(
    organisations: Sequence[Organisation],
    texts: Mapping[str, Mapping[str, np.ndarray]] | None = None,
    partnerships: Sequence[Partnership] = (),
) -> ProfileIndex:
    """Build an index; ``texts`` maps id to its hand-made aims/offers/needs.

    Aims default to the "physics" axis; offers and needs default to zero
    (empty) unless the profile has the text and a vector is given.
    """
    texts = texts or {}
    n = len(organisations)
    vectors = {name: np.zeros((n, DIMENSION), dtype=np.float32) for name in TEXT_FIELDS}
    for row, organisation in enumerate(organisations):
        given = texts.get(organisation.id, {})
        vectors["aims"][row] = given.get("aims", topic("physics"))
        for name in ("offers", "needs"):
            if name in given:
                vectors[name][row] = given[name]
    return build_index(organisations, vectors, partnerships)
