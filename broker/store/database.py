"""Opening the store: engine, connection settings, migrations, transactions."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from broker.store.tables import StateRow

log = logging.getLogger(__name__)

# Any fixed number: the advisory lock that serialises migrations.
_MIGRATION_LOCK = 4_817_305

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL for readers beside a writer, a busy timeout, foreign keys on."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        return parsed.set(drivername="postgresql+psycopg").render_as_string(
            hide_password=False
        )
    return url


class Store:
    """A database: its engine and a factory of transactional sessions."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        backend = make_url(self.url).get_backend_name()
        options: dict[str, Any] = {"future": True}
        if backend == "sqlite":
            options["connect_args"] = {"timeout": 15, "check_same_thread": False}
        else:
            # Survive a server restart: test each pooled connection before use.
            options["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **options)
        if backend == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.backend = backend
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Bring the schema up to the newest migration.

        On PostgreSQL, server workers starting together migrate one at a
        time (a transaction-scoped advisory lock); the ones that wait find
        the schema up to date. SQLite's write lock does the same.
        """
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            if self.backend == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads; nothing it does is committed."""
        with self._sessions() as session:
            yield session

    def version(self) -> int:
        """The store's version: it changes whenever a write commits."""
        with self.reading() as session:
            return current_version(session)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open the database at ``url``, migrating it to the newest schema."""
    store = Store(url)
    if migrate:
        store.migrate()
    log.info(
        "store opened: %s", make_url(store.url).render_as_string(hide_password=True)
    )
    return store


def current_version(session: Session) -> int:
    """Return the write counter, 0 for a new store."""
    value = session.scalar(select(StateRow.value).where(StateRow.key == "version"))
    return int(value or 0)


def bump_version(session: Session) -> None:
    """Count one more write, in the caller's transaction."""
    changed = session.execute(
        update(StateRow)
        .where(StateRow.key == "version")
        .values(value=StateRow.value + 1)
    )
    if getattr(changed, "rowcount", 0) == 0:
        session.add(StateRow(key="version", value=1))
    session.flush()
