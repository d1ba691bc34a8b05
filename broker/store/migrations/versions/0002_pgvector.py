"""On PostgreSQL with pgvector, the cached vectors become pgvector ``vector``s.

Where the server has the extension, ``vectors.vector`` changes from bytea
(float32 bytes) to pgvector's ``vector``, with no fixed dimension since each
model has its own, so that SQL can compare vectors (``vector <=> '[...]'``).
SQL has no cast between float32 bytes and floats, so the rows are carried
over (and back, on downgrade) in Python, in pgvector's binary form: uint16
dimension, uint16 unused, big-endian float32s. Without the extension, on
SQLite, or when the user may not create the extension, nothing changes.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable

import numpy as np
import sqlalchemy as sa
from alembic import op
from psycopg.adapt import Dumper
from psycopg.pq import Format

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

_CHUNK = 2000


def upgrade() -> None:
    """Make the column a pgvector ``vector`` where the server has pgvector."""
    # Decided once: a server that gains pgvector after this ran keeps bytes
    # until the store is migrated down to 0001 and up again. No similarity
    # index either: HNSW and IVFFlat need a fixed dimension, and each model
    # has its own (the matcher searches in memory anyway).
    bind = op.get_bind()
    if _column_type(bind) == "bytea" and _create_extension(bind):
        _convert(bind, "vector", _to_pgvector)


def downgrade() -> None:
    """Back to float32 bytes; the extension stays, as it may predate 0002."""
    bind = op.get_bind()
    if _column_type(bind) == "vector":
        _convert(bind, "bytea", _from_pgvector)


class _Untyped(bytes):
    """Bytes sent in binary with no type: the server infers the column's."""


class _UntypedDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: _Untyped) -> bytes:
        return bytes(obj)


def _to_pgvector(blob: bytes) -> bytes:
    vector = np.frombuffer(blob, "<f4")
    header = struct.pack(">HH", vector.shape[0], 0)
    return _Untyped(header + vector.astype(">f4").tobytes())


def _from_pgvector(raw: bytes) -> bytes:
    return np.frombuffer(raw, ">f4", offset=4).astype("<f4").tobytes()


def _column_type(bind: sa.Connection) -> str | None:
    """The type of ``vectors.vector`` on PostgreSQL (None elsewhere)."""
    if bind.dialect.name != "postgresql":
        return None
    found = bind.scalar(
        sa.text(
            "SELECT typname FROM pg_attribute JOIN pg_type ON pg_type.oid = atttypid"
            " WHERE attrelid = to_regclass('vectors') AND attname = 'vector'"
        )
    )
    return None if found is None else str(found)


def _create_extension(bind: sa.Connection) -> bool:
    """Whether pgvector is installed now; False if unavailable or forbidden."""
    available = sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
    if bind.scalar(available) is None:
        return False
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
    except sa.exc.ProgrammingError as error:
        # pgvector is not a trusted extension: only a superuser (or a role
        # granted it by a managed service) may create it. Other errors are
        # not about rights, and stop the migration.
        log.warning("pgvector not used, vectors stay bytes: %s", error.orig)
        return False
    return True


def _convert(
    bind: sa.Connection, new_type: str, convert: Callable[[bytes], bytes]
) -> None:
    """Rebuild ``vectors.vector`` as ``new_type``, converting each row in Python.

    A server-side cursor reads the rows in binary (bytes for both types) while
    the same transaction writes the converted column beside them.
    """
    op.execute(f"ALTER TABLE vectors ADD COLUMN converted {new_type}")
    connection = bind.connection.driver_connection
    assert connection is not None
    with (
        connection.cursor("vectors_to_convert", binary=True) as reader,
        connection.cursor() as writer,
    ):
        writer.adapters.register_dumper(_Untyped, _UntypedDumper)
        reader.execute("SELECT model, text_hash, vector FROM vectors")
        while rows := reader.fetchmany(_CHUNK):
            writer.executemany(
                "UPDATE vectors SET converted = %s WHERE model = %s AND text_hash = %s",
                [(convert(value), model, key) for model, key, value in rows],
            )
    op.execute("ALTER TABLE vectors DROP COLUMN vector")
    op.execute("ALTER TABLE vectors RENAME COLUMN converted TO vector")
    op.execute("ALTER TABLE vectors ALTER COLUMN vector SET NOT NULL")
