"""Dispatcher board (filters, inline actions, paging, query count) and the hotline intake."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linli.cases.models import Case, CaseChannel, CaseStatus
from linli.cases.tests.pages import building, community_category, report
from linli.people.models import Role
from linli.testing.factories import OrganizationFactory, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatcher(areas):  # type: ignore[no-untyped-def]
    return staff_user(areas["community"], Role.DISPATCHER)


@pytest.fixture
def place(areas):  # type: ignore[no-untyped-def]
    return building(areas["micro_grid"])


def test_board_lists_new_cases_in_scope_only(client, dispatcher, areas, other_areas, place) -> None:
    mine = report(areas["micro_grid"])
    theirs = report(other_areas["micro_grid"])
    client.force_login(dispatcher)

    html = client.get("/cases/board/").content.decode()

    assert mine.number in html and theirs.number not in html
    assert 'id="total">1<' in html
    assert f'action="/cases/{mine.number}/register/"' in html


def test_worker_elsewhere_sees_an_empty_board(client, elsewhere, areas, place) -> None:
    report(areas["micro_grid"])
    client.force_login(elsewhere)
    html = client.get("/cases/board/").content.decode()
    assert 'id="total">0<' in html


def test_grid_worker_sees_cases_but_no_dispatch_buttons(client, assigned, areas, place) -> None:
    case = report(areas["micro_grid"])
    client.force_login(assigned)
    html = client.get("/cases/board/").content.decode()
    assert case.number in html
    assert "/register/" not in html


def test_inline_register_then_dispatch_to_an_organisation_returns_to_the_board(
    client, dispatcher, areas, place
) -> None:
    case = report(areas["micro_grid"])
    company = OrganizationFactory.create(
        name="红色物业", kind="property_company", area=areas["community"]
    )
    client.force_login(dispatcher)
    back = "/cases/board/?status=open"

    response = client.post(f"/cases/{case.number}/register/", {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    html = client.get(back).content.decode()
    assert f'value="org:{company.pk}"' in html
    response = client.post(
        f"/cases/{case.number}/dispatch/", {"target": f"org:{company.pk}", "next": back}
    )

    assert response.status_code == 302 and response["Location"] == back
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == CaseStatus.DISPATCHED and fresh.handler_org == company


def test_inline_action_never_redirects_off_site(client, dispatcher, areas, place) -> None:
    case = report(areas["micro_grid"])
    client.force_login(dispatcher)
    response = client.post(
        f"/cases/{case.number}/register/", {"next": "https://evil.example/cases/board/"}
    )
    assert response["Location"] == f"/cases/{case.number}/"


def test_inline_reject_needs_a_reason(client, dispatcher, areas, place) -> None:
    case = report(areas["micro_grid"])
    client.force_login(dispatcher)
    response = client.post(f"/cases/{case.number}/reject/", {"reason": "", "next": "/cases/board/"})
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REPORTED
    response = client.post(
        f"/cases/{case.number}/reject/", {"reason": "重复上报", "next": "/cases/board/"}
    )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REJECTED


def test_filters_by_category_state_overdue_and_area(client, dispatcher, areas, place) -> None:
    leak = report(areas["micro_grid"], name="漏水")
    noise = report(areas["micro_grid"], name="噪音扰民")
    late = report(areas["micro_grid"], name="漏水", description="超时的漏水")
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=2))
    registered = report(areas["micro_grid"], name="漏水", description="已立案的")
    Case.objects.filter(pk=registered.pk).update(status=CaseStatus.REGISTERED)
    client.force_login(dispatcher)

    def numbers(**query: object) -> set[str]:
        html = client.get("/cases/board/", query).content.decode()
        return {c.number for c in (leak, noise, late, registered) if c.number in html}

    assert numbers(category=community_category("噪音扰民").pk) == {noise.number}
    assert numbers(status="registered") == {registered.number}
    assert numbers(overdue="on") == {late.number}
    assert numbers(area=areas["micro_grid"].pk) == {
        c.number for c in (leak, noise, late, registered)
    }


def test_area_outside_scope_is_not_a_filter_choice(
    client, dispatcher, areas, other_areas, place
) -> None:
    report(areas["micro_grid"])
    client.force_login(dispatcher)
    response = client.get("/cases/board/", {"area": other_areas["community"].pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert "选择一个有效的选项" in html
    choices = html.split('name="area"')[1].split("</select>")[0]
    assert f'<option value="{other_areas["community"].pk}"' not in choices
    assert f'<option value="{areas["community"].pk}"' in choices


def test_board_is_paged_and_queries_do_not_grow_with_rows(
    client, dispatcher, areas, place, django_assert_max_num_queries
) -> None:
    company = OrganizationFactory.create(area=areas["community"])
    cases = [report(areas["micro_grid"], description=f"第{n}件") for n in range(30)]
    Case.objects.filter(pk__in=[c.pk for c in cases[::2]]).update(
        status=CaseStatus.REGISTERED, handler_org=company
    )
    client.force_login(dispatcher)

    # session, user, scope, count, rows, coordinator areas, dispatch targets (people,
    # organisations), filter choices (areas, categories), the unread-notification count of
    # base.html: 11 — the same for 25 rows as for 5, so nothing is fetched per row.
    with CaptureQueriesContext(connection) as full_page:
        first = client.get("/cases/board/").content.decode()
    with django_assert_max_num_queries(12):
        second = client.get("/cases/board/", {"page": 2}).content.decode()
    with CaptureQueriesContext(connection) as short_page:
        client.get("/cases/board/", {"page": 2})
    assert len(full_page.captured_queries) == len(short_page.captured_queries) <= 12
    assert first.count('class="board-row"') == 25
    assert second.count('class="board-row"') == 5
    assert "第 2 / 2 页" in second


def test_hotline_intake_files_a_hotline_case_with_the_ticket(
    client, dispatcher, areas, place
) -> None:
    client.force_login(dispatcher)
    assert client.get("/cases/intake/").status_code == 200

    response = client.post(
        "/cases/intake/",
        {
            "ticket": "12345-2026-000871",
            "caller_name": "李先生",
            "caller_phone": "13800001234",
            "category": community_category("噪音扰民").pk,
            "building": place.pk,
            "description": "楼下商铺夜间施工噪音",
        },
    )

    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.number}/"
    assert case.channel == CaseChannel.HOTLINE
    assert case.attributes == {"hotline_ticket": "12345-2026-000871"}
    assert (case.reporter_name, case.reporter_phone) == ("李先生", "13800001234")
    page = client.get(response["Location"]).content.decode()
    assert "工单 12345-2026-000871" in page
    assert "电话 138****1234" in page and "13800001234" not in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"category": ""}, "请选择事件类别"),
        ({"description": "吵" * 4001}, "描述不能超过 4000 个字（现有 4001 个）"),
        ({"building": "", "address": ""}, "请选择楼栋或填写地址"),
        ({"caller_phone": "abc"}, "电话只能包含数字"),
    ],
)
def test_hotline_intake_bad_input(client, dispatcher, areas, place, overrides, message) -> None:
    client.force_login(dispatcher)
    data = {
        "category": community_category("噪音扰民").pk,
        "building": place.pk,
        "description": "噪音",
        **overrides,
    }
    response = client.post("/cases/intake/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Case.objects.exists()


def test_hotline_intake_cannot_use_a_building_of_another_area(
    client, dispatcher, other_areas
) -> None:
    theirs = building(other_areas["micro_grid"])
    client.force_login(dispatcher)
    response = client.post(
        "/cases/intake/",
        {"category": community_category().pk, "building": theirs.pk, "description": "漏水"},
    )
    assert response.status_code == 400
    assert "只能选择您辖区内的楼栋" in response.content.decode()


def test_hotline_intake_with_address_only_asks_for_the_community(
    client, dispatcher, areas, place
) -> None:
    client.force_login(dispatcher)
    data = {"category": community_category().pk, "address": "文化街 12 号", "description": "漏水"}
    response = client.post("/cases/intake/", data)
    assert response.status_code == 400
    assert "请选择所属社区" in response.content.decode()
    assert not Case.objects.exists()
    client.post("/cases/intake/", {**data, "community": areas["community"].pk})
    case = Case.objects.get()
    assert case.area == areas["community"] and case.channel == "hotline"


def test_dispatch_list_puts_property_companies_first_and_cuts_nobody_off(areas) -> None:
    """The demo street has 500+ organisations; the property company must still be offered."""
    from linli.cases.views_actions import dispatch_choices
    from linli.people.models import Role
    from linli.testing.factories import OrganizationFactory, staff_user

    OrganizationFactory.create_batch(320, area=areas["community"])
    company = OrganizationFactory(
        name="银川测试物业服务有限公司", kind="property_company", area=areas["community"]
    )
    street_dispatcher = staff_user(areas["street"], Role.DISPATCHER)
    groups = dispatch_choices(street_dispatcher)
    labels = [label for label, _ in groups]
    assert labels[:3] == ["", "人员", "物业公司"]
    assert dict(groups)["物业公司"] == [(f"org:{company.pk}", company.name)]
    assert len(dict(groups)["企业"]) == 320
