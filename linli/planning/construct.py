"""Constructive heuristic: cheapest insertion of patients, earliest windows first.

Each patient (one task, or the two tasks of a synchronised patient together) goes where the
full objective grows least (:func:`best_insertion`). Appending at route ends is always
schedulable, so every patient can be inserted and the result is feasible.
"""

from __future__ import annotations

import random

from .schedule import Candidate, Model, State

PAIR_K = 6  # candidate positions per task considered jointly for synchronised patients


def _single_positions(
    state: State, t: int, keep: int, exclude_k: int = -1
) -> list[tuple[float, int, int, Candidate]]:
    """The ``keep`` cheapest (cost, caregiver, position, candidate) for task ``t`` alone."""
    found: list[tuple[float, int, int, Candidate]] = []
    options = []
    for k in state.m.eligible[t]:
        if k == exclude_k:
            continue
        for pos in range(len(state.routes[k]) + 1):
            options.append((state.travel_delta(t, k, pos), k, pos))
    options.sort()
    base = state.cost
    for dtravel, k, pos in options:
        if len(found) >= keep and base + dtravel / 3.0 >= found[-1][0]:
            break
        cand = state.try_insert([(t, k, pos)])
        if cand is None:
            continue
        found.append((cand.cost, k, pos, cand))
        found.sort(key=lambda x: x[0])
        del found[keep:]
    return found


def best_insertion(
    state: State, patient: int, rng: random.Random | None = None, noise: float = 0.0
) -> Candidate:
    """Cheapest feasible insertion of ``patient``'s tasks (with optional cost noise)."""
    m = state.m
    tasks = m.patient_tasks[patient]

    def score(c: Candidate) -> float:
        if rng is not None and noise > 0:
            return c.cost * (1.0 + noise * (2.0 * rng.random() - 1.0))
        return c.cost

    if len(tasks) == 1:
        found = _single_positions(state, tasks[0], 1 if noise == 0 else 3)
        if found:
            return min((f[3] for f in found), key=score)
        raise RuntimeError("no feasible insertion for a single task")  # cannot happen
    t1, t2 = tasks
    c1 = _single_positions(state, t1, PAIR_K)
    c2 = _single_positions(state, t2, PAIR_K)
    best: Candidate | None = None
    best_score = float("inf")
    simultaneous = m.simultaneous[t1]
    tried: set[tuple[int, int, int, int]] = set()
    for _, k1, p1, _ in c1:
        for _, k2, p2, _ in c2:
            if k1 == k2:
                if simultaneous:
                    continue
                # same caregiver: the first listed service first, the second after it
                q2 = p2 + 1 if p2 >= p1 else p1 + 1
                key = (k1, p1, k2, q2)
                inserts = [(t1, k1, p1), (t2, k2, q2)]
            else:
                key = (k1, p1, k2, p2)
                inserts = [(t1, k1, p1), (t2, k2, p2)]
            if key in tried:
                continue
            tried.add(key)
            cand = state.try_insert(inserts)
            if cand is not None:
                s = score(cand)
                if s < best_score:
                    best, best_score = cand, s
    if best is None:
        best = _fallback_pair(state, t1, t2, simultaneous)
    return best


def _fallback_pair(state: State, t1: int, t2: int, simultaneous: bool) -> Candidate:
    """Append both tasks at route ends (always schedulable); cheapest such pair."""
    best: Candidate | None = None
    for k1 in state.m.eligible[t1]:
        for k2 in state.m.eligible[t2]:
            if k1 == k2:
                if simultaneous:
                    continue
                n = len(state.routes[k1])
                inserts = [(t1, k1, n), (t2, k1, n + 1)]
            else:
                inserts = [(t1, k1, len(state.routes[k1])), (t2, k2, len(state.routes[k2]))]
            cand = state.try_insert(inserts)
            if cand is not None and (best is None or cand.cost < best.cost):
                best = cand
    if best is None:
        raise RuntimeError("no feasible insertion for a synchronised patient")
    return best


def insert_all(
    state: State,
    patients: list[int],
    rng: random.Random | None = None,
    noise: float = 0.0,
) -> None:
    for p in patients:
        state.commit(best_insertion(state, p, rng, noise))


def construct(model: Model) -> State:
    """Empty routes, then patients by window start (synchronised ones first on ties)."""
    state = State(model)
    order = sorted(
        range(len(model.instance.patients)),
        key=lambda p: (
            model.a[model.patient_tasks[p][0]],
            -len(model.patient_tasks[p]),
            model.b[model.patient_tasks[p][0]],
        ),
    )
    insert_all(state, order)
    return state
