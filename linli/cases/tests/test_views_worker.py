"""Grid-worker pages: my cases, report a case, duplicate hints, case detail, photos."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from linli.cases.models import Case, CaseChannel, CasePhoto, CaseStatus
from linli.cases.tests.pages import building, community_category, jpeg, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def place(areas):  # type: ignore[no-untyped-def]
    return building(areas["micro_grid"])


def post_report(client, **fields):  # type: ignore[no-untyped-def]
    return client.post("/cases/new/", fields)


@pytest.mark.parametrize("url", ["/cases/mine/", "/cases/new/", "/cases/board/", "/cases/intake/"])
def test_anonymous_is_sent_to_log_in(client, url) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_anonymous_cannot_open_a_case(client, areas, place) -> None:
    case = report(areas["micro_grid"])
    response = client.get(f"/cases/{case.number}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_worker_reports_with_category_building_and_photo(client, assigned, areas, place) -> None:
    client.force_login(assigned)
    category = community_category("漏水")
    page = client.get("/cases/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    assert "3号楼" in html

    response = client.post(
        "/cases/new/",
        {"category": category.pk, "building": place.pk, "photo": jpeg()},
    )

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.number}/"
    assert case.channel == CaseChannel.GRID_PATROL
    assert case.reporter == assigned
    assert case.area == areas["micro_grid"]
    assert case.building == place
    assert case.description == "网格员巡查上报"
    assert CasePhoto.objects.filter(case=case).count() == 1
    detail = client.get(response["Location"])
    assert f"已上报，事件编号 {case.number}" in detail.content.decode()


def test_worker_report_with_location_from_the_browser(client, assigned, areas) -> None:
    areas["micro_grid"].boundary = {
        "type": "Polygon",
        "coordinates": [
            [[106.2, 38.4], [106.3, 38.4], [106.3, 38.5], [106.2, 38.5], [106.2, 38.4]]
        ],
    }
    areas["micro_grid"].save()
    client.force_login(assigned)
    category = community_category("漏水")

    response = client.post(
        "/cases/new/",
        {"category": category.pk, "lat": "38.45", "lng": "106.25", "description": "路灯不亮"},
    )

    assert response.status_code == 302
    case = Case.objects.get()
    assert (str(case.lat), str(case.lng)) == ("38.450000", "106.250000")
    assert case.area == areas["micro_grid"]


def test_report_without_category_is_refused(client, assigned, place) -> None:
    client.force_login(assigned)
    response = post_report(client, building=place.pk, description="有问题")
    assert response.status_code == 400
    assert "请选择事件类别" in response.content.decode()
    assert not Case.objects.exists()


def test_report_without_building_or_location_is_refused(client, assigned, place) -> None:
    client.force_login(assigned)
    response = post_report(client, category=community_category().pk)
    assert response.status_code == 400
    assert "请选择楼栋，或点“使用我的位置”" in response.content.decode()
    assert not Case.objects.exists()


def test_report_with_bad_coordinates_is_refused(client, assigned, place) -> None:
    client.force_login(assigned)
    response = post_report(client, category=community_category().pk, lat="95", lng="106.2")
    assert response.status_code == 400
    assert "坐标超出范围" in response.content.decode()


def test_description_over_4000_characters_is_refused(client, assigned, place) -> None:
    client.force_login(assigned)
    response = post_report(
        client, category=community_category().pk, building=place.pk, description="漏" * 4001
    )
    assert response.status_code == 400
    assert "描述不能超过 4000 个字（现有 4001 个）" in response.content.decode()
    assert not Case.objects.exists()


def test_non_image_photo_is_refused_and_nothing_filed(client, assigned, place) -> None:
    client.force_login(assigned)
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    response = client.post(
        "/cases/new/", {"category": community_category().pk, "building": place.pk, "photo": fake}
    )
    assert response.status_code == 400
    assert "这个文件不是图片或已损坏" in response.content.decode()
    assert not Case.objects.exists()


def test_worker_cannot_pick_a_building_of_another_area(client, elsewhere, place) -> None:
    client.force_login(elsewhere)
    response = post_report(client, category=community_category().pk, building=place.pk)
    assert response.status_code == 400
    assert "只能选择您网格内的楼栋" in response.content.decode()
    assert not Case.objects.exists()


def test_script_in_description_is_shown_escaped(client, assigned, place) -> None:
    client.force_login(assigned)
    post_report(
        client,
        category=community_category().pk,
        building=place.pk,
        description='<script>alert("x")</script>水管 <3 "坏了"',
    )
    case = Case.objects.get()
    html = client.get(f"/cases/{case.number}/").content.decode()
    assert "<script>alert" not in html
    assert "&lt;3 &quot;坏了&quot;" in html


def test_my_cases_lists_open_cases_soonest_due_first_with_text_labels(
    client, assigned, areas, place, elsewhere, other_areas
) -> None:
    now = timezone.now()
    late = report(areas["micro_grid"], description="早就该处理的漏水")
    Case.objects.filter(pk=late.pk).update(due_at=now - dt.timedelta(hours=3))
    soon = report(areas["micro_grid"], description="马上到期的漏水")
    Case.objects.filter(pk=soon.pk).update(due_at=now + dt.timedelta(hours=1))
    later = report(areas["micro_grid"], description="不急的漏水")
    Case.objects.filter(pk=later.pk).update(due_at=now + dt.timedelta(days=3))
    closed = report(areas["micro_grid"], description="已经结案的")
    Case.objects.filter(pk=closed.pk).update(status=CaseStatus.CLOSED)
    theirs = report(other_areas["micro_grid"], description="别处的事")
    client.force_login(assigned)

    html = client.get("/cases/mine/").content.decode()

    assert html.index(late.number) < html.index(soon.number) < html.index(later.number)
    assert closed.number not in html and theirs.number not in html
    assert "已超时 3 小时" in html and "⚠" in html
    assert "即将到期" in html
    assert 'id="count-open">3<' in html
    assert 'id="count-overdue">1<' in html
    assert "测试微网格1" in html


def test_detail_of_another_area_is_404(client, elsewhere, areas, place) -> None:
    case = report(areas["micro_grid"])
    client.force_login(elsewhere)
    assert client.get(f"/cases/{case.number}/").status_code == 404
    assert client.get("/cases/640106-20990101-0001/").status_code == 404


def test_detail_shows_timeline_in_shanghai_time(client, assigned, areas, place) -> None:
    reported = dt.datetime(2026, 6, 8, 1, 30, tzinfo=dt.UTC)  # 09:30 in Shanghai
    case = report(areas["micro_grid"], reporter=assigned, now=reported)
    client.force_login(assigned)

    html = client.get(f"/cases/{case.number}/").content.decode()

    assert "2026-06-08 09:30" in html
    assert "上报" in html and "已上报" in html
    assert case.number in html


def test_photo_original_for_staff_and_404_for_another_area(
    client, assigned, elsewhere, areas, place
) -> None:
    client.force_login(assigned)
    client.post(
        "/cases/new/",
        {"category": community_category().pk, "building": place.pk, "photo": jpeg()},
    )
    case = Case.objects.get()
    photo = CasePhoto.objects.get()
    url = f"/cases/{case.number}/photos/{photo.pk}/"
    assert url in client.get(f"/cases/{case.number}/").content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    client.force_login(elsewhere)
    assert client.get(url).status_code == 404


def test_duplicate_hint_offers_open_case_of_same_category_nearby(
    client, assigned, areas, place
) -> None:
    existing = report(areas["micro_grid"], building=place, description="楼道漏水")
    other_kind = report(areas["micro_grid"], building=place, name="噪音扰民")
    far = building(areas["micro_grid"], name="远处楼")
    far.lat = "38.530000"  # ~5.5 km north
    far.save()
    far_case = report(areas["micro_grid"], building=far, description="远处的漏水")
    client.force_login(assigned)

    response = client.get(
        "/cases/new/duplicates/",
        {"category": existing.category_id, "building": place.pk},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert existing.number in html
    assert other_kind.number not in html and far_case.number not in html
    assert f"/cases/{existing.number}/?open=note#add-note" in html
    assert "相距约 0 米" in html


def test_duplicate_hint_is_empty_without_a_location(client, assigned, areas, place) -> None:
    report(areas["micro_grid"], building=place)
    client.force_login(assigned)
    response = client.get("/cases/new/duplicates/", {"category": community_category().pk})
    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_my_cases_queries_do_not_grow_with_cases(client, assigned, areas, place) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(assigned)
    report(areas["micro_grid"])
    with CaptureQueriesContext(connection) as one:
        client.get("/cases/mine/")
    for n in range(12):
        report(areas["micro_grid"], description=f"第{n}件")
    with CaptureQueriesContext(connection) as many:
        html = client.get("/cases/mine/").content.decode()
    assert html.count('class="case-item') == 13
    assert len(many.captured_queries) == len(one.captured_queries)


def test_same_case_link_opens_the_note_form(client, assigned, areas, place) -> None:
    case = report(areas["micro_grid"], building=place)
    client.force_login(assigned)
    html = client.get(f"/cases/{case.number}/", {"open": "note"}).content.decode()
    assert '<details class="action" id="add-note" open>' in html


class PropertyCompany:
    """A property employee assigned to the community (with the company as unit), a case
    dispatched to the company, one dispatched to the employee, one they take part in, and
    an unrelated case in the same community."""

    def __init__(self, areas) -> None:  # type: ignore[no-untyped-def]
        from linli.cases import services
        from linli.cases.models import ParticipantRole
        from linli.people.models import Assignment, Role
        from linli.places.models import AreaKind
        from linli.places.services import area_create
        from linli.testing.factories import OrganizationFactory, staff_user

        area_create(
            code=areas["grid"].code + "02",
            kind=AreaKind.MICRO_GRID,
            name="测试微网格2",
            parent=areas["grid"],
        )
        self.org = OrganizationFactory.create(name="金凤苑物业", kind="property_company")
        self.staff = staff_user(areas["community"], Role.PROPERTY_STAFF)
        Assignment.objects.filter(user=self.staff).update(organization=self.org)
        dispatcher = staff_user(areas["community"], Role.DISPATCHER)
        micro = areas["micro_grid"]

        def dispatched(description: str, **target):  # type: ignore[no-untyped-def]
            case = report(micro, description=description)
            services.case_register(case=case, actor=dispatcher)
            return services.case_dispatch(case=case, actor=dispatcher, **target)

        self.to_org = dispatched("派给物业公司的漏水", handler_org=self.org)
        self.to_person = dispatched("派给物业员工本人的漏水", handler=self.staff)
        self.taking_part = report(micro, description="物业参与的漏水")
        services.case_add_participant(
            case=self.taking_part,
            actor=dispatcher,
            role=ParticipantRole.PROPERTY_COMPANY,
            organization=self.org,
        )
        self.unrelated = report(micro, description="与物业无关的漏水")


def test_property_staff_see_their_own_and_their_companys_cases_not_the_whole_community(
    client, areas, place
) -> None:
    company = PropertyCompany(areas)
    client.force_login(company.staff)

    html = client.get("/cases/mine/").content.decode()

    for case in (company.to_org, company.to_person, company.taking_part):
        assert case.number in html
    assert company.unrelated.number not in html
    assert 'id="count-open">3<' in html
    assert 'id="count-mine">2<' in html  # dispatched to them or to their company


def test_property_staff_header_summarises_the_community_and_names_the_company(
    client, areas, place
) -> None:
    company = PropertyCompany(areas)
    client.force_login(company.staff)

    html = client.get("/cases/mine/").content.decode()

    assert "负责区域：测试社区（2 个微网格）" in html
    assert "测试微网格2" not in html
    assert "单位：金凤苑物业" in html


def test_staff_without_a_coordinator_role_get_no_board_or_intake_links(
    client, areas, place
) -> None:
    company = PropertyCompany(areas)
    client.force_login(company.staff)

    html = client.get("/cases/mine/").content.decode()
    board = client.get("/cases/board/").content.decode()

    assert "/cases/board/" not in html and "/cases/intake/" not in html
    assert 'id="board-readonly"' in board and "/cases/intake/" not in board


def test_coordinators_keep_the_board_and_intake_links(client, areas, place) -> None:
    from linli.people.models import Role
    from linli.testing.factories import staff_user

    client.force_login(staff_user(areas["community"], Role.COMMUNITY_ADMIN))

    html = client.get("/cases/mine/").content.decode()
    board = client.get("/cases/board/").content.decode()

    assert "/cases/board/" in html and "/cases/intake/" in html
    assert 'id="board-readonly"' not in board


def test_micro_grid_worker_still_sees_every_open_case_of_the_micro_grid(
    client, assigned, areas, place
) -> None:
    company = PropertyCompany(areas)
    client.force_login(assigned)

    html = client.get("/cases/mine/").content.decode()

    assert company.unrelated.number in html and company.to_org.number in html
    assert 'id="count-mine">0<' in html


def _timeline_items(html: str) -> list[str]:
    start = html.index('<ol class="timeline">')
    return html[start : html.index("</ol>", start)].split("<li>")[1:]


def test_timeline_names_each_actors_role_and_unit(client, areas, place) -> None:
    from linli.cases import services
    from linli.cases.tests.lifecycle import Actors

    actors = Actors(areas)
    actors.dispatcher.first_name = "王芳"
    actors.dispatcher.save()
    case = report(areas["micro_grid"], reporter=actors.grid_worker)
    services.case_register(case=case, actor=actors.dispatcher)
    services.case_dispatch(case=case, actor=actors.dispatcher, handler_org=actors.org)
    services.case_accept(case=case, actor=actors.handler)
    client.force_login(actors.dispatcher)

    items = _timeline_items(client.get(f"/cases/{case.number}/").content.decode())

    assert "（微网格员）" in items[0]
    assert "操作人：王芳（调度员）" in items[1]
    handler = actors.handler.get_full_name() or actors.handler.username
    assert f"操作人：{handler}（物业人员 · 测试物业公司）" in items[3]


def test_timeline_shows_only_the_action_when_the_state_does_not_change(
    client, assigned, areas, place
) -> None:
    from linli.cases import services

    case = report(areas["micro_grid"])
    services.case_add_note(case=case, actor=assigned, note="已电话联系住户")
    client.force_login(assigned)

    items = _timeline_items(client.get(f"/cases/{case.number}/").content.decode())

    assert "→ 已上报" in items[0]  # the report itself moves the case into a state
    assert "备注" in items[1] and "已电话联系住户" in items[1]
    assert "→" not in items[1] and "transition" not in items[1]


def test_a_report_without_an_account_names_the_reporter_and_channel(
    client, assigned, areas, place
) -> None:
    case = report(areas["micro_grid"], reporter_name="李女士", channel=CaseChannel.HOTLINE)
    client.force_login(assigned)

    items = _timeline_items(client.get(f"/cases/{case.number}/").content.decode())

    assert "操作人：李女士（12345 热线）" in items[0]
    assert "系统" not in items[0]
