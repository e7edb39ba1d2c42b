"""Compiled model and schedule computation used by the constructive heuristic and the search.

A solution is a list of routes (one per caregiver) of *tasks*; a task is one required service
of one patient. Every timing rule is a lower bound on a start time:

- route order: start(t) >= start(prev) + duration(prev) + travel(prev, t) (from the depot,
  leaving at 0, for the first task);
- window: start(t) >= window start;
- simultaneous: start(t1) >= start(t2) and start(t2) >= start(t1);
- sequential: start(t2) >= start(t1) + min and start(t1) >= start(t2) - max.

Tardiness is non-decreasing in every start, so the least fixed point of these bounds (every
task as early as allowed) minimises total and maximum tardiness for the given routes; it is
found by propagation. If propagation does not settle (a positive cycle, e.g. two caregivers
each waiting for the other), the routes are infeasible. Inserting tasks only adds bounds, so
an insertion is evaluated by propagating increases from the current starts (an overlay) —
cheap, and exact up to floating point.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .instance import Instance

NEG = float("-inf")
TOL = 1e-9


class Model:
    """Array form of an :class:`Instance` (tasks indexed 0..T-1, caregivers 0..K-1)."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.dist = [list(row) for row in instance.distances]
        self.K = len(instance.caregivers)
        self.node: list[int] = []
        self.dur: list[float] = []
        self.a: list[float] = []
        self.b: list[float] = []
        self.patient_of: list[int] = []
        self.service: list[str] = []
        self.partner: list[int] = []
        self.offset: list[float] = []  # start(t) >= start(partner) + offset[t]
        self.simultaneous: list[bool] = []
        self.first: list[bool] = []  # first listed service of a synchronised patient
        self.eligible: list[list[int]] = []
        self.patient_tasks: list[list[int]] = []
        for pi, p in enumerate(instance.patients):
            tasks = []
            for si, s in enumerate(p.services):
                t = len(self.node)
                tasks.append(t)
                self.node.append(p.node)
                self.dur.append(s.duration)
                self.a.append(p.window_start)
                self.b.append(p.window_end)
                self.patient_of.append(pi)
                self.service.append(s.service)
                self.eligible.append(
                    [k for k, c in enumerate(instance.caregivers) if s.service in c.abilities]
                )
                self.partner.append(-1)
                self.offset.append(0.0)
                self.simultaneous.append(False)
                self.first.append(si == 0)
            if p.sync is not None:
                t1, t2 = tasks
                self.partner[t1], self.partner[t2] = t2, t1
                if p.sync.type == "simultaneous":
                    self.simultaneous[t1] = self.simultaneous[t2] = True
                else:
                    self.offset[t1] = -p.sync.max_gap
                    self.offset[t2] = p.sync.min_gap
            self.patient_tasks.append(tasks)
        self.T = len(self.node)
        self.update_limit = 10 * self.T + 100


@dataclass
class Candidate:
    cost: float
    routes: dict[int, list[int]]
    overlay: dict[int, float]
    max_tard: float


class State:
    """Routes plus their earliest start times, travel and tardiness totals."""

    def __init__(self, model: Model) -> None:
        self.m = model
        self.routes: list[list[int]] = [[] for _ in range(model.K)]
        self.start: list[float] = [NEG] * model.T
        self.route_of: list[int] = [-1] * model.T
        self.pos_of: list[int] = [-1] * model.T
        self.route_travel: list[float] = [0.0] * model.K
        self.travel = 0.0
        self.tard_sum = 0.0
        self.tard_max = 0.0
        self.cost = 0.0

    def copy(self) -> State:
        s = State.__new__(State)
        s.m = self.m
        s.routes = [list(r) for r in self.routes]
        s.start = list(self.start)
        s.route_of = list(self.route_of)
        s.pos_of = list(self.pos_of)
        s.route_travel = list(self.route_travel)
        s.travel, s.tard_sum, s.tard_max, s.cost = (
            self.travel,
            self.tard_sum,
            self.tard_max,
            self.cost,
        )
        return s

    # -- full recomputation -------------------------------------------------------------

    def _travel_of(self, route: list[int]) -> float:
        d, node = self.m.dist, self.m.node
        prev, total = 0, 0.0
        for t in route:
            total += d[prev][node[t]]
            prev = node[t]
        return total + d[prev][0]

    def recompute(self) -> bool:
        """Recompute everything from the routes; False if the routes cannot be scheduled."""
        m = self.m
        d, node, dur, a, partner, offset = m.dist, m.node, m.dur, m.a, m.partner, m.offset
        start = [NEG] * m.T
        self.route_of = [-1] * m.T
        self.pos_of = [-1] * m.T
        for k, r in enumerate(self.routes):
            for i, t in enumerate(r):
                self.route_of[t], self.pos_of[t] = k, i
        route_of = self.route_of
        for _ in range(m.T + 2):
            changed = False
            for r in self.routes:
                prev, free = 0, 0.0
                for t in r:
                    e = free + d[prev][node[t]]
                    if e < a[t]:
                        e = a[t]
                    p = partner[t]
                    if p >= 0 and route_of[p] >= 0:
                        e2 = start[p] + offset[t]
                        if e2 > e:
                            e = e2
                    if e > start[t] + TOL:
                        start[t] = e
                        changed = True
                    prev, free = node[t], start[t] + dur[t]
            if not changed:
                break
        else:
            return False
        self.start = start
        self.route_travel = [self._travel_of(r) for r in self.routes]
        self._totals()
        return True

    def _totals(self) -> None:
        b = self.m.b
        tsum, tmax = 0.0, 0.0
        for t, s in enumerate(self.start):
            if self.route_of[t] >= 0 and s > b[t]:
                tsum += s - b[t]
                if s - b[t] > tmax:
                    tmax = s - b[t]
        self.travel = sum(self.route_travel)
        self.tard_sum, self.tard_max = tsum, tmax
        self.cost = (self.travel + tsum + tmax) / 3.0

    # -- removal --------------------------------------------------------------------------

    def remove_patients(self, patients: list[int]) -> None:
        gone = {t for p in patients for t in self.m.patient_tasks[p]}
        self.routes = [[t for t in r if t not in gone] for r in self.routes]
        ok = self.recompute()
        assert ok, "removing visits cannot make a schedule infeasible"

    # -- insertion ------------------------------------------------------------------------

    def travel_delta(self, t: int, k: int, pos: int) -> float:
        d, node = self.m.dist, self.m.node
        r = self.routes[k]
        prev = node[r[pos - 1]] if pos > 0 else 0
        nxt = node[r[pos]] if pos < len(r) else 0
        x = node[t]
        return d[prev][x] + d[x][nxt] - d[prev][nxt]

    def try_insert(self, inserts: list[tuple[int, int, int]]) -> Candidate | None:
        """Cost after inserting tasks ``(task, caregiver, position)`` in order, or None.

        Positions refer to the route as modified by the earlier inserts of the same call.
        """
        m = self.m
        d, node, dur, a, b = m.dist, m.node, m.dur, m.a, m.b
        partner, offset = m.partner, m.offset
        base, route_of = self.start, self.route_of
        vr: dict[int, list[int]] = {}
        first_pos: dict[int, int] = {}
        new_tasks: dict[int, int] = {}
        for t, k, pos in inserts:
            r = vr.get(k)
            if r is None:
                r = vr[k] = list(self.routes[k])
                first_pos[k] = pos
            else:
                first_pos[k] = min(first_pos[k], pos)
            r.insert(pos, t)
            new_tasks[t] = k
        vpos: dict[int, int] = {}
        for r in vr.values():
            for i, t in enumerate(r):
                vpos[t] = i
        overlay: dict[int, float] = {}

        def get(t: int) -> float:
            v = overlay.get(t)
            if v is not None:
                return v
            return NEG if t in new_tasks else base[t]

        work: deque[tuple[int, int, bool]] = deque((k, i, True) for k, i in first_pos.items())
        updates = 0
        limit = m.update_limit
        while work:
            k, i, full = work.popleft()
            r = vr.get(k)
            if r is None:
                r = self.routes[k]
            if i > 0:
                pt = r[i - 1]
                prev, free = node[pt], get(pt) + dur[pt]
            else:
                prev, free = 0, 0.0
            for j in range(i, len(r)):
                t = r[j]
                e = free + d[prev][node[t]]
                if e < a[t]:
                    e = a[t]
                p = partner[t]
                if p >= 0 and (route_of[p] >= 0 or p in new_tasks):
                    e2 = get(p) + offset[t]
                    if e2 > e:
                        e = e2
                old = get(t)
                if e > old + TOL:
                    overlay[t] = e
                    updates += 1
                    if updates > limit:
                        return None
                    if (
                        p >= 0
                        and (route_of[p] >= 0 or p in new_tasks)
                        and get(p) < e + offset[p] - TOL
                    ):
                        kp = new_tasks.get(p, route_of[p])
                        ip = vpos[p] if kp in vr else self.pos_of[p]
                        work.append((kp, ip, False))
                elif not full:
                    break
                prev, free = node[t], get(t) + dur[t]
                full = full and any(vpos[x] > j for x in new_tasks if new_tasks[x] == k)
        travel = self.travel
        for k, r in vr.items():
            travel += self._travel_of(r) - self.route_travel[k]
        tsum, tmax = self.tard_sum, self.tard_max
        for t, s in overlay.items():
            late = s - b[t]
            if late > 0:
                tsum += late
                if late > tmax:
                    tmax = late
            if t not in new_tasks and base[t] > b[t]:
                tsum -= base[t] - b[t]
        return Candidate((travel + tsum + tmax) / 3.0, vr, overlay, tmax)

    def commit(self, cand: Candidate) -> None:
        for k, r in cand.routes.items():
            self.routes[k] = r
            for i, t in enumerate(r):
                self.route_of[t], self.pos_of[t] = k, i
            self.route_travel[k] = self._travel_of(r)
        for t, s in cand.overlay.items():
            self.start[t] = s
        self.travel = sum(self.route_travel)
        b = self.m.b
        tsum = 0.0
        for t, s in enumerate(self.start):
            if self.route_of[t] >= 0 and s > b[t]:
                tsum += s - b[t]
        self.tard_sum, self.tard_max = tsum, cand.max_tard
        self.cost = (self.travel + tsum + cand.max_tard) / 3.0
