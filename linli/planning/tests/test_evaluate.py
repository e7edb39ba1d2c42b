"""The independent checker: objective on hand-made instances and every kind of violation."""

from __future__ import annotations

from typing import Any

import pytest

from linli.planning.evaluate import Visit, evaluate
from linli.planning.instance import parse_instance

# depot 0 and three patients on a line: 0 --10-- 1 --10-- 2 --10-- 3
LINE = [[abs(i - j) * 10.0 for j in range(4)] for i in range(4)]


def make(patients: list[dict[str, Any]], caregivers: list[dict[str, Any]] | None = None):
    return parse_instance(
        {
            "distances": LINE,
            "caregivers": caregivers
            or [
                {"id": "c1", "abilities": ["s1", "s2"]},
                {"id": "c2", "abilities": ["s1", "s2", "s3"]},
            ],
            "patients": patients,
        },
        name="tiny",
    )


def patient(pid: str, node: int, services: list[str], start: float, end: float, sync=None):
    p: dict[str, Any] = {
        "id": pid,
        "distance_matrix_index": node,
        "required_services": [{"service": s, "duration": 5} for s in services],
        "time_windows": [{"start": start, "end": end}],
    }
    if sync is not None:
        p["synchronization"] = sync
    return p


def test_travel_total_and_max_tardiness_divided_by_three():
    inst = make([patient("p1", 1, ["s1"], 0, 4), patient("p2", 2, ["s1"], 0, 5)])
    # c1: depot -> p1 (arrive 10, tardy 6) -> p2 (15 + 10 = 25, tardy 20) -> depot
    result = evaluate(inst, [Visit("c1", "p1", "s1", 10), Visit("c1", "p2", "s1", 25)])
    assert result.feasible, result.violations
    assert result.travel == 40  # 10 + 10 + 20 back to the depot
    assert result.total_tardiness == 26
    assert result.max_tardiness == 20
    assert result.cost == pytest.approx((40 + 26 + 20) / 3)


def test_waiting_is_allowed_and_costs_nothing():
    inst = make([patient("p1", 1, ["s1"], 50, 80)])
    result = evaluate(inst, [Visit("c1", "p1", "s1", 50)])
    assert result.feasible
    assert result.cost == pytest.approx(20 / 3)


def test_start_before_window_is_a_violation():
    inst = make([patient("p1", 1, ["s1"], 50, 80)])
    result = evaluate(inst, [Visit("c1", "p1", "s1", 20)])
    assert not result.feasible
    assert any("时间窗开始" in v for v in result.violations)


def test_wrong_skill_is_a_violation():
    inst = make([patient("p1", 1, ["s3"], 0, 80)])
    result = evaluate(inst, [Visit("c1", "p1", "s3", 10)])
    assert not result.feasible
    assert any("不具备服务 s3" in v for v in result.violations)
    assert evaluate(inst, [Visit("c2", "p1", "s3", 10)]).feasible


def test_unreachable_start_is_a_violation():
    inst = make([patient("p1", 1, ["s1"], 0, 80), patient("p2", 3, ["s1"], 0, 80)])
    # p1 ends at 15; p3 is 20 away, so 35 is the earliest start there
    result = evaluate(inst, [Visit("c1", "p1", "s1", 10), Visit("c1", "p2", "s1", 30)])
    assert any("赶不到" in v for v in result.violations)
    assert evaluate(inst, [Visit("c1", "p1", "s1", 10), Visit("c1", "p2", "s1", 35)]).feasible
    # the first visit cannot start before the caregiver could arrive from the depot
    assert not evaluate(inst, [Visit("c2", "p1", "s1", 10), Visit("c1", "p2", "s1", 29)]).feasible


def test_simultaneous_needs_equal_starts_and_two_caregivers():
    inst = make([patient("p1", 1, ["s1", "s2"], 0, 80, {"type": "simultaneous"})])
    good = [Visit("c1", "p1", "s1", 12), Visit("c2", "p1", "s2", 12)]
    assert evaluate(inst, good).feasible
    late = [Visit("c1", "p1", "s1", 12), Visit("c2", "p1", "s2", 13)]
    assert any("没有同时开始" in v for v in evaluate(inst, late).violations)
    alone = [Visit("c1", "p1", "s1", 10), Visit("c1", "p1", "s2", 15)]
    violations = evaluate(inst, alone).violations
    assert any("两名不同护理员" in v for v in violations)


def test_sequential_gap_between_min_and_max_start_to_start():
    sync = {"type": "sequential", "distance": {"min": 10, "max": 20}}
    inst = make([patient("p1", 1, ["s1", "s2"], 0, 80, sync)])
    for gap, ok in [(10, True), (20, True), (15, True), (9, False), (21, False), (-10, False)]:
        visits = [Visit("c1", "p1", "s1", 30), Visit("c2", "p1", "s2", 30 + gap)]
        assert evaluate(inst, visits).feasible is ok, gap
    # the same caregiver may do both when the gap allows it (duration 5 <= 10)
    same = [Visit("c1", "p1", "s1", 30), Visit("c1", "p1", "s2", 40)]
    result = evaluate(inst, same)
    assert result.feasible, result.violations
    assert result.travel == 20  # no travel between the two services at the same home


def test_missing_duplicate_and_unknown_visits():
    inst = make([patient("p1", 1, ["s1"], 0, 80), patient("p2", 2, ["s1"], 0, 80)])
    result = evaluate(
        inst,
        [
            Visit("c1", "p1", "s1", 10),
            Visit("c2", "p1", "s1", 10),
            Visit("c1", "p9", "s1", 30),
            Visit("c7", "p2", "s1", 30),
            Visit("c1", "p2", "s2", 30),
        ],
    )
    text = "\n".join(result.violations)
    assert "被安排了不止一次" in text
    assert "未知患者 p9" in text
    assert "未知护理员 c7" in text
    assert "不需要服务 s2" in text
    assert "患者 p2 的服务 s1 没有安排" in text
