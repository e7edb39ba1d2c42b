"""Adaptive large-neighbourhood search (ALNS) over whole patients.

Each iteration removes some patients (random, worst-placed, or related by place and time —
operator weights adapt to success), reinserts them by cheapest insertion in a random or
window order with a little cost noise, and accepts by simulated annealing; the best state
seen is kept. Schedules are always the earliest feasible starts (:mod:`.schedule`), so every
accepted state is feasible.
"""

from __future__ import annotations

import math
import random
import time

from .construct import insert_all
from .schedule import State

DESTROYS = ("random", "worst", "related")
REPAIRS = ("window", "random", "noisy")


def _worst(state: State, q: int, rng: random.Random) -> list[int]:
    m = state.m
    d, node, b = m.dist, m.node, m.b
    score = []
    for p, tasks in enumerate(m.patient_tasks):
        s = 0.0
        for t in tasks:
            r = state.routes[state.route_of[t]]
            i = state.pos_of[t]
            prev = node[r[i - 1]] if i > 0 else 0
            nxt = node[r[i + 1]] if i + 1 < len(r) else 0
            s += d[prev][node[t]] + d[node[t]][nxt] - d[prev][nxt]
            s += max(0.0, state.start[t] - b[t]) * 2
        score.append((s, p))
    score.sort(reverse=True)
    chosen: list[int] = []
    pool = [p for _, p in score]
    while len(chosen) < q and pool:
        idx = int(len(pool) * rng.random() ** 3)
        chosen.append(pool.pop(idx))
    return chosen


def _related(state: State, q: int, rng: random.Random) -> list[int]:
    m = state.m
    n = len(m.patient_tasks)
    seed = rng.randrange(n)
    sn = m.node[m.patient_tasks[seed][0]]
    sa = m.a[m.patient_tasks[seed][0]]
    rel = []
    for p in range(n):
        t = m.patient_tasks[p][0]
        rel.append((m.dist[sn][m.node[t]] + abs(m.a[t] - sa) * 0.5, p))
    rel.sort()
    pool = [p for _, p in rel]
    chosen: list[int] = []
    while len(chosen) < q and pool:
        idx = int(len(pool) * rng.random() ** 4)
        chosen.append(pool.pop(idx))
    return chosen


def alns(
    state: State,
    *,
    deadline: float,
    rng: random.Random,
    max_iterations: int | None = None,
) -> tuple[State, int]:
    """Improve ``state`` until ``deadline`` (time.monotonic) or ``max_iterations``.

    Returns the best state found and the number of iterations. With ``max_iterations`` the
    cooling follows the iteration count only, so a run is reproducible for a seed.
    """
    m = state.m
    n = len(m.patient_tasks)
    if n == 0:
        return state, 0
    best = state.copy()
    current = state
    t_start = time.monotonic()
    horizon = max(deadline - t_start, 1e-3)
    temp0 = 0.03 * max(current.cost, 1.0)
    temp_end = temp0 / 500.0
    weights = {op: 1.0 for op in DESTROYS + REPAIRS}
    q_max = max(1, min(n, 25, max(4, int(0.35 * n))))
    it = 0
    while True:
        if max_iterations is not None:
            if it >= max_iterations:
                break
            progress = it / max_iterations
        else:
            progress = (time.monotonic() - t_start) / horizon
        if time.monotonic() >= deadline:
            break
        it += 1
        temp = temp0 * (temp_end / temp0) ** min(progress, 1.0)
        destroy = _pick(DESTROYS, weights, rng)
        repair = _pick(REPAIRS, weights, rng)
        q = rng.randint(1, q_max)
        if destroy == "random":
            removed = rng.sample(range(n), q)
        elif destroy == "worst":
            removed = _worst(current, q, rng)
        else:
            removed = _related(current, q, rng)
        cand = current.copy()
        cand.remove_patients(removed)
        if repair == "window":
            removed.sort(key=lambda p: (m.a[m.patient_tasks[p][0]], -len(m.patient_tasks[p])))
            insert_all(cand, removed)
        elif repair == "random":
            rng.shuffle(removed)
            insert_all(cand, removed)
        else:
            rng.shuffle(removed)
            insert_all(cand, removed, rng, noise=0.05)
        reward = 0.0
        if cand.cost < best.cost - 1e-9:
            best = cand.copy()
            reward = 3.0
        if cand.cost < current.cost - 1e-9:
            reward = max(reward, 1.5)
        if cand.cost <= current.cost or rng.random() < math.exp(
            -(cand.cost - current.cost) / max(temp, 1e-9)
        ):
            current = cand
            reward = max(reward, 0.5)
        for op in (destroy, repair):
            weights[op] = 0.9 * weights[op] + 0.1 * (reward + 0.1)
    return best, it


def _pick(ops: tuple[str, ...], weights: dict[str, float], rng: random.Random) -> str:
    total = sum(weights[o] for o in ops)
    x = rng.random() * total
    for o in ops:
        x -= weights[o]
        if x <= 0:
            return o
    return ops[-1]
