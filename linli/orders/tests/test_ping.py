"""worker_ping: positions in China only, stale pings ignored, bad times rejected."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from linli.orders.models import Worker
from linli.orders.services import GeoPoint, worker_ping
from linli.orders.tests.factories import provider, worker

pytestmark = pytest.mark.django_db

YINCHUAN = GeoPoint(38.4872, 106.2309, 12.0)


@pytest.fixture
def person(areas):  # type: ignore[no-untyped-def]
    return worker(provider(areas["community"]), shift=None)


def stored(person):  # type: ignore[no-untyped-def]
    row = Worker.objects.get(pk=person.pk)
    return row.last_lat, row.last_lng, row.last_accuracy_m, row.last_ping_at


def test_ping_is_stored(person):
    at = timezone.now()
    assert worker_ping(worker=person, point=YINCHUAN, at=at)
    assert stored(person) == (38.4872, 106.2309, 12.0, at)


def test_older_or_equal_ping_is_ignored(person):
    at = timezone.now()
    worker_ping(worker=person, point=YINCHUAN, at=at)
    assert not worker_ping(worker=person, point=GeoPoint(38.5, 106.3), at=at)
    assert not worker_ping(
        worker=person, point=GeoPoint(38.5, 106.3), at=at - dt.timedelta(seconds=30)
    )
    assert stored(person)[:2] == (38.4872, 106.2309)
    assert worker_ping(worker=person, point=GeoPoint(38.5, 106.3), at=at + dt.timedelta(seconds=1))
    assert stored(person)[:2] == (38.5, 106.3)


@pytest.mark.parametrize(
    "point,message",
    [
        (GeoPoint(40.7128, -74.0060), "不在中国境内"),  # New York
        (GeoPoint(0.0, 0.0), "不在中国境内"),
        (GeoPoint(91.0, 106.0), "超出范围"),
        (GeoPoint(38.0, 181.0), "超出范围"),
        (GeoPoint(float("nan"), 106.0), "超出范围"),
        (GeoPoint(38.48, 106.23, -5.0), "精度"),
        (GeoPoint("北纬", 106.23), "无法识别"),  # type: ignore[arg-type]
    ],
)
def test_bad_position_is_rejected_and_nothing_stored(person, point, message):
    with pytest.raises(ValidationError, match=message):
        worker_ping(worker=person, point=point, at=timezone.now())
    assert stored(person) == (None, None, None, None)


def test_naive_or_future_time_is_rejected(person):
    with pytest.raises(ValidationError, match="时区"):
        worker_ping(worker=person, point=YINCHUAN, at=dt.datetime(2026, 11, 29, 9))
    with pytest.raises(ValidationError, match="未来"):
        worker_ping(worker=person, point=YINCHUAN, at=timezone.now() + dt.timedelta(hours=1))
    assert stored(person) == (None, None, None, None)
