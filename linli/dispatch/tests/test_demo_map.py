"""The bench's map is where ``linli demo`` puts the super community's buildings and facilities."""

from __future__ import annotations

import pytest

from linli.dispatch.demo_map import super_community
from linli.places.demo import DEFAULT_SEED, build_demo
from linli.places.models import Building, Facility


def test_the_map_has_the_super_community_places():
    demo = super_community()
    assert len(demo.buildings) == 128
    assert len(demo.facilities["canteen"]) == 2
    assert len(demo.facilities["pharmacy"]) == 1
    assert demo.first("service_station").name == "金凤苑党群服务中心"
    assert sum(b.dwellings for b in demo.buildings) > 10_000


@pytest.mark.django_db
def test_coordinates_match_the_demo_builder():
    build_demo(scale=0.002, seed=DEFAULT_SEED, log=lambda _: None)
    demo = super_community(DEFAULT_SEED)
    community = "金凤苑社区"
    stored = {
        b.name: (float(b.lat), float(b.lng))
        for b in Building.objects.filter(address__contains=community)
    }
    for place in demo.buildings:
        assert stored[place.name] == (place.point.lat, place.point.lng)
    for kind, places in demo.facilities.items():
        for place in places:
            row = Facility.objects.get(kind=kind, name=place.name)
            assert (float(row.lat), float(row.lng)) == (place.point.lat, place.point.lng)
