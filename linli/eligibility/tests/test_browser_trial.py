"""试算 in a real browser: a grid worker checks the canteen price of a resident turning 60."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from linli.eligibility.models import Scheme
from linli.testing.factories import ResidentFactory, make_id_number, staff_user


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_grid_worker_runs_a_trial_quote(live_server, page, login, axe_check):
    # transaction=True flushes the seed migration's rows: seed again through the migration.
    import importlib

    from django.apps import apps

    from linli.testing.factories import area_chain

    importlib.import_module("linli.eligibility.migrations.0002_seed_canteen_meal").seed(apps, None)
    areas = area_chain()
    worker = staff_user(areas["micro_grid"])
    birth = dt.date(1966, 11, 29)
    number = make_id_number(birth)
    ResidentFactory(id_number=number, birth_date=birth)
    scheme = Scheme.objects.get(code="canteen_meal")

    login(page, live_server.url, worker)
    page.goto(live_server.url + reverse("admin:eligibility_scheme_changelist"))
    page.get_by_role("link", name="试算").click()
    page.get_by_label("居民").fill(number)
    page.get_by_label("日期").fill("2026-11-29")
    page.get_by_role("button", name="试算").click()
    assert page.locator("#trial-result").inner_text() == "结果：8.00 元（优惠价）"
    assert "年满 60 周岁（60 岁）" in page.locator("#trial-reason").inner_text()
    assert page.url.endswith(reverse("admin:eligibility_scheme_trial", args=[scheme.pk]))
    assert axe_check(page) == []
    page.screenshot(path="/tmp/eligibility_trial.png", full_page=True)
