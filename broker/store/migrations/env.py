"""Alembic environment: runs the migrations on the connection broker hands in."""

from __future__ import annotations

from alembic import context

from broker.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
