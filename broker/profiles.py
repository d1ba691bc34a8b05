"""Validated domain models: organisations and partnerships.

The fields follow the profile format in DESIGN.md. Parsing turns any
problem into :class:`~broker.errors.ValidationFailed` whose details name the
field, the problem and the fix, so an importer can list every bad row.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from broker.errors import ProblemDetail, ValidationFailed
from broker.vocabulary import KINDS, REACHES, STATUSES, VOCABULARIES, check_tags

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"
TAG_FIELDS = ("target_groups", "subjects", "stages", "activities")
TEXT_FIELDS = ("aims", "offers", "needs")

Kind = Literal["hei", "tso", "school", "learner_group"]
Reach = Literal["local", "regional", "national"]
Status = Literal["active", "past", "proposed"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FieldProblem(ValueError):
    """A validator's complaint, with the fix kept apart from the problem."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem} ({fix})")
        self.problem = problem
        self.fix = fix


def _checked_tags(field: str, values: list[str]) -> list[str]:
    """check_tags, reporting through pydantic so every error is collected."""
    try:
        return check_tags(field, values)
    except ValidationFailed as error:
        first = error.problems[0]
        raise FieldProblem(first.problem, first.fix) from None


def _clean_text(field: str, value: str) -> str:
    """Normalise a free text to NFC and refuse control characters."""
    found = _CONTROL.search(value)
    if found:
        code = f"U+{ord(found.group()):04X}"
        msg = f"{field} contains the control character {code}; remove it"
        raise ValueError(msg)
    return unicodedata.normalize("NFC", value).strip()


class Organisation(BaseModel):
    """A profile: an HEI, TSO, school or learner group."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    kind: Kind
    aims: str = Field(min_length=1, max_length=4000)
    offers: str = Field("", max_length=2000)
    needs: str = Field("", max_length=2000)
    target_groups: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    town: str | None = Field(None, max_length=100)
    postcode: str | None = Field(None, max_length=10)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    region: str | None = None
    reach: Reach = "local"
    website: str | None = Field(None, max_length=300, pattern=r"^https?://\S+$")
    contact_email: str | None = Field(
        None,
        max_length=200,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="private: kept in the store, never in public responses",
    )

    @field_validator("name", "aims", "offers", "needs", "town", mode="before")
    @classmethod
    def _text(cls, value: Any, info: Any) -> Any:
        if isinstance(value, str):
            return _clean_text(info.field_name, value)
        return value

    @field_validator("postcode", mode="before")
    @classmethod
    def _postcode(cls, value: Any) -> Any:
        if isinstance(value, str):
            return " ".join(value.upper().split()) or None
        return value

    @field_validator(*TAG_FIELDS, mode="before")
    @classmethod
    def _tags(cls, value: Any, info: Any) -> Any:
        if value is None:
            return ()
        if isinstance(value, str):
            value = value.split(";")
        if not isinstance(value, list | tuple):
            return value
        if len(value) > 64:
            msg = f"{info.field_name} has {len(value)} tags; give at most 64"
            raise ValueError(msg)
        if not all(isinstance(v, str) for v in value):
            return value
        return tuple(_checked_tags(info.field_name, list(value)))

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip():
            return _checked_tags("region", [value])[0]
        return None if value == "" else value

    @model_validator(mode="after")
    def _coordinates_in_pairs(self) -> Organisation:
        if (self.lat is None) != (self.lon is None):
            msg = "give both lat and lon, or neither"
            raise ValueError(msg)
        return self

    def text_of(self, field: str) -> str:
        """Return one of the free texts (aims, offers or needs)."""
        return str(getattr(self, field))

    def public(self) -> dict[str, Any]:
        """Return the fields that may leave the store, for public responses."""
        return self.model_dump(exclude={"contact_email"}, mode="json")


class Partnership(BaseModel):
    """An unordered pair of organisations that work together."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    a: str = Field(pattern=ID_PATTERN)
    b: str = Field(pattern=ID_PATTERN)
    activity: str = Field("", max_length=200)
    since: int | None = Field(None, ge=1900, le=2100)
    until: int | None = Field(None, ge=1900, le=2100)
    status: Status = "active"

    @field_validator("activity", mode="before")
    @classmethod
    def _activity(cls, value: Any) -> Any:
        if isinstance(value, str):
            return _clean_text("activity", value)
        return "" if value is None else value

    @model_validator(mode="after")
    def _distinct_and_ordered(self) -> Partnership:
        if self.a == self.b:
            msg = f"a partnership needs two organisations, got {self.a!r} twice"
            raise ValueError(msg)
        if self.since and self.until and self.until < self.since:
            msg = f"until ({self.until}) is before since ({self.since})"
            raise ValueError(msg)
        return self

    @property
    def key(self) -> tuple[str, str]:
        """The pair in sorted order, the same whichever side came first."""
        return (self.a, self.b) if self.a <= self.b else (self.b, self.a)


# What to tell the user for each kind of pydantic error.
_FIXES: Mapping[str, str] = {
    "missing": "add this field; it is required",
    "string_too_short": "give a non-empty value",
    "string_too_long": "shorten the text",
    "string_pattern_mismatch": "see the allowed pattern in the message",
    "literal_error": "use one of the allowed values",
    "extra_forbidden": "remove the field or check its spelling",
    "greater_than_equal": "use a value inside the range",
    "less_than_equal": "use a value inside the range",
    "float_parsing": "give a number",
    "int_parsing": "give a whole number",
    "string_type": "give a text value",
    "tuple_type": "give a list of tags (in CSV: tags joined by ';')",
}
_ALLOWED: Mapping[str, str] = {
    "kind": ", ".join(KINDS),
    "reach": ", ".join(REACHES),
    "status": ", ".join(STATUSES),
    "id": f"an id matching {ID_PATTERN}, e.g. 'university-of-bath'",
    "a": f"an organisation id matching {ID_PATTERN}",
    "b": f"an organisation id matching {ID_PATTERN}",
    "website": "a full http(s) address",
    "contact_email": "an e-mail address like name@example.org",
}


def problems_from(
    error: ValidationError, row: int | None = None
) -> list[ProblemDetail]:
    """Translate a pydantic error into problems that name field and fix."""
    problems: list[ProblemDetail] = []
    for item in error.errors():
        field = ".".join(str(p) for p in item["loc"]) or "profile"
        top = str(item["loc"][0]) if item["loc"] else ""
        message = str(item["msg"]).removeprefix("Value error, ")
        inner = item.get("ctx", {}).get("error")
        if isinstance(inner, FieldProblem):
            problems.append(ProblemDetail(field, inner.problem, inner.fix, row))
            continue
        fix = _FIXES.get(item["type"], "correct the value")
        if top in _ALLOWED and item["type"] in {
            "literal_error",
            "string_pattern_mismatch",
        }:
            fix = f"use {_ALLOWED[top]}"
        if item["type"] == "value_error":
            fix = message
        shown = item.get("input")
        if isinstance(shown, str) and len(shown) > 60:
            shown = shown[:57] + "..."
        problem = (
            message if item["type"] == "value_error" else f"{message} (got {shown!r})"
        )
        if item["type"] == "missing":
            problem = "missing"
        problems.append(ProblemDetail(field=field, problem=problem, fix=fix, row=row))
    return problems


def parse_organisation(data: Mapping[str, Any], row: int | None = None) -> Organisation:
    """Validate one organisation record, raising problems that name the fix."""
    try:
        return Organisation.model_validate(dict(data))
    except ValidationError as error:
        raise ValidationFailed(problems_from(error, row)) from None


def parse_partnership(data: Mapping[str, Any], row: int | None = None) -> Partnership:
    """Validate one partnership record, raising problems that name the fix."""
    try:
        return Partnership.model_validate(dict(data))
    except ValidationError as error:
        raise ValidationFailed(problems_from(error, row)) from None


__all__ = [
    "ID_PATTERN",
    "TAG_FIELDS",
    "TEXT_FIELDS",
    "VOCABULARIES",
    "Organisation",
    "Partnership",
    "parse_organisation",
    "parse_partnership",
]
