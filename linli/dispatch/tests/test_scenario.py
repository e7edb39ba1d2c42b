"""The scenario file: field-by-field override, clear Chinese errors, the order stream."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linli.dispatch.demo_map import super_community
from linli.dispatch.scenario import (
    DEFAULT,
    ScenarioError,
    _apportion,
    clock,
    load,
    merge,
    orders,
    parse,
)

DEMO = super_community()


def write(tmp_path, data) -> str:
    path = tmp_path / "scenario.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_the_default_is_the_issue_day():
    scn = load(None)
    counts = {d.kind: d.count for d in scn.demand}
    assert counts == {
        "meal_assist": 300,
        "medicine_delivery": 60,
        "consultation": 30,
        "bath_assist": 15,
        "housekeeping": 40,
        "repair": 50,
    }
    workers = {g.name: g.count for g in scn.workers}
    assert sum(workers.values()) == 16 + 14 + 3 + 5
    assert scn.speeds_kmh == {"walk": 4.5, "ebike": 15.0}
    assert (scn.detour, scn.decline_share, scn.handover_s) == (1.3, 0.05, 120)
    assert scn.accept_delay_s == (10, 60)


def test_a_file_replaces_only_the_fields_it_names(tmp_path):
    scn = load(write(tmp_path, {"demand": {"repair": {"count": 80}}, "decline_share": 0.1}))
    repair = next(d for d in scn.demand if d.kind == "repair")
    assert repair.count == 80
    assert repair.service_s == 30 * 60  # kept from the default
    assert scn.decline_share == 0.1
    assert next(d for d in scn.demand if d.kind == "meal_assist").count == 300


def test_lists_are_replaced_whole():
    merged = merge(DEFAULT, {"accept_delay_s": [5, 6]})
    assert merged["accept_delay_s"] == [5, 6]
    assert DEFAULT["accept_delay_s"] == [10, 60]  # the default is not modified


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "不是合法的 JSON"),
        ("[1, 2]", "顶层必须是 JSON 对象"),
        ({"demand": {"repair": {"count": -1}}}, "demand.repair.count"),
        ({"demand": {"repair": {"count": "many"}}}, "必须是不小于 0 的整数"),
        ({"workers": {"courier": {"mode": "car"}}}, "workers.courier.mode"),
        ({"workers": {"courier": {"shifts": [["14:00", "10:00"]]}}}, "结束时间必须晚于开始时间"),
        (
            {"demand": {"repair": {"windows": [{"share": 0.5, "ranges": [["08:00", "09:00"]]}]}}},
            "share 之和必须为 1",
        ),
        ({"peak": {"services": ["taxi"]}}, "peak.services"),
        ({"decline_share": 1}, "decline_share"),
        ({"accept_delay_s": [60, 10]}, "accept_delay_s"),
        (
            {"demand": {"repair": {"windows": [{"share": 1, "ranges": [["8:00", "09:00"]]}]}}},
            "HH:MM",
        ),
    ],
)
def test_a_bad_scenario_file_says_what_is_wrong_in_chinese(tmp_path, content, message):
    with pytest.raises(ScenarioError, match=message):
        load(write(tmp_path, content))


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ScenarioError, match="无法读取场景文件"):
        load(str(tmp_path / "nope.json"))


@given(st.integers(min_value=0, max_value=23), st.integers(min_value=0, max_value=59))
def test_clock_reads_every_minute_of_the_day(hh, mm):
    assert clock(f"{hh:02d}:{mm:02d}", "x") == hh * 3600 + mm * 60


@pytest.mark.parametrize("bad", ["24:01", "7:00", "07:60", "0700", 700, None])
def test_clock_refuses_anything_else(bad):
    with pytest.raises(ScenarioError, match="HH:MM"):
        clock(bad, "x")


@given(
    st.integers(min_value=0, max_value=1000),
    st.lists(st.integers(min_value=1, max_value=20), min_size=1, max_size=5),
)
def test_apportion_gives_exactly_count_and_each_share_within_one(count, raw):
    shares = [r / sum(raw) for r in raw]
    split = _apportion(count, shares)
    assert sum(split) == count
    assert all(abs(n - count * s) < 1 for n, s in zip(split, shares, strict=True))


def test_the_order_stream_follows_counts_windows_and_pickups():
    scn = load(None)
    stream = orders(scn, DEMO, seed=3, peak=False)
    assert len(stream) == 495
    meals = [o for o in stream if o.kind == "meal_assist"]
    lunch = [o for o in meals if 11 * 3600 <= o.placed_at < 12.5 * 3600]
    assert len(lunch) >= 165  # 55% in the window, plus some of the spread-out rest
    canteens = {p.point for p in DEMO.facilities["canteen"]}
    assert all(o.job.pickup in canteens for o in meals)
    assert all(o.job.ready_at == pytest.approx(o.placed_at + 300) for o in meals)
    medicine = [o for o in stream if o.kind == "medicine_delivery"]
    assert all(o.job.ready_at == pytest.approx(o.placed_at + 600) for o in medicine)
    baths = [o for o in stream if o.kind == "bath_assist"]
    assert sum(o.job.crew == 2 for o in baths) == 3  # one in five
    assert [o.placed_at for o in stream] == sorted(o.placed_at for o in stream)


def test_the_same_seed_gives_the_same_stream_and_another_seed_another():
    scn = load(None)
    first = orders(scn, DEMO, seed=7, peak=False)
    assert first == orders(scn, DEMO, seed=7, peak=False)
    assert first != orders(scn, DEMO, seed=8, peak=False)


def test_peak_doubles_meals_and_repairs_inside_the_peak_windows_only():
    scn = load(None)
    normal = orders(scn, DEMO, seed=3, peak=False)
    peak = orders(scn, DEMO, seed=3, peak=True)
    windows = scn.peak_windows

    def inside(o):
        return any(a <= o.placed_at < b for a, b in windows)

    for kind in ("meal_assist", "repair"):
        n_in = sum(1 for o in normal if o.kind == kind and inside(o))
        p_in = sum(1 for o in peak if o.kind == kind and inside(o))
        assert p_in == 2 * n_in
    for kind in ("medicine_delivery", "consultation", "housekeeping", "bath_assist"):
        assert sum(o.kind == kind for o in peak) == sum(o.kind == kind for o in normal)
    assert all(inside(o) for o in peak if o.peak_extra)


def test_parse_accepts_a_new_service_and_worker_group():
    data = merge(
        DEFAULT,
        {
            "demand": {
                "haircut": {
                    "count": 5,
                    "windows": [{"share": 1, "ranges": [["09:00", "11:00"]]}],
                    "service_min": 25,
                    "skills": ["haircut"],
                }
            },
            "workers": {
                "barber": {
                    "count": 1,
                    "mode": "walk",
                    "skills": ["haircut"],
                    "shifts": [["09:00", "12:00"]],
                    "start": "service_station",
                }
            },
        },
    )
    scn = parse(data)
    assert any(d.kind == "haircut" and d.service_s == 1500 for d in scn.demand)
    assert any(g.name == "barber" for g in scn.workers)
