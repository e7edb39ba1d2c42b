"""Back office of cases: scoped, read-only cases with their timeline; categories edited in
hours; Open311 keys shown once and stored only as a hash."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.cases.models import Case, CaseCategory, CaseStatus, Open311Key
from linli.cases.open311.keys import open311_key_check
from linli.cases.tests.lifecycle import (  # noqa: F401
    Actors,
    fast_passwords,
    report,
    superuser,
    walk_to,
)
from linli.common.pii import lookup_hash
from linli.people.models import Role
from linli.testing.factories import staff_user

pytestmark = [pytest.mark.usefixtures("fast_passwords"), pytest.mark.django_db]
CASES = "admin:cases_case_changelist"


def test_cases_are_scoped_and_read_only_with_the_timeline(client, areas, assigned, elsewhere):  # type: ignore[no-untyped-def]
    actors = Actors(areas)
    case = walk_to(report(areas["micro_grid"], reporter_phone="13912345678"), "dispatched", actors)
    client.force_login(assigned)
    listing = client.get(reverse(CASES))
    assert listing.status_code == 200 and case.number in listing.content.decode()
    page = client.get(reverse("admin:cases_case_change", args=[case.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "时间线" in html and "派遣" in html and "立案" in html
    assert "139****5678" in html and "13912345678" not in html
    assert 'name="_save"' not in html  # no way to edit a case here
    post = client.post(reverse("admin:cases_case_change", args=[case.pk]), {"title": "改"})
    assert post.status_code == 403
    assert Case.objects.get(pk=case.pk).title != "改"
    client.force_login(elsewhere)
    assert case.number not in client.get(reverse(CASES)).content.decode()
    assert client.get(reverse("admin:cases_case_change", args=[case.pk])).status_code == 404


def test_overdue_and_category_filters(client, areas, community_admin):  # type: ignore[no-untyped-def]
    late = report(areas["micro_grid"], description="迟了")
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    fresh = report(areas["micro_grid"], description="刚报", name="停车")
    Case.objects.filter(pk=fresh.pk).update(due_at=timezone.now() + dt.timedelta(hours=1))
    client.force_login(community_admin)
    overdue = client.get(reverse(CASES), {"overdue": "yes"}).content.decode()
    assert late.number in overdue and fresh.number not in overdue
    parking = client.get(reverse(CASES), {"category": "SQ03"}).content.decode()
    assert fresh.number in parking and late.number not in parking
    handled = client.get(reverse(CASES), {"status__exact": CaseStatus.CLOSED}).content.decode()
    assert late.number not in handled


def test_street_admin_edits_limits_in_hours(client, areas):  # type: ignore[no-untyped-def]
    report(areas["micro_grid"])  # seeds the categories
    category = CaseCategory.objects.get(code="SQ04")
    street_admin = staff_user(areas["street"], Role.STREET_ADMIN)
    client.force_login(street_admin)
    listing = client.get(reverse("admin:cases_casecategory_changelist")).content.decode()
    assert "噪音扰民" in listing and "└ 暴露垃圾" in listing
    url = reverse("admin:cases_casecategory_change", args=[category.pk])
    page = client.get(url).content.decode()
    assert 'name="handle_hours"' in page and 'value="14"' in page  # 2 working days
    data = {
        "code": "SQ04",
        "name": "噪音扰民",
        "kind": "community",
        "priority": 3,
        "working_time": "on",
        "register_hours": "1.5",
        "dispatch_hours": "2",
        "handle_hours": "21",
        "verify_hours": "7",
        "open311_public": "on",
        "open311_attributes": "[]",
        "active": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    category.refresh_from_db()
    assert (category.register_limit, category.handle_limit) == (5400, 21 * 3600)
    # a community admin may look but not change
    client.force_login(staff_user(areas["community"], Role.COMMUNITY_ADMIN))
    assert client.get(url).status_code == 200
    assert client.post(url, {**data, "handle_hours": "1"}).status_code == 403
    category.refresh_from_db()
    assert category.handle_limit == 21 * 3600


def test_open311_key_is_shown_once_and_stored_as_a_hash(client, areas, community_admin):  # type: ignore[no-untyped-def]
    client.force_login(superuser())
    response = client.post(reverse("admin:cases_open311key_add"), {"name": "12345 热线对接"})
    html = response.content.decode()
    assert response.status_code == 200 and "只显示这一次" in html
    key = re.search(r'id="open311-key"[^>]*value="([^"]+)"', html)[1]  # type: ignore[index]
    row = Open311Key.objects.get()
    assert row.key_hash == lookup_hash(key) and key.startswith(row.key_prefix)
    assert open311_key_check(key) == row
    assert key not in client.get(reverse("admin:cases_open311key_changelist")).content.decode()
    page = client.get(reverse("admin:cases_open311key_change", args=[row.pk])).content.decode()
    assert key not in page and row.key_prefix in page
    # staff without superuser rights cannot see or create keys
    client.force_login(community_admin)
    assert client.get(reverse("admin:cases_open311key_changelist")).status_code == 403
    assert client.post(reverse("admin:cases_open311key_add"), {"name": "x"}).status_code == 403
    assert Open311Key.objects.count() == 1


def test_text_with_markup_is_never_rendered_raw(client, areas, community_admin):  # type: ignore[no-untyped-def]
    case = report(
        areas["micro_grid"],
        title="1 < 2 & <script>x()</script>",
        description='井盖丢失 <img src=x onerror="alert(1)"> 3 > 2',
    )
    client.force_login(community_admin)
    html = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "<script>x()" not in html and "<img src=x" not in html and "onerror" not in html
    assert "1 &lt; 2 &amp; x()" in html
