"""The care walk in a real browser (issue #5): a micro-grid worker on her phone sees an SOS
alert, taps 「我已确认，马上处理」, then 解除 — first as 误报 without a reason (refused in
words), then with one; a daughter on her phone announces her mother's stay with family
on ``/me/away/`` in elder mode (the worker's page shows the badge), then 「已经回家了」.
Every page passes axe-core (no serious or critical violations); the family page meets
the elder-mode sizes (MIIT 2021: body ≥ 18 px, targets ≥ 60×60 px, no sideways scrolling
on a 375 px phone). Screenshots: ``var/screenshots/care_*.png``.

Run on PostgreSQL, as CI does:
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_x .venv/bin/pytest -m browser
linli/care/tests/test_browser_care.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from linli.accounts.services import resident_account_create
from linli.care.models import (
    AlertKind,
    AlertOutcome,
    AlertStatus,
    AwayPeriod,
    CareAlert,
    Watch,
)
from linli.devices.models import EventKind
from linli.orders.tests.test_walk_browser import FITS, log_in_by_code, phone_context, style
from linli.people.models import EmergencyContact, FamilyLink
from linli.testing.browser import log_in
from linli.testing.factories import (
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    WatchFactory,
    care_alert,
    make_id_number,
    staff_user,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAUGHTER_PHONE = "13800000001"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = phone_context(browser)
    yield context.new_page()
    context.close()


@pytest.fixture
def daughter_phone(browser: Any) -> Iterator[Any]:
    context = phone_context(browser)
    yield context.new_page()
    context.close()


def shot(page: Any, name: str) -> None:
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"care_{name}.png"), full_page=True)


def checked(page: Any, axe_check: Any, name: str) -> None:
    """Fits the phone, axe-core clean; then a screenshot."""
    assert page.evaluate(FITS), page.url
    assert axe_check(page) == [], page.url
    shot(page, name)


def elder_sized(page: Any, targets: list[str]) -> None:
    """Elder mode on, body text ≥ 18 px, every visible target ≥ 60×60 px."""
    page.wait_for_load_state()  # a click may still be loading the next page
    assert page.locator("body.elder").count() == 1, page.url
    assert style(page, "body", "fontSize") >= 18
    for selector in targets:
        shown = page.locator(f"{selector} >> visible=true")
        boxes = [shown.nth(i).bounding_box() for i in range(shown.count())]
        assert boxes, selector
        for box in boxes:
            assert box["width"] >= 60 and box["height"] >= 60, (selector, box)


def test_worker_acks_and_resolves_an_alert_and_a_daughter_announces_away_mode(
    live_server: Any, phone: Any, daughter_phone: Any, axe_check: Any, areas: Any
) -> None:
    now = timezone.now()
    home = HouseholdFactory(building=BuildingFactory(micro_grid=areas["micro_grid"], name="7号楼"))
    mother = WatchFactory(
        resident__household=home,
        resident__name="王秀英",
        resident__phone="13912340001",
        resident__id_number=make_id_number(dt.date(1946, 1, 2), seq=2),
        last_sign_at=now - dt.timedelta(hours=2),
        last_sign_kind=EventKind.WATER,
    ).resident
    daughter = ResidentFactory(name="李梅", household=HouseholdFactory(building=home.building))
    FamilyLink.objects.create(
        resident=mother, relative=daughter, relation="女儿", may_act=True, consent_at=now
    )
    EmergencyContact.objects.create(
        resident=mother, name="李梅", relation="女儿", phone=DAUGHTER_PHONE
    )
    resident_account_create(resident=daughter, phone=DAUGHTER_PHONE, actor=None)
    worker = staff_user(areas["micro_grid"], first_name="马微网")
    alert = care_alert(mother, AlertKind.SOS, source_key="sos:browser")
    base = live_server.url
    failures: list[str] = []
    phone.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 500 else None
    )

    # The worker logs in; the navigation offers 关怀守护; the alert is on top with calls.
    log_in(phone, base, worker)
    with phone.expect_navigation():
        phone.get_by_role("link", name="关怀守护").click()
    card = phone.locator(f"#alert-{alert.pk}")
    assert "紧急呼叫 · 王秀英" in card.inner_text()
    assert card.get_by_role("link", name="打给本人 王秀英 13912340001").count() == 1
    assert card.locator(f'a[href="tel:{DAUGHTER_PHONE}"]').count() == 1
    checked(phone, axe_check, "home_alert")

    # 「我已确认，马上处理」.
    with phone.expect_navigation():
        card.get_by_role("button", name="我已确认，马上处理").tap()
    assert phone.url.endswith("/care/")
    assert "已确认处理中" in card.inner_text()
    assert card.get_by_role("button", name="我已确认，马上处理").count() == 0

    # 解除 as 误报 without a reason: refused in words on the alert page, nothing closed.
    card.locator("summary", has_text="解除").tap()
    card.get_by_label("误报", exact=True).check()
    with phone.expect_navigation():
        card.get_by_role("button", name="解除告警").tap()
    assert "误报请写明原因" in phone.locator("#errors").inner_text()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    checked(phone, axe_check, "alert_refused")

    # With the reason it closes; the trail says who did what.
    box = phone.locator("#resolve-box")
    box.get_by_label("误报", exact=True).check()
    box.get_by_label("说明（误报须写明原因）").fill("老人打扫时碰到按钮")
    with phone.expect_navigation():
        box.get_by_role("button", name="解除告警").tap()
    alert.refresh_from_db()
    assert (alert.status, alert.outcome) == (AlertStatus.RESOLVED, AlertOutcome.FALSE_ALARM)
    assert "已解除（误报）" in phone.locator("#alert-status").inner_text()
    trail = phone.locator("#trail").inner_text()
    assert "已确认" in trail and "老人打扫时碰到按钮" in trail and "马微网" in trail
    checked(phone, axe_check, "alert_resolved")
    assert not CareAlert.objects.exclude(status=AlertStatus.RESOLVED).exists()

    # The alert list (all) and the resident page with its learnt routine pass axe too.
    phone.goto(f"{base}/care/alerts/?status=all")
    assert phone.locator(f'[data-pk="{alert.pk}"]').count() == 1
    checked(phone, axe_check, "alerts")
    Watch.objects.filter(resident=mother).update(
        profile=[[0.5] * 168, [1.0] * 84 + [0.25] * 84, [None] * 168],
        tolerance=[[3600.0] * 48, [7200.0] * 48],
        routine_days=21,
    )
    phone.goto(f"{base}/care/residents/{mother.pk}/")
    assert phone.locator("#routine tbody tr").count() == 24
    checked(phone, axe_check, "resident")

    # The daughter, in elder mode, announces her mother's stay until the day after tomorrow.
    log_in_by_code(daughter_phone, base, DAUGHTER_PHONE)
    with daughter_phone.expect_navigation():
        daughter_phone.get_by_role("link", name="家人去亲戚家住？登记外出").tap()
    assert daughter_phone.get_by_label("王秀英（母亲）").is_checked()  # the one under watch
    elder_sized(daughter_phone, [".person-tile", "#announce", "#id_back_date", ".mode-link"])
    checked(daughter_phone, axe_check, "family_form")
    back = timezone.localdate() + dt.timedelta(days=2)
    daughter_phone.get_by_label("哪天回来").fill(back.isoformat())
    daughter_phone.get_by_label("大约几点回来").fill("17:00")
    daughter_phone.get_by_label("去哪里（可不填，例如：去女儿家住）").fill("去女儿家住")
    with daughter_phone.expect_navigation():
        daughter_phone.get_by_role("button", name="登记外出").tap()
    assert "已登记：王秀英（母亲）外出" in daughter_phone.locator("#done").inner_text()
    away = AwayPeriod.objects.get(resident=mother)
    assert timezone.localtime(away.ends_at).date() == back
    elder_sized(daughter_phone, [".away-item button", "#announce"])
    checked(daughter_phone, axe_check, "family_listed")

    # The worker's page shows the away badge with the return time.
    phone.goto(f"{base}/care/")
    row = phone.locator(f'[data-resident="{mother.pk}"]').inner_text()
    assert "外出中" in row and f"{back:%m-%d} 17:00" in row

    # 「已经回家了」.
    with daughter_phone.expect_navigation():
        daughter_phone.get_by_role("button", name="已经回家了").tap()
    assert "已结束" in daughter_phone.locator("#done").inner_text()
    away.refresh_from_db()
    assert away.ended_at is not None
    checked(daughter_phone, axe_check, "family_back")
    assert failures == []
