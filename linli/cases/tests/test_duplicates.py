"""Duplicate suggestions: same category, open, within the radius and the time window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linli.cases import services
from linli.cases.duplicates import duplicate_candidates, photos_with_merged
from linli.cases.models import Case, CaseStatus
from linli.cases.tests.lifecycle import Actors, category, fast_passwords, report  # noqa: F401
from linli.cases.tests.test_photos import jpeg_with_gps, upload
from linli.common.geo import LatLng
from linli.testing.factories import BuildingFactory

pytestmark = [pytest.mark.usefixtures("fast_passwords"), pytest.mark.django_db]
HERE = LatLng(38.480000, 106.220000)
#: One metre north is about 1 / 111,195 degree of latitude.
DEG_PER_M = 1 / 111_195


def case_at(areas, metres_north: float, name: str = "噪音扰民") -> Case:  # type: ignore[no-untyped-def]
    building = BuildingFactory.create(
        micro_grid=areas["micro_grid"],
        lat=f"{HERE.lat + metres_north * DEG_PER_M:.6f}",
        lng=f"{HERE.lng:.6f}",
    )
    return report(areas["micro_grid"], name=name, building=building, now=timezone.now())


def test_open_cases_of_the_category_within_200_m_are_offered_nearest_first(areas):  # type: ignore[no-untyped-def]
    far, near, nearer = case_at(areas, 190), case_at(areas, 120), case_at(areas, 30)
    case_at(areas, 260)  # outside the radius
    case_at(areas, 10, name="停车")  # another category
    found = duplicate_candidates(category=category(), point=HERE, at=timezone.now())
    assert [c for c, _ in found] == [nearer, near, far]
    assert found[0][1] == pytest.approx(30, abs=1)


def test_east_west_distance_counts_too(areas):  # type: ignore[no-untyped-def]
    # At 38.5° N a degree of longitude is ~87 km: 0.002° ≈ 174 m, 0.0026° ≈ 226 m.
    for lng, expected in ((HERE.lng + 0.002, True), (HERE.lng + 0.0026, False)):
        building = BuildingFactory.create(
            micro_grid=areas["micro_grid"], lat=f"{HERE.lat:.6f}", lng=f"{lng:.6f}"
        )
        case = report(areas["micro_grid"], building=building, now=timezone.now())
        found = [
            c for c, _ in duplicate_candidates(category=category(), point=HERE, at=timezone.now())
        ]
        assert (case in found) is expected


def test_window_radius_and_closed_cases(areas, settings):  # type: ignore[no-untyped-def]
    old = case_at(areas, 20)
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=80))
    closed = case_at(areas, 20)
    Case.objects.filter(pk=closed.pk).update(status=CaseStatus.CLOSED)
    recent = case_at(areas, 250)
    now = timezone.now()
    assert duplicate_candidates(category=category(), point=HERE, at=now) == []
    # wider settings bring them back (the closed one never)
    settings.LINLI_CASE_DUPLICATE_RADIUS_M = 300
    settings.LINLI_CASE_DUPLICATE_WINDOW_HOURS = 96
    found = [c for c, _ in duplicate_candidates(category=category(), point=HERE, at=now)]
    assert found == [old, recent]
    found = duplicate_candidates(
        category=category(), point=HERE, at=now, radius_m=100, window=dt.timedelta(hours=1)
    )
    assert found == []


def test_photos_of_a_merged_duplicate_are_seen_from_the_target(areas):  # type: ignore[no-untyped-def]
    actors = Actors(areas)
    target, duplicate = case_at(areas, 0), case_at(areas, 5)
    services.case_add_note(
        case=duplicate, actor=actors.dispatcher, note="现场照片", photos=[upload(jpeg_with_gps())]
    )
    services.case_merge(case=duplicate, into=target, actor=actors.dispatcher)
    assert [p.case for p in photos_with_merged(target)] == [duplicate]
    assert list(photos_with_merged(duplicate)) != [] and target.photos.count() == 0
