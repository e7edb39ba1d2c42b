"""Open311 status mapping after the real transition services (one case per Linli state)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from linli.cases.models import CaseStatus
from linli.cases.open311.status import CLOSED_STATUSES
from linli.cases.tests.lifecycle import Actors, report, walk_to
from linli.cases.tests.open311_support import URLS, assert_valid

pytestmark = pytest.mark.urls(URLS)

NOTES = {
    CaseStatus.REPORTED: "已上报",
    CaseStatus.REGISTERED: "已立案",
    CaseStatus.DISPATCHED: "已派遣",
    CaseStatus.IN_PROGRESS: "处置中",
    CaseStatus.HANDLED: "已处置待核查",
    CaseStatus.VERIFIED: "已核查",
    CaseStatus.CLOSED: "已结案",
    CaseStatus.REJECTED: "不予立案：重复",
    CaseStatus.RETURNED: "已退回：不属本单位",
}


def test_every_linli_state_maps_to_open_or_closed_with_notes(
    client: Client, areas: dict[str, Any]
) -> None:
    actors = Actors(areas)
    cases = {status: walk_to(report(areas["micro_grid"]), status, actors) for status in CaseStatus}
    ids = ",".join(c.number for c in cases.values())
    rows = client.get("/open311/v2/requests.json", {"service_request_id": ids}).json()
    assert_valid(rows, "requests.json")
    by_number = {r["service_request_id"]: r for r in rows}
    for status, case in cases.items():
        row = by_number[case.number]
        assert row["status"] == ("closed" if status in CLOSED_STATUSES else "open"), status
        if status in NOTES:
            assert row["status_notes"] == NOTES[status]
    merged = cases[CaseStatus.MERGED]
    merged.refresh_from_db()
    assert by_number[merged.number]["status_notes"] == f"已合并到 {merged.merged_into.number}"
    suspended = by_number[cases[CaseStatus.SUSPENDED].number]["status_notes"]
    assert suspended.startswith("挂账（复核日期 ") and suspended.endswith("）：等待规划")
    closed = by_number[cases[CaseStatus.CLOSED].number]
    assert closed["agency_responsible"] == "测试物业公司"
    assert closed["updated_datetime"] == "2026-06-08T09:30:00+08:00"  # closing time
