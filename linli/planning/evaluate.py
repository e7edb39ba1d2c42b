"""Objective and feasibility of a day plan, exactly as ``hhc-mankowska/README.md`` defines them.

This checker is independent of the search: it takes the visits with their start times (as a
dispatcher would read them) and recomputes everything from the instance.

- cost = (total travel + total tardiness + maximum tardiness) / 3, travel in distance units
  (= minutes), a visit's tardiness = max(0, start - window end).
- feasible when every required service of every patient is visited exactly once by a caregiver
  with that ability, no visit starts before its window's start, each caregiver leaves the
  depot at time 0 or later and can reach every visit in start order (previous start + duration
  + travel <= start), ends at the depot, and synchronisation holds: ``simultaneous`` — two
  different caregivers, equal starts; ``sequential`` — start(second listed) - start(first)
  within [min, max].

Times are compared with a tolerance of ``EPS`` minutes (floating sums).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .instance import Instance

EPS = 1e-6


@dataclass(frozen=True)
class Visit:
    caregiver: str
    patient: str
    service: str
    start: float  # minutes from the start of the day


@dataclass
class Evaluation:
    feasible: bool
    cost: float
    travel: float
    total_tardiness: float
    max_tardiness: float
    violations: list[str] = field(default_factory=list)


def objective(travel: float, total_tardiness: float, max_tardiness: float) -> float:
    """The README's objective: (travel + total tardiness + max tardiness) / 3."""
    return (travel + total_tardiness + max_tardiness) / 3.0


def evaluate(instance: Instance, visits: list[Visit]) -> Evaluation:
    """Recompute cost and list every violation (Chinese messages) of ``visits``."""
    problems: list[str] = []
    caregivers = {c.id: c for c in instance.caregivers}
    patients = {p.id: p for p in instance.patients}
    dist = instance.distances
    seen: dict[tuple[str, str], Visit] = {}
    by_caregiver: dict[str, list[Visit]] = defaultdict(list)
    total_tardiness = 0.0
    max_tardiness = 0.0
    for v in visits:
        patient = patients.get(v.patient)
        carer = caregivers.get(v.caregiver)
        if patient is None:
            problems.append(f"未知患者 {v.patient}")
            continue
        if carer is None:
            problems.append(f"未知护理员 {v.caregiver}")
            continue
        if v.service not in {s.service for s in patient.services}:
            problems.append(f"患者 {v.patient} 不需要服务 {v.service}")
            continue
        if (v.patient, v.service) in seen:
            problems.append(f"患者 {v.patient} 的服务 {v.service} 被安排了不止一次")
            continue
        seen[(v.patient, v.service)] = v
        if v.service not in carer.abilities:
            problems.append(f"护理员 {v.caregiver} 不具备服务 {v.service} 的资质")
        if v.start < patient.window_start - EPS:
            problems.append(
                f"患者 {v.patient} 的服务 {v.service} 在时间窗开始 {patient.window_start:g} "
                f"之前开始（{v.start:g}）"
            )
        tardiness = max(0.0, v.start - patient.window_end)
        total_tardiness += tardiness
        max_tardiness = max(max_tardiness, tardiness)
        by_caregiver[v.caregiver].append(v)
    for p in instance.patients:
        for s in p.services:
            if (p.id, s.service) not in seen:
                problems.append(f"患者 {p.id} 的服务 {s.service} 没有安排")
    travel = 0.0
    for cid, route in by_caregiver.items():
        route.sort(key=lambda v: v.start)
        node, free_at = 0, 0.0
        for v in route:
            patient = patients[v.patient]
            arrive = free_at + dist[node][patient.node]
            travel += dist[node][patient.node]
            if v.start < arrive - EPS:
                problems.append(
                    f"护理员 {cid} 赶不到患者 {v.patient}（最早 {arrive:g}，安排 {v.start:g}）"
                )
            duration = next(s.duration for s in patient.services if s.service == v.service)
            node, free_at = patient.node, v.start + duration
        travel += dist[node][0]
    for p in instance.patients:
        if p.sync is None or len(p.services) != 2:
            continue
        first = seen.get((p.id, p.services[0].service))
        second = seen.get((p.id, p.services[1].service))
        if first is None or second is None:
            continue
        gap = second.start - first.start
        if p.sync.type == "simultaneous":
            if first.caregiver == second.caregiver:
                problems.append(f"患者 {p.id} 需要两名不同护理员同时服务")
            if abs(gap) > EPS:
                problems.append(f"患者 {p.id} 的两项服务没有同时开始（相差 {gap:g} 分钟）")
        elif not p.sync.min_gap - EPS <= gap <= p.sync.max_gap + EPS:
            problems.append(
                f"患者 {p.id} 的两项服务间隔 {gap:g} 分钟，"
                f"应在 {p.sync.min_gap:g}–{p.sync.max_gap:g} 之间"
            )
    return Evaluation(
        feasible=not problems,
        cost=objective(travel, total_tardiness, max_tardiness),
        travel=travel,
        total_tardiness=total_tardiness,
        max_tardiness=max_tardiness,
        violations=problems,
    )
