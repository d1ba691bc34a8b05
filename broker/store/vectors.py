"""The embedding cache: vectors keyed by model and text hash.

``vectors.vector`` holds float32 bytes, except on a PostgreSQL server with
pgvector, where migration 0002 made it a pgvector ``vector`` so that SQL can
compare vectors. There, vectors travel in pgvector's binary form (uint16
dimension, uint16 unused, big-endian float32s) through psycopg directly:
the whole cache is read at start-up, and parsing text would be far slower.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
from psycopg.adapt import Dumper
from psycopg.pq import Format
from sqlalchemy import Engine, Insert, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from broker.store.tables import VectorRow

_CHUNK = 500
_PGVECTOR_CHUNK = 10_000
# Inserting this many rows or more refreshes PostgreSQL's table statistics.
_ANALYZE_AFTER = 10_000

# Whether each engine's ``vectors.vector`` is pgvector's type.
_uses_pgvector: WeakKeyDictionary[Engine, bool] = WeakKeyDictionary()


class _PgvectorDumper(Dumper):
    """Sends a numpy vector in pgvector's binary form.

    Its type is left to the server (OID 0), which infers ``vector`` from the
    column the value goes to, so pgvector's OID need not be looked up.
    """

    format = Format.BINARY

    def dump(self, obj: np.ndarray) -> bytes:
        header = struct.pack(">HH", obj.shape[0], 0)
        return header + np.asarray(obj, dtype=">f4").tobytes()


def get_vectors(
    session: Session, model: str, hashes: Iterable[str]
) -> dict[str, np.ndarray]:
    """The cached vectors of those texts under that model, by text hash."""
    found: dict[str, np.ndarray] = {}
    wanted = list(dict.fromkeys(hashes))
    if _pgvector(session):
        with _driver(session).cursor(binary=True) as cursor:
            for start in range(0, len(wanted), _PGVECTOR_CHUNK):
                cursor.execute(
                    "SELECT text_hash, vector FROM vectors"
                    " WHERE model = %s AND text_hash = ANY(%s)",
                    (model, wanted[start : start + _PGVECTOR_CHUNK]),
                )
                for text_hash, raw in cursor:
                    found[text_hash] = np.frombuffer(raw, ">f4", offset=4).astype(
                        np.float32
                    )
        return found
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
    known = _cached_hashes(session, model, vectors)
    fresh = {h: v for h, v in vectors.items() if h not in known}
    if _pgvector(session):
        _put_pgvector(session, model, fresh)
    else:
        _put_bytes(session, model, fresh)
    backend = session.get_bind(VectorRow).dialect.name
    if len(fresh) >= _ANALYZE_AFTER and backend == "postgresql":
        # Until autovacuum gets round to it, PostgreSQL plans the next reads
        # for the table it last measured (empty, at first): a re-load then
        # scanned the whole table once per chunk: 42 s against 7 s at 100k.
        session.execute(text("ANALYZE vectors"))


def _put_pgvector(
    session: Session, model: str, vectors: Mapping[str, np.ndarray]
) -> None:
    """Insert vectors in pgvector's binary form, skipping rows already cached."""
    with _driver(session).cursor() as cursor:
        cursor.adapters.register_dumper(np.ndarray, _PgvectorDumper)
        cursor.executemany(
            "INSERT INTO vectors (model, text_hash, dimension, vector)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (model, text_hash) DO NOTHING",
            [(model, h, int(v.shape[0]), v) for h, v in vectors.items()],
        )


def _put_bytes(session: Session, model: str, vectors: Mapping[str, np.ndarray]) -> None:
    """Insert vectors as float32 bytes, a chunk at a time."""
    rows = [
        {
            "model": model,
            "text_hash": text_hash,
            "dimension": int(vector.shape[0]),
            "vector": np.asarray(vector, dtype=np.float32).tobytes(),
        }
        for text_hash, vector in vectors.items()
    ]
    statement = _insert_new(session.get_bind(VectorRow).dialect.name)
    for start in range(0, len(rows), _CHUNK):
        session.execute(statement, rows[start : start + _CHUNK])


def _insert_new(dialect: str) -> Insert:
    """An insert that skips rows already cached.

    Processes that rebuild at the same time (workers after one write, or
    warming up together) may embed the same new text; the first insert
    wins and the others keep theirs in memory instead of failing.
    """
    if dialect == "postgresql":
        return postgresql.insert(VectorRow).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(VectorRow).on_conflict_do_nothing()
    return insert(VectorRow)


def _cached_hashes(session: Session, model: str, hashes: Iterable[str]) -> set[str]:
    """Those of the hashes already cached for the model."""
    known: set[str] = set()
    wanted = list(hashes)
    for start in range(0, len(wanted), _CHUNK):
        known.update(
            session.scalars(
                select(VectorRow.text_hash).where(
                    VectorRow.model == model,
                    VectorRow.text_hash.in_(wanted[start : start + _CHUNK]),
                )
            )
        )
    return known


def _pgvector(session: Session) -> bool:
    """Whether ``vectors.vector`` is pgvector's type, asked once per engine.

    Only migration 0002 changes the type, and it runs before the store is
    used. Not remembered while the table does not exist yet. The answer is
    kept for the engine's life: a process that migrates the store down
    while this one runs must restart this one too.
    """
    engine = session.get_bind(VectorRow).engine
    if engine not in _uses_pgvector:
        if engine.dialect.name != "postgresql":
            _uses_pgvector[engine] = False
        else:
            type_name = session.scalar(
                text(
                    "SELECT typname FROM pg_attribute"
                    " JOIN pg_type ON pg_type.oid = atttypid"
                    " WHERE attrelid = to_regclass('vectors')"
                    " AND attname = 'vector'"
                )
            )
            if type_name is None:
                return False
            _uses_pgvector[engine] = type_name == "vector"
    return _uses_pgvector[engine]


def _driver(session: Session) -> Any:
    """The psycopg connection under the session, in the session's transaction."""
    return session.connection().connection.driver_connection
