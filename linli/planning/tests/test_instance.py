"""Loading instances: the real file format, and clear errors for bad input."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from linli.planning.instance import InstanceError, load_instance, parse_instance

DATA = Path(__file__).parent / "data"


def test_loads_a_gzipped_mankowska_instance():
    inst = load_instance(DATA / "InstanzCPLEX_HCSRP_10_2.json.gz")
    assert inst.name == "InstanzCPLEX_HCSRP_10_2"
    assert len(inst.patients) == 10 and len(inst.caregivers) == 3
    assert len(inst.distances) == 11
    p8, p9 = inst.patient("p8"), inst.patient("p9")
    assert p8.sync is not None and p8.sync.type == "simultaneous"
    assert p9.sync is not None and (p9.sync.min_gap, p9.sync.max_gap) == (36, 72)
    assert [s.service for s in p9.services] == ["s1", "s6"]


def _raw() -> dict[str, Any]:
    with gzip.open(DATA / "InstanzCPLEX_HCSRP_10_2.json.gz", "rt") as fh:
        return json.load(fh)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("distances"), "distances"),
        (lambda d: d["distances"][0].pop(), "方阵"),
        (lambda d: d.update(caregivers=[]), "没有护理员"),
        (lambda d: d["patients"][0].update(distance_matrix_index=99), "超出距离矩阵"),
        (lambda d: d["patients"][0].update(time_windows=[{"start": 9, "end": 1}]), "结束早于"),
        (lambda d: d["patients"][0]["time_windows"].append({"start": 1, "end": 9}), "一个"),
        (lambda d: d["patients"][7]["synchronization"].update(type="later"), "同步类型"),
        (lambda d: d["patients"][0]["required_services"][0].update(service="s9"), "资质"),
        (lambda d: d["patients"][1].update(id="p1"), "患者编号重复"),
        (lambda d: d["patients"][7].pop("synchronization"), "两项服务"),
        (lambda d: d["patients"][8]["synchronization"].pop("distance"), "distance"),
    ],
)
def test_bad_instance_data_is_refused_with_a_reason(change, message):
    data = copy.deepcopy(_raw())
    change(data)
    with pytest.raises(InstanceError, match=message):
        parse_instance(data)


def test_simultaneous_patient_needs_two_qualified_caregivers():
    data = _raw()
    # p8 needs s4 and s5 at once; leave only one caregiver able to do s4 or s5
    data["caregivers"] = [c for c in data["caregivers"] if c["id"] != "c3"]
    data["caregivers"].append({"id": "c3", "abilities": ["s6"]})
    with pytest.raises(InstanceError, match="同时服务"):
        parse_instance(data)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(InstanceError, match="找不到"):
        load_instance(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InstanceError, match="JSON"):
        load_instance(bad)
