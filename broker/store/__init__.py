"""The store: tables, migrations, repository functions and the importer.

Sessions stay inside this package and ``broker.services``; the graph and
matching packages receive plain domain objects.
"""

from broker.store.database import Store, current_version, open_store

__all__ = ["Store", "current_version", "open_store"]
