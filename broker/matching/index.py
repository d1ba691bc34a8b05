"""The in-memory profile index: vectors, places, tag sets and partnerships.

Built from data (organisations, their text vectors, partnerships), never
from a session. Search over it is exact: every query scans all rows, and a
low-rank sketch of the offers and needs only decides which rows are scored
in full first (see :func:`broker.matching.scoring.rank`).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from broker.errors import NotFound, ProblemDetail, ValidationFailed
from broker.matching.components import STAGE_SPACE, SUBJECT_SPACE, idf_weights
from broker.matching.embedders import Embedder, FittableEmbedder, unit_rows
from broker.profiles import TAG_FIELDS, TEXT_FIELDS, Organisation, Partnership
from broker.vocabulary import KINDS, REACHES, REGIONS, VOCABULARIES

log = logging.getLogger(__name__)

PARTNERSHIP_WEIGHTS: Mapping[str, float] = {"active": 1.0, "past": 0.5}
OVERLAP_FIELDS: tuple[str, ...] = ("target_groups", "subjects", "stages")
SKETCH_RANK = 32
# Rows per step when the sketch sums its Gram matrix.
_SKETCH_BLOCK = 8192
REGION_CODES = {region: code for code, region in enumerate(REGIONS)}


def _column_slices() -> dict[str, slice]:
    """Return where each tag field's columns sit in the stacked tag matrix."""
    slices, start = {}, 0
    for name in TAG_FIELDS:
        width = len(VOCABULARIES[name])
        slices[name] = slice(start, start + width)
        start += width
    return slices


_COLUMNS = _column_slices()


def tag_matrix(organisations: Sequence[Organisation]) -> sparse.csr_matrix:
    """Return a binary matrix of every tag, the fields' vocabularies side by side."""
    columns = {
        (name, tag): _COLUMNS[name].start + i
        for name in TAG_FIELDS
        for i, tag in enumerate(VOCABULARIES[name])
    }
    indptr, indices = [0], []
    for org in organisations:
        found = {
            columns[name, tag] for name in TAG_FIELDS for tag in getattr(org, name)
        }
        indices.extend(sorted(found))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    shape = (len(organisations), _COLUMNS[TAG_FIELDS[-1]].stop)
    return sparse.csr_matrix((data, indices, indptr), shape=shape)


def overlap_vectors(
    tags: sparse.csr_matrix, target_idf: np.ndarray
) -> dict[str, np.ndarray]:
    """Return the unit-length vectors that tag overlap is scored on, by field.

    Target groups are weighted by inverse document frequency; subjects and
    stages are spread over their related tags (see components).
    """
    weighted = tags[:, _COLUMNS["target_groups"]] @ sparse.diags(target_idf)
    return {
        "target_groups": unit_rows(weighted.toarray()),
        "subjects": unit_rows(tags[:, _COLUMNS["subjects"]] @ SUBJECT_SPACE),
        "stages": unit_rows(tags[:, _COLUMNS["stages"]] @ STAGE_SPACE),
    }


def unit_points(lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Return (n, 3) points on the unit sphere; NaN where coordinates are unknown."""
    phi, lam = np.radians(lats), np.radians(lons)
    return np.column_stack(
        [np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)]
    )


def adjacency_of(
    rows: Mapping[str, int], partnerships: Iterable[Partnership]
) -> sparse.csr_matrix:
    """Return the symmetric partnership matrix: active 1.0, past 0.5.

    Proposed partnerships are left out. A pair listed twice keeps its larger
    weight; a partnership naming an organisation outside the index is skipped
    with a warning.
    """
    weights: dict[tuple[int, int], float] = {}
    for link in partnerships:
        weight = PARTNERSHIP_WEIGHTS.get(link.status)
        if weight is None:
            continue
        missing = [side for side in (link.a, link.b) if side not in rows]
        if missing:
            log.warning(
                "partnership %s-%s skipped: %s is not in the index",
                link.a,
                link.b,
                missing[0],
            )
            continue
        low, high = sorted((rows[link.a], rows[link.b]))
        weights[low, high] = max(weights.get((low, high), 0.0), weight)

    n = len(rows)
    pairs = np.array(list(weights), dtype=np.int64).reshape(-1, 2)
    data = np.array(list(weights.values()), dtype=np.float64)
    upper = sparse.coo_matrix((data, (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return sparse.csr_matrix(upper + upper.T)


@dataclass(frozen=True, eq=False)
class Sketch:
    """A low-rank view of every row's offers and needs, to bound complementarity.

    Rows are the texts complementarity compares: the offers (or needs), with
    the aims standing in where the text is empty. Each is split into its
    projection on ``basis`` (the leading directions of all of them) and the
    length of what is left over, so by Cauchy-Schwarz
    ``row . v <= low . (basis' v) + rest * |v - basis basis' v|`` for any v.
    ``matrix`` holds offers low, needs low, offers rest and needs rest side
    by side, so one product bounds both directions for every row.
    """

    basis: np.ndarray
    matrix: np.ndarray

    def bounds(self, need: np.ndarray, offer: np.ndarray) -> np.ndarray:
        """Return (n, 2) upper bounds of each row's offers . need and needs . offer."""
        rank = self.basis.shape[1]
        query = np.zeros((2 * rank + 2, 2), dtype=np.float32)
        for column, vector in enumerate((need, offer)):
            low = self.basis.T @ vector
            query[column * rank : (column + 1) * rank, column] = low
            query[2 * rank + column, column] = _leftover(vector @ vector, low @ low)
        return np.asarray(self.matrix @ query, dtype=np.float32)


def _leftover(total: float | np.ndarray, kept: float | np.ndarray) -> np.ndarray:
    """Length of a vector's part outside the basis, rounded up for safety."""
    return np.asarray(np.sqrt(np.maximum(total - kept, 0.0)) + 1e-3, dtype=np.float32)


def sketch_of(aims: np.ndarray, offers: np.ndarray, needs: np.ndarray) -> Sketch:
    """Build the sketch of the offers and needs (aims standing in for empty ones).

    Works a block of rows at a time and never copies a whole text matrix:
    at 100,000 profiles the copies (and a float64 Gram product) had raised
    the index build's peak memory to 2.0 GB, against 1.5 GB without them.
    """
    owns = [np.any(texts != 0, axis=1) for texts in (offers, needs)]
    width = aims.shape[1]
    gram = np.zeros((width, width), dtype=np.float64)
    for texts, own in zip((offers, needs), owns, strict=True):
        for start in range(0, len(aims), _SKETCH_BLOCK):
            rows = slice(start, start + _SKETCH_BLOCK)
            block = np.where(own[rows, None], texts[rows], aims[rows])
            gram += block.T @ block  # float32 within a block, summed in float64
    _, directions = np.linalg.eigh(gram)
    rank = min(SKETCH_RANK, width)
    basis = np.ascontiguousarray(directions[:, ::-1][:, :rank], dtype=np.float32)
    aims_low = aims @ basis
    aims_length = np.einsum("ij,ij->i", aims, aims)
    low, rest = [], []
    for texts, own in zip((offers, needs), owns, strict=True):
        part = np.where(own[:, None], texts @ basis, aims_low)
        total = np.where(own, np.einsum("ij,ij->i", texts, texts), aims_length)
        low.append(part)
        rest.append(_leftover(total, np.einsum("ij,ij->i", part, part)))
    return Sketch(basis, np.column_stack([*low, *rest]).astype(np.float32))


@dataclass(frozen=True, eq=False)
class ProfileIndex:
    """Everything the ranker reads, one row per organisation.

    Text vectors are unit float32 rows (zero for an empty text); ``lats`` and
    ``lons`` are NaN and ``regions`` -1 when unknown; kinds, reaches and
    regions are codes into ``vocabulary.KINDS``, ``REACHES`` and ``REGIONS``;
    ``tags`` is binary with the tag fields' vocabularies side by side.
    """

    organisations: tuple[Organisation, ...]
    rows: Mapping[str, int]
    aims: np.ndarray
    offers: np.ndarray
    needs: np.ndarray
    has_offers: np.ndarray
    has_needs: np.ndarray
    sketch: Sketch
    kinds: np.ndarray
    reaches: np.ndarray
    regions: np.ndarray
    lats: np.ndarray
    lons: np.ndarray
    points: np.ndarray
    tags: sparse.csr_matrix
    target_idf: np.ndarray
    overlap: Mapping[str, np.ndarray]
    partnerships: tuple[Partnership, ...]
    adjacency: sparse.csr_matrix
    strength: np.ndarray

    def __len__(self) -> int:
        return len(self.organisations)

    @property
    def vectors(self) -> dict[str, np.ndarray]:
        """The text vectors by field: aims, offers, needs."""
        return {"aims": self.aims, "offers": self.offers, "needs": self.needs}

    def row(self, org_id: str) -> int:
        """Return the row of an organisation, or raise NotFound naming the fix."""
        found = self.rows.get(org_id)
        if found is None:
            msg = (
                f"no organisation {org_id!r} in the index; check the id, or load "
                "its profile first (broker load, or POST /organisations)"
            )
            raise NotFound(msg)
        return found

    def tags_of(self, field: str) -> sparse.csr_matrix:
        """Return the binary matrix of one tag field (rows by vocabulary)."""
        return self.tags[:, _COLUMNS[field]]

    def partners_of(self, row: int) -> np.ndarray:
        """Return the rows of an organisation's active and past partners."""
        start, end = self.adjacency.indptr[row], self.adjacency.indptr[row + 1]
        return np.asarray(self.adjacency.indices[start:end])

    def with_partnerships(self, partnerships: Sequence[Partnership]) -> ProfileIndex:
        """Return a copy that shares the vectors but uses other partnerships."""
        adjacency = adjacency_of(self.rows, partnerships)
        return dataclasses.replace(
            self,
            partnerships=tuple(partnerships),
            adjacency=adjacency,
            strength=np.asarray(adjacency.sum(axis=1)).ravel(),
        )


@dataclass(frozen=True, eq=False)
class Probe:
    """The organisation that suggestions are for, as the index sees it.

    ``row`` is its row in the index, or None for an unsaved profile that
    has no partners yet.
    """

    organisation: Organisation
    row: int | None
    aims: np.ndarray
    offers: np.ndarray
    needs: np.ndarray
    kind: int
    reach: int
    region: int
    point: np.ndarray
    overlap: Mapping[str, np.ndarray]

    @property
    def has_offers(self) -> bool:
        """Whether the profile has an offers text of its own."""
        return bool(np.any(self.offers))

    @property
    def has_needs(self) -> bool:
        """Whether the profile has a needs text of its own."""
        return bool(np.any(self.needs))


def _codes(org: Organisation) -> tuple[int, int, int]:
    """Return the kind, reach and region codes of one organisation."""
    region = REGION_CODES.get(org.region or "", -1)
    return KINDS.index(org.kind), REACHES.index(org.reach), region


def probe(index: ProfileIndex, org_id: str) -> Probe:
    """Return the probe for an organisation in the index."""
    row = index.row(org_id)
    org = index.organisations[row]
    kind, reach, region = _codes(org)
    return Probe(
        organisation=org,
        row=row,
        aims=index.aims[row],
        offers=index.offers[row],
        needs=index.needs[row],
        kind=kind,
        reach=reach,
        region=region,
        point=index.points[row],
        overlap={name: index.overlap[name][row] for name in OVERLAP_FIELDS},
    )


def probe_profile(
    index: ProfileIndex, organisation: Organisation, vectors: Mapping[str, np.ndarray]
) -> Probe:
    """Return the probe for an unsaved profile and its (d,) text vectors.

    If the id is already in the index, the profile stands for a revised
    version of that organisation: it keeps the stored partnerships and is
    not suggested to itself.
    """
    dimension = index.aims.shape[1]
    texts = _check_vectors(
        {name: np.asarray(vectors[name]).reshape(1, -1) for name in vectors}, 1
    )
    if texts["aims"].shape[1] != dimension:
        raise ValidationFailed(
            [
                ProblemDetail(
                    "vectors",
                    f"width {texts['aims'].shape[1]}, the index has {dimension}",
                    "embed the profile with the embedder that built the index",
                )
            ]
        )

    kind, reach, region = _codes(organisation)
    overlap = overlap_vectors(tag_matrix([organisation]), index.target_idf)
    lat = np.nan if organisation.lat is None else organisation.lat
    lon = np.nan if organisation.lon is None else organisation.lon
    return Probe(
        organisation=organisation,
        row=index.rows.get(organisation.id),
        aims=texts["aims"][0],
        offers=texts["offers"][0],
        needs=texts["needs"][0],
        kind=kind,
        reach=reach,
        region=region,
        point=unit_points(np.array([lat]), np.array([lon]))[0],
        overlap={name: overlap[name][0] for name in OVERLAP_FIELDS},
    )


def _check_vectors(
    vectors: Mapping[str, np.ndarray | None], n: int
) -> dict[str, np.ndarray]:
    """Return unit float32 rows per text field, or raise naming the mismatch."""
    problems: list[ProblemDetail] = []
    found: dict[str, np.ndarray] = {}
    for name in TEXT_FIELDS:
        matrix = vectors.get(name)
        if matrix is None or matrix.ndim != 2 or matrix.shape[0] != n:
            shape = None if matrix is None else matrix.shape
            problems.append(
                ProblemDetail(
                    f"vectors.{name}",
                    f"got shape {shape} for {n} organisations",
                    "pass an (n, d) array with one row per organisation, in order",
                )
            )
            continue
        found[name] = unit_rows(matrix)
    widths = sorted({matrix.shape[1] for matrix in found.values()})
    if len(widths) > 1:
        problems.append(
            ProblemDetail(
                "vectors",
                f"the text fields have different widths {widths}",
                "embed aims, offers and needs with the same embedder",
            )
        )
    if problems:
        raise ValidationFailed(problems)
    return found


def build_index(
    organisations: Sequence[Organisation],
    vectors: Mapping[str, np.ndarray],
    partnerships: Sequence[Partnership],
) -> ProfileIndex:
    """Build the index from profiles, their text vectors and partnerships.

    ``vectors`` maps "aims", "offers" and "needs" to (n, d) arrays in the
    order of ``organisations`` (zero rows for empty texts); rows are
    normalised here.
    """
    started = time.perf_counter()
    twice = sorted(
        i for i, count in Counter(o.id for o in organisations).items() if count > 1
    )
    if twice:
        problem = f"listed more than once: {', '.join(twice)}"
        raise ValidationFailed([ProblemDetail("id", problem, "keep one of each")])
    texts = _check_vectors(vectors, len(organisations))

    rows = {org.id: i for i, org in enumerate(organisations)}
    codes = np.array([_codes(org) for org in organisations], dtype=np.int8).reshape(
        -1, 3
    )
    lats = np.array([np.nan if o.lat is None else o.lat for o in organisations])
    lons = np.array([np.nan if o.lon is None else o.lon for o in organisations])
    tags = tag_matrix(organisations)
    target_idf = idf_weights(tags[:, _COLUMNS["target_groups"]])
    adjacency = adjacency_of(rows, partnerships)
    has_offers = np.any(texts["offers"] != 0, axis=1)
    has_needs = np.any(texts["needs"] != 0, axis=1)
    index = ProfileIndex(
        organisations=tuple(organisations),
        rows=rows,
        aims=texts["aims"],
        offers=texts["offers"],
        needs=texts["needs"],
        has_offers=has_offers,
        has_needs=has_needs,
        sketch=sketch_of(texts["aims"], texts["offers"], texts["needs"]),
        kinds=codes[:, 0],
        reaches=codes[:, 1],
        regions=codes[:, 2],
        lats=lats,
        lons=lons,
        points=unit_points(lats, lons),
        tags=tags,
        target_idf=target_idf,
        overlap=overlap_vectors(tags, target_idf),
        partnerships=tuple(partnerships),
        adjacency=adjacency,
        strength=np.asarray(adjacency.sum(axis=1)).ravel(),
    )
    log.info(
        "indexed %s organisations and %s partnerships in %.2f s",
        len(index),
        adjacency.nnz // 2,
        time.perf_counter() - started,
    )
    return index


def embed_organisations(
    organisations: Sequence[Organisation],
    embedder: Embedder,
    *,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """Embed every organisation's aims, offers and needs, for build_index.

    An embedder that is not cacheable (tfidf) is first fitted on these same
    texts, so the index and later what-if queries share one vector space.
    """
    texts = {name: [org.text_of(name) for org in organisations] for name in TEXT_FIELDS}
    if not embedder.cacheable and isinstance(embedder, FittableEmbedder):
        embedder.fit([text for column in texts.values() for text in column])
    return {
        name: embedder.encode(column, progress=progress)
        for name, column in texts.items()
    }


def embed_profile(
    organisation: Organisation, embedder: Embedder
) -> dict[str, np.ndarray]:
    """Embed one unsaved profile's texts for a what-if query; nothing is stored."""
    found = embedder.encode([organisation.text_of(name) for name in TEXT_FIELDS])
    return {name: found[i] for i, name in enumerate(TEXT_FIELDS)}
