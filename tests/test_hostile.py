"""Hostile input: anything thrown at the importer gets a clear error or a
correct result, never a crash and never a partial write."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.errors import ValidationFailed
from broker.profiles import parse_organisation
from broker.store import Store, open_store
from broker.store.importer import import_batch, read_csv, read_json
from broker.store.organisations import all_organisations, get_organisation
from broker.store.partnerships import all_partnerships
from broker.vocabulary import TARGET_GROUPS

json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
hostile_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300
) | st.sampled_from(
    [
        "../../etc/passwd",
        "x'; DROP TABLE organisations; --",
        "Robert'); DELETE FROM partnerships;--",
        "<script>alert(1)</script>",
        "نحن نعمل مع الطلاب 我们 Wir arbeiten",
        "\u202eevil\u202c",
        "a\x00b",
        "line\r\nbreak\ttab",
        "x" * 5000,
    ]
)
ids = st.text(alphabet=string.ascii_lowercase + string.digits + "-./_ '%;", max_size=90)
coordinates = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [-90.0, 90.0, -180.0, 180.0, 90.0000001, -180.0000001, 1e308]
)
tag_lists = st.lists(
    st.sampled_from([*TARGET_GROUPS, "pupils", "", " "]), max_size=3000
)
records = st.fixed_dictionaries(
    {"id": ids, "name": hostile_text, "kind": st.sampled_from(["tso", "hei", "evil"])},
    optional={
        "aims": hostile_text,
        "offers": hostile_text,
        "needs": hostile_text,
        "lat": coordinates,
        "lon": coordinates,
        "target_groups": tag_lists,
        "town": hostile_text,
        "postcode": hostile_text,
        "website": hostile_text,
        "extra": json_values,
    },
)

FAST = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _state(store: Store) -> tuple[Any, ...]:
    with store.reading() as session:
        return (all_organisations(session), all_partnerships(session), store.version())


def _seeded(tmp_path: Path) -> Store:
    store = open_store(f"sqlite:///{tmp_path / 'hostile.db'}")
    batch = {
        "organisations": [
            {"id": "keeper", "name": "Keeper", "kind": "tso", "aims": "Stay as I am."}
        ]
    }
    with store.transaction() as session:
        import_batch(session, read_json(json.dumps(batch)))
    return store


def _try(store: Store, text: str, reader: Any = read_json) -> None:
    before = _state(store)
    try:
        with store.transaction() as session:
            import_batch(session, reader(text))
    except ValidationFailed as error:
        assert error.problems
        assert all(p.field and p.fix for p in error.problems)
        assert _state(store) == before
        return
    # Accepted (e.g. an empty import object): nobody else's data changed.
    with store.reading() as session:
        assert get_organisation(session, "keeper").aims == "Stay as I am."


def test_arbitrary_json_is_refused_cleanly(tmp_path: Path) -> None:
    store = _seeded(tmp_path)

    @FAST
    @given(json_values)
    def check(value: Any) -> None:
        _try(store, json.dumps(value))

    check()


def test_hostile_organisation_records(tmp_path: Path) -> None:
    store = _seeded(tmp_path)

    @FAST
    @given(st.lists(records, min_size=1, max_size=3))
    def check(batch: list[dict[str, Any]]) -> None:
        before = _state(store)
        text = json.dumps({"organisations": batch})
        try:
            with store.transaction() as session:
                import_batch(session, read_json(text))
        except ValidationFailed as error:
            assert all(p.field and p.fix for p in error.problems)
            assert _state(store) == before
            return
        # Accepted: every record reads back exactly as parsed.
        with store.reading() as session:
            for record in batch:
                stored = get_organisation(session, record["id"])
                assert stored.name == parse_organisation(record).name
                assert stored.kind in {"tso", "hei"}

    check()


def test_arbitrary_csv_is_refused_cleanly(tmp_path: Path) -> None:
    store = _seeded(tmp_path)

    @FAST
    @given(st.text(max_size=400))
    def check(text: str) -> None:
        before = _state(store)
        try:
            with store.transaction() as session:
                import_batch(session, read_csv("id,name,kind,aims\n" + text))
        except ValidationFailed as error:
            assert all(p.field and p.fix for p in error.problems)
            assert _state(store) == before

    check()


def test_deeply_nested_and_huge_json(tmp_path: Path) -> None:
    store = _seeded(tmp_path)
    before = _state(store)
    for text in (
        "[" * 200_000 + "]" * 200_000,
        json.dumps({"organisations": [{"id": "x"}] * 20_000}),
        '{"organisations": [{"id": "' + "a" * 1_000_000 + '"}]}',
    ):
        try:
            with store.transaction() as session:
                import_batch(session, read_json(text))
        except ValidationFailed as error:
            assert error.problems
        assert _state(store) == before
