"""Resident ordering pages (/me/services/, /me/orders/): the daughter-for-mother scene in
real time (the carers are put on shift for today, so ``dispatch`` finds them now)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linli.cases.models import Case
from linli.orders.dispatching import dispatch, offer_accept
from linli.orders.forms_resident import slot_days, slot_times
from linli.orders.models import Offer, OfferStatus, Order, OrderChannel, OrderStatus, Worker
from linli.orders.ordering import order_arrive, order_complete, order_en_route, order_place
from linli.orders.services import shift_create
from linli.orders.tests.conftest import Scene
from linli.people.models import Resident
from linli.testing.factories import ResidentFactory, staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]


def on_shift_today(carers: list[Worker]) -> None:
    """Put every carer on a shift covering the whole of today (local time)."""
    for carer in carers:
        shift_create(
            worker=carer,
            date=timezone.localdate(),
            start=dt.time(0, 0),
            end=dt.time(23, 59, 59),
        )


@pytest.fixture
def live(scene: Scene) -> Scene:
    """The scene with the carers on shift now and the mother known as a woman."""
    on_shift_today(scene.carers)
    Resident.objects.filter(pk=scene.mother.pk).update(sex="F")
    scene.mother.refresh_from_db()
    return scene


@pytest.fixture
def daughter(live: Scene) -> Client:
    client = Client()
    client.force_login(live.daughter_user)
    return client


def token() -> str:
    return f"t{timezone.now().timestamp()}"


def confirm(client: Client, scene: Scene, code: str = "bath_assist", **fields: str):  # type: ignore[no-untyped-def]
    """POST the quote page as the browser would, with the price it shows."""
    page = client.get(f"/me/services/{code}/?for={fields.get('resident', scene.mother.pk)}")
    shown = re.search(r'name="expected_price_fen" value="(\d+)"', page.content.decode())
    assert shown, page.content.decode()[:500]
    data = {
        "resident": str(scene.mother.pk),
        "expected_price_fen": shown.group(1),
        "token": token(),
        "when": "now",
        **fields,
    }
    return client.post(f"/me/services/{code}/", data)


def text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def progress(order: Order, scene: Scene, until: str) -> Order:
    """Drive the order with the caregiver services up to ``until`` (real time)."""
    for offer in Offer.objects.filter(order=order, status=OfferStatus.PENDING):
        order = offer_accept(order=order, worker=offer.worker)
    held = Offer.objects.get(order=order, status=OfferStatus.ACCEPTED).worker
    steps = [
        (OrderStatus.EN_ROUTE, order_en_route),
        (OrderStatus.ARRIVED, order_arrive),
    ]
    for status, service in steps:
        if order.status == until:
            return order
        order = service(order=order, worker=held)
        if status == until:
            return order
    return order_complete(order=order, worker=held, note="洗浴顺利")


def placed(client: Client, scene: Scene) -> Order:
    response = confirm(client, scene)
    assert response.status_code == 302, text(response)[:800]
    return Order.objects.get()


# --- who may see the pages -------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/me/services/", "/me/services/bath_assist/", "/me/orders/", "/me/orders/1/"]
)
def test_anonymous_visitor_is_sent_to_the_log_in_page(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/me/login/?next=")


def test_staff_user_is_sent_to_the_staff_order_pages(live: Scene, client: Client) -> None:
    client.force_login(staff_user(live.areas["micro_grid"]))
    for url in ["/me/services/", "/me/services/bath_assist/", "/me/orders/"]:
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, "/orders/")


# --- services and quote ----------------------------------------------------------------


def test_daughter_sees_service_tiles_and_chooses_for_herself_or_her_mother(
    live: Scene, daughter: Client
) -> None:
    page = text(daughter.get("/me/services/"))
    assert "本人（李梅）" in page and "王秀英（母亲）" in page
    for name in ["助餐服务", "助浴服务", "上门理发", "送药上门"]:
        assert name in page
    meal = r'data-code="meal_assist">.*?class="service-price">([^<]+)<'
    assert re.search(meal, page).group(1) == "12.00 元"  # herself (46)
    for_mother = text(daughter.get(f"/me/services/?for={live.mother.pk}"))
    assert re.search(meal, for_mother).group(1) == "8.00 元"
    assert 'aria-current="true">' in for_mother
    # The choice is remembered: back on the page without ?for=, the mother is chosen.
    again = text(daughter.get("/me/services/"))
    assert re.search(meal, again).group(1) == "8.00 元"


def test_a_resident_without_family_sees_no_for_whom_choice(live: Scene) -> None:
    client = Client()
    client.force_login(live.stranger_user)
    page = text(client.get("/me/services/"))
    assert "为谁预约" not in page and "助浴服务" in page


def test_quote_for_mother_is_the_elder_meal_price_with_its_reason(
    live: Scene, daughter: Client
) -> None:
    page = text(daughter.get(f"/me/services/meal_assist/?for={live.mother.pk}"))
    assert re.search(r'id="quote-price">8.00 元<', page)
    reason = re.search(r'id="quote-reason">([^<]+)<', page).group(1)
    assert "8 元" in reason and "60" in reason
    assert "民政部门老年助餐补贴 4.00 元" in re.search(
        r'id="quote-subsidies">([^<]+)<', page
    ).group(1)
    assert 'name="expected_price_fen" value="800"' in page
    assert "送餐上门" in page and "堂食预约" in page  # variants
    # The scene's carers deliver no meals: 现在 is shown disabled, with the reason in words.
    assert "现在没有服务人员在岗，请预约时间" in page and "预约时间" in page
    assert 'name="when" value="now" disabled' in page
    assert 'name="when" value="slot" checked' in page
    assert str(live.mother.household) in page  # address defaults to the household


def test_quote_for_daughter_is_the_standard_meal_price(live: Scene, daughter: Client) -> None:
    page = text(daughter.get(f"/me/services/meal_assist/?for={live.daughter.pk}"))
    assert re.search(r'id="quote-price">12.00 元<', page)
    assert "标准价" in re.search(r'id="quote-reason">([^<]+)<', page).group(1)


def test_on_demand_service_offers_no_time_slot_and_scheduled_one_no_now(
    live: Scene, daughter: Client
) -> None:
    medicine = text(daughter.get("/me/services/medicine_delivery/"))
    assert 'name="slot_date"' not in medicine and 'value="now"' in medicine
    haircut = text(daughter.get("/me/services/haircut/"))
    assert 'value="now"' not in haircut and 'name="slot_date"' in haircut


def test_unknown_service_code_is_404(live: Scene, daughter: Client) -> None:
    assert daughter.get("/me/services/no_such_service/").status_code == 404
    assert daughter.post("/me/services/no_such_service/", {}).status_code == 404
    assert not Order.objects.exists()


# --- confirming ------------------------------------------------------------------------


def test_confirm_places_one_order_for_mother_and_dispatches_it(
    live: Scene, daughter: Client
) -> None:
    response = confirm(daughter, live, note="请带防滑垫")
    order = Order.objects.get()
    assert response["Location"] == f"/me/orders/{order.pk}/"
    assert (order.resident, order.channel) == (live.mother, OrderChannel.FAMILY)
    assert (order.price_fen, order.note, order.slot_start) == (6000, "请带防滑垫", None)
    assert order.status == OrderStatus.ASSIGNED
    [offer] = Offer.objects.filter(order=order)
    assert offer.worker in live.carers and offer.status == OfferStatus.PENDING
    page = text(daughter.get(response["Location"]))
    assert offer.worker.name in page and "正在确认" in page
    assert re.search(r"预计 <strong class=\"eta\">\d+ 分钟</strong>后到达", page)


def test_a_double_tap_on_confirm_places_one_order(live: Scene, daughter: Client) -> None:
    page = text(daughter.get(f"/me/services/bath_assist/?for={live.mother.pk}"))
    data = {
        "resident": str(live.mother.pk),
        "expected_price_fen": "6000",
        "token": re.search(r'name="token" value="(\w+)"', page).group(1),
        "when": "now",
    }
    first = daughter.post("/me/services/bath_assist/", data)
    second = daughter.post("/me/services/bath_assist/", data)
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1


def test_two_caregivers_can_be_asked_for_a_bath(live: Scene, daughter: Client) -> None:
    confirm(daughter, live, two_workers="on")
    order = Order.objects.get()
    assert order.workers_needed == 2
    offers = Offer.objects.filter(order=order, status=OfferStatus.PENDING)
    assert len({o.worker_id for o in offers}) == 2


def test_a_post_without_its_person_is_refused_not_guessed(live: Scene, daughter: Client) -> None:
    daughter.get(f"/me/services/?for={live.mother.pk}")  # the mother is remembered
    response = daughter.post(
        "/me/services/bath_assist/", {"expected_price_fen": "6000", "token": token(), "when": "now"}
    )
    assert response.status_code == 403
    assert not Order.objects.exists()


def test_booking_a_time_slot_tomorrow(live: Scene, daughter: Client) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = confirm(
        daughter, live, "housekeeping", when="slot", slot_date=str(tomorrow), slot_time="09:00"
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert timezone.localtime(order.slot_start).replace(tzinfo=None) == dt.datetime.combine(
        tomorrow, dt.time(9)
    )


def test_ordering_for_someone_without_a_consent_link_is_refused(
    live: Scene, daughter: Client
) -> None:
    stranger = Resident.objects.get(name="赵强")
    page = daughter.get(f"/me/services/bath_assist/?for={stranger.pk}")
    assert page.status_code == 403
    assert "您没有为该居民下单的授权" in text(page)
    forged = daughter.post(
        "/me/services/bath_assist/",
        {
            "resident": str(stranger.pk),
            "expected_price_fen": "6000",
            "token": token(),
            "when": "now",
        },
    )
    assert forged.status_code == 403 and "您没有为该居民下单的授权" in text(forged)
    assert not Order.objects.exists()
    # A number that is nobody gets the same answer (existence never leaks).
    assert daughter.get("/me/services/bath_assist/?for=999999").status_code == 403


def test_a_revoked_consent_closes_the_pages_for_the_mother(live: Scene, daughter: Client) -> None:
    order = placed(daughter, live)
    live.mother.family_links.update(revoked_at=timezone.now())
    assert daughter.get(f"/me/services/bath_assist/?for={live.mother.pk}").status_code == 403
    assert daughter.get(f"/me/orders/{order.pk}/").status_code == 404


def test_a_slot_in_the_past_is_refused_and_the_form_keeps_its_values(
    live: Scene, daughter: Client
) -> None:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = confirm(
        daughter,
        live,
        "housekeeping",
        when="slot",
        slot_date=str(yesterday),
        slot_time="10:00",
        note="厨房重点打扫",
    )
    page = text(response)
    assert response.status_code == 400
    assert "预约时间已过" in re.search(r'id="errors" role="alert">(.*?)</div>', page).group(1)
    assert "厨房重点打扫</textarea>" in page
    assert 'name="slot_time" value="10:00" checked' in page
    assert 'name="when" value="slot" checked' in page
    assert not Order.objects.exists()


def _evening(monkeypatch: pytest.MonkeyPatch, hour: int, minute: int) -> dt.datetime:
    """Make "now" today at ``hour:minute`` local time for the pages and the forms."""
    moment = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(hour, minute)))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def test_slot_picker_offers_only_future_times(
    live: Scene, daughter: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Walkthrough: at 19:43 the picker preselected 今天 08:00."""
    moment = _evening(monkeypatch, 18, 43)
    page = text(daughter.get("/me/services/housekeeping/"))
    today = moment.date().isoformat()
    assert re.search(rf'name="slot_date" value="{today}" checked', page)
    offered = re.findall(
        r'<label class="tile"><input type="radio" name="slot_time" value="([\d:]+)"', page
    )
    assert offered == ["19:00"]
    assert 'name="slot_time" value="19:00" checked' in page
    assert 'name="slot_time" value="08:00" disabled' in page  # hidden until another day


def test_today_disappears_when_no_time_is_left(
    live: Scene, daughter: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = _evening(monkeypatch, 19, 43)
    page = text(daughter.get("/me/services/housekeeping/"))
    assert f'value="{moment.date().isoformat()}"' not in page and "今天" not in page
    tomorrow = (moment.date() + dt.timedelta(days=1)).isoformat()
    assert re.search(rf'name="slot_date" value="{tomorrow}" checked', page)
    assert 'name="slot_time" value="08:00" checked>' in page  # offered, not disabled


def test_a_slot_earlier_today_is_refused_by_the_form(
    live: Scene, daughter: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = _evening(monkeypatch, 15, 10)
    response = confirm(
        daughter, live, "housekeeping", when="slot", slot_date=str(moment.date()), slot_time="15:00"
    )
    assert response.status_code == 400
    assert "预约时间已过，请选择以后的时间" in text(response)
    assert not Order.objects.exists()


def test_now_is_disabled_with_the_reason_when_nobody_is_on_shift(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Walkthrough: 现在（尽快上门） was offered with no qualified worker on shift."""
    Resident.objects.filter(pk=scene.mother.pk).update(sex="F")
    client = Client()
    client.force_login(scene.daughter_user)  # the scene's carers work on 2030-01-08 only
    page = text(client.get(f"/me/services/bath_assist/?for={scene.mother.pk}"))
    assert "现在没有服务人员在岗，请预约时间" in page
    assert 'name="when" value="now" disabled' in page
    assert 'name="when" value="slot" checked' in page
    forged = confirm(client, scene, "bath_assist", when="now")
    assert forged.status_code == 400 and "现在没有服务人员在岗" in text(forged)
    assert not Order.objects.exists()


def test_two_caregivers_now_need_two_on_shift(scene: Scene) -> None:
    Resident.objects.filter(pk=scene.mother.pk).update(sex="F")
    on_shift_today(scene.carers[:1])
    client = Client()
    client.force_login(scene.daughter_user)
    page = text(client.get(f"/me/services/bath_assist/?for={scene.mother.pk}"))
    assert 'name="when" value="now" checked' in page and "不足两位" not in page
    refused = confirm(client, scene, "bath_assist", when="now", two_workers="on")
    assert refused.status_code == 400
    page = text(refused)
    assert "现在在岗的服务人员不足两位，需要两位时请预约时间" in page
    assert 'name="when" value="now" disabled' in page
    assert not Order.objects.exists()
    one = confirm(client, scene, "bath_assist", when="now")
    assert one.status_code == 302 and Order.objects.get().workers_needed == 1


def _canteens(scene: Scene) -> None:
    from linli.places.models import Facility, FacilityKind

    here = scene.mother.household.building
    for name, dlat in (("远处食堂", 0.05), ("幸福里长者食堂", 0.001)):
        Facility.objects.create(
            area=here.micro_grid,
            kind=FacilityKind.CANTEEN,
            name=name,
            lat=float(here.lat or 0) + dlat,
            lng=here.lng,
        )


def test_dine_in_is_worded_as_a_canteen_booking(live: Scene, daughter: Client) -> None:
    """Walkthrough: 堂食预约 said 服务人员会到这个地址 and 约 1 小时内上门."""
    _canteens(live)
    tomorrow = str(timezone.localdate() + dt.timedelta(days=1))
    data = {"variant": "dine_in", "when": "slot", "slot_date": tomorrow, "slot_time": "11:00"}
    refused = text(confirm(daughter, live, "meal_assist", expected_price_fen="1", **data))
    shown = re.search(r'<div id="dine-in-place" data-for-dine-in>(.*?)</div>', refused)
    assert shown and "幸福里长者食堂" in shown.group(1) and "不上门" in shown.group(1)
    assert '<div id="visit-place" data-for-visit hidden>' in refused
    assert "<span data-for-dine-in>用餐时间（到幸福里长者食堂用餐）</span>" in refused
    response = confirm(daughter, live, "meal_assist", **data)
    assert response.status_code == 302
    page = text(daughter.get(response["Location"]))
    assert 'id="order-variant">堂食预约<' in page
    assert 'id="order-place">幸福里长者食堂（到食堂用餐，不上门）' in page
    assert "约 1 小时内上门" not in page and "服务人员会到这个地址" not in page


def test_a_home_visit_keeps_the_address_wording(live: Scene, daughter: Client) -> None:
    page = text(daughter.get(f"/me/services/meal_assist/?for={live.mother.pk}"))
    assert '<div id="visit-place" data-for-visit>' in page  # 送餐上门 is the default
    assert "服务人员会到这个地址" in page


def test_a_booking_not_yet_due_says_so_and_polls_slowly(live: Scene, daughter: Client) -> None:
    """Walkthrough: a booking for tomorrow said 正在为您寻找服务人员… every 10 s."""
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = confirm(
        daughter, live, "housekeeping", when="slot", slot_date=str(tomorrow), slot_time="09:00"
    )
    order = Order.objects.get()
    assert order.status == OrderStatus.PLACED
    page = text(daughter.get(response["Location"]))
    assert "正在为您寻找服务人员" not in page
    assert "服务前一天傍晚会为您安排服务人员" in page
    assert 'hx-trigger="every 300s"' in page and "页面每 5 分钟也会自动更新" in page
    now_response = confirm(daughter, live)
    assert 'hx-trigger="every 10s"' in text(daughter.get(now_response["Location"]))


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    return buffer.getvalue()


def test_completion_note_and_photos_are_shown_to_the_family_and_staff_of_the_area(
    live: Scene, daughter: Client, settings, tmp_path, assigned, elsewhere
) -> None:  # type: ignore[no-untyped-def]
    """Walkthrough: the caregiver's completion photos were shown nowhere."""
    settings.MEDIA_ROOT = str(tmp_path)
    order = progress(placed(daughter, live), live, until=OrderStatus.ARRIVED)
    before = text(daughter.get(f"/me/orders/{order.pk}/"))
    assert 'id="completion"' not in before
    held = Offer.objects.get(order=order, status=OfferStatus.ACCEPTED).worker
    order = order_complete(
        order=order, worker=held, note="已协助洗浴，皮肤无破损", photos=[_jpeg()]
    )
    [photo] = order.photos.all()
    page = text(daughter.get(f"/me/orders/{order.pk}/"))
    assert "服务人员留言：已协助洗浴，皮肤无破损" in page
    assert f'<img src="?photo={photo.pk}"' in page
    image = daughter.get(f"/me/orders/{order.pk}/?photo={photo.pk}")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content)[:2] == b"\xff\xd8"
    assert daughter.get(f"/me/orders/{order.pk}/?photo=999999").status_code == 404
    # Someone without consent, and staff of another area, cannot fetch it.
    from linli.accounts.services import resident_account_create

    stranger = ResidentFactory(household=live.mother.household)
    other = Client()
    other.force_login(
        resident_account_create(resident=stranger, phone="13800007777", actor=None).user
    )
    assert other.get(f"/me/orders/{order.pk}/?photo={photo.pk}").status_code == 404
    staff = Client()
    staff.force_login(elsewhere)
    assert staff.get(f"/orders/{order.pk}/?photo={photo.pk}").status_code == 404
    staff.force_login(assigned)
    detail = text(staff.get(f"/orders/{order.pk}/"))
    assert "已协助洗浴，皮肤无破损" in detail and f'<img src="?photo={photo.pk}"' in detail
    assert staff.get(f"/orders/{order.pk}/?photo={photo.pk}").status_code == 200


def test_slot_helpers_follow_the_clock() -> None:
    day = dt.date(2030, 1, 8)
    at = timezone.make_aware(dt.datetime(2030, 1, 8, 17, 0))
    assert [v for v, _ in slot_times(day=day, now=at)] == ["18:00", "19:00"]
    assert slot_days(day, now=at)[0][0] == "2030-01-08"
    late = timezone.make_aware(dt.datetime(2030, 1, 8, 19, 0))
    assert slot_times(day=day, now=late) == []
    assert slot_days(day, now=late)[0] == ("2030-01-09", "明天（1月9日 周三）")
    assert len(slot_times()) == 12


def test_slot_chosen_without_a_date_or_time_is_told_in_chinese(
    live: Scene, daughter: Client
) -> None:
    response = confirm(daughter, live, "housekeeping", when="slot")
    page = text(response)
    assert response.status_code == 400
    assert "请选择预约日期" in page and "请选择预约时间" in page
    assert not Order.objects.exists()


def test_a_tampered_price_is_refused_with_the_new_price(live: Scene, daughter: Client) -> None:
    response = confirm(daughter, live, expected_price_fen="100")
    page = text(response)
    assert response.status_code == 400
    assert "价格已变为 60.00 元" in page
    assert 'name="expected_price_fen" value="6000"' in page  # the next tap agrees to it
    assert not Order.objects.exists()


def test_an_unknown_variant_is_refused(live: Scene, daughter: Client) -> None:
    response = confirm(daughter, live, "meal_assist", variant="by_drone")
    assert response.status_code == 400
    assert "请选择列表中的服务形式" in text(response)
    assert not Order.objects.exists()


def test_a_resident_without_household_is_told_to_register_an_address(
    live: Scene, daughter: Client
) -> None:
    Resident.objects.filter(pk=live.mother.pk).update(household=None)
    assert "还没有登记住址" in text(daughter.get(f"/me/services/bath_assist/?for={live.mother.pk}"))
    response = confirm(daughter, live)
    assert response.status_code == 400 and "没有登记住址" in text(response)
    assert not Order.objects.exists()


# --- my orders and the status page ------------------------------------------------------


def test_my_orders_lists_mine_and_my_mothers_but_not_a_strangers(
    live: Scene, daughter: Client
) -> None:
    for_mother = placed(daughter, live)
    stranger = Client()
    stranger.force_login(live.stranger_user)
    confirm(stranger, live, resident=str(Resident.objects.get(name="赵强").pk))
    theirs = Order.objects.exclude(pk=for_mother.pk).get()
    page = text(daughter.get("/me/orders/"))
    assert f"/me/orders/{for_mother.pk}/" in page and "为王秀英" in page
    assert f"/me/orders/{theirs.pk}/" not in page
    mother = Client()
    mother.force_login(live.mother_user)
    assert f"/me/orders/{for_mother.pk}/" in text(mother.get("/me/orders/"))


def test_other_peoples_orders_are_404_on_every_page(live: Scene, daughter: Client) -> None:
    order = placed(daughter, live)
    stranger = Client()
    stranger.force_login(live.stranger_user)
    for url in ["", "live/", "cancel/"]:
        assert stranger.get(f"/me/orders/{order.pk}/{url}").status_code == 404
    assert stranger.post(f"/me/orders/{order.pk}/cancel/").status_code == 404
    assert stranger.post(f"/me/orders/{order.pk}/rate/", {"stars": "1"}).status_code == 404
    assert daughter.get("/me/orders/999999/").status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.ASSIGNED


def test_status_page_shows_steps_caregiver_eta_and_arrival(live: Scene, daughter: Client) -> None:
    order = progress(placed(daughter, live), live, until=OrderStatus.EN_ROUTE)
    page = text(daughter.get(f"/me/orders/{order.pk}/"))
    carer = Offer.objects.get(order=order, status=OfferStatus.ACCEPTED).worker
    assert f'<strong class="carer-name">{carer.name}</strong>（已接单）' in page
    assert re.search(r'class="eta">\d+ 分钟', page)
    current = re.search(r'aria-current="step">(.*?)</li>', page).group(1)
    assert "在路上" in current and "当前" in current  # words, not colour alone
    assert 'hx-trigger="every 10s"' in page and 'id="refresh"' in page
    order = progress(order, live, until=OrderStatus.ARRIVED)
    page = text(daughter.get(f"/me/orders/{order.pk}/"))
    assert f"已于 <strong>{timezone.localtime(order.arrived_at):%H:%M}</strong> 到达" in page


def test_live_fragment_asks_for_a_reload_when_the_state_changed(
    live: Scene, daughter: Client
) -> None:
    order = placed(daughter, live)
    same = daughter.get(f"/me/orders/{order.pk}/live/?seen=assigned")
    assert same.status_code == 200 and "HX-Refresh" not in same
    assert 'id="order-live"' in text(same) and "<html" not in text(same)
    progress(order, live, until=OrderStatus.ACCEPTED)
    changed = daughter.get(f"/me/orders/{order.pk}/live/?seen=assigned")
    assert changed["HX-Refresh"] == "true"


def test_a_final_order_stops_polling(live: Scene, daughter: Client) -> None:
    order = progress(placed(daughter, live), live, until=OrderStatus.COMPLETED)
    page = text(daughter.get(f"/me/orders/{order.pk}/"))
    assert "hx-get" not in page and 'id="refresh"' not in page and "已完成" in page


def test_an_order_nobody_can_take_says_so_in_words(live: Scene, daughter: Client) -> None:
    # The carers deliver no meals (no delivery skill): dispatch gives the order up.
    # The page no longer offers 现在 then, so the order comes in by phone (staff channel).
    order = dispatch(
        order_place(
            service_type=live.service("meal_assist"),
            resident=live.mother,
            placed_by=live.daughter_user,
            variant="delivery",
        )
    )
    assert order.status == OrderStatus.UNFULFILLED
    page = text(daughter.get(f"/me/orders/{order.pk}/"))
    assert "当前状态：<strong>无人接单</strong>" in page
    assert "社区工作人员会尽快联系您" in page and "hx-get" not in page


def queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        page = text(client.get(url))
    return len(captured.captured_queries), page


def test_my_orders_page_reads_a_fixed_number_of_queries(live: Scene, daughter: Client) -> None:
    for _ in range(2):
        confirm(daughter, live, "housekeeping")
    few, _ = queries(daughter, "/me/orders/")
    for _ in range(4):
        confirm(daughter, live, "housekeeping")
    more, page = queries(daughter, "/me/orders/")
    assert page.count('class="order-card"') == 6
    assert more == few <= 8


# --- cancelling ------------------------------------------------------------------------


def test_cancel_asks_on_its_own_page_then_cancels(live: Scene, daughter: Client) -> None:
    order = placed(daughter, live)
    detail = text(daughter.get(f"/me/orders/{order.pk}/"))
    assert f'href="/me/orders/{order.pk}/cancel/"' in detail
    ask = text(daughter.get(f"/me/orders/{order.pk}/cancel/"))
    assert "确定要取消" in ask and "确认取消订单" in ask
    order.refresh_from_db()
    assert order.status == OrderStatus.ASSIGNED  # asking changes nothing
    response = daughter.post(f"/me/orders/{order.pk}/cancel/", {"reason": "临时有事"})
    assert response["Location"] == f"/me/orders/{order.pk}/?cancelled=1"
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "临时有事")
    assert not Offer.objects.filter(order=order, status=OfferStatus.PENDING).exists()
    assert "订单已取消" in text(daughter.get(response["Location"]))


def test_cancel_is_refused_once_the_caregiver_is_on_the_way(live: Scene, daughter: Client) -> None:
    order = progress(placed(daughter, live), live, until=OrderStatus.EN_ROUTE)
    assert "cancel-link" not in text(daughter.get(f"/me/orders/{order.pk}/"))
    ask = daughter.get(f"/me/orders/{order.pk}/cancel/")
    assert "服务人员已在路上" in text(ask) and "确认取消订单" not in text(ask)
    response = daughter.post(f"/me/orders/{order.pk}/cancel/", {"reason": ""})
    assert response.status_code == 409 and "服务人员已在路上" in text(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.EN_ROUTE


# --- rating and complaints --------------------------------------------------------------


def test_rating_five_stars_after_completion(live: Scene, daughter: Client) -> None:
    order = placed(daughter, live)
    assert "rate-form" not in text(daughter.get(f"/me/orders/{order.pk}/"))
    order = progress(order, live, until=OrderStatus.COMPLETED)
    page = text(daughter.get(f"/me/orders/{order.pk}/"))
    for label in ["5 星 非常满意", "4 星 满意", "3 星 一般", "2 星 不满意", "1 星 非常不满意"]:
        assert label in page
    response = daughter.post(f"/me/orders/{order.pk}/rate/", {"stars": "5", "comment": "很细心"})
    assert response["Location"] == f"/me/orders/{order.pk}/?rated=1"
    order.refresh_from_db()
    assert (order.rating, order.rating_comment, order.complaint_case) == (5, "很细心", None)
    after = text(daughter.get(response["Location"]))
    assert "谢谢您的评价" in after and "rate-form" not in after and "5 星" in after


def test_a_complaint_files_a_case_whose_number_is_shown(live: Scene, daughter: Client) -> None:
    order = progress(placed(daughter, live), live, until=OrderStatus.COMPLETED)
    response = daughter.post(
        f"/me/orders/{order.pk}/rate/",
        {"stars": "2", "comment": "迟到了四十分钟", "complain": "on"},
    )
    order.refresh_from_db()
    case = Case.objects.get()
    assert order.complaint_case == case
    page = text(daughter.get(response["Location"]))
    assert f'id="case-number" href="/report/{case.number}/">{case.number}</a>' in page


def test_a_complaint_without_words_is_refused_and_nothing_is_rated(
    live: Scene, daughter: Client
) -> None:
    order = progress(placed(daughter, live), live, until=OrderStatus.COMPLETED)
    response = daughter.post(f"/me/orders/{order.pk}/rate/", {"stars": "1", "complain": "on"})
    assert response.status_code == 409 and "投诉请写明遇到的问题" in text(response)
    assert 'name="stars" value="1" checked' in text(response)  # the choice is kept
    order.refresh_from_db()
    assert order.rating is None and not Case.objects.exists()


def test_stars_outside_one_to_five_are_refused(live: Scene, daughter: Client) -> None:
    order = progress(placed(daughter, live), live, until=OrderStatus.COMPLETED)
    response = daughter.post(f"/me/orders/{order.pk}/rate/", {"stars": "9"})
    assert response.status_code == 400 and "评分为 1 到 5 星" in text(response)
    order.refresh_from_db()
    assert order.rating is None


def test_rating_before_completion_is_refused(live: Scene, daughter: Client) -> None:
    order = placed(daughter, live)
    response = daughter.post(f"/me/orders/{order.pk}/rate/", {"stars": "5"})
    assert response.status_code == 409 and "服务完成后才能评价" in text(response)


# --- elder mode ------------------------------------------------------------------------


def test_elder_mode_cookie_marks_every_page(live: Scene, daughter: Client) -> None:
    order = placed(daughter, live)
    daughter.cookies["linli_elder"] = "1"
    for url in [
        "/me/services/",
        "/me/services/bath_assist/",
        "/me/orders/",
        f"/me/orders/{order.pk}/",
    ]:
        assert 'class="public orders-resident elder"' in text(daughter.get(url)), url


def test_account_page_links_to_the_services(live: Scene, daughter: Client) -> None:
    assert 'href="/me/services/" id="services-link"' in text(daughter.get("/me/"))


def test_a_resident_factory_elder_orders_for_herself(live: Scene) -> None:
    """A resident without family orders for herself: channel self, own household."""
    from linli.accounts.services import resident_account_create

    elder = ResidentFactory(household=live.mother.household, birth_date=dt.date(1950, 1, 1))
    account = resident_account_create(resident=elder, phone="13800009999", actor=None)
    client = Client()
    client.force_login(account.user)
    page = text(client.get("/me/services/meal_assist/"))
    assert re.search(r'id="quote-price">8.00 元<', page)
    tomorrow = str(timezone.localdate() + dt.timedelta(days=1))
    response = confirm(
        client,
        live,
        "meal_assist",
        resident=str(elder.pk),
        variant="dine_in",
        when="slot",
        slot_date=tomorrow,
        slot_time="11:00",
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.channel, order.resident, order.variant) == (OrderChannel.SELF, elder, "dine_in")


def test_a_missing_order_is_told_in_resident_wording(live: Scene, daughter: Client) -> None:
    """Walkthrough: the resident 404 page spoke of 管辖范围 (staff wording)."""
    for url in ("/me/orders/999999/", "/me/orders/999999/cancel/", "/me/services/no_such/"):
        response = daughter.get(url)
        page = text(response)
        assert response.status_code == 404
        assert "管辖范围" not in page and "没有找到这个页面或订单" in page
        assert 'href="/me/orders/"' in page
