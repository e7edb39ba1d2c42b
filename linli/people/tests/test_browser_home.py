"""In a real browser: log in, read the area tree, drill down; accessibility and assets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from linli.testing.factories import BuildingFactory, HouseholdFactory, ResidentFactory, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_with_people():  # type: ignore[no-untyped-def]
    """A micro-grid worker and 7 residents in their micro-grid (3 aged 60+, 2 living alone),
    plus one resident in another street they must not see."""
    from linli.testing.factories import area_chain

    mine = area_chain()["micro_grid"]
    other = area_chain("640106002", name="别处")["micro_grid"]
    building = BuildingFactory(micro_grid=mine, name="3号楼")
    for n in range(7):
        ResidentFactory(
            household=HouseholdFactory(building=building, unit="2单元", room=f"{n + 1}01"),
            birth_date=dt.date(1950 if n < 3 else 1990, 4, n + 1),
            living_alone=n in (0, 4),
        )
    ResidentFactory(household=HouseholdFactory(building=BuildingFactory(micro_grid=other)))
    return staff_user(mine), mine


def test_worker_logs_in_sees_own_tree_and_drills_down(
    live_server, page, login, axe_check, failed_responses, worker_with_people
) -> None:
    user, micro_grid = worker_with_people
    page.goto(f"{live_server.url}/accounts/login/")
    assert axe_check(page) == []

    login(page, live_server.url, user)

    assert page.url == f"{live_server.url}/"
    assert page.get_by_role("heading", name="辖区概况").is_visible()
    assert page.locator(".area-node").count() == 1  # their micro-grid, nothing else
    assert page.locator(".trail").inner_text().split() == [
        "银川市",
        "金凤区",
        "测试街道",
        "测试社区",
        "测试第一网格",
    ]
    assert page.get_by_text("别处").count() == 0
    node = page.locator(f'[data-code="{micro_grid.code}"]')
    assert node.locator('[data-count="residents"]').inner_text() == "7"
    aged = node.locator('[data-count="aged60"]')
    assert aged.inner_text() == "3"
    # The stylesheet applied and htmx ran (not just requested).
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "flex"
    assert page.evaluate("typeof htmx") == "object"
    assert axe_check(page) == []
    (settings.VAR_DIR / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(settings.VAR_DIR / "screenshots" / "home.png"), full_page=True)

    with page.expect_navigation():
        aged.click()

    assert page.locator("#total").inner_text() == "3"
    assert page.locator("tr.person").count() == 3
    assert axe_check(page) == []
    assert failed_responses == []


def test_phone_width_tree_and_list_fit_without_sideways_scrolling(
    live_server, browser, login, worker_with_people
) -> None:
    user, micro_grid = worker_with_people
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740})
    phone = context.new_page()
    try:
        login(phone, live_server.url, user)
        scroll = "document.documentElement.scrollWidth <= window.innerWidth"
        assert phone.evaluate(scroll)
        phone.goto(f"{live_server.url}/people/?area={micro_grid.code}")
        assert phone.locator("tr.person").count() == 7
        assert phone.evaluate(scroll)
        (settings.VAR_DIR / "screenshots").mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(settings.VAR_DIR / "screenshots" / "people-phone.png"))
    finally:
        context.close()


def test_wrong_password_stays_on_login_with_message(live_server, page, worker_with_people) -> None:
    user, _ = worker_with_people
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text().startswith("⚠ 用户名或密码不正确")


def test_axe_check_reports_a_serious_violation(page, axe_check) -> None:
    """The accessibility gate can fail: an image without alt text is a critical violation."""
    page.set_content('<html lang="zh-CN"><title>t</title><main><img src="data:,"></main></html>')
    assert [violation["id"] for violation in axe_check(page)] == ["image-alt"]


def test_missing_static_file_is_reported(live_server, page, failed_responses) -> None:
    page.goto(f"{live_server.url}/static/linli/does-not-exist.css")
    assert failed_responses == [f"404 {live_server.url}/static/linli/does-not-exist.css"]
