"""The cockpit in Chromium on the demo street (issue #9 "The cockpit", screenshot test).

The demo street 金凤街道 is built at scale 0.01 (≈ 20 s: every area, boundary, building and
facility, a few residents, cases, alerts and orders); a street administrator opens
``/cockpit/`` at 1920×1080:

* the map draws the communities' polygons and markers of every layer (cases, alerts,
  orders and workers, facilities), each layer's count next to its toggle;
* 「最后更新 HH:MM:SS」 is shown; unticking a layer removes its markers, ticking brings them back;
* clicking a community's polygon drills in without a page load: the URL's ``?area=``, the
  picker's current area and the layers change;
* with the layer endpoints unreachable the next poll says 「更新失败」 and keeps the markers;
* axe-core finds no serious or critical violation; ``var/screenshots/cockpit.png`` (> 20 kB).

Then the same page at 1366×768 (a common office laptop): the map and the panel column are
visible, no sideways scrolling, axe clean; ``var/screenshots/cockpit_1366.png``.

Run on PostgreSQL as CI does: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_map
.venv/bin/pytest -q -m browser linli/cockpit/tests/test_browser_cockpit.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from linli.care.models import AlertStatus, CareAlert
from linli.cases.models import Case
from linli.cockpit.tests.test_map import make_case, make_order
from linli.orders.models import Offer, OfferStatus, ServiceType, Worker, WorkerStatus
from linli.orders.services import worker_create
from linli.orders.tests.factories import provider
from linli.people.models import Role
from linli.places.models import Area, AreaKind, Building, Household
from linli.testing.browser import log_in, run_axe
from linli.testing.factories import HouseholdFactory, staff_user
from linli.testing.seeds import reseed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots"
LABELS = {
    "cases": "网格事件",
    "alerts": "关怀告警",
    "orders": "服务订单与服务人员",
    "facilities": "设施",
}
FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def markers(page: Any, layer: str) -> int:
    return int(page.locator(f".leaflet-marker-pane .ck-marker-{layer}").count())


def toggle(page: Any, layer: str) -> Any:
    """The layer's checkbox, found by its visible label (「网格事件（3，超期 1）」)."""
    label = LABELS[layer]
    box = page.get_by_role("checkbox", name=re.compile(label))
    assert box.get_attribute("data-layer") == layer
    return box


def ensure_live_rows(street: Area) -> None:
    """Make sure every layer has something to draw, whatever the demo's random draws at this
    scale gave: an overdue and an on-time open case, an open alert, an order in progress with
    its worker's position (added at a demo building, next to the demo's own rows)."""
    now = timezone.now()
    building = Building.objects.filter(micro_grid__path__startswith=street.path).first()
    assert building is not None and building.lat is not None, "the demo has no building"
    household = Household.objects.filter(building=building).first() or HouseholdFactory(
        building=building
    )
    micro = building.micro_grid
    make_case(micro, building, due_at=now - dt.timedelta(hours=2))
    make_case(micro, building, due_at=now + dt.timedelta(hours=2))
    CareAlert.objects.create(
        household=household, area=micro, kind="sos", status=AlertStatus.OPEN, raised_at=now
    )
    service, _ = ServiceType.objects.get_or_create(
        code="map_test",
        defaults={"name": "助浴", "default_duration_s": 3600, "list_price_fen": 3000},
    )
    order = make_order(
        micro,
        building,
        household,
        service_type=service,
        lat=float(building.lat),
        lng=float(building.lng or 0),
    )
    community = Area.objects.get(path=micro.path.rsplit("/", 4)[0] + "/")
    carer = worker_create(provider=provider(community), name="测试护工", phone="13912345670")
    Worker.objects.filter(pk=carer.pk).update(
        status=WorkerStatus.BUSY,
        last_lat=float(building.lat) + 0.001,
        last_lng=float(building.lng or 0),
        last_ping_at=now,
    )
    Offer.objects.create(order=order, worker=carer, status=OfferStatus.ACCEPTED, offered_at=now)
    assert Case.objects.filter(area__path__startswith=street.path).count() >= 2


def open_cockpit(browser: Any, base: str, user: Any, width: int, height: int) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    context.set_default_timeout(20_000)
    page = context.new_page()
    log_in(page, base, user)
    page.goto(f"{base}/cockpit/")
    page.wait_for_selector("#cockpit-map[data-loaded]")
    return page


def test_cockpit_on_the_demo_street(live_server: Any, browser: Any) -> None:
    reseed()  # an earlier transactional test may have flushed the seeded catalogue
    call_command("demo", scale=0.01, seed=7, stdout=StringIO())
    street = Area.objects.get(kind=AreaKind.STREET)
    ensure_live_rows(street)
    admin = staff_user(street, Role.STREET_ADMIN)
    communities = list(Area.objects.filter(parent=street).order_by("code"))
    assert len(communities) == 4 and all(c.boundary for c in communities)
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = open_cockpit(browser, live_server.url, admin, 1920, 1080)
    failures: list[str] = []
    page.on(
        "response",
        lambda r: (
            failures.append(f"{r.status} {r.url}")
            if r.status >= 400 and "/cockpit/kpis/" not in r.url
            else None
        ),
    )
    # Polygons of the four communities, and markers of every layer.
    for community in communities:
        assert page.locator(f'path[data-area="{community.code}"]').count() == 1
    for layer in ("cases", "alerts", "orders", "facilities"):
        assert markers(page, layer) > 0, layer
    assert page.locator(".ck-overdue").count() >= 1  # the overdue shape, with its 「超」
    assert "超" in page.locator(".leaflet-marker-pane .ck-overdue").first.inner_text()
    assert re.search(r"最后更新 \d\d:\d\d:\d\d", page.locator("#cockpit-status").inner_text())
    count_text = page.locator('[data-count="cases"]').inner_text()
    assert re.search(r"（\d+，超期 \d+）", count_text), count_text
    assert run_axe(page) == []
    page.screenshot(path=str(SHOTS / "cockpit.png"))
    shot = SHOTS / "cockpit.png"
    assert shot.exists() and shot.stat().st_size > 20_000

    # Toggling a layer hides and shows its markers.
    cases = markers(page, "cases")
    toggle(page, "cases").uncheck()
    assert markers(page, "cases") == 0
    toggle(page, "cases").check()
    assert markers(page, "cases") == cases

    # Network down: the next poll fails visibly and the markers stay.
    page.route("**/cockpit/layers/**", lambda route: route.abort())
    page.evaluate("() => window.linliCockpit.poll()")
    page.wait_for_selector(".cockpit-status-failed")
    assert "更新失败" in page.locator("#cockpit-status").inner_text()
    assert markers(page, "cases") == cases
    page.unroute("**/cockpit/layers/**")
    page.evaluate("() => window.linliCockpit.poll()")
    page.wait_for_selector("#cockpit-status:not(.cockpit-status-failed)")

    # Drill down: hide the markers, click the first community's polygon.
    for layer in ("cases", "alerts", "orders", "facilities"):
        toggle(page, layer).uncheck()
    target = communities[0]
    page.locator(f'path[data-area="{target.code}"]').click()
    page.wait_for_url(f"**/cockpit/?area={target.code}")
    page.wait_for_selector(f'#cockpit-map[data-loaded="{target.code}"]')
    page.wait_for_selector(f'#cockpit-area-name[data-area="{target.code}"]')
    assert page.locator("#cockpit-area-name").inner_text() == target.name
    grids = Area.objects.filter(parent=target).exclude(boundary=None)
    for grid in grids:
        assert page.locator(f'path[data-area="{grid.code}"]').count() == 1
    assert page.locator(f'path[data-area="{communities[1].code}"]').count() == 0
    # Back in history returns to the street.
    page.go_back()
    page.wait_for_selector(f'#cockpit-map[data-loaded="{street.code}"]')
    assert failures == []
    page.context.close()

    # A 1366×768 laptop: map and panels visible, nothing sideways, axe clean.
    page = open_cockpit(browser, live_server.url, admin, 1366, 768)
    assert page.locator("#cockpit-map").is_visible()
    assert page.locator("#cockpit-panels").is_visible()
    box = page.locator("#cockpit-map").bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] >= 380
    assert page.evaluate(FITS)
    assert markers(page, "cases") == cases
    assert run_axe(page) == []
    page.screenshot(path=str(SHOTS / "cockpit_1366.png"))
    assert (SHOTS / "cockpit_1366.png").stat().st_size > 20_000
    page.context.close()
