"""The payload format: strict validation of messages and events (docs/devices.md)."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linli.devices.payload import PayloadError, parse_message, parse_ts, validate_event

GOOD = {
    "event": "e-1",
    "device": "WM-1",
    "ts": "2026-11-29T07:12:03+08:00",
    "kind": "water",
    "value": 1234.5,
}


def code_of(item: object) -> str:
    with pytest.raises(PayloadError) as caught:
        validate_event(item)
    return caught.value.code


def test_a_message_is_one_event_or_an_array_of_events() -> None:
    assert parse_message(b'{"event": "a"}') == [{"event": "a"}]
    assert parse_message('[{"event": "a"}, {"event": "b"}]') == [{"event": "a"}, {"event": "b"}]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"\xff\xfe", "not_utf8"),
        (b"{not json", "not_json"),
        (b"[]", "empty_batch"),
        (b'"water"', "not_event"),
        (b"42", "not_event"),
        (b'{"value": NaN}', "not_json"),
    ],
)
def test_unreadable_messages_are_refused_with_a_code(raw: bytes, code: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_message(raw)
    assert caught.value.code == code
    assert caught.value.reason  # a Chinese reason for the dead-letter table


def test_a_good_event_is_typed_with_its_offset_kept() -> None:
    event = validate_event(GOOD)
    assert event.ts == dt.datetime(2026, 11, 28, 23, 12, 3, tzinfo=dt.UTC)
    assert event.ts.utcoffset() == dt.timedelta(hours=8)
    assert (event.value, event.vendor) == (1234.5, None)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"event": None}, "bad_id"),
        ({"event": ""}, "bad_id"),
        ({"event": "x" * 65}, "bad_id"),
        ({"device": " WM-1"}, "bad_id"),
        ({"device": 17}, "bad_id"),
        ({"ts": "2026-11-29T07:12:03"}, "bad_ts"),
        ({"ts": "2026-11-29"}, "bad_ts"),
        ({"ts": 1764371523}, "bad_ts"),
        ({"ts": "2026-13-29T07:12:03+08:00"}, "bad_ts"),
        ({"kind": "flood"}, "bad_kind"),
        ({"value": None}, "bad_value"),
        ({"value": "12"}, "bad_value"),
        ({"value": True}, "bad_value"),
        ({"value": -1}, "bad_value"),
        ({"value": 10**400}, "bad_value"),
        ({"vendor": ""}, "bad_vendor"),
        ({"colour": "red"}, "unknown_field"),
    ],
)
def test_each_broken_field_is_named(change: dict[str, object], code: str) -> None:
    assert code_of({**GOOD, **change}) == code


def test_missing_fields_are_listed() -> None:
    with pytest.raises(PayloadError) as caught:
        validate_event({"event": "e"})
    assert caught.value.code == "missing_field"
    assert "device" in caught.value.reason and "kind" in caught.value.reason


def test_events_other_than_meter_readings_carry_no_value() -> None:
    door = {**GOOD, "kind": "door_open"}
    del door["value"]
    assert validate_event(door).value is None
    assert validate_event({**door, "value": None}).value is None
    assert code_of({**door, "value": 1}) == "bad_value"


def test_a_non_object_item_is_refused() -> None:
    assert code_of(["event"]) == "not_object"


OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)


@given(st.datetimes(timezones=OFFSETS))
def test_any_time_with_an_offset_round_trips(moment: dt.datetime) -> None:
    parsed = parse_ts(moment.isoformat())
    assert parsed == moment
    assert parsed.utcoffset() == moment.utcoffset()


@given(st.datetimes())
def test_naive_times_are_always_refused(moment: dt.datetime) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_ts(moment.isoformat())
    assert caught.value.code == "bad_ts"


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers()))
def test_meter_values_are_accepted_exactly_when_finite_and_in_range(value: float) -> None:
    item = {**GOOD, "value": value}
    in_range = math.isfinite(float(value)) if abs(value) < 1e300 else False
    if in_range and 0 <= value <= 1e12:
        assert validate_event(item).value == float(value)
    else:
        assert code_of(item) == "bad_value"
