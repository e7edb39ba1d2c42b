"""The ingestion core: idempotent bulk writes, late events, dead letters, scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.devices.ingest import Outcome, ingest
from linli.devices.models import DeadLetter, DeviceEvent
from linli.devices.services import device_register
from linli.devices.tests.conftest import event

pytestmark = pytest.mark.django_db


def test_the_same_event_twice_is_stored_once(home: dict[str, Any]) -> None:
    batch = [event(home["water"], 1), event(home["water"], 2)]
    first = ingest(batch, channel="mqtt", source="t")
    again = ingest(batch, channel="mqtt", source="t")
    assert (first.stored, first.duplicates) == (2, 0)
    assert (again.stored, again.duplicates) == (0, 2)
    assert DeviceEvent.objects.filter(device=home["water"]).count() == 2


def test_a_repeat_inside_one_batch_is_a_duplicate(home: dict[str, Any]) -> None:
    item = event(home["door"], 1)
    result = ingest([item, dict(item)], channel="mqtt", source="t")
    assert [o.status for o in result.outcomes] == [Outcome.STORED, Outcome.DUPLICATE]


def test_the_same_instant_written_with_another_offset_is_the_same_event(
    home: dict[str, Any],
) -> None:
    moment = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    now = moment + dt.timedelta(hours=1)
    ingest([event(home["door"], 1, ts=moment)], channel="mqtt", source="t", now=now)
    again = ingest(
        [event(home["door"], 1, ts=moment.astimezone(dt.UTC))], channel="http", source="g", now=now
    )
    assert again.duplicates == 1


def test_bad_items_go_to_dead_letters_and_the_good_ones_are_stored(home: dict[str, Any]) -> None:
    batch = [
        event(home["water"], 1),
        {"event": "x"},
        event(home["water"], 2, value=-5),
        event(home["water"], 3, kind="door_open", value=None),
        {**event(home["water"], 4), "device": "NOPE"},
        event(home["sos"], 5),
    ]
    result = ingest(batch, channel="http", source="gw-1")
    assert [o.status for o in result.outcomes] == [
        Outcome.STORED,
        Outcome.REJECTED,
        Outcome.REJECTED,
        Outcome.REJECTED,
        Outcome.REJECTED,
        Outcome.STORED,
    ]
    assert [o.code for o in result.outcomes if o.code] == [
        "missing_field",
        "bad_value",
        "kind_mismatch",
        "unknown_device",
    ]
    letters = DeadLetter.objects.order_by("id")
    assert [letter.code for letter in letters] == [
        "missing_field",
        "bad_value",
        "kind_mismatch",
        "unknown_device",
    ]
    assert all(letter.channel == "http" and letter.source == "gw-1" for letter in letters)
    assert '"event": "x"' in letters[0].payload and "缺少字段" in letters[0].reason
    assert DeviceEvent.objects.count() == 2


def test_late_and_out_of_order_events_are_accepted(home: dict[str, Any]) -> None:
    now = dt.datetime.now(dt.UTC)
    times = [
        now - dt.timedelta(minutes=1),
        now - dt.timedelta(days=20),
        now - dt.timedelta(hours=3),
    ]
    result = ingest(
        [event(home["water"], n, ts=ts) for n, ts in enumerate(times)], channel="mqtt", source="t"
    )
    assert result.stored == 3
    stored = sorted(DeviceEvent.objects.values_list("ts", flat=True))
    assert stored == sorted(ts.replace(microsecond=ts.microsecond) for ts in times)


@override_settings(DEVICES_FUTURE_TOLERANCE_S=300)
def test_times_beyond_the_future_tolerance_are_refused(home: dict[str, Any]) -> None:
    now = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)
    ok = event(home["door"], 1, ts=now + dt.timedelta(seconds=290))
    late = event(home["door"], 2, ts=now + dt.timedelta(seconds=310))
    result = ingest([ok, late], channel="mqtt", source="t", now=now)
    assert [o.code for o in result.outcomes] == ["", "future_ts"]


@override_settings(DEVICES_RETENTION_MONTHS=2)
def test_events_older_than_the_retention_are_refused(home: dict[str, Any]) -> None:
    now = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)
    kept = event(home["door"], 1, ts=dt.datetime(2026, 9, 1, 0, 0, tzinfo=dt.UTC))
    expired = event(home["door"], 2, ts=dt.datetime(2026, 8, 31, 23, 59, tzinfo=dt.UTC))
    result = ingest([kept, expired], channel="mqtt", source="t", now=now)
    assert [o.code for o in result.outcomes] == ["", "too_old"]


def test_devices_outside_the_scope_are_refused(
    home: dict[str, Any], other_areas: dict[str, Any]
) -> None:
    inside = ingest(
        [event(home["door"], 1)], channel="http", source="g", area_path=home["community"].path
    )
    outside = ingest(
        [event(home["door"], 2)],
        channel="http",
        source="g",
        area_path=other_areas["community"].path,
    )
    assert inside.stored == 1
    assert outside.outcomes[0].code == "wrong_area"


def test_a_device_topic_accepts_only_its_own_device(home: dict[str, Any]) -> None:
    result = ingest(
        [event(home["door"], 1), event(home["water"], 2)],
        channel="mqtt",
        source="t",
        only_device=home["door"].external_id,
    )
    assert [o.code for o in result.outcomes] == ["", "topic_mismatch"]


def test_an_id_shared_by_two_vendors_needs_the_vendor_field(home: dict[str, Any]) -> None:
    twin = device_register(
        kind="water_meter",
        household=home["household"],
        vendor="other",
        external_id=home["water"].external_id,
    )
    result = ingest(
        [event(home["water"], 1), event(home["water"], 2, vendor="other")],
        channel="mqtt",
        source="t",
    )
    assert [o.code for o in result.outcomes] == ["ambiguous_device", ""]
    assert DeviceEvent.objects.get().device == twin


def test_an_inactive_device_is_refused(home: dict[str, Any]) -> None:
    home["sos"].active = False
    home["sos"].save()
    result = ingest([event(home["sos"], 1)], channel="mqtt", source="t")
    assert result.outcomes[0].code == "inactive_device"


def test_stored_events_keep_kind_value_and_utc_time(home: dict[str, Any]) -> None:
    moment = dt.datetime(2026, 11, 29, 7, 12, 3, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    ingest([event(home["water"], 7, ts=moment)], channel="mqtt", source="t", now=moment)
    stored = DeviceEvent.objects.get()
    assert (stored.kind, stored.value, stored.event_id) == ("water", 70.0, "e-7")
    assert stored.ts == moment and stored.received_at == moment


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.integers(min_value=0, max_value=11), min_size=1, max_size=40),
    split=st.integers(min_value=1, max_value=40),
)
def test_any_order_and_repetition_stores_each_event_exactly_once(
    home: dict[str, Any], picks: list[int], split: int
) -> None:
    """Given events sent in any order, repeated, and cut into two batches at any point, then
    every distinct event is stored once and the counts add up."""
    DeviceEvent.objects.all().delete()
    base = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    pool = [event(home["water"], n, ts=base - dt.timedelta(hours=n * 7 % 12)) for n in range(12)]
    items = [pool[i] for i in picks]
    now = base + dt.timedelta(hours=1)
    first = ingest(items[:split], channel="mqtt", source="t", now=now)
    second = ingest(items[split:], channel="mqtt", source="t", now=now) if items[split:] else None
    stored = first.stored + (second.stored if second else 0)
    duplicates = first.duplicates + (second.duplicates if second else 0)
    assert stored == len(set(picks)) == DeviceEvent.objects.count()
    assert stored + duplicates == len(picks)


def test_on_stored_callbacks_hear_only_new_events_after_commit(
    home: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from linli.devices import ingest as ingest_module

    heard: list[Any] = []

    def broken(rows: list[Any]) -> None:
        raise RuntimeError("alert module down")

    registered = list(ingest_module._on_stored)  # the care app's hook, restored below
    ingest_module.on_stored(broken)
    ingest_module.on_stored(heard.extend)
    first, second = event(home["sos"], 1), event(home["sos"], 2)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ingest([first], channel="mqtt", source="t")
        with django_capture_on_commit_callbacks(execute=True):
            result = ingest([first, second], channel="mqtt", source="t")
    finally:
        ingest_module._on_stored[:] = registered
    assert (result.stored, result.duplicates) == (1, 1)
    assert [(row[0], row[1], row[3]) for row in heard] == [
        (home["sos"].pk, "e-1", "sos"),
        (home["sos"].pk, "e-2", "sos"),
    ]
