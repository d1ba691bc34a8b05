"""Imports on both databases: all-or-nothing, idempotent, every problem listed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from broker.errors import ValidationFailed
from broker.store import Store, open_store
from broker.store.importer import Batch, import_batch, read_csv, read_file, read_json
from broker.store.organisations import (
    all_organisations,
    delete_organisation,
    get_organisation,
)
from broker.store.partnerships import all_partnerships
from broker.store.tables import OrganisationRow, PartnershipRow
from tests.conftest import FIXTURES


def org(org_id: str, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": org_id,
        "name": org_id.replace("-", " ").title(),
        "kind": "tso",
        "aims": f"Aims of {org_id}.",
        "town": "Bath",
    }
    record.update(changes)
    return record


@pytest.fixture
def store(database_url: str) -> Store:
    opened = open_store(database_url)
    yield opened
    opened.dispose()


def run(store: Store, batch: Batch) -> dict[str, dict[str, int]]:
    with store.transaction() as session:
        return import_batch(session, batch).as_dict()


def contents(store: Store) -> tuple[list[Any], list[Any], int]:
    with store.reading() as session:
        return all_organisations(session), all_partnerships(session), store.version()


def test_the_report_fixtures_load_and_reload_without_change(store: Store) -> None:
    batch = read_file(FIXTURES / "report.json")
    first = run(store, batch)
    assert first["organisations"]["created"] >= 45
    assert first["partnerships"]["created"] >= 25
    before = contents(store)

    second = run(store, batch)

    assert second["organisations"] == {
        "created": 0,
        "updated": 0,
        "unchanged": first["organisations"]["created"],
    }
    assert second["partnerships"]["created"] == second["partnerships"]["updated"] == 0
    assert contents(store) == before


def test_a_batch_with_one_bad_row_leaves_the_store_unchanged(store: Store) -> None:
    run(store, read_json(json.dumps({"organisations": [org("keep-me")]})))
    before = contents(store)
    bad = {
        "organisations": [
            org("keep-me", name="Changed"),
            org("new-one"),
            org("bad-kind", kind="charity"),
            org("bad-town", town="Atlantis"),
        ],
        "partnerships": [{"a": "new-one", "b": "nobody"}],
    }

    with pytest.raises(ValidationFailed) as caught:
        run(store, read_json(json.dumps(bad), "bad.json"))

    listed = {(p.row, p.field) for p in caught.value.problems}
    assert listed == {
        (3, "organisations.kind"),
        (4, "organisations.town"),
        (1, "partnerships.b"),
    }
    assert all(p.source == "bad.json" for p in caught.value.problems)
    assert "unknown organisation 'nobody'" in str(caught.value)
    assert contents(store) == before


def test_a_failure_while_writing_rolls_back_everything(store: Store) -> None:
    batch = read_json(json.dumps({"organisations": [org("first"), org("second")]}))
    with pytest.raises(RuntimeError), store.transaction() as session:
        import_batch(session, batch)
        msg = "crash after the upsert, before the commit"
        raise RuntimeError(msg)
    assert contents(store) == ([], [], 0)


def test_upsert_updates_changed_profiles_only(store: Store) -> None:
    run(store, read_json(json.dumps({"organisations": [org("a-org"), org("b-org")]})))
    counts = run(
        store,
        read_json(
            json.dumps(
                {"organisations": [org("a-org", aims="New aims."), org("b-org")]}
            )
        ),
    )
    assert counts["organisations"] == {"created": 0, "updated": 1, "unchanged": 1}
    with store.reading() as session:
        assert get_organisation(session, "a-org").aims == "New aims."


def test_a_pair_in_either_order_is_one_partnership(store: Store) -> None:
    orgs = [org("a-org"), org("b-org")]
    run(
        store,
        read_json(
            json.dumps(
                {
                    "organisations": orgs,
                    "partnerships": [
                        {"a": "b-org", "b": "a-org", "activity": "mentoring"}
                    ],
                }
            )
        ),
    )
    counts = run(
        store,
        read_json(
            json.dumps(
                {
                    "partnerships": [
                        {
                            "a": "a-org",
                            "b": "b-org",
                            "activity": "tutoring",
                            "status": "past",
                        }
                    ]
                }
            )
        ),
    )
    assert counts["partnerships"] == {"created": 0, "updated": 1, "unchanged": 0}
    with store.reading() as session:
        (only,) = all_partnerships(session)
    assert (only.a, only.b, only.activity, only.status) == (
        "a-org",
        "b-org",
        "tutoring",
        "past",
    )


def test_duplicate_ids_in_one_batch_are_named(store: Store) -> None:
    with pytest.raises(ValidationFailed, match="'twice' appears twice"):
        run(
            store,
            read_json(json.dumps({"organisations": [org("twice"), org("twice")]})),
        )


def test_deleting_an_organisation_removes_its_partnerships(store: Store) -> None:
    run(
        store,
        read_json(
            json.dumps(
                {
                    "organisations": [org("a-org"), org("b-org")],
                    "partnerships": [{"a": "a-org", "b": "b-org"}],
                }
            )
        ),
    )
    with store.transaction() as session:
        delete_organisation(session, "a-org")
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(PartnershipRow)) == 0
        assert session.scalar(select(func.count()).select_from(OrganisationRow)) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"organisations": [', "not valid JSON"),
        ("[1, 2]", "expected a JSON object, got list"),
        ('{"orgs": []}', "unknown top-level keys"),
        ('{"organisations": {"id": "x"}}', "must be a list"),
        ('{"organisations": [42]}', "each entry must be an object"),
        ("[" * 100_000, "nested too deeply|not valid JSON"),
    ],
)
def test_malformed_json_is_a_clear_file_error(
    store: Store, text: str, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        run(store, read_json(text))
    assert contents(store) == ([], [], 0)


def test_csv_uses_the_same_names_with_lists_joined(store: Store) -> None:
    text = (
        "id,name,kind,aims,target_groups,subjects,town\n"
        "csv-org,CSV Org,tso,Aims here.,low-income;girls-women,physics,Bath\n"
    )
    run(store, read_csv(text))
    with store.reading() as session:
        found = get_organisation(session, "csv-org")
    assert found.target_groups == ("low-income", "girls-women")
    assert found.region == "south-west"


def test_malformed_csv_names_the_row(store: Store) -> None:
    text = "id,name,kind,aims\nx-org,X,tso,aims,extra\n"
    with pytest.raises(ValidationFailed, match="row 2, file: more cells"):
        run(store, read_csv(text))


def test_the_csv_example_matches_the_json_fixtures(tmp_path: Path) -> None:
    json_store = open_store(f"sqlite:///{tmp_path / 'json.db'}")
    csv_store = open_store(f"sqlite:///{tmp_path / 'csv.db'}")
    run(json_store, read_file(FIXTURES / "report.json"))
    run(csv_store, read_file(FIXTURES / "report.csv"))
    with csv_store.reading() as session:
        from_csv = all_organisations(session)
    with json_store.reading() as session:
        from_json = {o.id: o for o in all_organisations(session)}
    assert len(from_csv) >= 5
    for organisation in from_csv:
        assert organisation == from_json[organisation.id]
