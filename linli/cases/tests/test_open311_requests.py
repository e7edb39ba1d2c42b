"""Open311 ``GET requests`` and ``requests/{id}``: filters, paging, status mapping, privacy."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.cases.events import event_record
from linli.cases.models import Case, CaseAction, CaseChannel, CaseStatus
from linli.cases.services import case_report
from linli.cases.tests.open311_support import (
    INSIDE,
    URLS,
    Site,
    assert_valid,
    json_as_text,
    make_site,
    xml_items,
)
from linli.common.geo import LatLng
from linli.testing.factories import OrganizationFactory

URL = "/open311/v2/requests.json"
pytestmark = pytest.mark.urls(URLS)


@pytest.fixture
def site(db: None) -> Site:
    return make_site()


def report(site: Site, *, days_ago: float = 0, category: Any = None, **extra: Any) -> Case:
    case = case_report(
        category=category or site.category,
        description=extra.pop("description", "楼道堆物"),
        channel=CaseChannel.OPEN311,
        point=LatLng(*INSIDE),
        **extra,
    )
    if days_ago:
        moved = timezone.now() - dt.timedelta(days=days_ago)
        Case.objects.filter(pk=case.pk).update(created_at=moved, updated_at=moved)
        case.refresh_from_db()
    return case


def move(case: Case, status: str, *, note: str = "", **fields: Any) -> None:
    """Set a state as a transition service would, with the event that explains it."""
    event_record(
        case=case,
        action=CaseAction.NOTE,
        actor=None,
        at=timezone.now(),
        from_status=case.status,
        to_status=status,
        note=note,
    )
    Case.objects.filter(pk=case.pk).update(status=status, updated_at=timezone.now(), **fields)


def numbers(client: Client, **params: Any) -> list[str]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return [r["service_request_id"] for r in response.json()]


def error_of(response: Any, status: int) -> str:
    assert response.status_code == status, response.content
    [error] = response.json()
    assert error["code"] == status
    return str(error["description"])


def test_requests_validate_against_the_schema_with_offsets(client: Client, site: Site) -> None:
    case = report(site)
    data = client.get(URL).json()
    assert_valid(data, "requests.json")
    [row] = data
    assert row["service_request_id"] == case.number
    assert row["status"] == "open" and row["status_notes"] == "已上报"
    assert row["service_name"] == "乱堆物堆料" and row["service_code"] == "T105"
    assert row["requested_datetime"].endswith("+08:00")
    assert row["expected_datetime"] == timezone.localtime(case.due_at).isoformat("T", "seconds")
    assert (row["lat"], row["long"]) == pytest.approx(INSIDE)
    assert "extended_attributes" not in row


def test_default_window_is_the_last_90_days(client: Client, site: Site) -> None:
    recent, old = report(site, days_ago=10), report(site, days_ago=100)
    assert numbers(client) == [recent.number]
    start = (timezone.now() - dt.timedelta(days=120)).isoformat()
    # start_date alone: the 90 days from it (spec: a range may not span more than 90 days).
    assert numbers(client, start_date=start) == [old.number]


def test_date_range_filters_and_limits(client: Client, site: Site) -> None:
    recent, old = report(site, days_ago=1), report(site, days_ago=30)
    week = {"start_date": "2000-01-01T00:00:00+08:00", "end_date": "2000-01-08T00:00:00Z"}
    assert client.get(URL, week).json() == []
    end = timezone.now() - dt.timedelta(days=20)
    assert numbers(client, end_date=end.isoformat()) == [old.number]
    too_long = {"start_date": "2026-01-01", "end_date": "2026-05-01"}
    assert "90 天" in error_of(client.get(URL, too_long), 400)
    reversed_ = {"start_date": "2026-05-01", "end_date": "2026-01-01"}
    assert "早于" in error_of(client.get(URL, reversed_), 400)
    assert "ISO-8601" in error_of(client.get(URL, {"start_date": "last week"}), 400)
    assert recent.number in numbers(client)


def test_service_request_id_list_overrides_the_window(client: Client, site: Site) -> None:
    a, b, old = report(site), report(site), report(site, days_ago=200)
    assert set(numbers(client, service_request_id=f"{a.number},{old.number}")) == {
        a.number,
        old.number,
    }
    assert b.number not in numbers(client, service_request_id=a.number)


def test_service_code_filter(client: Client, site: Site) -> None:
    mine = report(site)
    other = report(site, category=site.top)
    assert numbers(client, service_code="T105") == [mine.number]
    assert set(numbers(client, service_code="T105,T1")) == {mine.number, other.number}


def test_status_mapping_after_transitions(client: Client, site: Site) -> None:
    reported = report(site)
    closed, rejected, merged, suspended = (report(site) for _ in range(4))
    handled = report(site)
    move(closed, CaseStatus.CLOSED, note="已清运", closed_at=timezone.now())
    move(rejected, CaseStatus.REJECTED, note="不属于本平台受理范围")
    move(merged, CaseStatus.MERGED, merged_into=reported)
    move(
        suspended, CaseStatus.SUSPENDED, note="待产权方确认", suspend_review_on=dt.date(2026, 12, 1)
    )
    move(handled, CaseStatus.HANDLED)
    rows = {r["service_request_id"]: r for r in client.get(URL).json()}
    expected = {
        reported.number: ("open", "已上报"),
        closed.number: ("closed", "已结案：已清运"),
        rejected.number: ("closed", "不予立案：不属于本平台受理范围"),
        merged.number: ("closed", f"已合并到 {reported.number}"),
        suspended.number: ("open", "挂账（复核日期 2026-12-01）：待产权方确认"),
        handled.number: ("open", "已处置待核查"),
    }
    assert {n: (r["status"], r["status_notes"]) for n, r in rows.items()} == expected
    assert set(numbers(client, status="closed")) == {closed.number, rejected.number, merged.number}
    assert set(numbers(client, status="open,closed")) == set(expected)
    assert "status 只能是" in error_of(client.get(URL, {"status": "pending"}), 400)


def test_closed_request_reports_the_closing_time_and_agency(client: Client, site: Site) -> None:
    case = report(site)
    org = OrganizationFactory(name="金凤物业服务有限公司")
    closed_at = timezone.now() - dt.timedelta(hours=2)
    move(case, CaseStatus.CLOSED, closed_at=closed_at, handler_org=org)
    [row] = client.get(f"/open311/v2/requests/{case.number}.json").json()
    assert row["agency_responsible"] == "金凤物业服务有限公司"
    assert row["updated_datetime"] == timezone.localtime(closed_at).isoformat("T", "seconds")
    assert row["service_notice"] is None


def test_paging(client: Client, site: Site) -> None:
    cases = [report(site, days_ago=5 - i) for i in range(5)]
    newest_first = [c.number for c in reversed(cases)]
    pages = [numbers(client, page_size=2, page=p) for p in (1, 2, 3, 4)]
    assert pages == [newest_first[:2], newest_first[2:4], newest_first[4:], []]
    assert "不能超过 200" in error_of(client.get(URL, {"page_size": 201}), 400)
    assert "正整数" in error_of(client.get(URL, {"page": 0}), 400)
    assert "正整数" in error_of(client.get(URL, {"page_size": "ten"}), 400)


def test_updated_after_and_before(client: Client, site: Site) -> None:
    stale = report(site, days_ago=3)
    fresh = report(site, days_ago=3)
    move(fresh, CaseStatus.REGISTERED)
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert numbers(client, updated_after=since) == [fresh.number]
    assert numbers(client, updated_before=since) == [stale.number]
    old = report(site, days_ago=200)
    move(old, CaseStatus.CLOSED, closed_at=timezone.now())
    # Incremental sync: updated_after alone is not cut to the last 90 days of reports.
    assert set(numbers(client, updated_after=since)) == {fresh.number, old.number}


def test_extensions_add_linli_fields(client: Client, site: Site) -> None:
    case = report(site)
    move(case, CaseStatus.DISPATCHED)
    [row] = client.get(URL, {"extensions": "true"}).json()
    assert_valid([row], "requests.json")
    assert row["extended_attributes"] == {
        "linli_status": "dispatched",
        "linli_status_name": "已派遣",
        "area": site.areas["micro_grid"].name,
        "area_code": site.areas["micro_grid"].code,
        "due_at": row["expected_datetime"],
        "events_count": 2,
        "priority": case.priority,
    }
    assert "extensions" in error_of(client.get(URL, {"extensions": "maybe"}), 400)


def test_no_reporter_personal_data_in_any_get(client: Client, site: Site) -> None:
    case = report(
        site,
        reporter_name="张三丰",
        reporter_phone="13912345678",
        reporter_email="zhang@example.cn",
        household=site.household,
        attributes={"where": "楼道", "_open311": {"account_id": "acct-secret"}},
    )
    for path in ("requests", f"requests/{case.number}"):
        for fmt in ("json", "xml"):
            body = client.get(f"/open311/v2/{path}.{fmt}", {"extensions": "true"}).content
            body_text = body.decode()
            for secret in ("张三丰", "13912345678", "zhang@example.cn", "acct-secret"):
                assert secret not in body_text
            assert site.household.room not in body_text
    [row] = client.get(f"/open311/v2/requests/{case.number}.json").json()
    assert row["address_id"] == f"B{site.building.pk}"  # the building, never the household


def test_cases_of_hidden_categories_are_not_public(client: Client, site: Site) -> None:
    hidden = report(site, category=site.hidden)
    assert client.get(URL).json() == []
    error_of(client.get(f"/open311/v2/requests/{hidden.number}.json"), 404)
    error_of(client.get("/open311/v2/requests/640106-20000101-0001.json"), 404)


def test_xml_lists_carry_the_same_content_as_json(client: Client, site: Site) -> None:
    report(site, description='门口 <i>堆物</i> & "杂物"')
    move(report(site), CaseStatus.REJECTED, note="重复上报 <b>请勿</b>")
    as_json = client.get(URL, {"extensions": "true"}).json()
    as_xml = client.get("/open311/v2/requests.xml", {"extensions": "true"})
    assert as_xml["Content-Type"] == "text/xml; charset=utf-8"
    items = xml_items(as_xml.content, "service_requests", "request")
    assert items == [json_as_text(r) for r in as_json]


def test_list_query_count_does_not_grow_with_cases(
    client: Client, site: Site, django_assert_max_num_queries: Any
) -> None:
    for _ in range(12):
        report(site)
    with django_assert_max_num_queries(4):
        assert len(client.get(URL, {"extensions": "true"}).json()) == 12


def test_control_characters_never_break_the_xml(client: Client, site: Site) -> None:
    case = report(site, description="堆物\x0b\x01在楼道\x1f")
    as_xml = client.get(f"/open311/v2/requests/{case.number}.xml")
    [item] = xml_items(as_xml.content, "service_requests", "request")
    assert item["description"] == "堆物在楼道"


def test_the_jurisdiction_comes_from_settings(client: Client, site: Site, settings: Any) -> None:
    settings.LINLI_OPEN311_JURISDICTION = "xingqing.yinchuan.gov.cn"
    assert client.get(URL, {"jurisdiction_id": "xingqing.yinchuan.gov.cn"}).status_code == 200
    error_of(client.get(URL, {"jurisdiction_id": "jinfeng.yinchuan.gov.cn"}), 404)
