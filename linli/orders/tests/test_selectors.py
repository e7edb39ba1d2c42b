"""qualified_workers: skills, certificates on the day, shift edges, status, area; few queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from linli.orders.models import ServiceType, WorkerStatus
from linli.orders.selectors import qualified_workers
from linli.orders.services import shift_create
from linli.orders.tests.factories import DAY, local, provider, worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def bath():  # type: ignore[no-untyped-def]
    return ServiceType.objects.get(code="bath_assist")


@pytest.fixture
def profile(areas):  # type: ignore[no-untyped-def]
    return provider(areas["community"])


def names(service_type, at, area=None):  # type: ignore[no-untyped-def]
    return {w.name for w in qualified_workers(service_type=service_type, at=at, area=area)}


def test_certificate_valid_until_today_counts_and_yesterday_does_not(bath, profile):
    worker(profile, name="今天到期", skills={"bathing": DAY})
    worker(profile, name="昨天到期", skills={"bathing": DAY - dt.timedelta(days=1)})
    assert names(bath, local(DAY, 9)) == {"今天到期"}
    assert names(bath, local(DAY + dt.timedelta(days=1), 9)) == set()


def test_worker_without_the_required_skill_is_not_qualified(bath, profile):
    worker(profile, name="只会保洁", skills={"housekeeping": None})
    worker(profile, name="助浴", skills={"bathing": DAY})
    assert names(bath, local(DAY, 9)) == {"助浴"}


def test_shift_start_is_inside_and_end_is_outside(bath, profile):
    worker(profile, name="早班", shift=(8, 12))
    assert names(bath, local(DAY, 7, 59)) == set()
    assert names(bath, local(DAY, 8)) == {"早班"}
    assert names(bath, local(DAY, 11, 59)) == {"早班"}
    assert names(bath, local(DAY, 12)) == set()


def test_weekly_shift_counts_on_its_weekday_only(bath, profile):
    person = worker(profile, name="每周二", shift=None, skills={"bathing": DAY + dt.timedelta(30)})
    shift_create(worker=person, weekday=DAY.weekday(), start=dt.time(8), end=dt.time(18))
    assert names(bath, local(DAY + dt.timedelta(days=7), 9)) == {"每周二"}
    assert names(bath, local(DAY + dt.timedelta(days=1), 9)) == set()


def test_instant_is_read_in_local_time(bath, profile):
    worker(profile, name="早班", shift=(8, 12))
    utc_0030 = dt.datetime.combine(DAY, dt.time(0, 30), tzinfo=dt.UTC)  # 08:30 in Yinchuan
    assert names(bath, utc_0030) == {"早班"}


def test_off_and_on_break_workers_are_left_out_but_busy_are_kept(bath, profile):
    for status in WorkerStatus.values:
        worker(profile, name=status, status=status)
    assert names(bath, local(DAY, 9)) == {"available", "busy"}


def test_provider_must_offer_the_service_and_serve_the_area(bath, areas, other_areas):
    worker(provider(areas["community"]), name="本社区")
    worker(provider(areas["community"], services=["housekeeping"]), name="不提供助浴")
    worker(provider(other_areas["community"]), name="别处")
    at = local(DAY, 9)
    assert names(bath, at, areas["micro_grid"]) == {"本社区"}
    assert names(bath, at, other_areas["micro_grid"]) == {"别处"}
    assert names(bath, at) == {"本社区", "别处"}


def test_inactive_provider_or_worker_is_left_out(bath, profile):
    person = worker(profile, name="离职")
    person.active = False
    person.save()
    other = provider(profile.organization.area)
    worker(other, name="停用服务商")
    other.active = False
    other.save()
    assert names(bath, local(DAY, 9)) == set()


def test_naive_instant_is_rejected(bath):
    with pytest.raises(ValidationError, match="时区"):
        qualified_workers(service_type=bath, at=dt.datetime(2030, 1, 8, 9))


def test_query_count_does_not_grow_with_workers(bath, areas, django_assert_num_queries):
    profile = provider(areas["community"])
    for i in range(8):
        worker(profile, name=f"护工{i}", skills={"bathing": DAY, "housekeeping": None})
    with django_assert_num_queries(3):  # required skills, workers, prefetched skills
        found = list(qualified_workers(service_type=bath, at=local(DAY, 9), area=areas["grid"]))
        seen = {
            (w.provider.organization.name, ws.skill.code)
            for w in found
            for ws in w.worker_skills.all()
        }
    assert len(found) == 8
    assert {code for _, code in seen} == {"bathing", "housekeeping"}
