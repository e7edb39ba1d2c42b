"""Real-time dispatch benchmark: one simulated day in the demo super community (issue 4).

Run as ``linli bench dispatch [--scenario FILE.json] [--seed N]``. The default scenario is
the issue's (:data:`linli.dispatch.scenario.DEFAULT`); a scenario file replaces its fields
field by field (format: ``docs/dispatch.md``). For the *normal* day and the *peak* day (meal
and repair demand doubled inside the two peak windows, same workers) the same order stream
runs through Linli's dispatcher and through the greedy baseline in the same run
(:func:`linli.dispatch.report.compare_day`).

Figures (also in ``var/bench/dispatch.json``): per scenario ``linli`` and ``greedy`` with
``p50_min``, ``p90_min``, ``p99_min`` (order → arrival, minutes, over served orders),
``on_time_share`` (arrived within 30 minutes, over all orders), ``utilisation`` (travelling or
serving ÷ shift time), ``served``, ``unfulfilled``, ``deliveries_per_trip``; and
``lower_bound_p50_min`` / ``lower_bound_p90_min`` (hindsight bound), ``orders``, ``by_kind``.
``targets`` says which of the issue's targets were met; ``seed``, ``scenario``, ``seconds``.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError, OutputWrapper

from linli.dispatch.demo_map import super_community
from linli.dispatch.report import compare_day
from linli.dispatch.scenario import ScenarioError, load

PERCENTILES = ("p50_min", "p90_min", "p99_min")


class _Day(dict):  # type: ignore[type-arg]
    """A scenario's figures; prints as a one-line summary in the runner's table."""

    def __str__(self) -> str:
        linli, greedy = self["linli"], self["greedy"]
        return (
            f"p90 Linli {linli['p90_min']:.1f} / 贪心 {greedy['p90_min']:.1f} 分钟，"
            f"下界 p50 {self['lower_bound_p50_min']:.1f} 分钟（明细见 JSON）"
        )


def targets(normal: dict[str, Any], peak: dict[str, Any]) -> dict[str, bool]:
    """The issue's targets: normal p90 ≤ 15 min and ≥ 10% below greedy; peak p90 ≤ 0.7 ×
    greedy; Linli no worse than greedy on any reported percentile of either day."""
    return {
        "normal_p90_le_15_min": normal["linli"]["p90_min"] <= 15,
        "normal_p90_10pct_below_greedy": normal["linli"]["p90_min"]
        <= 0.9 * normal["greedy"]["p90_min"],
        "peak_p90_le_0_7_greedy": peak["linli"]["p90_min"] <= 0.7 * peak["greedy"]["p90_min"],
        "never_worse_than_greedy": all(
            day["linli"][p] <= day["greedy"][p] for day in (normal, peak) for p in PERCENTILES
        ),
    }


def _row(stdout: OutputWrapper, name: str, who: str, f: dict[str, Any]) -> None:
    stdout.write(
        f"{name:<7}{who:<8}{f['p50_min']:>7.1f}{f['p90_min']:>7.1f}{f['p99_min']:>7.1f}"
        f"{f['on_time_share']:>9.1%}{f['utilisation']:>8.1%}{f['served']:>7}"
        f"{f['unfulfilled']:>6}{f['deliveries_per_trip']:>7.2f}"
    )


def run(
    *, stdout: OutputWrapper, scenario: str | None = None, seed: int | None = None
) -> dict[str, Any]:
    """Simulate the normal and the peak day; print a table; return the figures.

    Raises:
        CommandError: the scenario file is unreadable or a field is invalid (in Chinese).
    """
    seed = 1 if seed is None else seed
    try:
        scn = load(scenario)
    except ScenarioError as exc:
        raise CommandError(str(exc)) from exc
    demo = super_community()
    began = time.monotonic()
    days: dict[str, _Day] = {}
    stdout.write(
        f"{'场景':<6}{'调度':<6}{'p50':>7}{'p90':>7}{'p99':>7}{'准时率':>6}{'利用率':>5}"
        f"{'送达':>5}{'未履约':>4}{'每趟':>5}"
    )
    for name, peak in (("normal", False), ("peak", True)):
        day = _Day(compare_day(scn, demo, seed=seed, peak=peak))
        days[name] = day
        _row(stdout, name, "linli", day["linli"])
        _row(stdout, name, "greedy", day["greedy"])
        stdout.write(
            f"{name:<7}{'bound':<8}{day['lower_bound_p50_min']:>7.1f}"
            f"{day['lower_bound_p90_min']:>7.1f}   （订单 {day['orders']} 单）"
        )
    met = targets(days["normal"], days["peak"])
    for key, ok in met.items():
        stdout.write(f"目标 {key}: {'达成' if ok else '未达成'}")
    return {
        "normal": days["normal"],
        "peak": days["peak"],
        "targets": met,
        "seed": seed,
        "scenario": scenario or "default",
        "seconds": round(time.monotonic() - began, 1),
    }
