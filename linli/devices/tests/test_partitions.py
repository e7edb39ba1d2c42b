"""Monthly partitions on PostgreSQL; the same retention rule on SQLite (rows deleted)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from linli.devices.ingest import ingest
from linli.devices.models import DeviceEvent
from linli.devices.partitions import (
    add_months,
    existing_partitions,
    is_partitioned,
    partitions_create_ahead,
    retention_apply,
    retention_cutoff,
)
from linli.devices.tests.conftest import event

pytestmark = pytest.mark.django_db
UTC = dt.UTC
OCTOBER = dt.datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
NOVEMBER = dt.datetime(2026, 11, 1, 0, 30, tzinfo=UTC)


def partition_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text, count(*) FROM devices_deviceevent GROUP BY 1"
        )
        return dict(cursor.fetchall())


def test_the_events_table_is_partitioned_exactly_on_postgresql() -> None:
    assert is_partitioned() == (connection.vendor == "postgresql")


def test_months_are_counted_in_utc() -> None:
    assert add_months(dt.date(2026, 11, 1), 2) == dt.date(2027, 1, 1)
    assert add_months(dt.date(2026, 1, 1), -13) == dt.date(2024, 12, 1)
    with override_settings(DEVICES_RETENTION_MONTHS=1):
        # 08:00 on 1 December in Shanghai is still 30 November in UTC.
        shanghai_morning = dt.datetime(
            2026, 12, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))
        )
        assert retention_cutoff(shanghai_morning) == dt.datetime(2026, 10, 1, tzinfo=UTC)


@override_settings(DEVICES_RETENTION_MONTHS=1)
def test_events_of_two_months_land_in_two_partitions_and_retention_drops_the_old_one(
    home: dict[str, Any],
) -> None:
    now = dt.datetime(2026, 11, 15, tzinfo=UTC)
    result = ingest(
        [event(home["door"], 1, ts=OCTOBER), event(home["door"], 2, ts=NOVEMBER)],
        channel="mqtt",
        source="t",
        now=now,
    )
    assert result.stored == 2
    # The ORM reads the table like any other.
    assert list(DeviceEvent.objects.order_by("ts").values_list("event_id", flat=True)) == [
        "e-1",
        "e-2",
    ]
    if connection.vendor == "postgresql":
        assert partition_counts() == {
            "devices_deviceevent_p202610": 1,
            "devices_deviceevent_p202611": 1,
        }
    # A month later, October falls out of the one-month retention.
    dropped, deleted = retention_apply(dt.datetime(2026, 12, 2, tzinfo=UTC))
    assert list(DeviceEvent.objects.values_list("event_id", flat=True)) == ["e-2"]
    if connection.vendor == "postgresql":
        assert (dropped, deleted) == ([dt.date(2026, 10, 1)], 0)
        assert existing_partitions() == [dt.date(2026, 11, 1)]
    else:
        assert (dropped, deleted) == ([], 1)


@override_settings(DEVICES_RETENTION_MONTHS=1)
def test_a_dry_run_removes_nothing(home: dict[str, Any]) -> None:
    ingest([event(home["door"], 1, ts=OCTOBER)], channel="mqtt", source="t", now=NOVEMBER)
    dropped, deleted = retention_apply(dt.datetime(2026, 12, 2, tzinfo=UTC), dry_run=True)
    assert DeviceEvent.objects.count() == 1
    assert (dropped or deleted) and len(dropped) + deleted == 1


@override_settings(DEVICES_RETENTION_MONTHS=2, DEVICES_PARTITIONS_AHEAD=2)
def test_partitions_are_made_from_the_cutoff_to_two_months_ahead() -> None:
    made = partitions_create_ahead(dt.datetime(2026, 11, 15, tzinfo=UTC))
    if connection.vendor == "postgresql":
        expected = [dt.date(2026, m, 1) for m in (9, 10, 11, 12)] + [dt.date(2027, 1, 1)]
        assert made == expected
        assert existing_partitions() == expected
    else:
        assert made == []
