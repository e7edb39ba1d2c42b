"""Public activity pages (/activities/, /activities/<id>/, the info screen): anyone may
read them; drafts never show, cancelled activities leave the list; places left are
counted from confirmed registrations."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.activities.models import Activity, Session
from linli.activities.services import activity_cancel, registration_create
from linli.activities.tests.conftest import guest, local_at, next_weekday
from linli.eligibility.models import Scheme, Tier
from linli.places.models import Area
from linli.testing.factories import area_chain

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def card_of(page: str, title: str) -> str:
    """The HTML of the list card titled ``title``."""
    for chunk in page.split('<li class="act-card">')[1:]:
        if f">{title}</a>" in chunk:
            return chunk.split("</li>")[0]
    raise AssertionError(f"no card {title!r}")


def test_list_shows_published_activities_to_anonymous_visitors(
    client: Client, make_activity: Callable[..., Activity]
) -> None:
    make_activity(title="消防安全培训", audience="employees")
    response = client.get("/activities/")
    assert response.status_code == 200
    card = card_of(text(response), "消防安全培训")
    assert "培训 · 社区主办" in card
    assert "党群服务中心活动室" in card
    assert "剩余 10 个名额" in card
    assert "辖区企业职工" in card and "免费" in card
    day = timezone.localtime(local_at(7, 10))
    assert f"{day.month}月{day.day}日" in card and "10:00–12:00" in card


def test_list_hides_drafts_cancelled_and_finished_activities(
    client: Client, make_activity: Callable[..., Activity]
) -> None:
    make_activity(title="草稿活动", publish=False)
    cancelled = make_activity(title="取消的活动", sessions=[(local_at(8, 10), local_at(8, 12), "")])
    activity_cancel(activity=cancelled, actor=None, reason="场地维修")
    past = make_activity(title="过去的活动", sessions=[(local_at(9, 10), local_at(9, 12), "")])
    Session.objects.filter(activity=past).update(
        starts_at=timezone.now() - dt.timedelta(days=3),
        ends_at=timezone.now() - dt.timedelta(days=3) + dt.timedelta(hours=2),
    )
    make_activity(title="正常活动", sessions=[(local_at(10, 10), local_at(10, 12), "")])
    page = text(client.get("/activities/"))
    assert "正常活动" in page
    assert "草稿活动" not in page and "取消的活动" not in page and "过去的活动" not in page


def test_places_left_counts_confirmed_registrations_then_offers_the_waitlist(
    client: Client, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity(capacity=2)
    registration_create(activity=activity, participant=guest())
    assert "剩余 1 个名额" in card_of(text(client.get("/activities/")), activity.title)
    registration_create(activity=activity, participant=guest())
    registration_create(activity=activity, participant=guest())  # waitlisted
    card = card_of(text(client.get("/activities/")), activity.title)
    assert "已满，可候补" in card and "剩余" not in card


def test_an_activity_under_way_offers_no_places_and_no_register(
    client: Client, make_activity: Callable[..., Activity]
) -> None:
    # given an activity whose only session started an hour ago and runs for two more
    activity = make_activity(title="正在进行的活动")
    Session.objects.filter(activity=activity).update(
        starts_at=timezone.now() - dt.timedelta(hours=1),
        ends_at=timezone.now() + dt.timedelta(hours=2),
    )
    card = card_of(text(client.get("/activities/")), "正在进行的活动")
    assert "报名已截止" in card and "剩余" not in card
    detail = text(client.get(f"/activities/{activity.pk}/"))
    assert "报名已截止" in detail and "剩余" not in detail and 'id="register"' not in detail


def test_registration_not_yet_open_says_when(
    client: Client, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity(registration_opens=local_at(3, 9))
    card = card_of(text(client.get("/activities/")), activity.title)
    opens = timezone.localtime(local_at(3, 9))
    assert f"{opens.month}月{opens.day}日 09:00 开始报名" in card
    detail = text(client.get(f"/activities/{activity.pk}/"))
    assert 'id="register"' not in detail


def test_list_narrows_to_a_community(
    client: Client, make_activity: Callable[..., Activity]
) -> None:
    make_activity(title="本社区活动")
    other = area_chain("640106003", name="邻近")
    hall = Activity.objects.get().venue
    venue = type(hall).objects.create(area=other["community"], name="邻近活动室", capacity=30)
    make_activity(title="邻近社区活动", area=other["community"], venue=venue)
    everything = text(client.get("/activities/"))
    assert "本社区活动" in everything and "邻近社区活动" in everything
    assert "全部社区" in everything
    chooser = everything.split('id="communities"')[1].split("</form>")[0]
    assert '<select name="community"' in chooser and '<option value="640106001001"' in chooser
    mine = text(client.get("/activities/?community=640106001001"))
    assert "本社区活动" in mine and "邻近社区活动" not in mine
    assert 'href="webcal://testserver/activities/640106001001.ics"' in mine
    assert 'href="http://testserver/activities/640106001001.ics"' in mine
    unknown = text(client.get("/activities/?community=999"))
    assert "没有找到这个社区" in unknown and "邻近社区活动" in unknown


def test_detail_shows_timetable_venue_audience_fee_and_register(
    client: Client, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity(
        title="暑期托管班",
        kind="camp",
        audience="employees_children",
        min_age=6,
        max_age=12,
        summary="职工子女暑期托管",
        sessions=[
            (local_at(8, 9), local_at(8, 11), "开营"),
            (local_at(9, 9), local_at(9, 11), "手工"),
            (local_at(10, 9), local_at(10, 11), "结营"),
        ],
    )
    Session.objects.filter(activity=activity, title="手工").update(cancelled=True)
    page = text(client.get(f"/activities/{activity.pk}/"))
    assert "时间安排（共 2 次）" in page
    assert "开营" in page and "手工 <strong>（本次取消）</strong>" in page
    assert "辖区企业职工子女，6–12 岁，由家长报名" in page
    assert "场地开放时间：每天 08:00–21:00" in page
    assert f'href="/me/activities/{activity.pk}/register/"' in page
    assert "大字模式" in page


def test_detail_of_a_fee_scheme_activity_lists_prices_by_eligibility(
    client: Client, make_activity: Callable[..., Activity]
) -> None:
    scheme = Scheme.objects.create(code="calligraphy", name="书法班收费", list_price_fen=20000)
    Tier.objects.create(
        scheme=scheme,
        priority=1,
        name="70岁以上",
        condition={"fact": "age", "op": ">=", "value": 70},
        price_fen=0,
        reason="高龄免费",
        valid_from=dt.date(2020, 1, 1),
    )
    activity = make_activity(title="书法班", kind="class", fee_scheme=scheme)
    page = text(client.get(f"/activities/{activity.pk}/"))
    assert "按资格定价：70岁以上 免费；其他 200.00 元" in page


def test_fee_text_says_each_price_once_and_no_other_line_after_a_catch_all_tier(
    client: Client, make_activity: Callable[..., Activity]
) -> None:
    scheme = Scheme.objects.create(code="craft", name="手工课收费", list_price_fen=6000)
    Tier.objects.create(
        scheme=scheme,
        priority=1,
        name="困难家庭和留守儿童免费",
        condition={"fact": "age", "op": "<", "value": 14},
        price_fen=0,
        reason="困难家庭免费",
        valid_from=dt.date(2020, 1, 1),
    )
    Tier.objects.create(
        scheme=scheme,
        priority=2,
        name="居民",
        condition={"all": []},
        price_fen=6000,
        reason="居民价",
        valid_from=dt.date(2020, 1, 1),
    )
    activity = make_activity(title="手工课", kind="class", fee_scheme=scheme)
    page = text(client.get(f"/activities/{activity.pk}/"))
    assert "按资格定价：困难家庭和留守儿童免费；居民 60.00 元<" in page
    assert "免费 免费" not in page and "其他" not in page


def test_draft_detail_is_404_and_cancelled_detail_says_so_without_register(
    client: Client, make_activity: Callable[..., Activity]
) -> None:
    draft = make_activity(publish=False)
    assert client.get(f"/activities/{draft.pk}/").status_code == 404
    cancelled = make_activity(sessions=[(local_at(8, 10), local_at(8, 12), "")])
    activity_cancel(activity=cancelled, actor=None, reason="场地维修")
    page = text(client.get(f"/activities/{cancelled.pk}/"))
    assert "本活动已取消" in page and 'id="register"' not in page


def test_elder_mode_applies_to_the_public_pages(
    client: Client, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity()
    client.cookies["linli_elder"] = "1"
    for url in ["/activities/", f"/activities/{activity.pk}/"]:
        assert 'class="public orders-resident activities-page elder"' in text(client.get(url))


def test_screen_shows_the_week_with_qr_codes_and_turns_its_pages(
    client: Client, make_activity: Callable[..., Activity], community: Area
) -> None:
    for day in range(1, 6):
        make_activity(title=f"第{day}天活动", sessions=[(local_at(day, 10), local_at(day, 11), "")])
    make_activity(title="下下周活动", sessions=[(local_at(12, 10), local_at(12, 11), "")])
    first = text(client.get(f"/activities/screen/{community.code}/"))
    assert 'hx-get="?page=1" hx-trigger="every 20s"' in first
    assert '<noscript><meta http-equiv="refresh" content="20;url=?page=1"></noscript>' in first
    assert "第 1/2 页" in first
    assert first.count('<svg role="img"') == 5  # 4 activities and the list's code
    assert "第1天活动" in first and "第5天活动" not in first and "下下周活动" not in first
    second = text(client.get(f"/activities/screen/{community.code}/?page=1"))
    assert "第5天活动" in second and 'hx-get="?page=0"' in second
    assert client.get("/activities/screen/000/").status_code == 404


def test_screen_is_open_to_anonymous_visitors_and_has_no_form(
    client: Client, make_activity: Callable[..., Activity], community: Area
) -> None:
    make_activity()
    page = text(client.get(f"/activities/screen/{community.code}/"))
    assert "<form" not in page and "<a " not in page


def test_detail_states_an_enterprise_venues_hours_outside_production(
    client: Client, make_activity: Callable[..., Activity], plant: Any, plant_yard: Any
) -> None:
    saturday = next_weekday(5)
    activity = make_activity(
        title="混凝土厂环保开放日",
        kind="open_day",
        venue=plant_yard,
        organiser=plant,
        organiser_kind="enterprise",
        sessions=[(local_at(saturday, 9), local_at(saturday, 11), "")],
    )
    page = text(client.get(f"/activities/{activity.pk}/"))
    assert "开放日 · 银川建材混凝土有限公司主办" in page
    assert "场地开放时间：周一至周五 18:00–21:00；周六 09:00–17:00" in page
    assert "周日" not in page.split("场地开放时间")[1].split("</p>")[0]


def test_detail_prints_the_venues_hours_once(
    client: Client, make_activity: Callable[..., Activity], hall: Any
) -> None:
    hall.note = "开放时间 08:00-21:00，周末请提前十分钟到场"
    hall.save()
    activity = make_activity()
    page = text(client.get(f"/activities/{activity.pk}/"))
    assert "场地开放时间：每天 08:00–21:00" in page and ">周末请提前十分钟到场<" in page
    assert page.count("08:00") == 1


def test_public_pages_and_feed_answer_head_requests(
    client: Client, make_activity: Callable[..., Activity], community: Area
) -> None:
    activity = make_activity()
    for url in ["/activities/", f"/activities/{activity.pk}/", f"/activities/{community.code}.ics"]:
        assert client.head(url).status_code == 200
    assert client.post("/activities/").status_code == 405


def test_list_query_count_does_not_grow_with_activities(
    client: Client,
    make_activity: Callable[..., Activity],
    django_assert_max_num_queries: Any,
) -> None:
    for day in range(1, 11):
        make_activity(title=f"活动{day}", sessions=[(local_at(day, 10), local_at(day, 11), "")])
    with django_assert_max_num_queries(8):
        page = text(client.get("/activities/"))
    assert page.count('class="act-card"') == 10
