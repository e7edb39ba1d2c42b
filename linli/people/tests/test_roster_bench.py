"""``linli bench``: the generic runner, and the import benchmark's ledger being valid."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from linli.people.roster.reading import read_table
from linli.people.roster.validation import parse_table


def test_bench_runs_a_module_by_path_and_writes_its_figures(tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "toy.py").write_text(
        "def run(*, stdout):\n    stdout.write('running')\n    return {'rows': 3, 'seconds': 0.5}\n"
    )
    settings.BASE_DIR, settings.VAR_DIR = tmp_path, tmp_path / "var"
    out = io.StringIO()
    call_command("bench", "toy", stdout=out)
    assert "rows     3" in out.getvalue() and "seconds  0.500" in out.getvalue()
    record = json.loads((tmp_path / "var" / "bench" / "toy.json").read_text())
    assert (record["benchmark"], record["rows"], record["seconds"]) == ("toy", 3, 0.5)


def test_bench_with_an_unknown_name_exits_2(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exc:
        call_command("bench", "no_such_bench", stderr=io.StringIO())
    assert exc.value.code == 2


def test_import_benchmark_ledger_is_messy_but_entirely_valid() -> None:
    path = Path(settings.BASE_DIR) / "benchmarks" / "import.py"
    spec = importlib.util.spec_from_file_location("bench_import", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data = module.build_ledger(300)
    again = module.build_ledger(300)  # deterministic (file timestamps aside)
    assert read_table(data).rows == read_table(again).rows
    result = parse_table(read_table(data, "bench.xlsx"))
    assert (len(result.rows), result.issues) == (300, {})
    assert [reason for _, reason in result.skipped] == ["合计行"]
