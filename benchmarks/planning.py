"""Day-planning benchmark: the Mankowska et al. (2014) home-health-care instances.

Run as ``linli bench planning``. Every instance of the chosen sets (A–E: 10/25/50/75/100
patients) is planned by :func:`linli.planning.solve.plan` with a per-instance time limit, and
the result re-checked by the independent :func:`linli.planning.evaluate.evaluate`.

Environment:
- ``LINLI_HHC_DIR`` — the instance folder (default ``BASE_DIR.parent/shared/data/hhc-mankowska``,
  which must hold ``best_known.csv`` and the ``*.json.gz`` files);
- ``LINLI_BENCH_SETS`` — comma-separated sets to run, e.g. ``A,B`` (default all);
- ``LINLI_BENCH_SECONDS`` — time limit per instance in seconds (default 30);
- ``LINLI_BENCH_SEED`` — search seed (default 1).

Figures (also in ``var/bench/planning.json``): ``instances`` — per instance ``name``, ``set``,
``feasible``, ``cost``, ``best_known``, ``gap`` (fraction, (cost - best) / best),
``construct_cost`` (the constructive heuristic alone — the baseline, same run),
``improvement`` (1 - cost / construct_cost), ``seconds``, ``iterations`` and ``schedule``
(``caregiver``, ``patient``, ``service``, ``start`` with the instance's ids);
``mean_gap_by_set``, ``mean_construct_gap_by_set``, ``all_feasible``, ``max_seconds``.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, OutputWrapper

from linli.planning.instance import load_instance
from linli.planning.solve import plan

SETS = ("A", "B", "C", "D", "E")


class _Listing(list):  # type: ignore[type-arg]
    """A list that prints as a one-line summary in the runner's table (JSON is unchanged)."""

    def __str__(self) -> str:
        return f"{len(self)} 个实例（明细见 JSON）"


def _folder() -> Path:
    raw = os.environ.get("LINLI_HHC_DIR")
    folder = (
        Path(raw) if raw else Path(settings.BASE_DIR).parent / "shared" / "data" / "hhc-mankowska"
    )
    if not (folder / "best_known.csv").is_file():
        raise CommandError(
            f"找不到规划基准数据：{folder}/best_known.csv。"
            "请把 Mankowska 实例放到该目录，或用 LINLI_HHC_DIR 指定目录。"
        )
    return folder


def _sets() -> list[str]:
    raw = os.environ.get("LINLI_BENCH_SETS", "").strip()
    if not raw:
        return list(SETS)
    chosen = [s.strip().upper() for s in raw.split(",") if s.strip()]
    bad = [s for s in chosen if s not in SETS]
    if bad:
        raise CommandError(f"LINLI_BENCH_SETS 含未知实例集：{'、'.join(bad)}（可用 A–E）")
    return chosen


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise CommandError(f"{name} 必须是数字：{raw}") from exc
    if value <= 0:
        raise CommandError(f"{name} 必须为正数：{raw}")
    return value


def run(*, stdout: OutputWrapper) -> dict[str, Any]:
    folder = _folder()
    sets = _sets()
    limit = _number("LINLI_BENCH_SECONDS", 30.0)
    seed = int(_number("LINLI_BENCH_SEED", 1))
    with (folder / "best_known.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["set"] in sets]
    rows.sort(key=lambda r: (r["set"], int(r["index"])))
    results = _Listing()
    stdout.write(
        f"{'instance':<28} set  construct       cost   best_known     gap    secs  feasible"
    )
    for row in rows:
        path = folder / row["instance_file"]
        if not path.is_file():
            raise CommandError(f"缺少实例文件：{path}")
        began = time.monotonic()
        instance = load_instance(path)
        solution = plan(instance, time_limit_s=limit, seed=seed)
        seconds = time.monotonic() - began
        best = float(row["best_known_cost"])
        gap = (solution.cost - best) / best
        item = {
            "name": instance.name,
            "set": row["set"],
            "feasible": solution.evaluation.feasible,
            "cost": round(solution.cost, 4),
            "best_known": best,
            "gap": round(gap, 6),
            "construct_cost": round(solution.construct_cost, 4),
            "improvement": round(1 - solution.cost / solution.construct_cost, 6)
            if solution.construct_cost > 0
            else 0.0,
            "seconds": round(seconds, 2),
            "iterations": solution.iterations,
            "schedule": [
                {
                    "caregiver": v.caregiver,
                    "patient": v.patient,
                    "service": v.service,
                    "start": v.start,
                }
                for v in solution.visits
            ],
        }
        results.append(item)
        stdout.write(
            f"{instance.name:<28} {row['set']:<3} {solution.construct_cost:>10.2f} "
            f"{solution.cost:>10.2f} {best:>12.2f} {gap:>7.2%} {seconds:>7.1f}  "
            f"{'是' if item['feasible'] else '否'}"
        )
    by_set: dict[str, list[dict[str, Any]]] = {}
    for item in results:
        by_set.setdefault(item["set"], []).append(item)

    def mean(values: list[float]) -> float:
        return round(sum(values) / len(values), 6)

    return {
        "instances": results,
        "mean_gap_by_set": {s: mean([i["gap"] for i in items]) for s, items in by_set.items()},
        "mean_construct_gap_by_set": {
            s: mean([(i["construct_cost"] - i["best_known"]) / i["best_known"] for i in items])
            for s, items in by_set.items()
        },
        "mean_improvement_by_set": {
            s: mean([i["improvement"] for i in items]) for s, items in by_set.items()
        },
        "sets": ",".join(sets),
        "seconds_limit": limit,
        "seed": seed,
        "all_feasible": all(i["feasible"] for i in results),
        "max_seconds": max((i["seconds"] for i in results), default=0.0),
    }
