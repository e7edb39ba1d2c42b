"""``plan(instance, *, time_limit_s, seed) -> Solution``: construct, then ALNS, then check.

The returned schedule has been re-checked by the independent :func:`.evaluate.evaluate`; a
plan that fails that check raises ``RuntimeError`` instead of being returned.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from .construct import construct
from .evaluate import Evaluation, Visit, evaluate
from .instance import Instance
from .schedule import Model, State
from .search import alns


@dataclass
class Solution:
    visits: list[Visit]  # every service visit, by caregiver then start
    cost: float  # objective of ``visits`` (README scale)
    construct_cost: float  # the constructive heuristic's cost, before search
    iterations: int
    seconds: float
    evaluation: Evaluation = field(repr=False)


def plan(
    instance: Instance,
    *,
    time_limit_s: float = 30.0,
    seed: int = 0,
    max_iterations: int | None = None,
) -> Solution:
    """Plan the day: every service visit with caregiver and start time.

    ``time_limit_s`` bounds the whole call (construction included, plus the final check);
    ``max_iterations`` also stops the search and makes it reproducible for ``seed``.
    """
    if time_limit_s <= 0:
        raise ValueError("时间限制必须为正数（秒）")
    began = time.monotonic()
    deadline = began + time_limit_s * 0.97
    model = Model(instance)
    state = construct(model)
    construct_cost = state.cost
    best, iterations = alns(
        state, deadline=deadline, rng=random.Random(seed), max_iterations=max_iterations
    )
    visits = to_visits(best)
    result = evaluate(instance, visits)
    if not result.feasible:
        raise RuntimeError("求解结果未通过可行性检查：" + "；".join(result.violations[:5]))
    return Solution(
        visits=visits,
        cost=result.cost,
        construct_cost=construct_cost,
        iterations=iterations,
        seconds=time.monotonic() - began,
        evaluation=result,
    )


def to_visits(state: State) -> list[Visit]:
    m = state.m
    inst = m.instance
    visits = []
    for k, route in enumerate(state.routes):
        for t in route:
            visits.append(
                Visit(
                    caregiver=inst.caregivers[k].id,
                    patient=inst.patients[m.patient_of[t]].id,
                    service=m.service[t],
                    start=state.start[t],
                )
            )
    return visits
