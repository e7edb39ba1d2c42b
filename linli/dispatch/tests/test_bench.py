"""``linli bench dispatch``: options, the JSON it writes, and a bad scenario file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

TINY = {
    "demand": {
        "meal_assist": {"count": 30},
        "medicine_delivery": {"count": 5},
        "consultation": {"count": 3},
        "bath_assist": {"count": 3},
        "housekeeping": {"count": 3},
        "repair": {"count": 4},
    },
    "workers": {
        "courier": {"count": 3},
        "caregiver": {"count": 2},
        "certified_caregiver": {"count": 2},
        "doctor_nurse": {"count": 1},
        "repair_worker": {"count": 1},
    },
}
FIGURES = {"p50_min", "p90_min", "p99_min", "on_time_share", "utilisation"}


def test_writes_both_days_for_both_dispatchers_with_the_bound(tmp_path):
    scenario = tmp_path / "tiny.json"
    scenario.write_text(json.dumps(TINY))
    call_command("bench", "dispatch", "--scenario", str(scenario), "--seed", "3")
    record = json.loads((Path(settings.VAR_DIR) / "bench" / "dispatch.json").read_text())
    assert record["seed"] == 3
    assert record["scenario"] == str(scenario)
    for day in ("normal", "peak"):
        assert set(record[day]["linli"]) >= FIGURES
        assert set(record[day]["greedy"]) >= FIGURES
        assert record[day]["lower_bound_p50_min"] > 0
    assert record["peak"]["orders"] > record["normal"]["orders"] == 48
    assert set(record["targets"]) == {
        "normal_p90_le_15_min",
        "normal_p90_10pct_below_greedy",
        "peak_p90_le_0_7_greedy",
        "never_worse_than_greedy",
    }


def test_a_bad_scenario_file_is_a_command_error_in_chinese(tmp_path):
    scenario = tmp_path / "bad.json"
    scenario.write_text(json.dumps({"workers": {"courier": {"count": -2}}}))
    with pytest.raises(CommandError, match=r"workers\.courier\.count"):
        call_command("bench", "dispatch", "--scenario", str(scenario))


def test_a_benchmark_without_the_options_refuses_them(capsys):
    with pytest.raises(SystemExit):
        call_command("bench", "import", "--seed", "2")
    assert "不支持选项：--seed" in capsys.readouterr().err
