"""The migrations build exactly the schema the table classes describe."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import SAWarning

from broker.store import open_store
from broker.store.tables import Base
from tests.postgres import create_database


def test_migrated_schema_matches_the_tables(database_url: str) -> None:
    store = open_store(database_url)
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, Base.metadata)
    store.dispose()
    assert differences == []


def test_migrating_twice_is_harmless(database_url: str) -> None:
    store = open_store(database_url)
    store.migrate()
    assert store.version() == 0
    store.dispose()


def test_with_pgvector_the_schema_matches_but_the_vector_type_is_not_compared(
    pgvector: str,
) -> None:
    """SQLAlchemy does not know pgvector's type; Alembic then skips comparing it."""
    store = open_store(create_database(pgvector))
    store.migrate()
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        with pytest.warns(SAWarning, match="type 'vector' of column 'vector'"):
            differences = compare_metadata(context, Base.metadata)
    assert store.version() == 0
    store.dispose()
    assert differences == []


def test_workers_starting_together_migrate_one_at_a_time(postgres: str) -> None:
    url = create_database(postgres)
    failures: list[BaseException] = []

    def start_worker() -> None:
        try:
            open_store(url).dispose()
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    workers = [threading.Thread(target=start_worker, daemon=True) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    # Without the lock they block each other's CREATE TABLE, or fail.
    assert not any(worker.is_alive() for worker in workers)
    assert failures == []
    store = open_store(url)
    assert store.version() == 0
    store.dispose()
