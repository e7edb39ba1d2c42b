"""Detection quality for ``linli bench alerts`` (the "detection" half; issue 5).

:func:`detection` scores Linli's detector and the two fixed city rules, in the same run, on a
trace folder or on freshly simulated lives, and writes every alert the detector raised to
``<out_dir>/alerts_raised.jsonl`` (``{"resident", "ts", "kind"}``) so anyone can recompute
the scoring with the trace's ``incidents.jsonl`` and ``away.jsonl``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from linli.routines import rules
from linli.routines.detector import DAY, Alert, DetectorConfig, activity, away_windows, detect
from linli.routines.score import Scores, incident_windows, score
from linli.routines.simulate import simulate
from linli.routines.traces import CHINA, Traces, format_time, read_traces, split_by_resident


def _origin(traces: Traces) -> tuple[int, int]:
    """(local midnight before the first event, number of days covered)."""
    ts = traces.events.ts
    if ts.size == 0:
        raise ValueError("轨迹中没有任何事件，无法评分")
    offset = 8 * 3600
    origin = int((int(ts.min()) + offset) // DAY * DAY - offset)
    days = int((int(ts.max()) - origin) // DAY + 1)
    return origin, days


def _default_out_dir() -> Path:
    try:
        from django.conf import settings

        return Path(settings.VAR_DIR) / "bench"
    except Exception:  # Django not configured: a plain checkout
        return Path("var") / "bench"


def run_detectors(
    traces: Traces, *, origin: int, days: int, cfg: DetectorConfig
) -> tuple[list[Alert], dict[str, list[tuple[str, int]]], list[int]]:
    """Linli's alerts, the rules' alerts by rule name, and the indices of watched residents
    (those living alone; everyone when nobody is marked so)."""
    series = split_by_resident(traces)
    watched = [i for i, r in enumerate(traces.residents) if r.living_alone] or list(
        range(len(traces.residents))
    )
    announced: dict[str, list[tuple[int, int]]] = {}
    for a in traces.away:
        if a.announced:
            announced.setdefault(a.resident, []).append((a.start, a.end))
    start, end = origin + cfg.learn_days * DAY, origin + days * DAY
    linli: list[Alert] = []
    by_rule: dict[str, list[tuple[str, int]]] = {rules.WATER_12H: [], rules.DOOR_24H: []}
    rule_fns: dict[str, Callable[..., np.ndarray]] = {
        rules.WATER_12H: rules.water_12h,
        rules.DOOR_24H: rules.door_24h,
    }
    for i in watched:
        rid = traces.residents[i].resident
        ev = series[i]
        away = announced.get(rid, [])
        linli += detect(rid, ev, origin=origin, days=days, away=away, cfg=cfg)
        times, _ = activity(ev, origin, days, cfg)
        windows = away_windows(times, away, cfg)
        for name, fn in rule_fns.items():
            by_rule[name] += [(rid, int(t)) for t in fn(ev, start=start, end=end, windows=windows)]
    return linli, by_rule, watched


def detection(
    *,
    traces_dir: str | Path | None = None,
    seed: int = 1,
    residents: int = 1000,
    days: int = 30,
    stdout: Any = None,
    out_dir: str | Path | None = None,
    cfg: DetectorConfig | None = None,
) -> dict[str, Any]:
    """Score Linli's detector, "no water in 12 h" and "no door in 24 h" on the same traces.

    With ``traces_dir`` the folder is read (``residents``/``days`` then come from it);
    otherwise ``residents`` people are simulated for ``days`` days with ``seed`` and incidents
    on 0.3 % of resident-days. Returns ``{"residents", "days", "linli": {...},
    "water_12h": {...}, "door_24h": {...}}`` each with ``median_delay_h``, ``p90_delay_h``,
    ``false_alarms_per_100_per_day``, ``absence_alerts_per_100_per_day``. Raises
    :class:`linli.routines.traces.TraceError` for a bad folder.
    """
    cfg = cfg or DetectorConfig()
    began = time.monotonic()
    if traces_dir is not None:
        traces = read_traces(traces_dir)
    else:
        traces = simulate(residents=residents, days=days, seed=seed)
    origin, days = _origin(traces)
    if days <= cfg.learn_days:
        raise ValueError(f"轨迹只有 {days} 天，需多于学习期 {cfg.learn_days} 天才能评分")
    loaded = time.monotonic()
    linli, by_rule, watched = run_detectors(traces, origin=origin, days=days, cfg=cfg)
    detected = time.monotonic()
    windows = incident_windows(traces)

    def scored(alerts: list[tuple[str, int]]) -> Scores:
        return score(
            alerts,
            windows=windows,
            away=traces.away,
            residents=len(watched),
            score_from=origin + cfg.learn_days * DAY,
            score_to=origin + days * DAY,
        )

    scores = {"linli": scored([(a.resident, a.ts) for a in linli])}
    for name, alerts in by_rule.items():
        scores[name] = scored(alerts)
    out = Path(out_dir) if out_dir is not None else _default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    partial = out / ".alerts_raised.jsonl.partial"
    with partial.open("w", encoding="utf-8") as fh:
        for a in linli:
            record = {"resident": a.resident, "ts": format_time(a.ts, CHINA), "kind": a.kind}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    partial.replace(out / "alerts_raised.jsonl")
    if stdout is not None:
        _table(stdout, scores, len(watched), days, loaded - began, detected - loaded)
    return {
        "residents": len(watched),
        "days": days,
        **{name: s.headline() for name, s in scores.items()},
    }


def _table(
    stdout: Any, scores: dict[str, Scores], residents: int, days: int, load_s: float, run_s: float
) -> None:
    stdout.write(
        f"检测质量：{residents} 位独居居民 × {days} 天（准备 {load_s:.1f} 秒，检测 {run_s:.1f} 秒）"
    )
    stdout.write(
        f"{'detector':<10} {'incidents':>9} {'missed':>6} {'median_h':>9} {'p90_h':>7} "
        f"{'false/100/day':>13} {'absence/100/day':>15}"
    )
    for name, s in scores.items():

        def show(v: float | None) -> str:
            return "—" if v is None else f"{v:.2f}"

        stdout.write(
            f"{name:<10} {s.incidents:>9} {s.missed:>6} {show(s.median_delay_h):>9} "
            f"{show(s.p90_delay_h):>7} {s.false_alarms_per_100_per_day:>13.3f} "
            f"{s.absence_alerts_per_100_per_day:>15.3f}"
        )
