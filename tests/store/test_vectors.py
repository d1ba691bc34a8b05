"""The embedding cache: pgvector's type where the server has it, bytes elsewhere.

``pgvector`` is a PostgreSQL 16 with the extension (the pgserver wheel's);
``postgresql`` is Debian's PostgreSQL 15, which has none.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from broker.store import open_store
from broker.store.database import MIGRATIONS, Store
from broker.store.tables import VectorRow
from broker.store.vectors import get_vectors, put_vectors
from tests.postgres import create_database

RNG = np.random.default_rng(7)


def random_vectors(count: int, dimension: int, prefix: str) -> dict[str, np.ndarray]:
    """``count`` random float32 vectors, keyed by made-up text hashes."""
    return {
        f"{prefix}{i:06d}": RNG.standard_normal(dimension).astype(np.float32)
        for i in range(count)
    }


@pytest.fixture(params=["sqlite", "postgresql", "pgvector"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind, pgvector's server included."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'broker.db'}"
    server = {"postgresql": "postgres", "pgvector": "pgvector"}[request.param]
    return create_database(request.getfixturevalue(server))


def migrate(url: str, revision: str, *, down: bool = False) -> None:
    """Migrate the database at ``url`` up (or down) to ``revision``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    store = Store(url)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)
    store.dispose()


def column_type(url: str) -> str:
    """The type of ``vectors.vector`` as the database names it."""
    store = Store(url)
    with store.engine.connect() as connection:
        if store.backend == "sqlite":
            rows = connection.execute(text("PRAGMA table_info(vectors)"))
            found = next(row.type for row in rows if row.name == "vector")
        else:
            found = connection.scalar(
                text(
                    "SELECT udt_name FROM information_schema.columns"
                    " WHERE table_name = 'vectors' AND column_name = 'vector'"
                )
            )
    store.dispose()
    return str(found)


def test_vectors_round_trip_exactly(url: str) -> None:
    store = open_store(url)
    by_model = {
        "large": random_vectors(1200, 384, "a"),  # more than one chunk of 500
        "small": random_vectors(50, 256, "a"),  # the same hashes, another size
        "edges": {
            "a000000": np.array(
                [np.finfo(np.float32).max, np.finfo(np.float32).tiny, 1e-45, -0.0],
                dtype=np.float32,
            )
        },
    }
    with store.transaction() as session:
        for model, vectors in by_model.items():
            put_vectors(session, model, vectors)
    with store.reading() as session:
        found = {
            model: get_vectors(session, model, [*vectors, "never-cached"])
            for model, vectors in by_model.items()
        }
    store.dispose()

    for model, vectors in by_model.items():
        assert found[model].keys() == vectors.keys()
        for key, vector in vectors.items():
            assert found[model][key].dtype == np.float32
            assert found[model][key].tobytes() == vector.tobytes()  # bit for bit


def test_putting_cached_hashes_again_inserts_nothing(url: str) -> None:
    store = open_store(url)
    first = random_vectors(600, 384, "h")
    with store.transaction() as session:
        put_vectors(session, "m", first)
    again = {key: -vector for key, vector in first.items()}  # other values
    more = random_vectors(3, 384, "new")
    with store.transaction() as session:
        put_vectors(session, "m", again)
        put_vectors(session, "m", {**again, **more})
    with store.reading() as session:
        rows = session.scalar(text("SELECT count(*) FROM vectors"))
        found = get_vectors(session, "m", [*first, *more])
    store.dispose()

    assert rows == 603
    assert all(found[k].tobytes() == v.tobytes() for k, v in first.items())
    assert all(found[k].tobytes() == v.tobytes() for k, v in more.items())


def test_with_pgvector_the_column_is_a_pgvector_vector(pgvector: str) -> None:
    url = create_database(pgvector)
    store = open_store(url)
    with store.transaction() as session:
        put_vectors(session, "m", random_vectors(2, 384, "h"))
    with store.reading() as session:
        typed = session.scalars(text("SELECT pg_typeof(vector)::text FROM vectors"))
        dimensions = session.scalars(text("SELECT vector_dims(vector) FROM vectors"))
        assert set(typed) == {"vector"}
        assert set(dimensions) == {384}
    store.dispose()
    assert column_type(url) == "vector"


def test_without_pgvector_the_column_holds_float32_bytes(database_url: str) -> None:
    store = open_store(database_url)
    vectors = random_vectors(2, 384, "h")
    with store.transaction() as session:
        put_vectors(session, "m", vectors)
    with store.reading() as session:
        rows = session.execute(text("SELECT text_hash, vector FROM vectors"))
        stored = {key: bytes(value) for key, value in rows}
    store.dispose()
    assert stored == {key: vector.tobytes() for key, vector in vectors.items()}
    assert column_type(database_url).lower() in {"bytea", "blob"}


def test_pgvector_compares_vectors_in_sql(pgvector: str) -> None:
    store = open_store(create_database(pgvector))
    vectors = random_vectors(40, 384, "h")
    with store.transaction() as session:
        put_vectors(session, "m", vectors)
    query = RNG.standard_normal(384).astype(np.float32)
    literal = "[" + ",".join(str(x) for x in query) + "]"
    with store.reading() as session:
        nearest = session.execute(
            text(
                "SELECT text_hash, vector <=> CAST(:query AS vector) AS distance"
                " FROM vectors WHERE model = 'm' ORDER BY distance LIMIT 5"
            ),
            {"query": literal},
        ).all()
    store.dispose()

    keys = list(vectors)
    matrix = np.stack([vectors[k] for k in keys]).astype(np.float64)
    cosine = matrix @ query / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(query))
    expected = np.argsort(1 - cosine)[:5]
    assert [row.text_hash for row in nearest] == [keys[i] for i in expected]
    assert [row.distance for row in nearest] == pytest.approx(
        1 - cosine[expected], abs=1e-6
    )


def test_migration_0002_carries_the_vectors_over_and_back(pgvector: str) -> None:
    url = create_database(pgvector)
    migrate(url, "0001")
    vectors = random_vectors(2500, 384, "h")  # more than one chunk of 2000
    store = Store(url)
    with store.transaction() as session:
        session.execute(
            insert(VectorRow),
            [
                {"model": "m", "text_hash": k, "dimension": 384, "vector": v.tobytes()}
                for k, v in vectors.items()
            ],
        )
    store.dispose()
    assert column_type(url) == "bytea"

    for down in (False, True, False):
        migrate(url, "0001" if down else "head", down=down)
        assert column_type(url) == ("bytea" if down else "vector")
        store = Store(url)  # a new engine, which asks the column type anew
        with store.reading() as session:
            found = get_vectors(session, "m", vectors)
        store.dispose()
        assert found.keys() == vectors.keys()
        assert all(found[k].tobytes() == v.tobytes() for k, v in vectors.items())


def test_without_the_right_to_create_pgvector_the_vectors_stay_bytes(
    pgvector: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A database owner who is no superuser may not create pgvector."""
    owned = create_database(pgvector)
    name = make_url(owned).database
    role = f"app_{name}"
    admin = Store(pgvector.format(db="postgres"))
    with admin.engine.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        connection.execute(text(f'ALTER DATABASE "{name}" OWNER TO "{role}"'))
    admin.dispose()

    url = owned.replace("broker@", f"{role}@")
    with caplog.at_level(logging.WARNING):
        store = open_store(url)
    assert "pgvector not used" in caplog.text
    vectors = random_vectors(3, 384, "h")
    with store.transaction() as session:
        put_vectors(session, "m", vectors)
    with store.reading() as session:
        found = get_vectors(session, "m", vectors)
    store.dispose()
    assert column_type(url) == "bytea"
    assert all(found[k].tobytes() == v.tobytes() for k, v in vectors.items())


def test_a_rolled_back_transaction_leaves_no_vectors(url: str) -> None:
    store = open_store(url)

    with pytest.raises(RuntimeError), store.transaction() as session:
        put_vectors(session, "m", random_vectors(20, 384, "r"))
        msg = "the import failed after its vectors were written"
        raise RuntimeError(msg)

    with store.reading() as session:
        assert session.scalar(text("SELECT count(*) FROM vectors")) == 0
    store.dispose()


@pytest.fixture(params=["postgres", "pgvector"])
def postgres_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """A migrated store on each PostgreSQL server, bytes and pgvector."""
    store = open_store(create_database(request.getfixturevalue(request.param)))
    yield store
    store.dispose()


def test_two_writers_of_the_same_new_text_both_succeed(postgres_store: Store) -> None:
    # Two processes rebuilding at once both find the text missing and both
    # insert it: the second waits for the first to commit, then skips it.
    store = postgres_store
    first_vectors = random_vectors(3, 384, "w")
    second_vectors = {h: v + 1 for h, v in first_vectors.items()}
    failures: list[BaseException] = []

    def second_writer() -> None:
        try:
            with store.transaction() as session:
                put_vectors(session, "m", second_vectors)
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    with store.transaction() as session:
        put_vectors(session, "m", first_vectors)
        writer = threading.Thread(target=second_writer)
        writer.start()
        writer.join(timeout=2)
        assert writer.is_alive(), "the second insert should wait for this commit"
    writer.join(timeout=30)

    assert not writer.is_alive()
    assert failures == []
    with store.reading() as session:
        kept = get_vectors(session, "m", first_vectors)
    assert all(np.array_equal(kept[h], v) for h, v in first_vectors.items())


def test_a_large_insert_refreshes_the_planner_statistics(
    postgres_store: Store,
) -> None:
    # Stale statistics (an empty table) made the next reads scan the table.
    store = postgres_store

    with store.transaction() as session:
        put_vectors(session, "m", random_vectors(10_000, 8, "s"))

    with store.reading() as session:
        measured = session.scalar(
            text("SELECT reltuples FROM pg_class WHERE relname = 'vectors'")
        )
    assert measured == 10_000
