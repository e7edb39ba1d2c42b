"""``benchmarks/planning.py`` end to end on a one-instance folder, and its bad settings."""

from __future__ import annotations

import importlib.util
import io
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management.base import CommandError, OutputWrapper

DATA = Path(__file__).parent / "data"


def _bench():
    path = Path(settings.BASE_DIR) / "benchmarks" / "planning.py"
    spec = importlib.util.spec_from_file_location("linli_bench_planning_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def folder(tmp_path, monkeypatch):
    shutil.copy(DATA / "InstanzCPLEX_HCSRP_10_2.json.gz", tmp_path)
    (tmp_path / "best_known.csv").write_text(
        "set,index,patients,best_known_cost,instance_file\n"
        "A,2,10,246.60,InstanzCPLEX_HCSRP_10_2.json.gz\n"
        "B,1,25,428.10,InstanzCPLEX_HCSRP_25_1.json.gz\n"
    )
    monkeypatch.setenv("LINLI_HHC_DIR", str(tmp_path))
    monkeypatch.setenv("LINLI_BENCH_SETS", "A")
    monkeypatch.setenv("LINLI_BENCH_SECONDS", "1")
    return tmp_path


def test_reports_feasibility_cost_gap_and_a_recomputable_schedule(folder):
    out = io.StringIO()
    figures = _bench().run(stdout=OutputWrapper(out))
    [item] = figures["instances"]
    assert item["name"] == "InstanzCPLEX_HCSRP_10_2" and item["set"] == "A"
    assert item["feasible"] is True
    assert item["best_known"] == 246.60
    assert item["gap"] == pytest.approx((item["cost"] - 246.60) / 246.60, abs=1e-5)
    assert -0.0001 <= item["gap"] < 0.05
    assert item["construct_cost"] >= item["cost"]
    assert item["seconds"] <= 1.5
    assert len(item["schedule"]) == 13  # 10 patients, 3 of them need two services
    assert set(item["schedule"][0]) == {"caregiver", "patient", "service", "start"}
    assert figures["mean_gap_by_set"] == {"A": item["gap"]}
    assert figures["all_feasible"] is True
    assert "InstanzCPLEX_HCSRP_10_2" in out.getvalue()
    assert str(figures["instances"]) == "1 个实例（明细见 JSON）"


def test_missing_folder_unknown_set_and_bad_limit_are_clear_errors(folder, monkeypatch):
    bench = _bench()
    monkeypatch.setenv("LINLI_BENCH_SETS", "A,Z")
    with pytest.raises(CommandError, match="未知实例集：Z"):
        bench.run(stdout=OutputWrapper(io.StringIO()))
    monkeypatch.setenv("LINLI_BENCH_SETS", "A")
    monkeypatch.setenv("LINLI_BENCH_SECONDS", "-3")
    with pytest.raises(CommandError, match="必须为正数"):
        bench.run(stdout=OutputWrapper(io.StringIO()))
    monkeypatch.setenv("LINLI_BENCH_SECONDS", "1")
    monkeypatch.setenv("LINLI_BENCH_SETS", "B")  # listed in the CSV, file absent
    with pytest.raises(CommandError, match="缺少实例文件"):
        bench.run(stdout=OutputWrapper(io.StringIO()))
    monkeypatch.setenv("LINLI_HHC_DIR", str(folder / "nowhere"))
    with pytest.raises(CommandError, match="找不到规划基准数据"):
        bench.run(stdout=OutputWrapper(io.StringIO()))
