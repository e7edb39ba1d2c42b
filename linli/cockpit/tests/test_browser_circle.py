"""The 15-minute service circle in Chromium on the demo street (scale 0.01).

A street administrator opens ``/cockpit/circle/?kind=canteen``: the table shows every kind
with shares as text, the map draws the 12 buildings outside 15 minutes of a canteen as red
squares (✕) and the rest as green circles (✓); a click on the map fills the what-if form;
placing a canteen at 职工家属楼4号楼 covers the four family blocks (newly covered list). axe-core
finds no serious or critical violation; ``var/screenshots/circle.png``.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from linli.people.models import Role
from linli.places.models import Area, AreaKind, Building
from linli.testing.browser import log_in, run_axe
from linli.testing.factories import staff_user
from linli.testing.seeds import reseed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots"


def test_the_circle_page_in_a_browser(live_server: Any, page: Any) -> None:
    reseed()  # an earlier transactional test may have flushed the seeded catalogue
    call_command("demo", scale=0.01, seed=7, stdout=StringIO())
    street = Area.objects.get(kind=AreaKind.STREET)
    admin = staff_user(street, role=Role.STREET_ADMIN)
    log_in(page, live_server.url, admin)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/cockpit/circle/?area={street.code}&kind=canteen")
    page.wait_for_selector(".leaflet-marker-pane .cc-out")
    assert page.locator(".leaflet-marker-pane .cc-out").count() == 12
    assert page.locator(".leaflet-marker-pane .cc-in").count() == 173 - 12
    assert page.locator(".leaflet-marker-pane .cc-fac").count() == 5
    assert "12 栋" in page.locator("#circle-gaps-title").inner_text()
    assert run_axe(page) == []

    page.locator("#circle-map").scroll_into_view_if_needed()
    box = page.locator("#circle-map").bounding_box()
    # The bottom-right corner: outside the padded bounds of the markers, away from the zoom.
    page.mouse.click(box["x"] + box["width"] - 12, box["y"] + box["height"] - 12)
    assert page.locator("#circle-lat").input_value().startswith("38.")

    family = Building.objects.get(name="职工家属楼4号楼")
    page.locator("#circle-lat").fill(str(family.lat))
    page.locator("#circle-lng").fill(str(family.lng))
    page.locator("#circle-name").fill("园区家属区食堂")
    with page.expect_navigation():
        page.get_by_role("button", name="试算覆盖变化").click()
    page.wait_for_selector(".leaflet-marker-pane .cc-proposed")
    text = page.locator("main").inner_text()
    assert "试算结果：园区家属区食堂" in text and "新覆盖的楼栋" in text
    for n in range(1, 5):
        assert f"职工家属楼{n}号楼" in text
    assert page.locator(".leaflet-marker-pane .cc-new").count() == 4
    assert run_axe(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "circle.png"), full_page=True)
    assert (SHOTS / "circle.png").stat().st_size > 20_000
