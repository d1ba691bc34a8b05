"""Import files: JSON or CSV profiles, checked whole, written in one transaction.

A batch is read and checked completely before anything is written: every
problem in every row is collected, and any problem rejects the whole batch,
so the store is left exactly as it was. A valid batch is upserted on ids in a
single transaction; importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from broker.errors import ProblemDetail, ValidationFailed
from broker.geo import locate
from broker.profiles import (
    Organisation,
    Partnership,
    parse_organisation,
    parse_partnership,
)
from broker.store.organisations import WriteCounts, existing_ids, upsert_organisations
from broker.store.partnerships import upsert_partnerships

log = logging.getLogger(__name__)

PARTNERSHIP_COLUMNS = frozenset({"a", "b"})


@dataclass
class Batch:
    """Raw records read from one or more files, not yet validated."""

    organisations: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    partnerships: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    problems: list[ProblemDetail] = field(default_factory=list)

    def extend(self, other: Batch) -> None:
        """Add another file's records."""
        self.organisations += other.organisations
        self.partnerships += other.partnerships
        self.problems += other.problems


@dataclass(frozen=True)
class ImportReport:
    """What an import wrote, and the organisations it was given."""

    organisations: WriteCounts
    partnerships: WriteCounts
    imported: tuple[Organisation, ...] = ()

    def as_dict(self) -> dict[str, dict[str, int]]:
        """Counts as JSON-ready mappings."""
        return {
            "organisations": vars(self.organisations),
            "partnerships": vars(self.partnerships),
        }


def _file_problem(source: str, problem: str, fix: str) -> Batch:
    return Batch(problems=[ProblemDetail("file", problem, fix, source=source)])


def read_json(text: str, source: str = "request") -> Batch:
    """Read an import object ``{"organisations": [...], "partnerships": [...]}``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        return _file_problem(
            source, f"not valid JSON: {error.msg} at {where}", "fix the JSON syntax"
        )
    except RecursionError:
        return _file_problem(
            source, "JSON nested too deeply", "send a flat import object"
        )
    return from_mapping(data, source)


def from_mapping(data: Any, source: str = "request") -> Batch:
    """Read an import object already parsed from JSON."""
    if not isinstance(data, dict):
        return _file_problem(
            source,
            f"expected a JSON object, got {type(data).__name__}",
            'send {"organisations": [...], "partnerships": [...]}',
        )
    unknown = set(data) - {"organisations", "partnerships"}
    if unknown:
        return _file_problem(
            source,
            f"unknown top-level keys {sorted(unknown)}",
            "use only 'organisations' and 'partnerships'",
        )
    batch = Batch()
    for section, target in (
        ("organisations", batch.organisations),
        ("partnerships", batch.partnerships),
    ):
        records = data.get(section, [])
        if not isinstance(records, list):
            batch.problems.append(
                ProblemDetail(
                    section,
                    "must be a list",
                    f"give {section} as a JSON list",
                    source=source,
                )
            )
            continue
        for row, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                batch.problems.append(
                    ProblemDetail(
                        section,
                        "each entry must be an object",
                        "give one JSON object per entry",
                        row,
                        source,
                    )
                )
                continue
            target.append((source, row, record))
    return batch


def read_csv(text: str, source: str = "request") -> Batch:
    """Read organisations (or partnerships, by their a/b columns) from CSV.

    Empty cells are treated as missing; tag lists are joined by ``;``.
    """
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = list(reader)
        header = reader.fieldnames or []
    except csv.Error as error:
        return _file_problem(
            source, f"not valid CSV: {error}", "fix the quoting of that line"
        )
    if not header:
        return _file_problem(
            source, "the CSV has no header row", "start with a header of field names"
        )
    batch = Batch()
    target = (
        batch.partnerships
        if PARTNERSHIP_COLUMNS <= set(header)
        else batch.organisations
    )
    for row, record in enumerate(rows, start=2):
        if None in record:
            batch.problems.append(
                ProblemDetail(
                    "file",
                    "more cells than header columns",
                    "quote cells that contain commas",
                    row,
                    source,
                )
            )
            continue
        cleaned = {k: v for k, v in record.items() if v not in (None, "")}
        target.append((source, row, cleaned))
    return batch


def read_file(path: Path) -> Batch:
    """Read one import file, by its extension (.json or .csv)."""
    source = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _file_problem(source, f"no such file {str(path)!r}", "check the path")
    except UnicodeDecodeError:
        return _file_problem(source, "the file is not UTF-8 text", "save it as UTF-8")
    readers: dict[str, Callable[[str, str], Batch]] = {
        ".json": read_json,
        ".csv": read_csv,
    }
    reader = readers.get(path.suffix.lower())
    if reader is None:
        return _file_problem(
            source, f"unknown file type {path.suffix!r}", "use a .json or .csv file"
        )
    return reader(text, source)


def _validate(
    records: Iterable[tuple[str, int, dict[str, Any]]],
    parse: Callable[[Mapping[str, Any], int | None], Any],
    section: str,
    problems: list[ProblemDetail],
) -> list[tuple[str, int, Any]]:
    valid = []
    for source, row, record in records:
        try:
            valid.append((source, row, parse(record, row)))
        except ValidationFailed as error:
            problems.extend(
                ProblemDetail(f"{section}.{p.field}", p.problem, p.fix, row, source)
                for p in error.problems
            )
    return valid


def _located(organisation: Organisation, row: int, source: str) -> Organisation:
    lat, lon, region = locate(
        town=organisation.town,
        postcode=organisation.postcode,
        lat=organisation.lat,
        lon=organisation.lon,
        region=organisation.region,
        row=row,
    )
    if (lat, lon, region) == (organisation.lat, organisation.lon, organisation.region):
        return organisation
    return organisation.model_copy(update={"lat": lat, "lon": lon, "region": region})


def check_batch(
    session: Session, batch: Batch
) -> tuple[list[Organisation], list[Partnership]]:
    """Validate a whole batch, or raise ValidationFailed listing every problem."""
    problems = list(batch.problems)
    organisations: list[Organisation] = []
    seen: dict[str, tuple[str, int]] = {}
    for source, row, record in batch.organisations:
        try:
            organisation = parse_organisation(record, row)
            organisation = _located(organisation, row, source)
        except ValidationFailed as error:
            problems.extend(
                ProblemDetail(f"organisations.{p.field}", p.problem, p.fix, row, source)
                for p in error.problems
            )
            continue
        if organisation.id in seen:
            first_source, first_row = seen[organisation.id]
            problems.append(
                ProblemDetail(
                    "organisations.id",
                    f"id {organisation.id!r} appears twice "
                    f"(first in {first_source} row {first_row})",
                    "give each organisation one entry",
                    row,
                    source,
                )
            )
            continue
        seen[organisation.id] = (source, row)
        organisations.append(organisation)

    checked = _validate(batch.partnerships, parse_partnership, "partnerships", problems)
    partnerships: list[Partnership] = [p for _, _, p in checked]
    referenced = {p.a for p in partnerships} | {p.b for p in partnerships}
    known = set(seen) | existing_ids(session, referenced - set(seen))
    for source, row, partnership in checked:
        for end in ("a", "b"):
            other = getattr(partnership, end)
            if other not in known:
                problems.append(
                    ProblemDetail(
                        f"partnerships.{end}",
                        f"unknown organisation {other!r}",
                        "add it to this import or load it first",
                        row,
                        source,
                    )
                )
    if problems:
        raise ValidationFailed(problems)
    return organisations, _merge_pairs(partnerships)


def _merge_pairs(partnerships: Sequence[Partnership]) -> list[Partnership]:
    """Keep the last entry of each unordered pair, as an upsert would."""
    merged: dict[tuple[str, str], Partnership] = {}
    for partnership in partnerships:
        merged[partnership.key] = partnership
    return list(merged.values())


def import_batch(session: Session, batch: Batch) -> ImportReport:
    """Check and write a batch in the caller's transaction."""
    organisations, partnerships = check_batch(session, batch)
    report = ImportReport(
        organisations=upsert_organisations(session, organisations),
        partnerships=upsert_partnerships(session, partnerships),
        imported=tuple(organisations),
    )
    log.info(
        "imported %s organisations and %s partnerships: %s",
        len(organisations),
        len(partnerships),
        report.as_dict(),
    )
    return report


__all__ = ["Batch", "ImportReport", "import_batch", "read_file", "read_json"]
