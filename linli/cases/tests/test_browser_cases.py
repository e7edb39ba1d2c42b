"""In a real browser: a grid worker's phone, the resident page in elder mode, the board.

Phone: 375×812, mobile, touch. The worker reports a case in three taps (category, building,
submit — the photo is set with ``set_input_files``, as the camera would) and finds it in
"my cases". The resident page is measured in elder mode (MIIT 2021: body ≥ 18 px, main
action ≥ 30 px, targets ≥ 60×60 px). axe-core: no serious or critical violations.
Screenshots: ``var/screenshots/cases_*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from linli.cases.models import Case, CaseChannel, CasePhoto, CaseStatus
from linli.cases.tests.pages import building, jpeg_bytes, report, seed_categories
from linli.people.models import Role
from linli.testing.browser import log_in
from linli.testing.factories import area_chain, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def shot(page: Any, name: str) -> None:
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"cases_{name}.png"), full_page=True)


def watch_failures(page: Any) -> list[str]:
    failures: list[str] = []
    page.on(
        "response",
        lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.on("requestfailed", lambda r: failures.append(f"failed {r.url}"))
    return failures


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def micro_grid():  # type: ignore[no-untyped-def]
    seed_categories()
    areas = area_chain()
    for name in ["1号楼", "2号楼", "3号楼", "5号楼"]:
        building(areas["micro_grid"], name=name)
    return areas


def box(page: Any, selector: str) -> dict[str, float]:
    result: dict[str, float] = page.locator(selector).first.bounding_box()
    return result


def style(page: Any, selector: str, prop: str) -> float:
    value = page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")
    return float(str(value).removesuffix("px"))


def test_grid_worker_reports_in_three_taps_on_a_phone(
    live_server, phone, axe_check, micro_grid
) -> None:
    worker = staff_user(micro_grid["micro_grid"], first_name="李网格")
    failures = watch_failures(phone)
    log_in(phone, live_server.url, worker)
    phone.goto(f"{live_server.url}/cases/new/")
    assert phone.evaluate(FITS)
    assert axe_check(phone) == []
    tile = box(phone, ".tiles .tile")
    assert tile["height"] >= 44 and tile["width"] >= 44
    shot(phone, "new_phone")

    # Each tap asks for duplicate hints (htmx); wait for them so that none is cut off
    # by the next tap or the submit (a cut-off request would count as a failed one).
    with phone.expect_response(lambda r: "/cases/new/duplicates/" in r.url):
        phone.locator(".tile", has_text="漏水").first.tap()  # tap 1: category
    with phone.expect_response(lambda r: "/cases/new/duplicates/" in r.url):
        phone.locator(".tiles-buildings .tile", has_text="3号楼").tap()  # tap 2: building
    phone.set_input_files(
        "#id_photo", files=[{"name": "leak.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    with phone.expect_navigation():
        phone.get_by_role("button", name="上报", exact=True).tap()  # tap 3: submit

    case = Case.objects.get()
    assert phone.url == f"{live_server.url}/cases/{case.number}/"
    assert case.channel == CaseChannel.GRID_PATROL
    assert case.building is not None and case.building.name == "3号楼"
    assert CasePhoto.objects.filter(case=case).count() == 1
    assert phone.locator("#case-number").inner_text() == case.number
    phone.locator(".photos img").scroll_into_view_if_needed()  # lazy-loaded
    # A function, not an expression string: Playwright would eval() that, which the CSP refuses.
    phone.wait_for_function("() => document.querySelector('.photos img').complete")
    assert phone.locator(".photos img").evaluate("img => img.naturalWidth") == 40
    assert phone.evaluate(FITS)
    assert axe_check(phone) == []
    shot(phone, "detail_phone")

    phone.goto(f"{live_server.url}/cases/mine/")
    item = phone.locator(".case-item", has_text=case.number)
    assert item.is_visible()
    assert "时限" in item.locator(".due").inner_text()
    assert phone.locator("#count-open").inner_text() == "1"
    assert phone.evaluate(FITS)
    assert axe_check(phone) == []
    shot(phone, "mine_phone")
    assert failures == []


def test_duplicate_hint_appears_before_filing(live_server, phone, micro_grid) -> None:
    worker = staff_user(micro_grid["micro_grid"])
    existing = report(
        micro_grid["micro_grid"], building=micro_grid["micro_grid"].buildings.get(name="3号楼")
    )
    log_in(phone, live_server.url, worker)
    phone.goto(f"{live_server.url}/cases/new/")
    phone.get_by_placeholder("搜索楼栋，如 3号楼").fill("5号")
    assert phone.locator(".tiles-buildings .tile:visible").all_inner_texts() == ["5号楼"]
    phone.get_by_placeholder("搜索楼栋，如 3号楼").fill("")

    phone.locator(".tile", has_text="漏水").first.tap()
    phone.locator(".tiles-buildings .tile", has_text="3号楼").tap()

    hint = phone.locator(".dup-box")
    hint.wait_for()
    assert existing.number not in hint.inner_text()  # shown by title, linked by number
    link = hint.get_by_role("link", name="是同一件事 → 去补充说明")
    assert link.get_attribute("href") == f"/cases/{existing.number}/?open=note#add-note"
    shot(phone, "duplicates_phone")
    with phone.expect_navigation():
        link.tap()
    phone.get_by_label("说明").fill("同一处漏水，又有居民反映")
    with phone.expect_navigation():
        phone.locator('button[data-action="note"]').tap()
    assert "同一处漏水，又有居民反映" in phone.locator(".timeline").inner_text()
    assert Case.objects.count() == 1  # no second case filed


def test_resident_page_in_elder_mode_is_large_and_accessible(
    live_server, browser, axe_check, micro_grid
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 414, "height": 896})
    page = context.new_page()
    failures = watch_failures(page)
    try:
        page.goto(f"{live_server.url}/report/")
        assert axe_check(page) == []
        shot(page, "report_normal")

        with page.expect_navigation():
            page.get_by_role("button", name="大字模式（老年人适用）").click()

        assert page.locator("body.elder").count() == 1
        assert style(page, "body", "fontSize") >= 18
        assert style(page, "button.main", "fontSize") >= 30
        for selector in ["button.main", ".tile", ".mode-link"]:
            target = box(page, selector)
            assert target["width"] >= 60 and target["height"] >= 60, selector
        assert page.evaluate(FITS)
        assert axe_check(page) == []
        shot(page, "report_elder")

        page.locator(".tile", has_text="漏水").first.click()
        page.get_by_label("请说一说发生了什么").fill("3号楼楼道里漏水，地上很滑")
        page.get_by_role("button", name="下一步").click()
        page.get_by_label("在哪个社区？").select_option(label="测试社区")
        page.get_by_role("button", name="下一步").click()
        page.get_by_label("在哪栋楼？").select_option(label="3号楼")
        assert style(page, "select", "fontSize") >= 18
        page.get_by_role("button", name="下一步").click()
        assert page.locator(".summary").inner_text().count("3号楼") >= 1
        assert axe_check(page) == []
        shot(page, "report_elder_contact")
        page.get_by_label("您的电话（可不填）").fill("13912345678")
        with page.expect_navigation():
            page.get_by_role("button", name="提交").click()

        case = Case.objects.get()
        assert case.channel == CaseChannel.RESIDENT and case.reporter_phone == "13912345678"
        assert page.locator("#case-number").inner_text() == case.number
        assert "已收到" in page.locator("#public-status").inner_text()
        assert page.evaluate(FITS)
        assert axe_check(page) == []
        shot(page, "report_elder_done")
        assert failures == []
    finally:
        context.close()


def test_dispatcher_board_registers_and_dispatches_inline(
    live_server, page, login, axe_check, failed_responses, micro_grid
) -> None:
    dispatcher = staff_user(micro_grid["community"], Role.DISPATCHER, first_name="调度王")
    worker = staff_user(micro_grid["micro_grid"], first_name="李网格")
    case = report(micro_grid["micro_grid"])
    login(page, live_server.url, dispatcher)
    page.goto(f"{live_server.url}/cases/board/")
    assert axe_check(page) == []
    shot(page, "board")

    row = page.locator(f'tr[data-number="{case.number}"]')
    with page.expect_navigation():
        row.get_by_role("button", name="立案").click()
    page.goto(f"{live_server.url}/cases/board/")
    row = page.locator(f'tr[data-number="{case.number}"]')
    row.get_by_label("派遣给").select_option(value=f"user:{worker.pk}")
    with page.expect_navigation():
        row.get_by_role("button", name="派遣").click()

    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == CaseStatus.DISPATCHED and fresh.handler == worker
    assert f"{case.number}：已派遣" in page.locator(".messages").inner_text()
    assert axe_check(page) == []
    page.goto(f"{live_server.url}/cases/{case.number}/")
    for summary in page.locator(".actions summary").all():
        summary.click()  # open every action form for the accessibility check
    assert axe_check(page) == []
    shot(page, "detail_coordinator")
    page.goto(f"{live_server.url}/cases/intake/")
    assert axe_check(page) == []
    shot(page, "intake")
    assert failed_responses == []


def test_handler_accepts_and_reports_back_on_a_phone(
    live_server, phone, axe_check, micro_grid
) -> None:
    from linli.cases import services

    admin = staff_user(micro_grid["community"], Role.COMMUNITY_ADMIN)
    worker = staff_user(micro_grid["micro_grid"], first_name="李网格")
    case = report(micro_grid["micro_grid"], reporter=worker)
    services.case_register(case=case, actor=admin)
    services.case_dispatch(case=case, actor=admin, handler=worker, note="请今天处理")
    failures = watch_failures(phone)
    log_in(phone, live_server.url, worker)
    phone.goto(f"{live_server.url}/cases/{case.number}/")
    assert axe_check(phone) == []

    with phone.expect_navigation():
        phone.get_by_role("button", name="接单处置").tap()
    # The next step of the handler is already open: one obvious action.
    assert phone.locator("#action-handle").get_attribute("open") is not None
    phone.get_by_label("处置结果").fill("已关闭总阀，更换了漏水的水管")
    phone.set_input_files(
        "#action-handle input[type=file]",
        files=[{"name": "done.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}],
    )
    assert axe_check(phone) == []
    with phone.expect_navigation():
        phone.locator('button[data-action="handle"]').tap()

    assert Case.objects.get(pk=case.pk).status == CaseStatus.HANDLED
    assert phone.locator("#case-status").inner_text().startswith("已处置待核查")
    timeline = phone.locator(".timeline").inner_text()
    assert "接单处置" in timeline and "已关闭总阀" in timeline
    assert phone.evaluate(FITS)
    shot(phone, "handled_phone")
    assert failures == []


def test_resident_uses_the_phones_location_instead_of_a_building(
    live_server, browser, axe_check, micro_grid
) -> None:
    grid = micro_grid["micro_grid"]
    grid.boundary = {
        "type": "Polygon",
        "coordinates": [
            [[106.2, 38.4], [106.3, 38.4], [106.3, 38.5], [106.2, 38.5], [106.2, 38.4]]
        ],
    }
    grid.save()
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": 38.45, "longitude": 106.25, "accuracy": 12},
        permissions=["geolocation"],
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/report/")
        page.locator(".tile", has_text="噪音扰民").first.tap()
        page.get_by_label("请说一说发生了什么").fill("广场舞音响太响")
        with page.expect_navigation():
            page.get_by_role("button", name="下一步").tap()
        assert axe_check(page) == []
        page.get_by_role("button", name="用我现在的位置").tap()
        page.get_by_text("已定位（精度约 12 米）").wait_for()
        with page.expect_navigation():
            page.get_by_role("button", name="下一步").tap()
        assert page.locator(".step-count").inner_text() == "第 3 步，共 3 步"
        assert "您手机的当前位置" in page.locator(".summary").inner_text()
        with page.expect_navigation():
            page.get_by_role("button", name="提交").tap()

        case = Case.objects.get()
        assert case.area == grid and case.building is None
        assert (str(case.lat), str(case.lng)) == ("38.450000", "106.250000")
    finally:
        context.close()


def test_board_fits_a_phone(live_server, phone, micro_grid) -> None:
    dispatcher = staff_user(micro_grid["community"], Role.DISPATCHER)
    report(micro_grid["micro_grid"])
    log_in(phone, live_server.url, dispatcher)
    phone.goto(f"{live_server.url}/cases/board/")
    assert phone.locator("tr.board-row").count() == 1
    assert phone.evaluate(FITS)
    shot(phone, "board_phone")
