"""The policy relay in a real browser: a community admin adds a policy with the structured
editor, previews who matches, saves; the software firm's contact reads why it qualifies in
elder mode and applies. Both pages pass axe-core."""

from __future__ import annotations

import pytest

from linli.engagement.models import MatchStatus, PolicyMatch
from linli.engagement.tests.test_policy_support import IT, contact_for
from linli.orgs.models import OrgKind
from linli.people.models import Role
from linli.testing.factories import OrganizationFactory, area_chain, staff_user


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_policy_relay_from_editor_to_application(live_server, page, login, axe_check):
    areas = area_chain()
    admin = staff_user(areas["community"], Role.COMMUNITY_ADMIN)
    firm = OrganizationFactory(
        name="云帆软件", area=areas["community"], industry=IT, employee_count=35
    )
    OrganizationFactory(name="康宁体检", area=areas["community"], kind=OrgKind.CLINIC)
    contact = contact_for(firm)

    login(page, live_server.url, admin)
    page.goto(live_server.url + "/engagement/policies/new/")
    page.get_by_label("政策名称（必填）").fill("人才共有产权住房")
    page.get_by_label("发布机关（必填）").fill("银川市住房和城乡建设局")
    page.get_by_label("适用区域（必填）").select_option(label=str(areas["community"]))
    page.get_by_label("享受内容（必填）").fill("引进人才可申请共有产权住房")
    page.get_by_label("行业（属于其一即可）").fill(IT)
    page.get_by_label("从业人数不少于").fill("10")
    page.get_by_role("button", name="预览符合条件的对象").click()
    page.screenshot(path="/tmp/policies_editor.png", full_page=True)
    assert page.locator("#preview-count").inner_text() == "1"
    assert "云帆软件" in page.locator("#preview-rows").inner_text()
    assert axe_check(page) == []
    page.screenshot(path="/tmp/policies_editor.png", full_page=True)
    page.get_by_role("button", name="保存并匹配").click()
    assert "从业人数 ≥ 10（现 35 人）" in page.locator("#match-table").inner_text()
    assert axe_check(page) == []

    page.context.clear_cookies()
    page.context.add_cookies([{"name": "linli_elder", "value": "1", "url": live_server.url}])
    login(page, live_server.url, contact)
    page.goto(live_server.url + "/biz/policies/")
    page.get_by_role("link", name="人才共有产权住房").click()
    assert "现 35 人" in page.locator("#reasons").inner_text()
    assert axe_check(page) == []
    page.screenshot(path="/tmp/policies_biz.png", full_page=True)
    page.get_by_role("button", name="我要申报").click()
    assert "已申报，等待审核" in page.locator("#status").inner_text()
    assert PolicyMatch.objects.get().status == MatchStatus.APPLIED
