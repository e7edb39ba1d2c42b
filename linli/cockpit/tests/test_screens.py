"""Info screens (智慧屏): content assembly, the public kiosk URLs, the staff pages."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escapejs

from linli.activities.services import Participant, registration_create
from linli.cockpit.models import InfoScreen, ScreenNotice
from linli.cockpit.screens import NO_HOTLINE, active_screen, combo_text, screen_content
from linli.cockpit.tests.test_screens_scene import (
    HOTLINE,
    Scene,
    add_activity,
    add_notice,
    build_scene,
    local_at,
)
from linli.cockpit.views_screens import NOTICES_PER_PAGE
from linli.people.models import Role
from linli.places.models import Area, AreaKind
from linli.testing.factories import staff_user

pytestmark = pytest.mark.django_db


def absolute(path: str) -> str:
    return "http://testserver" + path


@pytest.fixture
def scene(db: None) -> Scene:
    return build_scene()


@pytest.fixture
def other(db: None) -> Scene:
    """A second community under another street, with its own screen."""
    return build_scene("640106002", "别处")


@pytest.fixture
def admin_client(scene: Scene) -> Client:
    client = Client()
    client.force_login(scene.admin)
    return client


def content_of(scene: Scene) -> dict:
    screen = active_screen(scene.screen.token)
    assert screen is not None
    return screen_content(screen, absolute)


# --- content assembly ------------------------------------------------------------------------


def test_notices_only_inside_their_date_window(scene: Scene) -> None:
    add_notice(scene, "今天开始今天结束", 0, 0)
    add_notice(scene, "昨天开始明天结束", -1, 1)
    add_notice(scene, "昨天已结束", -5, -1)
    add_notice(scene, "明天才开始", 1, 3)
    titles = [n["title"] for n in content_of(scene)["notices"]]
    assert sorted(titles) == ["今天开始今天结束", "昨天开始明天结束"]


def test_another_communitys_notice_is_not_shown(scene: Scene, other: Scene) -> None:
    add_notice(other, "别处的公告", -1, 1)
    assert content_of(scene)["notices"] == []


def test_menu_today_with_dishes_and_price_tiers(scene: Scene) -> None:
    canteens = content_of(scene)["canteens"]
    assert len(canteens) == 1
    board = canteens[0]
    assert board["name"] == "测试共享食堂"
    [lunch] = board["menus"]
    assert lunch["meal_label"] == "午餐"
    assert lunch["hours"] == "11:00–13:30"
    assert [d["name"] for d in lunch["dishes"]] == [
        "土豆烧牛肉",
        "清炒油麦菜",
        "米饭",
        "紫菜蛋花汤",
    ]
    assert lunch["combo"] == "荤菜 土豆烧牛肉 · 素菜 清炒油麦菜"
    prices = " ".join(board["prices"])
    assert "8.00" in prices and "12.00" in prices
    assert "60" in prices and "低保" in prices and "残疾" in prices


def test_unpublished_or_other_days_menus_are_not_shown(scene: Scene) -> None:
    scene.canteen.menus.update(published=False)
    [board] = content_of(scene)["canteens"]
    assert board["menus"] == [] and board["prices"] == []
    assert board["note"] == "今日菜单尚未公布"
    scene.canteen.menus.update(published=True, date=timezone.localdate() - dt.timedelta(days=1))
    assert content_of(scene)["canteens"][0]["menus"] == []


def test_activities_of_the_next_seven_days_with_register_qr(scene: Scene, other: Scene) -> None:
    soon = add_activity(scene, "三天后的消防培训", 3)
    add_activity(scene, "十天后的书法课", 10)
    add_activity(scene, "草稿活动", 2, publish=False)
    add_activity(other, "别处的活动", 2)
    activities = content_of(scene)["activities"]
    assert [a["title"] for a in activities] == ["三天后的消防培训"]
    item = activities[0]
    register = reverse("activities_resident:register", args=[soon.pk])
    assert item["url"] == "http://testserver" + register
    assert item["qr"].startswith("<svg") and "报名二维码" in item["qr"]
    assert item["venue"] == "测试活动室"
    assert "10:00–12:00" in item["when"]
    assert item["fee"] == "免费"


def test_no_personal_data_in_the_content(scene: Scene) -> None:
    activity = add_activity(scene, "健康讲座", 2)
    registration_create(
        activity=activity, participant=Participant(name="张秀英", phone="13700000001")
    )
    text = json.dumps(content_of(scene), ensure_ascii=False)
    assert "张秀英" not in text and "13700000001" not in text
    assert "剩余 9 个名额" in text


def test_hotline_and_the_fallback_without_one(scene: Scene) -> None:
    assert content_of(scene)["screen"]["hotline_text"] == HOTLINE
    scene.screen.hotline = ""
    scene.screen.save()
    assert content_of(scene)["screen"]["hotline_text"] == NO_HOTLINE


def test_version_changes_with_the_content_only(scene: Scene) -> None:
    first = content_of(scene)["version"]
    assert content_of(scene)["version"] == first
    add_notice(scene, "新公告", 0, 1)
    assert content_of(scene)["version"] != first


# --- public kiosk URLs -----------------------------------------------------------------------


def test_kiosk_page_opens_without_log_in(scene: Scene, client: Client) -> None:
    add_notice(scene, "停水通知", 0, 1)
    response = client.get(f"/screen/{scene.screen.token}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "测试社区" in html and "kiosk-initial" in html
    embedded = html.split('id="kiosk-initial" type="application/json">')[1].split("</script>")[0]
    assert json.loads(embedded)["notices"][0]["title"] == "停水通知"
    assert "/static/linli/kiosk.js" in html and "/static/linli/kiosk.css" in html
    assert response["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.parametrize("suffix", ["", "content.json", "sw.js"])
def test_unknown_token_is_a_404(scene: Scene, client: Client, suffix: str) -> None:
    response = client.get(f"/screen/no-such-token/{suffix}")
    assert response.status_code == 404
    if not suffix:
        assert "没有找到这块屏幕" in response.content.decode()


@pytest.mark.parametrize("suffix", ["", "content.json", "sw.js"])
def test_inactive_screen_is_a_404(scene: Scene, client: Client, suffix: str) -> None:
    scene.screen.is_active = False
    scene.screen.save()
    response = client.get(f"/screen/{scene.screen.token}/{suffix}")
    assert response.status_code == 404


def test_too_long_token_is_a_404(client: Client, db: None) -> None:
    assert client.get("/screen/" + "x" * 200 + "/").status_code == 404


def test_content_json_with_etag_and_304(scene: Scene, client: Client) -> None:
    url = f"/screen/{scene.screen.token}/content.json"
    response = client.get(url)
    assert response.status_code == 200
    body = response.json()
    assert response["ETag"] == f'"{body["version"]}"'
    assert response["Cache-Control"] == "no-cache"
    assert body["screen"]["rotate_seconds"] == 15
    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    add_notice(scene, "新公告", 0, 0)
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200


def test_service_worker_caches_the_shell_and_static_files(scene: Scene, client: Client) -> None:
    token = scene.screen.token
    response = client.get(f"/screen/{token}/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == f"/screen/{token}/"
    script = response.content.decode()
    # The template writes JS strings with escapejs: a "-" in the token becomes \u002D.
    assert f'"{escapejs(f"/screen/{token}/")}"' in script
    assert escapejs("/static/linli/kiosk.css") in script
    assert escapejs("/static/linli/kiosk.js") in script
    assert f'"{escapejs(f"/screen/{token}/content.json")}"' in script


def test_content_json_query_count_does_not_grow(
    scene: Scene, client: Client, django_assert_max_num_queries
) -> None:
    url = f"/screen/{scene.screen.token}/content.json"
    add_notice(scene, "公告1", 0, 1)
    add_activity(scene, "活动1", 2)
    with django_assert_max_num_queries(14) as small:
        client.get(url)
    for n in range(2, 12):
        add_notice(scene, f"公告{n}", 0, 1)
        hours = (local_at(3, 8 + n), local_at(3, 9 + n), "")
        add_activity(scene, f"活动{n}", 3, sessions=[hours])
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.json()["activities"]) == 8
    assert len(response.json()["notices"]) == 8


# --- staff pages -----------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client: Client, db: None) -> None:
    response = client.get("/cockpit/screens/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_caregiver_gets_403(scene: Scene, client: Client) -> None:
    client.force_login(staff_user(scene.community, role=Role.PROVIDER_STAFF))
    assert client.get("/cockpit/screens/").status_code == 403


def test_list_shows_screens_with_kiosk_url_and_qr(
    scene: Scene, other: Scene, admin_client: Client
) -> None:
    add_notice(scene, "停水通知", 0, 2)
    add_notice(other, "别处的公告", 0, 2)
    response = admin_client.get("/cockpit/screens/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"http://testserver/screen/{scene.screen.token}/" in html
    assert "<svg" in html and "停水通知" in html
    assert other.screen.token not in html and "别处的公告" not in html


def test_list_query_count_is_fixed(
    scene: Scene, admin_client: Client, django_assert_max_num_queries
) -> None:
    for n in range(10):
        InfoScreen.objects.create(community=scene.community, name=f"屏{n}")
        add_notice(scene, f"公告{n}", 0, 1)
        add_notice(scene, f"旧公告{n}", -30, -2)
    with django_assert_max_num_queries(12):
        assert admin_client.get("/cockpit/screens/").status_code == 200
    with django_assert_max_num_queries(12):
        assert admin_client.get("/cockpit/screens/?page=2&ended=x").status_code == 200


def screen_post(scene: Scene, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "community": scene.community.pk,
        "name": "食堂门口屏",
        "place": "共享食堂门口",
        "hotline": "0951-1234567",
        "rotate_seconds": 20,
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_create_a_screen(scene: Scene, admin_client: Client) -> None:
    response = admin_client.post("/cockpit/screens/new/", screen_post(scene))
    assert response.status_code == 302
    made = InfoScreen.objects.get(name="食堂门口屏")
    assert made.community == scene.community and made.rotate_seconds == 20
    assert len(made.token) >= 12


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rotate_seconds": 3}, "每页停留时间须在 5–120 秒之间"),
        ({"rotate_seconds": 121}, "每页停留时间须在 5–120 秒之间"),
        ({"rotate_seconds": "abc"}, "每页停留时间须是整数秒"),
        ({"name": "   "}, "请填写屏幕名称"),
        ({"community": ""}, "请选择社区"),
    ],
)
def test_bad_screen_input_saves_nothing(
    scene: Scene, admin_client: Client, changes: dict, message: str
) -> None:
    response = admin_client.post("/cockpit/screens/new/", screen_post(scene, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert InfoScreen.objects.count() == 1


def test_a_community_outside_the_users_areas_is_refused(
    scene: Scene, other: Scene, admin_client: Client
) -> None:
    response = admin_client.post(
        "/cockpit/screens/new/", screen_post(scene, community=other.community.pk)
    )
    assert response.status_code == 400
    assert "请选择您辖区内的社区" in response.content.decode()
    assert not InfoScreen.objects.filter(name="食堂门口屏").exists()


def test_edit_a_screen_and_bad_edit_keeps_old_values(scene: Scene, admin_client: Client) -> None:
    url = f"/cockpit/screens/{scene.screen.pk}/edit/"
    assert admin_client.get(url).status_code == 200
    bad = admin_client.post(url, screen_post(scene, rotate_seconds=3, name="改名"))
    assert bad.status_code == 400
    scene.screen.refresh_from_db()
    assert scene.screen.name == "大厅屏" and scene.screen.rotate_seconds == 15
    good = admin_client.post(url, screen_post(scene, rotate_seconds=5, is_active=""))
    assert good.status_code == 302
    scene.screen.refresh_from_db()
    assert scene.screen.rotate_seconds == 5 and not scene.screen.is_active


@pytest.mark.parametrize(
    "url",
    [
        "/cockpit/screens/{screen}/edit/",
        "/cockpit/screens/{screen}/preview/",
        "/cockpit/screens/{screen}/preview/frame/",
        "/cockpit/screens/notices/{notice}/edit/",
        "/cockpit/screens/notices/{notice}/delete/",
    ],
)
def test_another_communitys_screen_or_notice_is_a_404(
    scene: Scene, other: Scene, admin_client: Client, url: str
) -> None:
    notice = add_notice(other, "别处的公告", 0, 1)
    response = admin_client.get(url.format(screen=other.screen.pk, notice=notice.pk))
    assert response.status_code == 404


def test_another_communitys_token_cannot_be_changed(
    scene: Scene, other: Scene, admin_client: Client
) -> None:
    token = other.screen.token
    assert admin_client.post(f"/cockpit/screens/{other.screen.pk}/token/").status_code == 404
    other.screen.refresh_from_db()
    assert other.screen.token == token


def test_new_token_retires_the_old_address(
    scene: Scene, admin_client: Client, client: Client
) -> None:
    old = scene.screen.token
    assert admin_client.post(f"/cockpit/screens/{scene.screen.pk}/token/").status_code == 302
    scene.screen.refresh_from_db()
    assert scene.screen.token != old
    assert client.get(f"/screen/{old}/").status_code == 404
    assert client.get(f"/screen/{scene.screen.token}/").status_code == 200


def test_preview_works_for_an_inactive_screen(scene: Scene, admin_client: Client) -> None:
    scene.screen.is_active = False
    scene.screen.save()
    page = admin_client.get(f"/cockpit/screens/{scene.screen.pk}/preview/")
    assert page.status_code == 200 and "已停用" in page.content.decode()
    frame = admin_client.get(f"/cockpit/screens/{scene.screen.pk}/preview/frame/")
    assert frame.status_code == 200
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    assert 'data-preview="1"' in frame.content.decode()


def notice_post(scene: Scene, **changes: object) -> dict[str, object]:
    today = timezone.localdate()
    data: dict[str, object] = {
        "community": scene.community.pk,
        "title": "停水通知",
        "body": "12 月 2 日 9:00–15:00 3 号楼停水检修。",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=2)).isoformat(),
    }
    data.update(changes)
    return data


def test_create_edit_and_delete_a_notice(scene: Scene, admin_client: Client) -> None:
    assert admin_client.get("/cockpit/screens/notices/new/").status_code == 200
    assert admin_client.post("/cockpit/screens/notices/new/", notice_post(scene)).status_code == 302
    notice = ScreenNotice.objects.get()
    assert notice.created_by == scene.admin
    url = f"/cockpit/screens/notices/{notice.pk}/edit/"
    assert admin_client.post(url, notice_post(scene, title="停水通知（更正）")).status_code == 302
    notice.refresh_from_db()
    assert notice.title == "停水通知（更正）" and notice.created_by == scene.admin
    delete = f"/cockpit/screens/notices/{notice.pk}/delete/"
    assert "确认删除" in admin_client.get(delete).content.decode()
    assert admin_client.post(delete).status_code == 302
    assert not ScreenNotice.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts_on": "2026-12-10", "ends_on": "2026-12-01"}, "结束日期不能早于开始日期"),
        ({"starts_on": "2026-13-40"}, "开始日期格式应为 2026-05-01"),
        ({"ends_on": ""}, "请填写结束日期"),
        ({"title": "  "}, "请填写标题"),
        ({"title": "长" * 61}, "标题最多 60 个字"),
        ({"body": "字" * 401}, "正文最多 400 个字"),
        ({"body": ""}, "请填写正文"),
        (
            {"starts_on": "2025-01-01", "ends_on": "2025-01-31"},
            "结束日期已过，公告不会在屏幕上显示",
        ),
        ({"community": ""}, "请选择社区"),
    ],
)
def test_bad_notice_input_saves_nothing(
    scene: Scene, admin_client: Client, changes: dict, message: str
) -> None:
    response = admin_client.post("/cockpit/screens/notices/new/", notice_post(scene, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ScreenNotice.objects.exists()


def test_reversed_dates_on_edit_keep_the_old_notice(scene: Scene, admin_client: Client) -> None:
    notice = add_notice(scene, "旧公告", 0, 3)
    response = admin_client.post(
        f"/cockpit/screens/notices/{notice.pk}/edit/",
        notice_post(scene, starts_on="2026-12-10", ends_on="2026-12-01"),
    )
    assert response.status_code == 400
    notice.refresh_from_db()
    assert notice.title == "旧公告"


# --- newcomer-walk fixes -----------------------------------------------------------------------


def test_combination_wording_has_no_stacked_colons() -> None:
    assert combo_text(["黄焖鸡"], ["家常豆腐"]) == "荤菜 黄焖鸡 · 素菜 家常豆腐"
    assert combo_text(["黄焖鸡", "红烧肉"], ["家常豆腐"]) == (
        "荤菜任选其一 黄焖鸡、红烧肉 · 素菜 家常豆腐"
    )
    assert combo_text([], ["家常豆腐"]) == ""


def test_an_ended_notice_keeps_its_dates_on_edit_but_may_not_move_into_the_past(
    scene: Scene, admin_client: Client
) -> None:
    notice = add_notice(scene, "旧公告", -20, -10)
    url = f"/cockpit/screens/notices/{notice.pk}/edit/"
    kept = notice_post(
        scene,
        title="旧公告（更正）",
        starts_on=notice.starts_on.isoformat(),
        ends_on=notice.ends_on.isoformat(),
    )
    assert admin_client.post(url, kept).status_code == 302
    moved = dict(kept, ends_on=(notice.ends_on - dt.timedelta(days=1)).isoformat())
    response = admin_client.post(url, moved)
    assert response.status_code == 400
    assert "结束日期已过，公告不会在屏幕上显示" in response.content.decode()
    notice.refresh_from_db()
    assert notice.title == "旧公告（更正）"
    assert notice.ends_on == timezone.localdate() - dt.timedelta(days=10)
    # a notice ending today is still accepted
    today = timezone.localdate().isoformat()
    assert admin_client.post(url, dict(kept, starts_on=today, ends_on=today)).status_code == 302


def test_every_notice_is_reachable_on_the_list(scene: Scene, admin_client: Client) -> None:
    old = ScreenNotice.objects.create(
        community=scene.community,
        title="去年的旧公告",
        body="正文",
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 1, 31),
    )
    for n in range(NOTICES_PER_PAGE + 4):
        add_notice(scene, f"结束公告{n:02d}", -10, -1)
    for n in range(NOTICES_PER_PAGE + 2):
        add_notice(scene, f"当前公告{n:02d}", 0, 5)
    first = admin_client.get("/cockpit/screens/").content.decode()
    assert f"已结束（{NOTICES_PER_PAGE + 5} 条）" in first
    assert f"展示中和未开始（{NOTICES_PER_PAGE + 2} 条）" in first
    assert "去年的旧公告" not in first  # ended longest ago: on the last page
    assert "?ended=2" in first and "?page=2" in first
    last = admin_client.get("/cockpit/screens/?page=2&ended=2").content.decode()
    assert "去年的旧公告" in last and "当前公告" in last
    assert f"/cockpit/screens/notices/{old.pk}/edit/" in last
    assert f"/cockpit/screens/notices/{old.pk}/delete/" in last
    assert "page=2" in last  # the other section's page is kept in the links
    seen = set()
    for query in ("", "?page=2&ended=2"):
        html = admin_client.get("/cockpit/screens/" + query).content.decode()
        seen |= {n.pk for n in ScreenNotice.objects.all() if f"notices/{n.pk}/edit/" in html}
    assert seen == set(ScreenNotice.objects.values_list("pk", flat=True))


def test_addresses_and_qr_codes_use_the_site_url_when_set(
    scene: Scene, admin_client: Client, client: Client, settings
) -> None:
    soon = add_activity(scene, "三天后的消防培训", 3)
    local = admin_client.get("/cockpit/screens/").content.decode()
    assert f"http://testserver/screen/{scene.screen.token}/" in local
    assert "LINLI_SITE_URL" in local  # says the addresses follow this page's host

    settings.NOTIFY_SITE_URL = "https://linli.example.gov.cn/"
    html = admin_client.get("/cockpit/screens/").content.decode()
    assert f"https://linli.example.gov.cn/screen/{scene.screen.token}/" in html
    assert "testserver/screen/" not in html and 'id="site-url-note"' not in html
    preview = admin_client.get(f"/cockpit/screens/{scene.screen.pk}/preview/").content.decode()
    assert f"https://linli.example.gov.cn/screen/{scene.screen.token}/" in preview
    register = reverse("activities_resident:register", args=[soon.pk])
    body = client.get(f"/screen/{scene.screen.token}/content.json").json()
    assert body["activities"][0]["url"] == "https://linli.example.gov.cn" + register


def second_community(scene: Scene) -> Area:
    street = scene.areas["street"]
    code = street.code + "002"
    return Area.objects.create(
        code=code,
        kind=AreaKind.COMMUNITY,
        name="第二社区",
        parent=street,
        path=f"{street.path}{code}/",
    )


@pytest.mark.parametrize("url", ["/cockpit/screens/notices/new/", "/cockpit/screens/new/"])
def test_a_street_admin_must_choose_the_community(scene: Scene, client: Client, url: str) -> None:
    second_community(scene)
    client.force_login(staff_user(scene.areas["street"], role=Role.STREET_ADMIN))
    html = client.get(url).content.decode()
    assert '<option value="" selected>（请选择社区）</option>' in html
    assert "第二社区" in html and html.count(" selected>") == 1
    response = client.post("/cockpit/screens/notices/new/", notice_post(scene, community=""))
    assert response.status_code == 400 and "请选择社区" in response.content.decode()
    assert not ScreenNotice.objects.exists()


@pytest.mark.parametrize("url", ["/cockpit/screens/notices/new/", "/cockpit/screens/new/"])
def test_a_user_with_one_community_gets_it_preselected(
    scene: Scene, admin_client: Client, url: str
) -> None:
    html = admin_client.get(url).content.decode()
    assert f'<option value="{scene.community.pk}" selected>' in html
