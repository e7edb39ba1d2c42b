"""Caregiver phone pages at /work/ (linli.orders.views_work), on the daughter-for-mother scene.

The clock is the scene's (DAY 10:00, carers on shift 08–18): ``timezone.now`` is replaced
by a clock the tests move, so offers expire when a test says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from typing import Any

import prcoords
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from linli.common.models import PiiAccessLog
from linli.orders.dispatching import dispatch, offer_accept
from linli.orders.models import (
    Offer,
    OfferStatus,
    Order,
    OrderEvent,
    OrderPhoto,
    OrderStatus,
    Worker,
    WorkerStatus,
)
from linli.orders.ordering import (
    order_arrive,
    order_cancel,
    order_en_route,
    order_place,
    order_start,
)
from linli.orders.tests.factories import DAY, local
from linli.testing.factories import staff_user

pytestmark = pytest.mark.django_db


@dataclasses.dataclass
class Clock:
    now: dt.datetime

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch, scene) -> Clock:  # type: ignore[no-untyped-def]
    moving = Clock(scene.now)
    monkeypatch.setattr(timezone, "now", lambda: moving.now)
    return moving


@pytest.fixture
def carers(scene, clock) -> list[Worker]:  # type: ignore[no-untyped-def]
    """The scene's three caregivers, each with a log-in (``carer0``…)."""
    for index, carer in enumerate(scene.carers):
        carer.user = User.objects.create_user(f"carer{index}", password="pw")
        carer.save(update_fields=["user"])
    return list(scene.carers)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def place(scene, code: str = "bath_assist", **kwargs: Any) -> Order:  # type: ignore[no-untyped-def]
    order = order_place(
        service_type=scene.service(code),
        resident=scene.mother,
        placed_by=scene.daughter_user,
        now=scene.now,
        **kwargs,
    )
    return order


@pytest.fixture
def offered(scene, carers) -> tuple[Order, Worker]:  # type: ignore[no-untyped-def]
    """Mother's bath ordered by the daughter and offered to one caregiver."""
    order = dispatch(place(scene, note="二楼，敲门大声些"), now=scene.now)
    offer = order.offers.get(status=OfferStatus.PENDING)
    return order, offer.worker


@pytest.fixture
def held(scene, offered) -> tuple[Order, Worker]:  # type: ignore[no-untyped-def]
    order, carer = offered
    return offer_accept(order=order, worker=carer, now=scene.now), carer


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    return buffer.getvalue()


def upload(name: str, data: bytes) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def page_text(response: Any) -> str:
    return response.content.decode()


def step_url(order: Order, step: str) -> str:
    return reverse(f"work:{step}", args=[order.pk])


# --- the offer --------------------------------------------------------------------------


def test_offer_is_shown_on_top_with_its_time_limit_as_text(scene, offered) -> None:  # type: ignore[no-untyped-def]
    order, carer = offered
    html = page_text(client_for(carer.user).get(reverse("work:today")))
    assert "助浴服务" in html and order.address in html and "二楼，敲门大声些" in html
    assert "还剩" in html and ">90</strong> 秒" in html  # the countdown works without JS
    assert "10:01:30" in html  # the deadline, local time
    assert "约 " in html and " 米" in html  # distance from the service station
    assert html.index("新派单") < html.index("我承接的订单") < html.index("今日计划")
    assert f'action="{reverse("work:accept", args=[order.pk])}"' in html


def test_other_carers_see_no_offer(scene, offered, carers) -> None:  # type: ignore[no-untyped-def]
    _, carer = offered
    other = next(c for c in carers if c != carer)
    html = page_text(client_for(other.user).get(reverse("work:today")))
    assert "暂无新派单" in html and "助浴服务" not in html


def test_offer_area_poll_answers_204_until_something_changes(scene, offered, clock) -> None:  # type: ignore[no-untyped-def]
    order, carer = offered
    client = client_for(carer.user)
    offer = order.offers.get(status=OfferStatus.PENDING)
    url = reverse("work:offer_area")
    assert client.get(url, {"shown": f"{offer.pk}-p"}).status_code == 204
    fragment = client.get(url, {"shown": "none"})
    assert fragment.status_code == 200 and "助浴服务" in page_text(fragment)
    assert 'hx-trigger="every 15s, refresh"' in page_text(fragment)
    clock.advance(90)  # time is up: the area changes even before the sweep runs
    late = client.get(url, {"shown": f"{offer.pk}-p"})
    assert late.status_code == 200 and "接单时间已过" in page_text(late)
    assert ">接单</button>" not in page_text(late)


def test_accept_takes_the_order_and_opens_its_page(scene, offered) -> None:  # type: ignore[no-untyped-def]
    order, carer = offered
    response = client_for(carer.user).post(reverse("work:accept", args=[order.pk]), follow=True)
    order.refresh_from_db()
    carer.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    assert carer.status == WorkerStatus.BUSY
    assert response.redirect_chain[-1][0] == reverse("work:order", args=[order.pk])
    assert "已接单" in page_text(response)


def test_decline_with_reason_moves_the_order_to_the_next_carer(scene, offered, carers) -> None:  # type: ignore[no-untyped-def]
    order, carer = offered
    response = client_for(carer.user).post(
        reverse("work:decline", args=[order.pk]), {"reason": "正在另一户服务"}, follow=True
    )
    assert "已拒单" in page_text(response)
    assert order.offers.get(worker=carer).status == OfferStatus.DECLINED
    assert OrderEvent.objects.get(order=order, action="decline").note == "正在另一户服务"
    nxt = order.offers.get(status=OfferStatus.PENDING)
    assert nxt.worker != carer
    assert "助浴服务" in page_text(client_for(nxt.worker.user).get(reverse("work:today")))


def test_accepting_an_expired_offer_shows_a_message_and_moves_on(scene, offered, clock) -> None:  # type: ignore[no-untyped-def]
    order, carer = offered
    clock.advance(91)
    response = client_for(carer.user).post(reverse("work:accept", args=[order.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("work:today")
    assert "接单已超时，订单已转给其他服务人员" in page_text(response)
    assert order.offers.get(worker=carer).status == OfferStatus.EXPIRED
    assert order.offers.get(status=OfferStatus.PENDING).worker != carer
    order.refresh_from_db()
    assert order.status == OrderStatus.ASSIGNED


def test_a_second_tap_on_accept_or_decline_is_not_an_error(scene, offered, carers) -> None:  # type: ignore[no-untyped-def]
    order, carer = offered
    client = client_for(carer.user)
    client.post(reverse("work:accept", args=[order.pk]))
    again = client.post(reverse("work:accept", args=[order.pk]), follow=True)
    assert again.redirect_chain[-1][0] == reverse("work:order", args=[order.pk])
    assert "失效" not in page_text(again)
    other = dispatch(place(scene), now=scene.now).offers.get(status=OfferStatus.PENDING)
    client = client_for(other.worker.user)
    client.post(reverse("work:decline", args=[other.order_id]))
    again = client.post(reverse("work:decline", args=[other.order_id]), follow=True)
    assert "失效" not in page_text(again) and again.status_code == 200
    assert other.order.offers.filter(worker=other.worker).count() == 1


def test_a_long_decline_reason_is_refused_and_the_offer_kept(scene, offered) -> None:  # type: ignore[no-untyped-def]
    order, carer = offered
    response = client_for(carer.user).post(
        reverse("work:decline", args=[order.pk]), {"reason": "忙" * 201}, follow=True
    )
    assert "原因最多 200 字" in page_text(response)
    assert order.offers.get(worker=carer).status == OfferStatus.PENDING


def test_accept_of_an_order_never_offered_is_404(scene, offered, carers) -> None:  # type: ignore[no-untyped-def]
    order, carer = offered
    other = next(c for c in carers if c != carer)
    response = client_for(other.user).post(reverse("work:accept", args=[order.pk]))
    assert response.status_code == 404
    assert order.offers.get(worker=carer).status == OfferStatus.PENDING


# --- the order page and its steps -------------------------------------------------------


def buttons(html: str) -> list[str]:
    labels = ["出发", "已到达", "开始服务", "完成服务"]
    return [label for label in labels if f">{label}</button>" in html]


def test_each_step_shows_only_the_buttons_its_state_allows(scene, held) -> None:  # type: ignore[no-untyped-def]
    order, carer = held
    client = client_for(carer.user)
    page = reverse("work:order", args=[order.pk])
    assert buttons(page_text(client.get(page))) == ["出发", "已到达"]
    for step, status, shown in [
        ("en_route", OrderStatus.EN_ROUTE, ["已到达"]),
        ("arrive", OrderStatus.ARRIVED, ["开始服务", "完成服务"]),
        ("start", OrderStatus.IN_SERVICE, ["完成服务"]),
    ]:
        response = client.post(step_url(order, step), follow=True)
        order.refresh_from_db()
        assert order.status == status
        assert buttons(page_text(response)) == shown
    assert order.arrived_at == scene.now and order.started_at == scene.now


def test_complete_with_note_and_photo(scene, held) -> None:  # type: ignore[no-untyped-def]
    order, carer = held
    for service in (order_arrive, order_start):
        service(order=order, worker=carer, now=scene.now)
    response = client_for(carer.user).post(
        step_url(order, "complete"),
        {
            "note": "洗浴顺利，老人精神好",
            "photos": [upload("a.jpg", jpeg()), upload("b.jpg", jpeg())],
        },
        follow=True,
    )
    order.refresh_from_db()
    carer.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.completion_note == "洗浴顺利，老人精神好"
    assert OrderPhoto.objects.filter(order=order).count() == 2
    assert carer.status == WorkerStatus.AVAILABLE  # free again for the next offer
    assert response.redirect_chain[-1][0] == reverse("work:today")
    assert f"已完成服务：{order.number}" in page_text(response)
    done = page_text(client_for(carer.user).get(reverse("work:order", args=[order.pk])))
    assert "服务已完成" in done and "已上传 2 张照片" in done and buttons(done) == []


def test_invalid_photo_bytes_are_refused_and_nothing_changes(scene, held) -> None:  # type: ignore[no-untyped-def]
    order, carer = held
    order_arrive(order=order, worker=carer, now=scene.now)
    response = client_for(carer.user).post(
        step_url(order, "complete"),
        {"note": "已洗浴", "photos": [upload("x.jpg", b"not an image at all")]},
    )
    assert response.status_code == 400
    assert "⚠" in page_text(response) and "已洗浴</textarea>" in page_text(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.ARRIVED and order.completion_note == ""
    assert not OrderPhoto.objects.filter(order=order).exists()


def test_a_step_the_state_does_not_allow_is_409(scene, held) -> None:  # type: ignore[no-untyped-def]
    order, carer = held
    events = OrderEvent.objects.filter(order=order).count()
    response = client_for(carer.user).post(step_url(order, "start"))
    assert response.status_code == 409
    assert "不能开始服务" in page_text(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    assert OrderEvent.objects.filter(order=order).count() == events


def test_a_repeated_tap_changes_nothing(scene, held) -> None:  # type: ignore[no-untyped-def]
    order, carer = held
    client = client_for(carer.user)
    client.post(step_url(order, "en_route"))
    events = OrderEvent.objects.filter(order=order).count()
    assert client.post(step_url(order, "en_route")).status_code == 302
    assert OrderEvent.objects.filter(order=order).count() == events


def test_a_carer_who_does_not_hold_the_order_gets_404_and_cannot_move_it(  # type: ignore[no-untyped-def]
    scene, held, carers
) -> None:
    order, carer = held
    other = client_for(next(c for c in carers if c != carer).user)
    assert other.get(reverse("work:order", args=[order.pk])).status_code == 404
    events = OrderEvent.objects.filter(order=order).count()
    for step in ("en_route", "arrive", "start", "complete"):
        response = other.post(step_url(order, step), {"note": "x"})
        assert response.status_code == 403
        assert "您没有承接此订单" in page_text(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    assert OrderEvent.objects.filter(order=order).count() == events


def test_an_order_cancelled_under_the_carer_is_shown_and_cannot_be_moved(scene, held) -> None:  # type: ignore[no-untyped-def]
    order, carer = held
    order_en_route(order=order, worker=carer, now=scene.now)
    staff = staff_user(scene.areas["community"])
    order_cancel(order=order, actor=staff, reason="家属来电：老人已住院", now=scene.now)
    client = client_for(carer.user)
    response = client.post(step_url(order, "arrive"))
    assert response.status_code == 403
    assert "订单已取消，无需继续服务。家属来电：老人已住院" in page_text(response)
    html = page_text(client.get(reverse("work:today")))
    withdrawn = html[html.index('id="withdrawn"') : html.index("我承接的订单")]
    assert "订单已取消（家属来电：老人已住院）" in withdrawn
    assert 'id="held"' not in html  # nothing left under way


def test_the_pending_offer_does_not_open_the_order_page(scene, offered) -> None:  # type: ignore[no-untyped-def]
    order, carer = offered
    assert client_for(carer.user).get(reverse("work:order", args=[order.pk])).status_code == 404


def test_order_page_names_the_resident_by_surname_and_logs_the_phone(scene, held) -> None:  # type: ignore[no-untyped-def]
    order, carer = held
    type(scene.mother).objects.filter(pk=scene.mother.pk).update(sex="F")
    html = page_text(client_for(carer.user).get(reverse("work:order", args=[order.pk])))
    assert "王女士" in html and "王秀英" not in html
    assert scene.mother.id_number_masked not in html
    assert f'href="tel:{scene.mother.phone}"' in html
    assert f'href="tel:{scene.daughter.phone}"' in html  # the family member who booked
    logged = PiiAccessLog.objects.filter(user=carer.user, fields="电话")
    assert {row.subject_id for row in logged} == {scene.mother.pk, scene.daughter.pk}
    assert all(order.number in row.purpose for row in logged)


def test_phone_is_not_shown_once_the_order_is_over(scene, held) -> None:  # type: ignore[no-untyped-def]
    order, carer = held
    order_arrive(order=order, worker=carer, now=scene.now)
    client = client_for(carer.user)
    client.post(step_url(order, "complete"), {"note": ""})
    html = page_text(client.get(reverse("work:order", args=[order.pk])))
    assert "服务已完成" in html and "tel:" not in html


def test_navigation_links_use_gcj02_for_amap_and_wgs84_for_geo(scene, held) -> None:  # type: ignore[no-untyped-def]
    order, carer = held
    html = page_text(client_for(carer.user).get(reverse("work:order", args=[order.pk])))
    gcj = prcoords.wgs_gcj(prcoords.Coords(order.lat, order.lng))
    assert f"https://uri.amap.com/marker?position={gcj.lon:.6f},{gcj.lat:.6f}" in html
    assert abs(gcj.lon - order.lng) > 1e-4  # the shift is real, not a copy of WGS-84
    assert f"geo:{order.lat:.6f},{order.lng:.6f}" in html


def test_a_crew_member_waits_for_the_second_before_setting_off(scene, carers) -> None:  # type: ignore[no-untyped-def]
    order = dispatch(place(scene, workers_needed=2), now=scene.now)
    first, second = order.offers.filter(status=OfferStatus.PENDING).order_by("pk")
    client_for(first.worker.user).post(reverse("work:accept", args=[order.pk]))
    html = page_text(client_for(first.worker.user).get(reverse("work:order", args=[order.pk])))
    assert "等待同组服务人员接单" in html and buttons(html) == []
    client_for(second.worker.user).post(reverse("work:accept", args=[order.pk]))
    html = page_text(client_for(first.worker.user).get(reverse("work:order", args=[order.pk])))
    assert buttons(html) == ["出发", "已到达"] and second.worker.name in html


# --- held orders and today's plan -------------------------------------------------------


def test_held_orders_are_listed_in_sequence_with_their_state(scene, held) -> None:  # type: ignore[no-untyped-def]
    order, carer = held
    order_en_route(order=order, worker=carer, now=scene.now)
    html = page_text(client_for(carer.user).get(reverse("work:today")))
    held_part = html[html.index('id="held"') : html.index("今日计划")]
    assert reverse("work:order", args=[order.pk]) in held_part and "在路上" in held_part


def test_todays_and_tomorrows_plans_list_visits_in_time_order(scene, carers) -> None:  # type: ignore[no-untyped-def]
    carer = carers[0]
    later = place(scene, "housekeeping", slot_start=local(DAY, 15), slot_end=local(DAY, 16))
    earlier = place(scene, "housekeeping", slot_start=local(DAY, 13), slot_end=local(DAY, 14))
    tomorrow = place(
        scene,
        "housekeeping",
        slot_start=local(DAY + dt.timedelta(days=1), 9),
        slot_end=local(DAY + dt.timedelta(days=1), 10),
    )
    for order in (later, earlier, tomorrow):
        Offer.objects.create(order=order, worker=carer, offered_at=scene.now, planned=True)
    html = page_text(client_for(carer.user).get(reverse("work:today")))
    plan = html[html.index('id="plan"') : html.index("明日计划")]
    assert plan.index(">13:00</time>–") < plan.index(">15:00</time>–")
    assert ">14:00</time>" in plan and ">16:00</time>" in plan
    assert ">09:00</time>" not in plan  # tomorrow's visit is not today's plan
    assert plan.count(">确认安排</button>") == 2
    ahead = html[html.index('id="plan-tomorrow"') :]
    assert ">09:00</time>–<time" in ahead and ahead.count(">确认安排</button>") == 1
    response = client_for(carer.user).post(reverse("work:accept", args=[earlier.pk]))
    assert response.status_code == 302
    assert earlier.offers.get(worker=carer).status == OfferStatus.ACCEPTED


def test_the_today_page_costs_the_same_queries_for_one_or_many_orders(scene, carers) -> None:  # type: ignore[no-untyped-def]
    carer = carers[0]
    client = client_for(carer.user)
    counts = []
    for extra in (1, 4):
        for _ in range(extra):
            order = place(scene, "housekeeping", slot_start=local(DAY, 13), slot_end=local(DAY, 14))
            Offer.objects.create(
                order=order, worker=carer, offered_at=scene.now, status=OfferStatus.ACCEPTED
            )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("work:today")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10


# --- status ---------------------------------------------------------------------------


def test_status_toggle(scene, carers) -> None:  # type: ignore[no-untyped-def]
    carer = carers[0]
    client = client_for(carer.user)
    response = client.post(reverse("work:status"), {"status": "on_break"}, follow=True)
    carer.refresh_from_db()
    assert carer.status == WorkerStatus.ON_BREAK
    assert 'aria-pressed="true" class="is-current"><span aria-hidden="true">✔ </span>休息' in (
        page_text(response)
    )
    response = client.post(reverse("work:status"), {"status": "busy"}, follow=True)
    assert "请选择上线、休息或下线" in page_text(response)
    carer.refresh_from_db()
    assert carer.status == WorkerStatus.ON_BREAK


def test_going_off_duty_is_refused_while_holding_an_order(scene, held) -> None:  # type: ignore[no-untyped-def]
    _, carer = held
    response = client_for(carer.user).post(reverse("work:status"), {"status": "off"}, follow=True)
    assert "处理完后才能下线" in page_text(response)
    carer.refresh_from_db()
    assert carer.status == WorkerStatus.BUSY


# --- pings ------------------------------------------------------------------------------


def test_ping_as_json_is_stored_with_the_current_time(scene, carers) -> None:  # type: ignore[no-untyped-def]
    carer = carers[0]
    response = client_for(carer.user).post(
        reverse("work:ping"),
        json.dumps({"lat": 38.4712, "lng": 106.2311, "accuracy": 12.5}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json() == {"ok": True, "stored": True}
    carer.refresh_from_db()
    assert (carer.last_lat, carer.last_lng, carer.last_accuracy_m) == (38.4712, 106.2311, 12.5)
    assert carer.last_ping_at == scene.now


def test_ping_as_form_fields_is_stored(scene, carers) -> None:  # type: ignore[no-untyped-def]
    carer = carers[0]
    response = client_for(carer.user).post(reverse("work:ping"), {"lat": "38.47", "lng": "106.23"})
    assert response.status_code == 200
    carer.refresh_from_db()
    assert (carer.last_lat, carer.last_lng, carer.last_accuracy_m) == (38.47, 106.23, None)


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ("{not json", "application/json", "不是有效的 JSON"),
        ("[38.47, 106.23]", "application/json", "应为 JSON 对象"),
        ('{"lng": 106.23}', "application/json", "缺少纬度"),
        ('{"lat": "北纬38", "lng": 106.23}', "application/json", "纬度不是数字"),
        ('{"lat": true, "lng": 106.23}', "application/json", "纬度不是数字"),
        ('{"lat": NaN, "lng": 106.23}', "application/json", "纬度不是有限数值"),
        ('{"lat": 38.47, "lng": {"x": 1}}', "application/json", "经度不是数字"),
        ('{"lat": 51.5, "lng": -0.12}', "application/json", "定位不在中国境内"),
        ('{"lat": 95, "lng": 106.23}', "application/json", "超出范围"),
        ('{"lat": 38.47, "lng": 106.23, "accuracy": -3}', "application/json", "定位精度"),
        ("lat=38.47", "application/x-www-form-urlencoded", "缺少经度"),
    ],
)
def test_bad_ping_is_400_with_a_chinese_error_and_nothing_stored(  # type: ignore[no-untyped-def]
    scene, carers, body, content_type, message
) -> None:
    carer = carers[0]
    response = client_for(carer.user).post(reverse("work:ping"), body, content_type=content_type)
    assert response.status_code == 400
    assert message in response.json()["error"]
    carer.refresh_from_db()
    assert carer.last_ping_at is None and carer.last_lat is None


def test_ping_from_a_non_worker_is_403(scene, carers) -> None:  # type: ignore[no-untyped-def]
    for client in (
        Client(),
        client_for(scene.daughter_user),
        client_for(staff_user(scene.areas["community"])),
    ):
        response = client.post(reverse("work:ping"), {"lat": "38.47", "lng": "106.23"})
        assert response.status_code == 403 and "服务人员" in response.json()["error"]
    assert not Worker.objects.filter(last_ping_at__isnull=False).exists()


# --- who may use the pages --------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_log_in_page(scene, offered) -> None:  # type: ignore[no-untyped-def]
    order, _ = offered
    for url in (reverse("work:today"), reverse("work:order", args=[order.pk])):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = Client().post(reverse("work:accept", args=[order.pk]))
    assert response.status_code == 302
    assert order.offers.get(status=OfferStatus.PENDING)


def test_a_poll_after_the_session_ended_sends_the_whole_page_to_log_in(scene) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(reverse("work:offer_area"), {"shown": "none"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == "/accounts/login/?next=/work/"


def test_non_workers_get_403(scene, offered, carers) -> None:  # type: ignore[no-untyped-def]
    order, carer = offered
    retired = carers[2] if carers[2] != carer else carers[1]
    Worker.objects.filter(pk=retired.pk).update(active=False)
    users = [
        scene.mother_user,
        scene.daughter_user,
        staff_user(scene.areas["community"]),
        retired.user,
    ]
    for user in users:
        client = client_for(user)
        response = client.get(reverse("work:today"))
        assert response.status_code == 403 and "仅供服务人员使用" in page_text(response)
        assert client.post(reverse("work:accept", args=[order.pk])).status_code == 403
    assert order.offers.get(worker=carer).status == OfferStatus.PENDING


def test_a_caregiver_without_areas_lands_on_the_work_page(client, scene) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    carer = scene.carers[0]
    carer.user = User.objects.create_user("hg-test", password="pw-linli-test")
    carer.save()
    client.force_login(carer.user)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/work/"
    assert "我的接单" in client.get("/notifications/").content.decode()  # the site nav
