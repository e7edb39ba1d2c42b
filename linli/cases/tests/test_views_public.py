"""The resident report page: step by step, elder mode, rate limit, public status page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from linli.cases.models import Case, CaseChannel, CaseStatus
from linli.cases.tests.pages import building, community_category, report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def place(areas):  # type: ignore[no-untyped-def]
    return building(areas["micro_grid"], name="7号楼")


def answers(areas: Any, place: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "what-category": community_category("漏水").pk,
        "what-description": "7号楼2单元楼道漏水，地上都是水",
        "where-community": areas["community"].pk,
        "where-lat": "",
        "where-lng": "",
        "building-building": place.pk,
        "building-address": "",
        "contact-phone": "13912345678",
    }
    data.update(overrides)
    return data


def submit(client: Client, data: dict[str, Any], step: str = "contact") -> Any:
    return client.post("/report/", {**data, "step": step})


def test_first_step_asks_what_happened_without_log_in(client, areas) -> None:
    community_category()
    response = client.get("/report/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "第 1 步，共 4 步" in html
    assert "发生了什么？" in html
    assert "漏水" in html
    assert "大字模式" in html
    assert html.count('class="primary main"') == 1  # one obvious action


def test_resident_walks_the_steps_and_gets_a_case_number(client, areas, place) -> None:
    data = answers(areas, place)
    step1 = {k: v for k, v in data.items() if k.startswith("what-")}

    where = client.post("/report/", {**step1, "step": "what"})
    assert "在哪里？" in where.content.decode()
    assert "第 2 步，共 4 步" in where.content.decode()
    step2 = {**step1, "where-community": areas["community"].pk}
    which = client.post("/report/", {**step2, "step": "where"})
    assert "在哪栋楼？" in which.content.decode()
    assert "7号楼" in which.content.decode()
    step3 = {**step2, "building-building": place.pk}
    contact = client.post("/report/", {**step3, "step": "building"})
    html = contact.content.decode()
    assert "留个电话（可不留）" in html
    assert "7号楼2单元楼道漏水" in html  # the summary before sending
    assert ">提交<" in html

    done = client.post("/report/", {**step3, "contact-phone": "13912345678", "step": "contact"})

    case = Case.objects.get()
    assert done.status_code == 302
    assert done["Location"] == f"/report/{case.number}/?new=1"
    assert case.channel == CaseChannel.RESIDENT
    assert case.building == place
    assert case.reporter is None
    assert case.reporter_phone == "13912345678"
    page = client.get(done["Location"]).content.decode()
    assert "已提交，谢谢您" in page
    assert case.number in page
    assert "13912345678" not in page


def test_back_button_returns_to_the_previous_step_keeping_answers(client, areas, place) -> None:
    data = answers(areas, place)
    response = client.post("/report/", {**data, "step": "building", "back": "1"})
    html = response.content.decode()
    assert "在哪里？" in html
    assert f'value="{areas["community"].pk}" selected' in html


def test_location_from_the_phone_skips_the_building_step(client, areas, place) -> None:
    areas["micro_grid"].boundary = {
        "type": "Polygon",
        "coordinates": [
            [[106.2, 38.4], [106.3, 38.4], [106.3, 38.5], [106.2, 38.5], [106.2, 38.4]]
        ],
    }
    areas["micro_grid"].save()
    data = answers(areas, place, **{"where-community": "", "building-building": ""})
    data.update({"where-lat": "38.45", "where-lng": "106.25"})

    contact = client.post("/report/", {**data, "step": "where"})
    assert "第 3 步，共 3 步" in contact.content.decode()
    done = submit(client, data)

    assert done.status_code == 302
    case = Case.objects.get()
    assert case.area == areas["micro_grid"] and case.building is None


def test_missing_category_is_asked_again(client, areas, place) -> None:
    response = submit(client, answers(areas, place, **{"what-category": ""}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "请选择是什么问题" in html
    assert "发生了什么？" in html
    assert not Case.objects.exists()


def test_description_over_4000_characters_is_refused(client, areas, place) -> None:
    response = submit(client, answers(areas, place, **{"what-description": "水" * 4001}))
    assert response.status_code == 400
    assert "描述不能超过 4000 个字（现有 4001 个）" in response.content.decode()
    assert not Case.objects.exists()


def test_building_of_another_community_is_refused(client, areas, other_areas, place) -> None:
    theirs = building(other_areas["micro_grid"], name="别处1号楼")
    response = submit(client, answers(areas, place, **{"building-building": theirs.pk}))
    assert response.status_code == 400
    assert "请选择本社区的楼栋" in response.content.decode()
    assert not Case.objects.exists()


def test_neither_building_nor_address_is_refused(client, areas, place) -> None:
    response = submit(client, answers(areas, place, **{"building-building": ""}))
    assert response.status_code == 400
    assert "请选择楼栋，或写下地址" in response.content.decode()


def test_bad_phone_is_refused(client, areas, place) -> None:
    response = submit(client, answers(areas, place, **{"contact-phone": "call me"}))
    assert response.status_code == 400
    assert "电话号码只能是数字" in response.content.decode()
    assert not Case.objects.exists()


def test_script_in_description_is_escaped_in_the_summary(client, areas, place) -> None:
    data = answers(areas, place, **{"what-description": '<script>alert(1)</script>漏水"<b>'})
    html = client.post("/report/", {**data, "step": "building"}).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the hidden field and summary


def test_sixth_report_within_ten_minutes_gets_a_friendly_message(client, areas, place) -> None:
    for _ in range(5):
        assert submit(client, answers(areas, place)).status_code == 302

    response = submit(client, answers(areas, place))

    assert response.status_code == 429
    assert "提交次数有点多，请稍后再试" in response.content.decode()
    assert Case.objects.count() == 5
    other_device = Client(REMOTE_ADDR="10.0.0.9")
    assert submit(other_device, answers(areas, place)).status_code == 302


def test_post_without_csrf_token_is_refused(areas, place) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = submit(strict, answers(areas, place))
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_elder_mode_is_a_cookie_set_by_a_plain_link(client, areas) -> None:
    community_category()
    response = client.get("/report/elder/", {"on": "1", "next": "/report/"})
    assert response.status_code == 302 and response["Location"] == "/report/"
    assert response.cookies["linli_elder"].value == "1"
    html = client.get("/report/").content.decode()
    assert '<body class="public elder">' in html
    assert "切换到标准字号" in html
    client.get("/report/elder/", {"on": "0"})
    assert '<body class="public">' in client.get("/report/").content.decode()


def test_elder_toggle_never_redirects_off_site(client) -> None:
    response = client.get("/report/elder/", {"on": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/report/"


def test_public_status_shows_progress_without_names_or_personal_data(
    client, areas, place, community_admin
) -> None:
    from linli.cases import services

    case = report(areas["micro_grid"], reporter_phone="13900001111", reporter_name="王大妈")
    services.case_register(case=case, actor=community_admin, note="内部备注：联系王大妈")
    community_admin.first_name = "调度员张三"
    community_admin.save()

    response = client.post(f"/report/{case.number}/", {"phone_tail": "1111"})
    html = client.get(response["Location"]).content.decode()

    assert "社区已受理" in html
    assert "立案" in html
    assert "测试社区" in html
    for secret in ["13900001111", "王大妈", "张三", "内部备注", community_admin.username]:
        assert secret not in html
    assert Case.objects.get().status == CaseStatus.REGISTERED


def test_public_status_of_unknown_number_is_404(client, db) -> None:
    assert client.get("/report/640106-20990101-0001/").status_code == 404


def test_a_wrong_number_gets_a_resident_friendly_page_back_to_report(client, db) -> None:
    response = client.get("/report/640106-20990101-0001/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "没有找到这个事件" in html and "640106-20990101-0001" in html
    assert "管辖范围" not in html
    assert 'href="/report/"' in html
    assert "/accounts/login/" not in html
    assert 'id="lookup-number"' in html  # try again right there


def test_report_page_has_a_case_number_box_that_leads_to_the_status_page(
    client, areas, place
) -> None:
    case = report(areas["micro_grid"])

    start = client.get("/report/").content.decode()
    typed = f" {case.number.replace('-', '')} ".translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    response = client.get("/report/status/", {"number": typed})

    assert 'action="/report/status/"' in start and 'name="number"' in start
    assert start.count('class="primary main"') == 1  # still one obvious action
    assert response.status_code == 302
    assert response["Location"] == f"/report/{case.number}/"


def test_a_number_box_entry_that_is_no_case_number_says_so(client, db) -> None:
    response = client.get("/report/status/", {"number": "<b>漏水</b>"})

    html = response.content.decode()
    assert response.status_code == 404
    assert "不像事件编号" in html
    assert "<b>漏水</b>" not in html  # escaped


def test_confirmation_shows_the_number_unbroken_and_a_full_link(client, areas, place) -> None:
    done = submit(client, answers(areas, place))
    case = Case.objects.get()

    html = client.get(done["Location"]).content.decode()

    assert f'<strong class="case-no" id="case-number">{case.number}</strong>' in html
    link = f"http://testserver/report/{case.number}/"
    assert f'<a href="{link}" id="status-link">{link}</a>' in html
    assert 'id="public-timeline"' in html  # the device that filed it sees the progress


def test_a_stranger_with_the_number_sees_only_state_and_category(client, areas, place) -> None:
    """Numbers are sequential: without the phone's last 4 digits, no community, time or
    timeline."""
    case = report(areas["micro_grid"], reporter_phone="13900001111")

    html = Client().get(f"/report/{case.number}/?new=1").content.decode()

    assert "已收到，等待社区受理" in html and "漏水" in html
    assert "测试社区" not in html and 'id="public-timeline"' not in html
    assert "已提交，谢谢您" not in html
    assert 'name="phone_tail"' in html


def test_the_last_four_phone_digits_open_the_timeline(client, areas, place) -> None:
    case = report(areas["micro_grid"], reporter_phone="13900001111")

    wrong = client.post(f"/report/{case.number}/", {"phone_tail": "2222"})
    right = client.post(f"/report/{case.number}/", {"phone_tail": "１１１１"})
    html = client.get(f"/report/{case.number}/").content.decode()

    assert wrong.status_code == 400 and "手机号后 4 位不对" in wrong.content.decode()
    assert right.status_code == 302
    assert 'id="public-timeline"' in html and "测试社区" in html


def test_guessing_phone_digits_is_limited(client, areas, place) -> None:
    case = report(areas["micro_grid"], reporter_phone="13900001111")
    for tail in range(10):
        client.post(f"/report/{case.number}/", {"phone_tail": f"{tail:04d}"})

    response = client.post(f"/report/{case.number}/", {"phone_tail": "1111"})

    assert response.status_code == 400
    assert "输错次数太多" in response.content.decode()
    assert 'id="public-timeline"' not in client.get(f"/report/{case.number}/").content.decode()


def test_a_case_without_a_phone_shows_state_and_category_only(client, areas, place) -> None:
    case = report(areas["micro_grid"])  # a grid patrol report: no reporter phone

    response = client.post(f"/report/{case.number}/", {"phone_tail": ""})
    html = client.get(f"/report/{case.number}/").content.decode()

    assert response.status_code == 200
    assert "漏水" in html and 'id="limited-note"' in html
    assert 'name="phone_tail"' not in html and 'id="public-timeline"' not in html


def test_address_without_building_goes_to_the_chosen_community(client, areas, place) -> None:
    data = answers(areas, place, **{"building-building": "", "building-address": "7号楼旁边"})
    submit(client, data)
    case = Case.objects.get()
    assert case.area == areas["community"] and case.address == "7号楼旁边"
    assert case.building is None


def test_switching_to_elder_mode_mid_way_keeps_the_answers(client, areas, place) -> None:
    data = answers(areas, place)
    step1 = {k: v for k, v in data.items() if k.startswith("what-")}
    step2 = {**step1, "where-community": areas["community"].pk, "step": "where"}

    response = client.post("/report/", {**step2, "elder": "1"})

    html = response.content.decode()
    assert response.status_code == 200
    assert response.cookies["linli_elder"].value == "1"
    assert '<body class="public elder">' in html
    assert "在哪里？" in html  # the same step, not the start
    assert f'value="{areas["community"].pk}" selected' in html
    assert "7号楼2单元楼道漏水" in html  # step 1 rides along
    # Enter in a field submits 下一步: the first submit button of the form comes first.
    assert html.index('class="primary main"') < html.index('name="elder"')
    assert not Case.objects.exists()


def _with_boundary(area: Any) -> None:
    area.boundary = {
        "type": "Polygon",
        "coordinates": [
            [[106.2, 38.4], [106.3, 38.4], [106.3, 38.5], [106.2, 38.5], [106.2, 38.4]]
        ],
    }
    area.save()


def test_where_step_tells_a_denied_location_to_choose_the_community(client, areas) -> None:
    step1 = {"what-category": community_category("漏水").pk, "what-description": "漏水"}

    html = client.post("/report/", {**step1, "step": "what"}).content.decode()

    assert 'data-fail="无法定位，请在下面选择社区"' in html
    assert "在哪个社区？" in html  # the field that message points at


def test_after_locating_the_summary_names_the_community_found(client, areas, place) -> None:
    _with_boundary(areas["micro_grid"])
    data = answers(areas, place, **{"where-community": "", "building-building": ""})
    data.update({"where-lat": "38.45", "where-lng": "106.25"})

    html = client.post("/report/", {**data, "step": "where"}).content.decode()

    assert "您手机的当前位置，在测试社区" in html


def test_a_location_outside_every_community_asks_for_the_community(client, areas, place) -> None:
    _with_boundary(areas["micro_grid"])
    data = answers(areas, place, **{"where-community": "", "building-building": ""})
    data.update({"where-lat": "39.90", "where-lng": "116.40"})  # Beijing

    response = client.post("/report/", {**data, "step": "where"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "不在本平台服务的社区内，请在下面选择社区" in html
    assert "在哪个社区？" in html
    assert not Case.objects.exists()
