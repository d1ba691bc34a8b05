"""Offline geography: towns, postcodes, regions and distances."""

from __future__ import annotations

import numpy as np
import pytest

from broker import geo
from broker.errors import ValidationFailed


@pytest.mark.parametrize(
    ("town", "region"),
    [
        ("Bath", "south-west"),
        ("Bradford", "yorkshire-humber"),
        ("Enfield", "london"),
        ("Slough", "south-east"),
        ("Swansea", "wales"),
        ("Coventry", "west-midlands"),
        ("Lancaster", "north-west"),
        ("Newcastle upon Tyne", "north-east"),
        ("Cambridge", "east-of-england"),
        ("Leicester", "east-midlands"),
        ("Belfast", "northern-ireland"),
        ("Glasgow", "scotland"),
    ],
)
def test_a_town_alone_gives_coordinates_and_region(town: str, region: str) -> None:
    lat, lon, found = geo.locate(
        town=town, postcode=None, lat=None, lon=None, region=None
    )
    assert found == region
    assert lat is not None and 49.8 < lat < 60.9
    assert lon is not None and -8.7 < lon < 1.8


def test_a_postcode_alone_gives_coordinates_and_region() -> None:
    lat, lon, region = geo.locate(
        town=None, postcode="ba2 7ay", lat=None, lon=None, region=None
    )
    assert region == "south-west"
    # The University of Bath's campus at Claverton Down.
    assert lat == pytest.approx(51.379, abs=0.01)
    assert lon == pytest.approx(-2.327, abs=0.01)


def test_explicit_coordinates_win_over_the_town() -> None:
    lat, lon, region = geo.locate(
        town="Bath", postcode=None, lat=53.8, lon=-1.75, region=None
    )
    assert (lat, lon, region) == (53.8, -1.75, "yorkshire-humber")


@pytest.mark.parametrize(
    ("town", "postcode", "message"),
    [
        ("Atlantis", None, "unknown town 'Atlantis'"),
        (None, "ZZ99 9ZZ", "unknown postcode 'ZZ99 9ZZ'"),
        (None, "not a postcode", "unknown postcode"),
    ],
)
def test_unknown_places_are_clear_errors(
    town: str | None, postcode: str | None, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        geo.locate(town=town, postcode=postcode, lat=None, lon=None, region=None)


def test_no_location_at_all_is_allowed() -> None:
    assert geo.locate(town=None, postcode=None, lat=None, lon=None, region=None) == (
        None,
        None,
        None,
    )


def test_a_point_abroad_has_no_region() -> None:
    assert geo.region_of(48.86, 2.35) is None


def test_bulk_distances_agree_with_geodesic() -> None:
    bath, bradford, london = (51.3751, -2.3617), (53.7939, -1.7521), (51.5085, -0.1257)
    bulk = geo.haversine_km(
        bath[0],
        bath[1],
        np.array([bradford[0], london[0]]),
        np.array([bradford[1], london[1]]),
    )
    exact = [geo.geodesic_km(bath, bradford), geo.geodesic_km(bath, london)]
    assert bulk == pytest.approx(exact, rel=0.005)
    assert exact[1] == pytest.approx(156, abs=3)


def test_every_gazetteer_place_has_a_region() -> None:
    places = geo.gazetteer()
    assert len(places) > 3000
    assert all(p.region for p in places.values())
