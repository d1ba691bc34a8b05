"""The running broker: one store, one embedder, one index kept current.

The index is rebuilt only when the store's version has changed since it was
built (a single-row read), never per request; readers are not held up by a
rebuild (see :meth:`Broker.snapshot`). Every worker process holds its
own ``Broker``; a write through one worker bumps the version in the shared
database, and the other workers rebuild on their next read.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import threadpool_limits

from broker.profiles import TEXT_FIELDS, Organisation, Partnership
from broker.settings import Settings, get_settings
from broker.store import Store, current_version, open_store
from broker.store.feedback import all_feedback, declined_pairs
from broker.store.organisations import all_organisations
from broker.store.partnerships import all_partnerships
from broker.store.vectors import get_vectors, put_vectors
from broker.store.weights import latest_weights

if TYPE_CHECKING:
    from broker.matching.embedders import Embedder
    from broker.matching.index import ProfileIndex

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """Everything the matcher and graph need, read at one store version."""

    version: int
    organisations: list[Organisation]
    partnerships: list[Partnership]
    declined: dict[str, set[str]]
    weights: dict[str, float]
    weights_source: str
    index: ProfileIndex


class Broker:
    """The composition root: settings, store, embedder and the current index."""

    def __init__(
        self, settings: Settings | None = None, store: Store | None = None
    ) -> None:
        self.settings = settings or get_settings()
        # Process-wide, on purpose: every numpy, scipy and scikit-learn call
        # after this uses the configured number of BLAS threads. scipy ships
        # its own OpenBLAS, which must be loaded before it can be limited.
        import scipy.linalg  # noqa: F401

        threadpool_limits(limits=self.settings.blas_threads, user_api="blas")
        self.store = store or open_store(self.settings.database_url)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    @cached_property
    def embedder(self) -> Embedder:
        """The configured embedder, loaded on first use."""
        from broker.matching.embedders import load_embedder

        return load_embedder(self.settings.embedder, self.settings.cache_dir)

    def vectors_for(
        self, organisations: list[Organisation], *, progress: bool = False
    ) -> dict[str, np.ndarray]:
        """Text vectors of each field, one row per organisation.

        Cached vectors are read from the store; only texts never embedded
        with this model are embedded, then cached.
        """
        from broker.matching.embedders import text_hash
        from broker.matching.index import embed_organisations

        embedder = self.embedder
        if not embedder.cacheable:
            return embed_organisations(organisations, embedder, progress=progress)
        texts = {f: [o.text_of(f) for o in organisations] for f in TEXT_FIELDS}

        hashes = {f: [text_hash(t) for t in ts] for f, ts in texts.items()}
        unique = {
            h: t for f in TEXT_FIELDS for h, t in zip(hashes[f], texts[f], strict=True)
        }
        with self.store.reading() as session:
            cached = get_vectors(session, embedder.name, unique)
        missing = [h for h in unique if h not in cached]
        if missing:
            started = time.perf_counter()
            encoded = embedder.encode([unique[h] for h in missing], progress=progress)
            fresh = dict(zip(missing, encoded, strict=True))
            with self.store.transaction() as session:
                put_vectors(session, embedder.name, fresh)
            cached.update(fresh)
            log.info(
                "embedded %s new texts with %s in %.1f s",
                len(missing),
                embedder.name,
                time.perf_counter() - started,
            )
        return {f: _stacked(hashes[f], cached, embedder.dimension) for f in TEXT_FIELDS}

    @property
    def current(self) -> Snapshot | None:
        """The snapshot built last, without checking the store (None before any)."""
        return self._snapshot

    def snapshot(self, *, progress: bool = False, fresh: bool = False) -> Snapshot:
        """The snapshot to answer from, rebuilt if the store has changed.

        While one thread rebuilds, the others keep answering from the
        previous snapshot instead of queueing behind it, so a write costs
        readers nothing; they see it as soon as the rebuild is done.
        ``fresh`` waits for the rebuild instead: writers use it, so that
        whoever wrote something sees it at once.
        """
        version = self.store.version()
        current = self._snapshot
        if current is not None and current.version == version:
            return current
        if current is not None and not fresh:
            if not self._lock.acquire(blocking=False):
                return current
        else:
            self._lock.acquire()
        try:
            current = self._snapshot
            if current is not None and current.version == self.store.version():
                return current
            self._snapshot = self._build(progress=progress)
            return self._snapshot
        finally:
            self._lock.release()

    def _build(self, *, progress: bool) -> Snapshot:
        # TODO: any write rebuilds everything (about 10 s at 100,000 profiles,
        # most of it reading rows and vectors back), and a writer waits for it
        # (``fresh``). Patching the changed rows into the previous snapshot
        # would make writes cheap on a national directory.
        from broker.matching.index import build_index

        started = time.perf_counter()
        with self.store.reading() as session:
            version = current_version(session)
            organisations = all_organisations(session)
            partnerships = all_partnerships(session)
            declined = declined_pairs(all_feedback(session))
            learned = (
                latest_weights(session) if self.settings.use_learned_weights else None
            )
        vectors = self.vectors_for(organisations, progress=progress)
        index = build_index(organisations, vectors, partnerships)
        weights, source = dict(self.settings.weights), "settings"
        if learned is not None:
            weights, source = dict(learned.weights), "learned"
        log.info(
            "index built: %s organisations, %s partnerships, version %s, "
            "%s weights, in %.2f s",
            len(organisations),
            len(partnerships),
            version,
            source,
            time.perf_counter() - started,
        )
        return Snapshot(
            version, organisations, partnerships, declined, weights, source, index
        )


def _stacked(
    hashes: list[str], vectors: dict[str, np.ndarray], dimension: int
) -> np.ndarray:
    """One float32 row per hash, zero where no vector is cached (blank text).

    Filled in place: stacking a list of rows made a second full-size copy.
    """
    matrix = np.zeros((len(hashes), dimension), dtype=np.float32)
    for row, text_hash in enumerate(hashes):
        vector = vectors.get(text_hash)
        if vector is not None:
            matrix[row] = vector
    return matrix
