"""The embedding cache: vectors keyed by model and text hash."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from broker.store.tables import VectorRow

_CHUNK = 500


def get_vectors(
    session: Session, model: str, hashes: Iterable[str]
) -> dict[str, np.ndarray]:
    """The cached vectors of those texts under that model, by text hash."""
    found: dict[str, np.ndarray] = {}
    wanted = list(dict.fromkeys(hashes))
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(VectorRow.text_hash, VectorRow.vector).where(
                VectorRow.model == model,
                VectorRow.text_hash.in_(wanted[start : start + _CHUNK]),
            )
        )
        for text_hash, blob in rows:
            found[text_hash] = np.frombuffer(blob, dtype=np.float32)
    return found


def put_vectors(
    session: Session, model: str, vectors: Mapping[str, np.ndarray]
) -> None:
    """Cache new vectors; hashes already cached for the model are skipped."""
    known = set(get_vectors(session, model, vectors))
    rows = [
        {
            "model": model,
            "text_hash": text_hash,
            "dimension": int(vector.shape[0]),
            "vector": np.asarray(vector, dtype=np.float32).tobytes(),
        }
        for text_hash, vector in vectors.items()
        if text_hash not in known
    ]
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(VectorRow), rows[start : start + _CHUNK])
