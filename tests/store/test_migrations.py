"""The migrations build exactly the schema the table classes describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from broker.store import open_store
from broker.store.tables import Base


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
