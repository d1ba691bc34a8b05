"""Request and response bodies of the HTTP API.

Requests are checked here first, so that the OpenAPI document states the
rules (patterns, ranges, the valid tags) and a bad request is refused before
any work is done; the services check every profile again with the domain
rules (geocoding, both-or-neither coordinates). Responses carry public fields
only: ``contact_email`` may be written but is never read back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from broker.errors import ValidationFailed
from broker.profiles import ID_PATTERN, Kind, Reach, Status
from broker.vocabulary import (
    ACTIVITIES,
    REGIONS,
    STAGES,
    SUBJECTS,
    TARGET_GROUPS,
    check_tags,
)

# Patterns must mean the same to the Rust engine that checks them and to the
# ECMA-262 engines that read the OpenAPI document: their \s differ on U+0085
# and U+FEFF, so those are named outright.
SPACE = r"\s\x85\ufeff"
# Free texts may hold any character but the control characters the domain
# refuses (tab, line feed and carriage return are allowed).
PLAIN_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# The same, with at least one character that is not white space.
NON_BLANK_TEXT = (
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*"
    rf"[^{SPACE}\x00-\x1f\x7f]"
    r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
)
WEBSITE = rf"^https?://[^{SPACE}]+$"
EMAIL = rf"^[^@{SPACE}]+@[^@{SPACE}]+\.[^@{SPACE}]+$"
Verdict = Literal["accepted", "declined", "contacted"]


def _tag_checker(field: str) -> Callable[[str], str]:
    """A validator that normalises one tag and refuses an unknown one."""

    def check(value: str) -> str:
        kind = "unknown_tag"
        try:
            found = check_tags(field, [value])
        except ValidationFailed as error:
            fix = error.problems[0].fix
            raise PydanticCustomError(
                kind, "unknown tag {tag!r}", {"tag": value, "fix": fix}
            ) from None
        if not found:
            fix = "remove the empty tag"
            raise PydanticCustomError(kind, "empty tag", {"tag": value, "fix": fix})
        return found[0]

    return check


def _enum(tags: Any) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": list(tags)})


TargetGroup = Annotated[
    str, AfterValidator(_tag_checker("target_groups")), _enum(TARGET_GROUPS)
]
Subject = Annotated[str, AfterValidator(_tag_checker("subjects")), _enum(SUBJECTS)]
Stage = Annotated[str, AfterValidator(_tag_checker("stages")), _enum(STAGES)]
Activity = Annotated[str, AfterValidator(_tag_checker("activities")), _enum(ACTIVITIES)]
Region = Annotated[str, AfterValidator(_tag_checker("region")), _enum(REGIONS)]


def _whole(value: Any) -> Any:
    """JSON Schema counts 2010.0 as an integer; so does the API."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Year = Annotated[int, Field(ge=1900, le=2100), BeforeValidator(_whole)]
OrganisationId = Annotated[
    str, Field(pattern=ID_PATTERN, examples=["university-of-bath"])
]

BATH: dict[str, JsonValue] = {
    "name": "University of Bath",
    "kind": "hei",
    "aims": (
        "Leads a national community of practice that helps universities and "
        "third-sector organisations widen access to STEM degrees."
    ),
    "offers": "Student ambassadors, campus visits and summer schools.",
    "needs": "Charities that reach first-generation learners in the South West.",
    "target_groups": ["first-generation", "low-participation-area"],
    "subjects": ["mathematics", "physics"],
    "stages": ["ks4", "ks5"],
    "activities": ["summer-school", "campus-visit"],
    "town": "Bath",
    "reach": "national",
    "website": "https://www.bath.ac.uk/",
}


class ProfileIn(BaseModel):
    """An organisation's profile, as sent to the API (without its id)."""

    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra={"examples": [BATH]}
    )

    name: str = Field(min_length=1, max_length=200, pattern=NON_BLANK_TEXT)
    kind: Kind
    aims: str = Field(
        min_length=1,
        max_length=4000,
        pattern=NON_BLANK_TEXT,
        description="What the organisation wants to achieve, and for whom.",
    )
    offers: str = Field("", max_length=2000, pattern=PLAIN_TEXT)
    needs: str = Field("", max_length=2000, pattern=PLAIN_TEXT)
    target_groups: list[TargetGroup] = Field(default_factory=list, max_length=64)
    subjects: list[Subject] = Field(default_factory=list, max_length=64)
    stages: list[Stage] = Field(default_factory=list, max_length=64)
    activities: list[Activity] = Field(default_factory=list, max_length=64)
    town: str | None = Field(
        None,
        max_length=100,
        pattern=PLAIN_TEXT,
        description="A UK town or city; geocoded offline when lat and lon are missing.",
    )
    postcode: str | None = Field(None, max_length=10, pattern=PLAIN_TEXT)
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    region: Region | None = None
    reach: Reach = "local"
    website: str | None = Field(None, max_length=300, pattern=WEBSITE)
    contact_email: str | None = Field(
        None,
        max_length=200,
        pattern=EMAIL,
        description="Private: stored, never returned by the API or shown in pages.",
    )

    def as_profile(self, organisation_id: str) -> dict[str, Any]:
        """The profile as the services take it, with its id."""
        return {"id": organisation_id, **self.model_dump(mode="json")}


class OrganisationIn(ProfileIn):
    """A new organisation: its profile and the id it will be known by."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"id": "university-of-bath", **BATH}]},
    )

    id: OrganisationId


class ReplacementIn(ProfileIn):
    """A whole profile sent to replace one; its id, when given, is the path's.

    Taking the id lets a client send back what it read (GET, edit, PUT).
    """

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"id": "university-of-bath", **BATH}]},
    )

    id: OrganisationId | None = Field(
        None, description="Optional; when given it must equal the id in the path."
    )

    def as_profile(self, organisation_id: str) -> dict[str, Any]:
        """The profile with the path's id (the body's id is checked before)."""
        return {**self.model_dump(mode="json"), "id": organisation_id}


class MatchIn(ProfileIn):
    """An unsaved profile to match (what-if); nothing is stored."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"id": "what-if", **BATH}]},
    )

    id: OrganisationId = "what-if"


class Organisation(BaseModel):
    """An organisation's public profile (contact details are never shown)."""

    id: str
    name: str
    kind: Kind
    aims: str
    offers: str = ""
    needs: str = ""
    target_groups: list[str] = Field(default_factory=list)
    subjects: list[str] = Field(default_factory=list)
    stages: list[str] = Field(default_factory=list)
    activities: list[str] = Field(default_factory=list)
    town: str | None = None
    postcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    region: str | None = None
    reach: Reach = "local"
    website: str | None = None


class OrganisationPage(BaseModel):
    """One page of organisations, with how many match in all."""

    total: int = Field(description="How many organisations match the filters.")
    limit: int
    offset: int
    organisations: list[Organisation]


class Suggestion(BaseModel):
    """One suggested partner, with its score and why."""

    id: str
    name: str
    kind: Kind
    score: float = Field(description="The weighted sum of the components, 0 to 1.")
    components: dict[str, float] = Field(
        description="Each component's score, 0 to 1, before weighting."
    )
    reasons: list[str]
    distance_km: float | None = Field(
        None, description="Distance between the two organisations; null when unknown."
    )
    is_partner: bool = Field(False, description="Already a partner (active or past).")


class SuggestionList(BaseModel):
    """Suggestions for one organisation, best first."""

    organisation: str
    suggestions: list[Suggestion]


class PartnershipIn(BaseModel):
    """A partnership between two organisations (the pair is unordered)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "a": "university-of-bath",
                    "b": "villiers-park-educational-trust",
                    "activity": "summer-school",
                    "since": 2010,
                    "until": None,
                    "status": "active",
                }
            ]
        },
    )

    a: OrganisationId
    b: OrganisationId
    activity: str = Field("", max_length=200, pattern=PLAIN_TEXT)
    since: Year | None = None
    until: Year | None = None
    status: Status = "active"


class Partnership(BaseModel):
    """A stored partnership."""

    a: str
    b: str
    activity: str = ""
    since: int | None = None
    until: int | None = None
    status: Status = "active"


class PartnershipList(BaseModel):
    """Partnerships, ordered by pair."""

    partnerships: list[Partnership]


class ImportIn(BaseModel):
    """An import file: organisations and partnerships, written as one transaction."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "organisations": [{"id": "university-of-bath", **BATH}],
                    "partnerships": [],
                }
            ]
        },
    )

    organisations: list[OrganisationIn] = Field(default_factory=list)
    partnerships: list[PartnershipIn] = Field(default_factory=list)


class WriteCounts(BaseModel):
    """How many records an import created, updated or left unchanged."""

    created: int
    updated: int
    unchanged: int


class ImportReport(BaseModel):
    """What an import wrote."""

    organisations: WriteCounts
    partnerships: WriteCounts


class FeedbackIn(BaseModel):
    """A verdict on a suggestion, given as the organisation it was made to."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "organisation_id": "university-of-bath",
                    "suggested_id": "brightside-trust",
                    "verdict": "declined",
                    "reason": "We already work with a similar e-mentoring charity.",
                }
            ]
        },
    )

    organisation_id: OrganisationId
    suggested_id: OrganisationId
    verdict: Verdict = Field(
        description="declined removes the suggestion from that organisation's list."
    )
    reason: str = Field("", max_length=1000, pattern=PLAIN_TEXT)


class Feedback(BaseModel):
    """A recorded verdict."""

    organisation_id: str
    suggested_id: str
    verdict: Verdict
    reason: str
    created_at: datetime | None = None


class Health(BaseModel):
    """Whether the service is up, and what it is serving."""

    status: Literal["ok"] = "ok"
    store_version: int = Field(description="Changes whenever a write commits.")
    embedder: str = Field(description="The configured text embedder.")
    organisations: int = Field(description="How many organisations are stored.")


class BrokerCandidate(BaseModel):
    """A third-sector organisation ranked as a community broker."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    score: float = Field(description="How well it brokers, 0 to 1.")
    reasons: list[str]
    distance_km: float | None = Field(
        None, description="Distance from the place asked about; null when none."
    )
    region: str | None = None
    reach: str | None = None
    components: dict[str, float] = Field(default_factory=dict)
    target_groups: list[str] = Field(default_factory=list)


class BrokerList(BaseModel):
    """Community brokers, best first."""

    model_config = ConfigDict(extra="allow")

    brokers: list[BrokerCandidate]


class Community(BaseModel):
    """A group of organisations that already work closely together."""

    model_config = ConfigDict(extra="allow")

    index: int
    label: str
    size: int
    members: list[str]
    kinds: dict[str, int] = Field(default_factory=dict)
    partnerships: int = 0
    target_groups: list[str] = Field(default_factory=list)


class LeadCandidate(BaseModel):
    """A university or TSO that could lead a regional hub."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    kind: str
    score: float
    reasons: list[str]
    components: dict[str, float] = Field(default_factory=dict)
    target_groups: list[str] = Field(default_factory=list)


class ProposedLink(BaseModel):
    """A new partnership worth brokering, and why."""

    model_config = ConfigDict(extra="allow")

    a: str
    b: str
    score: float
    reasons: list[str]
    bridges: bool = Field(False, description="Joins two communities.")
    communities: list[int | None] = Field(default_factory=list)
    target_groups: list[str] = Field(default_factory=list)


class CoverageGap(BaseModel):
    """A target group, or a school or learner group, that nobody serves."""

    model_config = ConfigDict(extra="allow")

    kind: Literal["target_group", "organisation"]
    reason: str
    target_groups: list[str] = Field(default_factory=list)
    severity: int = 0
    id: str | None = None
    name: str | None = None
    organisation_kind: str | None = None
    lat: float | None = None
    lon: float | None = None
    nearest_km: float | None = None


class RegionalPlan(BaseModel):
    """A regional hub plan: communities, lead candidates, proposed links, gaps."""

    model_config = ConfigDict(extra="allow")

    region: str
    region_label: str | None = None
    summary: dict[str, Any] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    communities: list[Community] = Field(default_factory=list)
    lead_candidates: list[LeadCandidate] = Field(default_factory=list)
    brokers: list[BrokerCandidate] = Field(default_factory=list)
    proposed_links: list[ProposedLink] = Field(default_factory=list)
    gaps: list[CoverageGap] = Field(default_factory=list)


class Explanation(BaseModel):
    """The full score breakdown for one pair, and why B is or is not in A's list."""

    model_config = ConfigDict(extra="allow")

    a: str
    b: str
    score: float = Field(description="The pair's score, as ranked.")
    weights: dict[str, float] = Field(default_factory=dict)
    forward: dict[str, float] = Field(
        default_factory=dict, description="Components of B for A."
    )
    backward: dict[str, float] = Field(
        default_factory=dict, description="Components of A for B."
    )
    contributions: dict[str, float] = Field(default_factory=dict)
    forward_score: float | None = None
    backward_score: float | None = None
    rank: int | None = Field(None, description="B's place in A's full list.")
    listed: int | None = None
    limit: int | None = None
    in_list: bool = False
    why: str = Field("", description="Why B is or is not in A's list.")
    reasons: list[str] = Field(default_factory=list)
    distance_km: float | None = None


class ProblemItem(BaseModel):
    """One problem in a request: where, what and how to fix it."""

    field: str
    problem: str
    fix: str
    row: int | None = None
    source: str | None = None


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/invalid-input",
                    "title": "Invalid input",
                    "status": 422,
                    "detail": "kind: unknown kind 'charity' (use one of: hei, tso)",
                    "errors": [
                        {
                            "field": "kind",
                            "problem": "unknown kind 'charity'",
                            "fix": "use one of: hei, tso, school, learner_group",
                        }
                    ],
                }
            ]
        }
    )

    type: str = Field(description="A URI reference naming the kind of problem.")
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemItem] = Field(default_factory=list)
