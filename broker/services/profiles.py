"""Services over profiles: import, read, write and delete organisations."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from broker.errors import ProblemDetail, ValidationFailed
from broker.profiles import Organisation, Partnership
from broker.services.context import Broker
from broker.store.importer import (
    Batch,
    ImportReport,
    from_mapping,
    import_batch,
    read_file,
)
from broker.store.organisations import (
    delete_organisation,
    get_organisation,
    list_organisations,
)
from broker.store.partnerships import all_partnerships, partnerships_of
from broker.vocabulary import check_tags


def load_files(
    broker: Broker, paths: Sequence[Path], *, progress: bool = False
) -> ImportReport:
    """Import files as one transaction, then embed the texts never embedded."""
    batch = Batch()
    for path in paths:
        batch.extend(read_file(path))
    with broker.store.transaction() as session:
        report = import_batch(session, batch)
    # Embedding after the commit keeps the import transaction short; texts
    # that a crash leaves unembedded are embedded when the index is built.
    # No index is built here: the command line would throw it away at exit.
    if broker.embedder.cacheable:
        broker.vectors_for(list(report.imported), progress=progress)
    return report


def import_mapping(broker: Broker, data: Any) -> ImportReport:
    """Import an import object received over the API; its writer sees it at once."""
    with broker.store.transaction() as session:
        report = import_batch(session, from_mapping(data))
    broker.snapshot(fresh=True)
    return report


def save_organisation(
    broker: Broker, data: dict[str, Any]
) -> tuple[Organisation, bool]:
    """Create or replace one organisation; returns it and whether it was new."""
    report = import_mapping(broker, {"organisations": [data]})
    with broker.store.reading() as session:
        organisation = get_organisation(session, str(data["id"]))
    return organisation, report.organisations.created == 1


def save_partnership(broker: Broker, data: dict[str, Any]) -> Partnership:
    """Create or update one partnership."""
    import_mapping(broker, {"partnerships": [data]})
    wanted = Partnership.model_validate(data).key
    with broker.store.reading() as session:
        return next(p for p in partnerships_of(session, wanted[0]) if p.key == wanted)


def find_organisation(broker: Broker, organisation_id: str) -> Organisation:
    """One organisation by id (NotFound names the id)."""
    with broker.store.reading() as session:
        return get_organisation(session, organisation_id)


def search_organisations(
    broker: Broker,
    *,
    kind: str | None = None,
    region: str | None = None,
    target_group: str | None = None,
    text: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Organisation], int]:
    """One page of organisations matching the filters, and the total."""
    check_filters(kind=kind, region=region, target_group=target_group)
    with broker.store.reading() as session:
        return list_organisations(
            session,
            kind=kind,
            region=region,
            target_group=target_group,
            text=text,
            limit=limit,
            offset=offset,
        )


def check_filters(
    *,
    kind: str | None = None,
    region: str | None = None,
    target_group: str | None = None,
) -> None:
    """Refuse unknown filter values with the list of valid ones."""
    from broker.vocabulary import KINDS

    if kind is not None and kind not in KINDS:
        raise ValidationFailed(
            [
                ProblemDetail(
                    "kind", f"unknown kind {kind!r}", f"use one of: {', '.join(KINDS)}"
                )
            ]
        )
    if region is not None:
        check_tags("region", [region])
    if target_group is not None:
        check_tags("target_groups", [target_group])


def remove_organisation(broker: Broker, organisation_id: str) -> None:
    """Delete one organisation and everything that refers to it."""
    with broker.store.transaction() as session:
        delete_organisation(session, organisation_id)


def list_partnerships(
    broker: Broker, organisation_id: str | None = None
) -> list[Partnership]:
    """All partnerships, or one organisation's."""
    with broker.store.reading() as session:
        if organisation_id is None:
            return all_partnerships(session)
        get_organisation(session, organisation_id)
        return partnerships_of(session, organisation_id)
