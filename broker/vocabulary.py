"""The tag vocabularies that profiles use.

The vocabularies are part of broker's contract (see DESIGN.md): tags may be
added, never renamed. Each vocabulary is a tuple in display order, with a
short human label used in reasons and pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from broker.errors import ProblemDetail, ValidationFailed

KINDS: tuple[str, ...] = ("hei", "tso", "school", "learner_group")
KIND_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "hei": "university",
        "tso": "third-sector organisation",
        "school": "school or local authority",
        "learner_group": "learner group",
    }
)
REACHES: tuple[str, ...] = ("local", "regional", "national")
STATUSES: tuple[str, ...] = ("active", "past", "proposed")

TARGET_GROUPS: Mapping[str, str] = MappingProxyType(
    {
        "low-income": "learners from low-income homes",
        "low-participation-area": "learners from low-participation areas",
        "first-generation": "first-generation learners",
        "girls-women": "girls and women",
        "minority-ethnic": "minority ethnic learners",
        "black-african-caribbean": "Black African and Caribbean learners",
        "white-working-class-boys": "white working-class boys",
        "care-experienced": "care-experienced learners",
        "young-carers": "young carers",
        "disabled": "disabled learners",
        "rural-coastal": "rural and coastal learners",
        "mature": "mature learners",
        "high-attaining": "high-attaining learners",
        "borderline-attainment": "learners on the grade borderline",
    }
)
SUBJECTS: Mapping[str, str] = MappingProxyType(
    {
        "mathematics": "mathematics",
        "physics": "physics",
        "chemistry": "chemistry",
        "biology": "biology",
        "engineering": "engineering",
        "computing": "computing",
        "general-stem": "STEM in general",
        "all-subjects": "all subjects",
    }
)
STAGES: Mapping[str, str] = MappingProxyType(
    {
        "primary": "primary",
        "ks3": "key stage 3",
        "ks4": "key stage 4",
        "ks5": "key stage 5 (post-16)",
        "undergraduate": "undergraduates",
        "postgraduate": "postgraduates",
        "adult": "adults",
        "teachers": "teachers",
    }
)
ACTIVITIES: Mapping[str, str] = MappingProxyType(
    {
        "masterclass": "masterclasses",
        "residential": "residentials",
        "summer-school": "summer schools",
        "mentoring": "mentoring",
        "e-mentoring": "e-mentoring",
        "tutoring": "tutoring",
        "research-project": "research projects",
        "outreach-day": "outreach days",
        "campus-visit": "campus visits",
        "after-school-club": "after-school clubs",
        "competition": "competitions",
        "teacher-cpd": "teacher CPD",
        "careers-guidance": "careers guidance",
        "online-resource": "online resources",
        "workshop": "workshops",
        "public-engagement": "public engagement",
    }
)
REGIONS: Mapping[str, str] = MappingProxyType(
    {
        "north-east": "North East",
        "north-west": "North West",
        "yorkshire-humber": "Yorkshire and the Humber",
        "east-midlands": "East Midlands",
        "west-midlands": "West Midlands",
        "east-of-england": "East of England",
        "london": "London",
        "south-east": "South East",
        "south-west": "South West",
        "wales": "Wales",
        "scotland": "Scotland",
        "northern-ireland": "Northern Ireland",
    }
)

VOCABULARIES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "target_groups": TARGET_GROUPS,
        "subjects": SUBJECTS,
        "stages": STAGES,
        "activities": ACTIVITIES,
        "region": REGIONS,
    }
)

# Subject tags that stand for "any subject in this family" when comparing.
BROAD_SUBJECTS: frozenset[str] = frozenset({"general-stem", "all-subjects"})


def normalise_tag(value: str) -> str:
    """Return the canonical spelling of a tag: trimmed, lower case, hyphens."""
    return value.strip().lower().replace("_", "-").replace(" ", "-")


def check_tags(field: str, values: Iterable[str]) -> list[str]:
    """Normalise tags and check each against the vocabulary for ``field``.

    Duplicates are dropped, order is kept. An unknown tag raises
    :class:`ValidationFailed` naming the tag and listing the valid ones.
    """
    vocabulary = VOCABULARIES[field]
    tags: list[str] = []
    for raw in values:
        tag = normalise_tag(raw)
        if not tag:
            continue
        if tag not in vocabulary:
            valid = ", ".join(vocabulary)
            raise ValidationFailed(
                [
                    ProblemDetail(
                        field=field,
                        problem=f"unknown tag {raw!r}",
                        fix=f"use one of: {valid}",
                    )
                ]
            )
        if tag not in tags:
            tags.append(tag)
    return tags


def label(field: str, tag: str) -> str:
    """Return the human label of a tag, or the tag itself if it has none."""
    return VOCABULARIES[field].get(tag, tag)
