"""The reports page in a real browser: a community admin sees the finished report with its
download links, asks for a report with a bad month (the Chinese error is shown at the
field), then for last week's grid report (queued, listed); axe-core finds no serious or
critical violation. Screenshot: ``var/screenshots/cockpit_reports.png``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings

from linli.cockpit.models import ReportKind, ReportRun, ReportStatus
from linli.people.models import Role
from linli.testing.factories import area_chain, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_reports_page_lists_requests_and_explains_bad_input(
    live_server: Any, page: Any, login: Any, axe_check: Any
) -> None:
    areas = area_chain()
    ReportRun.objects.create(
        kind=ReportKind.MONTHLY,
        area=areas["community"],
        period_start=dt.date(2026, 6, 1),
        period_end=dt.date(2026, 6, 30),
        status=ReportStatus.DONE,
        pdf=b"%PDF-1.4",
        xlsx=b"PK",
        finished_at=dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC),
    )
    login(page, live_server.url, staff_user(areas["community"], Role.COMMUNITY_ADMIN))
    page.goto(f"{live_server.url}/cockpit/reports/")
    row = page.locator("#report-runs tbody tr").first
    assert "2026年6月" in row.inner_text() and "已生成" in row.inner_text()
    assert row.get_by_role("link", name="PDF").count() == 1
    assert axe_check(page) == []

    page.get_by_label("区域").select_option(label="测试社区（社区）")
    page.get_by_label("月份或周次").fill("2026-13")
    with page.expect_navigation():
        page.get_by_role("button", name="生成报告").click()
    assert "月份应在 1–12 之间" in page.locator("#f-period").inner_text()
    assert axe_check(page) == []

    page.get_by_label("报告类型").select_option(ReportKind.WEEKLY_CASES.value)
    page.get_by_label("区域").select_option(label="测试第一网格（网格）")
    page.get_by_label("月份或周次").fill("2026-06-10")
    with page.expect_navigation():
        page.get_by_role("button", name="生成报告").click()
    assert "已提交" in page.locator(".messages").inner_text()
    assert "2026年第24周" in page.locator("#report-runs").inner_text()
    page.screenshot(path=str(settings.BASE_DIR / "var" / "screenshots" / "cockpit_reports.png"))
