"""Load a home-care planning instance (the Mankowska et al. 2014 JSON format) into dataclasses.

Format (as converted by the UHHC repository, CC BY 4.0; see
``../shared/data/hhc-mankowska/README.md``): ``distances`` (square matrix, index 0 = depot;
travel time equals distance, in minutes), ``caregivers[] {id, abilities}``,
``patients[] {id, distance_matrix_index, required_services[] {service, duration},
time_windows[] {start, end}, synchronization?}``; ``synchronization`` is absent,
``{"type": "simultaneous"}`` or ``{"type": "sequential", "distance": {"min", "max"}}``
(minutes from the first listed service's start to the second's start).

Errors: :class:`InstanceError` (a ``ValueError``) with a Chinese message naming the problem.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

SyncType = Literal["simultaneous", "sequential"]


class InstanceError(ValueError):
    """The instance file or data is malformed (message in Chinese)."""


@dataclass(frozen=True)
class Service:
    service: str
    duration: float  # minutes


@dataclass(frozen=True)
class Sync:
    type: SyncType
    min_gap: float = 0.0  # sequential only: start(second) - start(first) >= min_gap
    max_gap: float = 0.0  # sequential only: start(second) - start(first) <= max_gap


@dataclass(frozen=True)
class Patient:
    id: str
    node: int  # row/column of the distance matrix
    services: tuple[Service, ...]  # one, or two when ``sync`` is set
    window_start: float  # no service may start earlier
    window_end: float  # a later start costs tardiness (start - window_end)
    sync: Sync | None = None


@dataclass(frozen=True)
class Caregiver:
    id: str
    abilities: frozenset[str]


@dataclass(frozen=True)
class Instance:
    name: str
    distances: tuple[tuple[float, ...], ...]  # minutes; index 0 is the depot
    caregivers: tuple[Caregiver, ...]
    patients: tuple[Patient, ...]

    def patient(self, patient_id: str) -> Patient:
        for p in self.patients:
            if p.id == patient_id:
                return p
        raise KeyError(patient_id)


def load_instance(path: str | Path) -> Instance:
    """Read a ``.json`` or ``.json.gz`` instance file; the name defaults to the file stem."""
    path = Path(path)
    if not path.is_file():
        raise InstanceError(f"找不到实例文件：{path}")
    opener: Any = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InstanceError(f"实例文件无法读取为 JSON：{path}（{exc}）") from exc
    name = path.name.removesuffix(".gz").removesuffix(".json")
    return parse_instance(data, name=name)


def parse_instance(data: Any, *, name: str | None = None) -> Instance:
    """Build an :class:`Instance` from the decoded JSON, checking every field it uses."""
    if not isinstance(data, dict):
        raise InstanceError("实例数据必须是 JSON 对象")
    name = name or str((data.get("metadata") or {}).get("name") or "instance")
    dist = data.get("distances")
    if not isinstance(dist, list) or not dist:
        raise InstanceError("缺少距离矩阵 distances")
    n = len(dist)
    try:
        matrix = tuple(tuple(float(x) for x in row) for row in dist)
    except (TypeError, ValueError) as exc:
        raise InstanceError("距离矩阵 distances 含非数字") from exc
    if any(len(row) != n for row in matrix):
        raise InstanceError("距离矩阵 distances 必须是方阵")
    if any(x < 0 for row in matrix for x in row):
        raise InstanceError("距离矩阵 distances 不能有负数")
    caregivers = []
    for c in data.get("caregivers") or []:
        try:
            caregivers.append(Caregiver(id=str(c["id"]), abilities=frozenset(c["abilities"])))
        except (KeyError, TypeError) as exc:
            raise InstanceError(f"护理员数据不完整：{c!r}") from exc
    if not caregivers:
        raise InstanceError("实例中没有护理员 caregivers")
    if len({c.id for c in caregivers}) != len(caregivers):
        raise InstanceError("护理员编号重复")
    patients = [_patient(p, n) for p in data.get("patients") or []]
    if len({p.id for p in patients}) != len(patients):
        raise InstanceError("患者编号重复")
    for p in patients:
        for s in p.services:
            able = [c for c in caregivers if s.service in c.abilities]
            if not able:
                raise InstanceError(f"患者 {p.id} 的服务 {s.service} 没有任何护理员具备资质")
        if p.sync is not None and p.sync.type == "simultaneous":
            a, b = (s.service for s in p.services)
            if not any(
                a in c1.abilities and b in c2.abilities
                for c1 in caregivers
                for c2 in caregivers
                if c1 is not c2
            ):
                raise InstanceError(f"患者 {p.id} 需要两名护理员同时服务，但找不到合格的两人")
    return Instance(
        name=name, distances=matrix, caregivers=tuple(caregivers), patients=tuple(patients)
    )


def _patient(p: Any, n: int) -> Patient:
    try:
        pid = str(p["id"])
        node = int(p["distance_matrix_index"])
        services = tuple(
            Service(service=str(s["service"]), duration=float(s["duration"]))
            for s in p["required_services"]
        )
        windows = p["time_windows"]
        start, end = float(windows[0]["start"]), float(windows[0]["end"])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InstanceError(f"患者数据不完整：{p!r}") from exc
    if len(windows) != 1:
        raise InstanceError(f"患者 {pid} 有 {len(windows)} 个时间窗，只支持一个")
    if not 0 < node < n:
        raise InstanceError(f"患者 {pid} 的 distance_matrix_index 超出距离矩阵")
    if end < start:
        raise InstanceError(f"患者 {pid} 的时间窗结束早于开始")
    if any(s.duration < 0 for s in services):
        raise InstanceError(f"患者 {pid} 的服务时长不能为负")
    raw = p.get("synchronization")
    sync: Sync | None = None
    if raw is not None:
        kind = raw.get("type") if isinstance(raw, dict) else None
        if kind == "simultaneous":
            sync = Sync(type="simultaneous")
        elif kind == "sequential":
            try:
                lo, hi = float(raw["distance"]["min"]), float(raw["distance"]["max"])
            except (KeyError, TypeError, ValueError) as exc:
                raise InstanceError(f"患者 {pid} 的顺序同步缺少 distance.min/max") from exc
            if hi < lo:
                raise InstanceError(f"患者 {pid} 的顺序同步 max 小于 min")
            sync = Sync(type="sequential", min_gap=lo, max_gap=hi)
        else:
            raise InstanceError(f"患者 {pid} 的同步类型未知：{kind!r}")
    if (sync is None) != (len(services) == 1):
        raise InstanceError(f"患者 {pid} 需要一项服务（无同步）或两项服务（有同步）")
    return Patient(
        id=pid, node=node, services=services, window_start=start, window_end=end, sync=sync
    )
