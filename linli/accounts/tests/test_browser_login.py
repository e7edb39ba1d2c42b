"""In a real browser on a phone, elder mode: number → code → my account.

Measured (MIIT 2021): body ≥ 18 px, main action ≥ 30 px, targets ≥ 60×60 px, page fits
the 375 px screen; axe-core: no serious or critical violations. The code is read from the
console SMS outbox, as a developer would read it in the log. Screenshots:
``var/screenshots/accounts_*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from linli.accounts.tests.conftest import DAUGHTER_PHONE, code_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("linli.accounts.tests.urls"),
]
FITS = "document.documentElement.scrollWidth <= window.innerWidth"


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


def style(page: Any, selector: str, prop: str) -> float:
    value = page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")
    return float(str(value).removesuffix("px"))


def assert_elder_sizes(page: Any, targets: list[str]) -> None:
    assert page.locator("body.elder").count() == 1
    assert style(page, "body", "fontSize") >= 18
    assert style(page, ".main", "fontSize") >= 30  # the page's one main action
    for selector in targets:
        for box in [
            page.locator(selector).nth(i).bounding_box()
            for i in range(page.locator(selector).count())
        ]:
            assert box["width"] >= 60 and box["height"] >= 60, selector
    assert page.evaluate(FITS)


def shot(page: Any, name: str) -> None:
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"accounts_{name}.png"), full_page=True)


def test_daughter_logs_in_on_a_phone_in_elder_mode(
    live_server, phone, axe_check, family, sms_outbox
) -> None:
    failures: list[str] = []
    phone.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    phone.goto(f"{live_server.url}/me/login/")
    assert axe_check(phone) == []
    with phone.expect_navigation():
        phone.get_by_role("button", name="大字模式（老年人适用）").tap()
    assert_elder_sizes(phone, ["button.main", ".mode-link", "#id_phone"])
    assert axe_check(phone) == []
    shot(phone, "login_phone_elder")

    phone.get_by_label("手机号码").fill("139 1234")
    with phone.expect_navigation():
        phone.get_by_role("button", name="获取验证码").tap()
    assert "手机号码不正确" in phone.locator(".error").first.inner_text()
    assert "⚠" in phone.locator(".error").first.inner_text()  # not colour alone
    assert axe_check(phone) == []

    phone.get_by_label("手机号码").fill(DAUGHTER_PHONE)
    with phone.expect_navigation():
        phone.get_by_role("button", name="获取验证码").tap()
    assert "如该号码已登记，验证码已发送" in phone.locator("#sent-notice").inner_text()
    assert_elder_sizes(phone, ["button.main", ".link-button", ".mode-link", "#id_code"])
    assert axe_check(phone) == []
    shot(phone, "login_code_elder")

    phone.get_by_label("短信验证码").fill("12ab56")
    with phone.expect_navigation():
        phone.get_by_role("button", name="登录").tap()
    assert "验证码只有数字" in phone.locator(".error").first.inner_text()
    assert axe_check(phone) == []

    phone.get_by_label("短信验证码").fill(code_in(sms_outbox[-1]))
    with phone.expect_navigation():
        phone.get_by_role("button", name="登录").tap()
    assert phone.url.endswith("/me/")
    assert "王丽" in phone.locator("#me").inner_text()
    acts_for = phone.locator("#acts-for").inner_text()
    assert "李秀英" in acts_for and "李秀兰" not in acts_for
    assert_elder_sizes(phone, [".main", ".link-button", ".mode-link"])
    assert axe_check(phone) == []
    shot(phone, "me_elder")
    assert failures == []
