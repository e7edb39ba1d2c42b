"""In a real browser: the walkthrough fixes — the building search says when nothing
matches (visible above the sticky 上报 bar), a denied location points at the community
field, and the confirmation shows the case number on one line with a full link."""

from __future__ import annotations

from typing import Any

import pytest

from linli.cases.models import Case
from linli.cases.tests.test_browser_cases import FITS, micro_grid, phone, shot  # noqa: F401
from linli.testing.browser import log_in
from linli.testing.factories import staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_building_search_without_a_match_says_so_above_the_submit_bar(
    live_server,
    phone,  # noqa: F811
    axe_check,
    micro_grid,  # noqa: F811
) -> None:
    worker = staff_user(micro_grid["micro_grid"])
    log_in(phone, live_server.url, worker)
    phone.goto(f"{live_server.url}/cases/new/")
    search = phone.get_by_placeholder("搜索楼栋，如 3号楼")

    search.fill("9号")

    message = phone.locator("#building-none")
    assert message.is_visible()
    assert message.inner_text() == "没有找到“9号”，可改用“使用我的位置”或在说明中写地址"
    # Not under the sticky bar: the element at the message's centre is the message.
    hit = message.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === e; }"
    )
    assert hit
    assert axe_check(phone) == []
    shot(phone, "building_search_none")
    search.fill("3号")
    assert message.is_hidden()


def test_denied_location_points_at_the_community_field(
    live_server,
    browser: Any,
    micro_grid,  # noqa: F811
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 812})
    context.clear_permissions()  # geolocation not granted: the browser denies it
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/report/")
        page.locator(".tile", has_text="噪音扰民").first.click()
        page.get_by_label("请说一说发生了什么").fill("广场舞音响太响")
        with page.expect_navigation():
            page.get_by_role("button", name="下一步").click()
        page.get_by_role("button", name="用我现在的位置").click()
        page.get_by_text("无法定位，请在下面选择社区").wait_for()
        assert page.get_by_label("在哪个社区？").is_visible()
    finally:
        context.close()


def test_confirmation_number_stays_on_one_line_on_a_phone(
    live_server,
    browser: Any,
    axe_check,
    micro_grid,  # noqa: F811
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 320, "height": 700})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/report/elder/?on=1&next=/report/")
        page.locator(".tile", has_text="漏水").first.click()
        page.get_by_label("请说一说发生了什么").fill("3号楼楼道里漏水")
        page.get_by_role("button", name="下一步").click()
        page.get_by_label("在哪个社区？").select_option(label="测试社区")
        page.get_by_role("button", name="下一步").click()
        page.get_by_label("在哪栋楼？").select_option(label="3号楼")
        page.get_by_role("button", name="下一步").click()
        with page.expect_navigation():
            page.get_by_role("button", name="提交").click()

        case = Case.objects.get()
        number = page.locator("#case-number")
        assert number.inner_text() == case.number
        line_height = float(number.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
        assert number.bounding_box()["height"] < 1.5 * line_height  # one line
        link = page.locator("#status-link")
        assert link.get_attribute("href") == f"{live_server.url}/report/{case.number}/"
        assert page.evaluate(FITS)
        assert axe_check(page) == []
        shot(page, "report_confirmation_320")
        with page.expect_navigation():
            link.click()
        assert "已收到" in page.locator("#public-status").inner_text()
    finally:
        context.close()
