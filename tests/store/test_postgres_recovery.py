"""A shared PostgreSQL deployment: connections recover after a server restart."""

from __future__ import annotations

import json

from broker.store import open_store
from broker.store.importer import import_batch, read_json
from broker.store.organisations import list_organisations
from tests.postgres import create_database, restart_server


def test_the_store_recovers_after_the_server_restarts(postgres: str) -> None:
    store = open_store(create_database(postgres))
    batch = {
        "organisations": [{"id": "one", "name": "One", "kind": "tso", "aims": "A."}]
    }
    with store.transaction() as session:
        import_batch(session, read_json(json.dumps(batch)))
    assert store.version() == 1  # a pooled connection now exists

    restart_server(postgres)

    # The pooled connection died with the old server; pre-ping replaces it.
    assert store.version() == 1
    with store.reading() as session:
        found, total = list_organisations(session)
    assert total == 1 and found[0].id == "one"
    store.dispose()
