"""The KPI panels in Chromium on the demo street (issue #9 "Every number drills down").

The demo street is built at scale 0.01; a street administrator opens ``/cockpit/``: the
panel column loads by htmx with every panel (figures or a 「missing」 sentence), axe-core
finds nothing serious inside it; clicking a count opens its list, whose total is the
figure; the drill list is axe clean and offers 「导出 Excel」. A police officer (registry
but no sensitive right) sees 「无权查看」 for 残疾 and 低保.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from linli.people.models import Role
from linli.places.models import Area, AreaKind
from linli.testing.browser import log_in, run_axe
from linli.testing.factories import staff_user
from linli.testing.seeds import reseed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_PANELS = """async () => (await axe.run('#kpi-panels')).violations
    .filter(v => ['serious', 'critical'].includes(v.impact))
    .map(v => ({id: v.id, targets: v.nodes.map(n => n.target).slice(0, 5)}))"""


def open_panels(browser: Any, base: str, user: Any, area: Area) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    context.set_default_timeout(30_000)
    page = context.new_page()
    log_in(page, base, user)
    page.goto(f"{base}/cockpit/?area={area.code}")
    page.wait_for_selector("#kpi-panels")
    return page


def test_panels_and_drill_downs_on_the_demo_street(live_server: Any, browser: Any) -> None:
    reseed()  # an earlier transactional test may have flushed the seeded catalogue
    call_command("demo", scale=0.01, seed=7, stdout=StringIO())
    street = Area.objects.get(kind=AreaKind.STREET)
    admin = staff_user(street, Role.STREET_ADMIN)
    page = open_panels(browser, live_server.url, admin, street)
    titles = page.locator(".kpi-panel h3").all_inner_texts()
    assert titles == ["事件", "服务订单", "关怀告警", "社区食堂", "活动", "企业服务", "人口"]
    # Evaluated, not added as a <script> tag: the page's CSP refuses inline scripts.
    page.evaluate(Path("node_modules/axe-core/axe.min.js").read_text(encoding="utf-8"))
    assert page.evaluate(AXE_PANELS) == []

    # Every count with a link: open it and compare the list's total with the figure.
    links = page.locator(".kpi-value a")
    targets = [
        (links.nth(i).inner_text(), links.nth(i).get_attribute("href"))
        for i in range(links.count())
    ]
    assert len(targets) >= 8
    value, href = next((v, h) for v, h in targets if h and "/cockpit/kpis/drill/alerts_" in h)
    with page.expect_navigation():
        page.locator(f'.kpi-value a[href="{href}"]').click()
    assert page.locator("#total").inner_text() == value.replace(",", "")
    assert page.get_by_role("link", name="导出 Excel").count() == 1
    assert run_axe(page) == []
    for value, href in targets:
        if "/cockpit/kpis/drill/canteen_" in (href or ""):
            continue  # a list of canteen days; its column adds up to the figure
        page.goto(f"{live_server.url}{href}")
        assert page.locator("#total").first.inner_text() == value.replace(",", ""), href
    page.context.close()

    police = staff_user(street, Role.POLICE)
    page = open_panels(browser, live_server.url, police, street)
    registry = page.locator("#kpi-registry").inner_text()
    assert registry.count("无权查看") == 2
    page.context.close()
