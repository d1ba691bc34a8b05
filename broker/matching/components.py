"""Score components: one organisation against many candidates, vectorised.

Each function returns one value per candidate in [0, 1], higher is a better
match. Only complementarity is directional (what A needs against what B
offers is not what B needs against what A offers); the others are symmetric,
so the reverse score B -> A differs from A -> B only through it.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from broker.vocabulary import BROAD_SUBJECTS, REACHES, STAGES, SUBJECTS

COMPONENTS: tuple[str, ...] = (
    "aims",
    "complementarity",
    "target_groups",
    "subjects",
    "stages",
    "geography",
    "network",
)

# Complementarity loses this much for each side whose own text is missing and
# whose aims stand in for it, so aims alone never count twice at full weight.
FALLBACK_DISCOUNT = 0.25

# Geography, by reach: the distance at which nearness falls to 1/e, the floor
# for two organisations in the same region, and the floor anywhere.
REACH_SCALE_KM: dict[str, float] = {"local": 25.0, "regional": 100.0, "national": 300.0}
SAME_REGION_FLOOR: dict[str, float] = {"local": 0.25, "regional": 0.85, "national": 1.0}
ANYWHERE_FLOOR: dict[str, float] = {"local": 0.0, "regional": 0.0, "national": 0.5}
UNKNOWN_GEOGRAPHY = 0.5
EARTH_RADIUS_KM = 6371.0088

# Network: weight of paths of length three against shared partners.
THIRD_ORDER = 0.5

# Subjects: a broad tag spreads over every specific STEM subject at this
# share; "all-subjects" also points beyond STEM.
BROAD_SHARE = 0.5
# Stages: neighbouring rungs of the learner journey match at this share.
STAGE_LADDER: tuple[str, ...] = (
    "primary",
    "ks3",
    "ks4",
    "ks5",
    "undergraduate",
    "postgraduate",
)
NEIGHBOUR_SHARE = 0.2


def _subject_space() -> np.ndarray:
    """Map subject tags to specific STEM subjects plus one 'beyond STEM' axis."""
    specific = [tag for tag in SUBJECTS if tag not in BROAD_SUBJECTS]
    space = np.zeros((len(SUBJECTS), len(specific) + 1))
    for i, tag in enumerate(SUBJECTS):
        if tag in BROAD_SUBJECTS:
            space[i, : len(specific)] = BROAD_SHARE
            space[i, -1] = 1.0 if tag == "all-subjects" else 0.0
        else:
            space[i, specific.index(tag)] = 1.0
    return space


def _stage_space() -> np.ndarray:
    """Map stage tags to themselves plus a share of their ladder neighbours."""
    tags = list(STAGES)
    space = np.eye(len(tags))
    for lower, upper in zip(STAGE_LADDER, STAGE_LADDER[1:], strict=False):
        space[tags.index(lower), tags.index(upper)] = NEIGHBOUR_SHARE
        space[tags.index(upper), tags.index(lower)] = NEIGHBOUR_SHARE
    return space


SUBJECT_SPACE = _subject_space()
STAGE_SPACE = _stage_space()
_SCALES = np.array([REACH_SCALE_KM[reach] for reach in REACHES], dtype=np.float32)
_REGION_FLOORS = np.array(
    [SAME_REGION_FLOOR[reach] for reach in REACHES], dtype=np.float32
)
_FLOORS = np.array([ANYWHERE_FLOOR[reach] for reach in REACHES], dtype=np.float32)


def idf_weights(tags: sparse.csr_matrix) -> np.ndarray:
    """Smoothed inverse document frequency of each tag column.

    ``log((1 + n) / (1 + df)) + 1``, as in scikit-learn: at least 1, larger
    for rarer tags; a tag nobody uses gets the largest weight.
    """
    n = tags.shape[0]
    df = np.bincount(tags.indices, minlength=tags.shape[1])
    return np.asarray(np.log((1.0 + n) / (1.0 + df)) + 1.0, dtype=np.float64)


def aims(matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Similarity of aims: cosine of unit vectors, negatives clipped to 0.

    Range [0, 1]. An empty aims text (a zero vector) on either side gives 0.
    Clipping rather than rescaling keeps unrelated texts (cosine near 0) at
    the bottom instead of lifting them to 0.5.
    """
    return np.asarray(np.maximum(matrix @ query, 0.0), dtype=np.float32)


def fallback_discount(matrix_own: np.ndarray, vector_own: bool) -> np.ndarray:
    """Return 1, less 0.25 for each side whose aims stand in for its own text."""
    missing = (~matrix_own).astype(np.float32) + (0.0 if vector_own else 1.0)
    return np.asarray(1.0 - FALLBACK_DISCOUNT * missing, dtype=np.float32)


def complementarity(
    cosine: np.ndarray, candidates_own: np.ndarray, query_own: bool
) -> np.ndarray:
    """How well one side's needs meet the other side's offers.

    ``cosine`` is that of the candidates' offers (or needs) with the query's
    needs (or offers), the aims standing in where a text is empty; the
    ``*_own`` flags say whether each text was the organisation's own.
    Definition: the cosine clipped at 0, less a quarter for each side whose
    aims stood in (see :func:`fallback_discount`). Range [0, 1]; with both
    texts missing it is half the aims similarity, and 0 when an aims text is
    empty as well.
    """
    fit = np.maximum(cosine, 0.0) * fallback_discount(candidates_own, query_own)
    return np.asarray(fit, dtype=np.float32)


def tag_overlap(matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosine of tag vectors whose rows are already unit length (or zero).

    Used for target groups (IDF-weighted, so a shared rare group counts more
    than a shared common one), subjects (broad tags spread over the specific
    ones, so "general-stem" partly matches "physics") and stages (neighbouring
    stages partly match). Range [0, 1]; no tags on either side gives 0.
    """
    return np.asarray(matrix @ query, dtype=np.float32)


def chord_km(points: np.ndarray, point: np.ndarray) -> np.ndarray:
    """Distances in km from one unit-sphere point to many, NaN when unknown.

    The chord through the earth, which is within 0.1% of the great-circle
    distance up to 1,000 km and cheaper to compute for many candidates.
    """
    found = np.asarray(points @ point, dtype=np.float64)
    # 2 - 2 cos is the squared chord; in place, one array for 100k rows.
    found *= -2.0
    found += 2.0
    np.maximum(found, 0.0, out=found)
    np.sqrt(found, out=found)
    found *= EARTH_RADIUS_KM
    return found


def geography(
    distance_km: np.ndarray,
    reach: int,
    reaches: np.ndarray,
    same_region: np.ndarray,
) -> np.ndarray:
    """Nearness, with the wider reach of the pair setting the scale.

    Definition: ``exp(-d / s)``, ``s`` being 25 km for local, 100 km for
    regional and 300 km for national reach, taken from whichever side
    reaches further because either side can travel; raised to the
    same-region floor (0.25 local, 0.85 regional, 1 national) when both name
    the same region, and to 0.5 anywhere when either is national. Range
    [0, 1]. Unknown coordinates on either side give 0.5 before the floors.
    """
    # REACHES runs from narrowest to widest, so the larger code reaches further;
    # look the pair's scale and floors up by the other side's reach.
    wider = np.maximum(reach, np.arange(len(REACHES)))
    codes = reaches.astype(np.intp)
    near = distance_km.astype(np.float32)
    near *= np.take(-1.0 / _SCALES[wider], codes)
    np.exp(near, out=near)
    near[np.isnan(near)] = UNKNOWN_GEOGRAPHY
    # Each row's floor in one flat lookup: by reach, offset when same region
    # (a two-dimensional fancy index took three times as long).
    floors = np.concatenate([_FLOORS[wider], _REGION_FLOORS[wider]])
    codes[same_region] += len(REACHES)
    found: np.ndarray = np.maximum(near, np.take(floors, codes))
    return found


def network(
    adjacency: sparse.csr_matrix, strength: np.ndarray, row: int | None
) -> np.ndarray:
    """Closeness in the partnership graph, squashed to [0, 1].

    Definition: ``1 - exp(-(AA + 0.5 * RA3))`` where AA is the weighted
    Adamic-Adar sum over shared partners z of ``w(a,z) w(z,b) / log(1 + s_z)``
    (``s_z``: z's weighted number of partners) and RA3 the resource
    allocation over paths a-x-y-b, ``w w w / (s_x s_y)``, for partners of
    partners. An organisation with no partners (or unsaved, ``row`` None)
    gives 0 everywhere. References: Adamic and Adar (2003); Lü, Jin and Zhou,
    "Similarity index based on local paths" (2009).
    """
    n = adjacency.shape[0]
    if row is None or adjacency.indptr[row] == adjacency.indptr[row + 1]:
        return np.zeros(n, dtype=np.float32)

    partners = adjacency.indices[adjacency.indptr[row] : adjacency.indptr[row + 1]]
    weights = adjacency.data[adjacency.indptr[row] : adjacency.indptr[row + 1]]
    shared = _spread(adjacency, partners, weights / np.log1p(strength[partners]))
    first = _spread(adjacency, partners, weights / strength[partners])
    middle = np.flatnonzero(first)
    paths = _spread(adjacency, middle, first[middle] / strength[middle])
    total = shared + THIRD_ORDER * paths
    return np.asarray(-np.expm1(-total), dtype=np.float32)


def _spread(
    adjacency: sparse.csr_matrix, rows: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Return the weighted sum of the given rows of the matrix, dense."""
    starts = adjacency.indptr[rows]
    lengths = adjacency.indptr[rows + 1] - starts
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    picks = offsets + np.arange(lengths.sum())
    values = np.repeat(weights, lengths) * adjacency.data[picks]
    return np.bincount(
        adjacency.indices[picks], weights=values, minlength=adjacency.shape[0]
    )
