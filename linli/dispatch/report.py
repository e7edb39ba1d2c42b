"""Figures of a simulated day: order → arrival percentiles, on-time share, utilisation, bound."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from linli.dispatch.demo_map import DemoMap
from linli.dispatch.dispatchers import GreedyDispatcher, LinliDispatcher, standby_posts
from linli.dispatch.policy import Job
from linli.dispatch.scenario import Scenario, orders
from linli.dispatch.simulate import Dispatcher, OrderState, Simulation, Worker, build_workers
from linli.dispatch.travel import GreatCircleTravel, Travel


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def lower_bound_s(job: Job, workers: Sequence[Worker], travel: Travel) -> float | None:
    """Hindsight bound on order → arrival (s): the nearest qualified worker from their start.

    For each qualified worker with a shift ending after the order: leave their start place
    at the order time (or their shift start), fetch the pickup (not before it is ready) and
    go to the address. Conflicts, offers and the worker's whereabouts are ignored.
    ``None`` when no such worker exists.
    """
    assert job.placed_at is not None
    best: float | None = None
    for w in workers:
        if not job.skills <= w.skills:
            continue
        shift = w.shift_at(job.placed_at)
        if shift is None:
            continue
        t = max(job.placed_at, shift[0])
        if job.pickup is not None:
            t = max(job.ready_at, t + travel.seconds(w.home, job.pickup, w.mode))
            t += travel.seconds(job.pickup, job.dropoff, w.mode)
        else:
            t += travel.seconds(w.home, job.dropoff, w.mode)
        if best is None or t - job.placed_at < best:
            best = t - job.placed_at
    return best


def figures(sim: Simulation) -> dict[str, Any]:
    """p50/p90/p99 order → arrival (min), on-time share, utilisation, unfulfilled orders.

    Percentiles are over the served orders; ``on_time_share`` over all orders (an unfulfilled
    order is not on time); ``utilisation`` is time travelling or serving over shift time.
    """
    waits = [
        (s.arrival - s.order.placed_at) / 60 for s in sim.orders.values() if s.arrival is not None
    ]
    on_time = sum(1 for w in waits if w <= sim.scn.on_time_s / 60)
    shift_s = sum(end - start for w in sim.workers.values() for start, end in w.shifts)
    busy_s = sum(w.busy_s for w in sim.workers.values())
    trips = [v for v in sim.visits if v.trip >= 0]
    batches = len({v.trip for v in trips})
    return {
        "p50_min": round(percentile(waits, 50), 2),
        "p90_min": round(percentile(waits, 90), 2),
        "p99_min": round(percentile(waits, 99), 2),
        "on_time_share": round(on_time / max(1, len(sim.orders)), 4),
        "utilisation": round(busy_s / shift_s, 4) if shift_s else 0.0,
        "served": len(waits),
        "unfulfilled": len(sim.orders) - len(waits),
        "deliveries_per_trip": round(len(trips) / batches, 2) if batches else 0.0,
    }


def bound_figures(sim: Simulation, workers: Sequence[Worker]) -> dict[str, float]:
    """p50/p90 of :func:`lower_bound_s` over the orders some worker could serve (minutes)."""
    bounds = [
        b / 60
        for s in sim.orders.values()
        if (b := lower_bound_s(s.order.job, workers, sim.travel)) is not None
    ]
    return {
        "lower_bound_p50_min": round(percentile(bounds, 50), 2),
        "lower_bound_p90_min": round(percentile(bounds, 90), 2),
    }


def by_kind(sim: Simulation) -> dict[str, dict[str, float]]:
    """Per service kind: orders, served, p50 and p90 order → arrival (minutes)."""
    kinds: dict[str, list[OrderState]] = {}
    for s in sim.orders.values():
        kinds.setdefault(s.order.kind, []).append(s)
    out = {}
    for kind, states in kinds.items():
        waits = [(s.arrival - s.order.placed_at) / 60 for s in states if s.arrival is not None]
        out[kind] = {
            "orders": len(states),
            "served": len(waits),
            "p50_min": round(percentile(waits, 50), 2),
            "p90_min": round(percentile(waits, 90), 2),
        }
    return out


def compare_day(scn: Scenario, demo: DemoMap, *, seed: int, peak: bool) -> dict[str, Any]:
    """Run one day's order stream through Linli's dispatcher and the greedy baseline.

    Returns ``{"linli": figures, "greedy": figures, "lower_bound_p50_min", …, "orders",
    "by_kind": {"linli": …, "greedy": …}}`` (figures as :func:`figures`; minutes).
    """
    stream = orders(scn, demo, seed=seed, peak=peak)
    travel = GreatCircleTravel(detour=scn.detour, speeds_kmh=scn.speeds_kmh)
    result: dict[str, Any] = {"orders": len(stream)}
    kinds: dict[str, Any] = {}
    sim: Simulation | None = None
    dispatchers: list[Dispatcher] = [LinliDispatcher(standby_posts(scn, demo)), GreedyDispatcher()]
    for dispatcher in dispatchers:
        workers = build_workers(scn, demo)
        sim = Simulation(scn, workers, stream, dispatcher, seed=seed, travel=travel).run()
        result[dispatcher.name] = figures(sim)
        kinds[dispatcher.name] = by_kind(sim)
    assert sim is not None
    result.update(bound_figures(sim, build_workers(scn, demo)))
    result["by_kind"] = kinds
    return result
