"""Staff order pages: scoping, the list and its headline, ordering on behalf, cancel, redispatch.

Uses the daughter-for-mother ``scene`` (orders/tests/conftest.py). Its caregivers work on
:data:`DAY`; tests that need a dispatch now give them a shift covering the whole of today.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.orders.dispatching import dispatch
from linli.orders.models import (
    Offer,
    OfferStatus,
    Order,
    OrderAction,
    OrderChannel,
    OrderStatus,
    Shift,
)
from linli.orders.ordering import order_place
from linli.orders.views_staff import (
    REASON_HIDDEN,
    ArrivalStats,
    arrival_stats,
    percentile,
    quote_reason,
)
from linli.people.models import Role
from linli.testing.factories import (
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    staff_user,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]


def on_shift_today(scene) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    for carer in scene.carers:
        Shift.objects.create(worker=carer, date=today, start=dt.time(0), end=dt.time(23, 59, 59))


def place(scene, user, code="housekeeping", **kwargs):  # type: ignore[no-untyped-def]
    return order_place(
        service_type=scene.service(code), resident=scene.mother, placed_by=user, **kwargs
    )


@pytest.fixture
def outsider(other_areas):  # type: ignore[no-untyped-def]
    building = BuildingFactory(micro_grid=other_areas["micro_grid"], lat=38.5, lng=106.2)
    return ResidentFactory(household=HouseholdFactory(building=building), name="外区居民")


# --- who may see what ------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_log_in(client, scene, assigned) -> None:
    order = place(scene, assigned)
    for url in (
        reverse("staff_orders:list"),
        reverse("staff_orders:new"),
        reverse("staff_orders:detail", args=[order.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    response = client.post(reverse("staff_orders:cancel", args=[order.pk]), {"reason": "x"})
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED


def test_staff_of_another_area_neither_lists_nor_opens_the_order(
    client, scene, assigned, elsewhere
) -> None:
    order = place(scene, assigned)
    client.force_login(elsewhere)
    listing = client.get(reverse("staff_orders:list"))
    assert listing.status_code == 200 and order.number not in listing.content.decode()
    assert client.get(reverse("staff_orders:detail", args=[order.pk])).status_code == 404
    response = client.post(reverse("staff_orders:cancel", args=[order.pk]), {"reason": "测试"})
    assert response.status_code == 404
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED


def test_assigned_staff_lists_and_opens_the_order(client, scene, assigned) -> None:
    order = place(scene, assigned)
    client.force_login(assigned)
    listing = client.get(reverse("staff_orders:list")).content.decode()
    assert order.number in listing and "王秀英" in listing
    page = client.get(reverse("staff_orders:detail", args=[order.pk])).content.decode()
    assert "家政保洁" in page and "工作人员代下单" in page and "下单" in page


def test_volunteers_and_resident_accounts_may_not_use_the_staff_pages(client, scene, areas) -> None:
    volunteer = staff_user(areas["community"], Role.VOLUNTEER)
    client.force_login(volunteer)
    assert client.get(reverse("staff_orders:list")).status_code == 403
    # force_login skips the resident session mark, so the page itself must refuse
    client.force_login(scene.daughter_user)
    assert client.get(reverse("staff_orders:list")).status_code == 403
    assert client.post(reverse("staff_orders:new"), {"action": "quote"}).status_code == 403


# --- the list ---------------------------------------------------------------------------


def test_unfulfilled_orders_are_counted_and_highlighted_as_alerts(client, scene, assigned) -> None:
    lost = dispatch(place(scene, assigned))  # nobody on shift today → 无人接单
    waiting = place(scene, assigned, code="repair")
    assert lost.status == OrderStatus.UNFULFILLED
    client.force_login(assigned)
    page = client.get(reverse("staff_orders:list")).content.decode()
    assert "⚠ 无人接单 1 单" in page
    alerts = client.get(reverse("staff_orders:list"), {"status": "alerts"}).content.decode()
    assert lost.number in alerts and waiting.number not in alerts
    assert 'class="order-row alert"' in alerts


def test_list_filters_by_status_service_and_day(client, scene, assigned) -> None:
    bath = place(scene, assigned, code="bath_assist")
    repair = place(scene, assigned, code="repair")
    old = place(scene, assigned, now=timezone.now() - dt.timedelta(days=3))
    Order.objects.filter(pk=repair.pk).update(status=OrderStatus.CANCELLED)
    client.force_login(assigned)
    url = reverse("staff_orders:list")

    def numbers(**params: str) -> set[str]:
        html = client.get(url, params).content.decode()
        return {o.number for o in (bath, repair, old) if o.number in html}

    assert numbers() == {bath.number, repair.number, old.number}
    assert numbers(service=str(scene.service("bath_assist").pk)) == {bath.number}
    assert numbers(status="cancelled") == {repair.number}
    today = timezone.localdate().isoformat()
    assert numbers(day=today) == {bath.number, repair.number}
    assert numbers(number=old.number[-4:], day=(timezone.localdate() - dt.timedelta(3)).isoformat())
    response = client.get(url, {"day": "昨天"})
    assert response.status_code == 400 and "日期格式" in response.content.decode()


def test_list_is_paginated(client, scene, assigned) -> None:
    for _ in range(26):
        place(scene, assigned)
    client.force_login(assigned)
    first = client.get(reverse("staff_orders:list")).content.decode()
    assert "第 1 / 2 页" in first
    second = client.get(reverse("staff_orders:list"), {"page": "2"}).content.decode()
    assert second.count('class="order-row') == 1


def _arrived(scene, user, minutes: float, *, slot: bool = False) -> Order:  # type: ignore[no-untyped-def]
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time()))
    now = midnight + dt.timedelta(minutes=1)  # today, whatever the time of the run
    order = place(scene, user, now=now)
    start = now + dt.timedelta(hours=2) if slot else None
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.COMPLETED,
        arrived_at=now + dt.timedelta(minutes=minutes),
        slot_start=start,
        slot_end=start + dt.timedelta(hours=1) if start else None,
    )
    return order


def test_headline_is_p50_and_p90_of_todays_immediate_orders(
    client, scene, assigned, django_assert_num_queries
) -> None:
    for minutes in (10, 12, 14, 16, 18, 20, 22, 24, 26, 40):
        _arrived(scene, assigned, minutes)
    _arrived(scene, assigned, 300, slot=True)  # a booking: the wait was chosen, not counted
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time()))
    with django_assert_num_queries(1):
        stats = arrival_stats(Order.objects.all(), since=midnight)
    assert stats.arrived == 10
    assert stats.p50_min == pytest.approx(19.0)
    assert stats.p90_min == pytest.approx(27.4)
    assert stats.on_time == pytest.approx(0.9)
    client.force_login(assigned)
    page = client.get(reverse("staff_orders:list")).content.decode()
    assert "27.4 分钟内" in page and "19.0 分钟" in page and "达到承诺" in page


def test_unfulfilled_and_overdue_orders_are_not_on_time_and_forbid_the_tick(
    client, scene, assigned
) -> None:
    """Walkthrough: 3 of 5 immediate orders ended 无人接单 and the page said 100% ✓."""
    for minutes in (12, 20):
        _arrived(scene, assigned, minutes)
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time()))
    lost = [place(scene, assigned, now=midnight + dt.timedelta(minutes=2)) for _ in range(3)]
    Order.objects.filter(pk__in=[o.pk for o in lost]).update(status=OrderStatus.UNFULFILLED)
    stats = arrival_stats(Order.objects.all(), since=midnight)
    assert (stats.arrived, stats.unfulfilled, stats.failed) == (2, 3, 3)
    assert stats.on_time == pytest.approx(2 / 5)
    assert stats.p90_kept is False
    client.force_login(assigned)
    page = client.get(reverse("staff_orders:list")).content.decode()
    assert "✓" not in page and "达到承诺：" not in page.replace("未达承诺：", "")
    assert "40%" in page and "3 单无人接单" in page
    assert 'id="today-unfulfilled"><dt>无人接单</dt><dd>⚠ 3 单' in page


def test_the_promise_is_not_kept_while_any_order_failed() -> None:
    early = ArrivalStats(arrived=1, waiting=1, p50_min=5, p90_min=5, on_time=1.0)
    assert early.p90_kept is True
    late = ArrivalStats(arrived=1, waiting=1, p50_min=5, p90_min=5, on_time=0.5, overdue=1)
    assert late.p90_kept is False and late.failed == 1


def test_waiting_order_older_than_30_minutes_is_overdue(scene, assigned) -> None:
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time()))
    order = place(scene, assigned, now=midnight + dt.timedelta(minutes=1))
    queryset = Order.objects.filter(pk=order.pk)
    soon = arrival_stats(queryset, since=midnight, now=midnight + dt.timedelta(minutes=20))
    assert (soon.waiting, soon.overdue, soon.on_time, soon.p90_kept) == (1, 0, None, None)
    later = arrival_stats(queryset, since=midnight, now=midnight + dt.timedelta(minutes=40))
    assert (later.waiting, later.overdue, later.on_time, later.p90_kept) == (1, 1, 0.0, False)


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 90) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5


def test_list_costs_the_same_queries_for_5_and_20_orders(
    client, scene, assigned, django_assert_max_num_queries
) -> None:
    for _ in range(5):
        place(scene, assigned)
    client.force_login(assigned)
    client.get(reverse("staff_orders:list"))  # warm the session
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("staff_orders:list"))
    for _ in range(15):
        place(scene, assigned)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("staff_orders:list"))


# --- ordering on behalf -----------------------------------------------------------------


def test_resident_is_found_by_name_or_phone_with_masked_details(client, scene, assigned) -> None:
    client.force_login(assigned)
    url = reverse("staff_orders:new")
    page = client.get(url, {"q": "王秀英"}).content.decode()
    assert f"resident={scene.mother.pk}" in page and scene.mother.id_number_masked in page
    assert scene.mother.phone not in page and _mother_number(scene) not in page
    by_phone = client.get(url, {"q": scene.mother.phone}).content.decode()
    assert f"resident={scene.mother.pk}" in by_phone
    assert f"resident={scene.daughter.pk}" not in by_phone


def _mother_number(scene) -> str:  # type: ignore[no-untyped-def]
    from linli.common import pii

    return pii.decrypt(scene.mother.id_number_encrypted)


def test_full_identity_number_finds_exactly_that_resident(client, scene, assigned) -> None:
    client.force_login(assigned)
    page = client.get(reverse("staff_orders:new"), {"q": _mother_number(scene)}).content.decode()
    assert f"resident={scene.mother.pk}" in page
    assert f"resident={scene.daughter.pk}" not in page


def test_resident_of_another_area_is_not_found(client, scene, assigned, outsider) -> None:
    client.force_login(assigned)
    url = reverse("staff_orders:new")
    assert f"resident={outsider.pk}" not in client.get(url, {"q": "外区居民"}).content.decode()
    for bad in (outsider.pk, "abc", "99999999"):
        response = client.get(url, {"resident": bad})
        assert response.status_code == 404 and "不在您负责的区域内" in response.content.decode()


def _form(scene, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    data = {
        "resident": str(scene.mother.pk),
        "service_type": str(scene.service("bath_assist").pk),
        "variant": "",
        "timing": "now",
        "slot_start": "",
        "workers_needed": "",
        "note": "女儿来电，下午在家",
    }
    data.update(extra)
    return data


def test_quote_then_confirm_places_a_staff_order_and_dispatches_it(client, scene, assigned) -> None:
    on_shift_today(scene)
    client.force_login(assigned)
    url = reverse("staff_orders:new")
    quoted = client.post(url, {**_form(scene), "action": "quote"})
    html = quoted.content.decode()
    assert quoted.status_code == 200 and "60.00" in html and 'value="6000"' in html
    assert not Order.objects.exists()
    response = client.post(url, {**_form(scene), "action": "confirm", "expected_price_fen": "6000"})
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff_orders:detail", args=[order.pk])
    assert order.channel == OrderChannel.STAFF and order.placed_by == assigned
    assert order.status == OrderStatus.ASSIGNED and order.note == "女儿来电，下午在家"
    offer = Offer.objects.get(order=order)
    assert offer.status == OfferStatus.PENDING and offer.worker in scene.carers
    detail = client.get(response["Location"]).content.decode()
    assert offer.worker.name in detail and "待接单" in detail and "已派给服务人员" in detail


def test_confirm_without_a_quote_is_refused(client, scene, assigned) -> None:
    client.force_login(assigned)
    response = client.post(reverse("staff_orders:new"), {**_form(scene), "action": "confirm"})
    assert response.status_code == 400 and "请先查看报价" in response.content.decode()
    assert not Order.objects.exists()


def test_changed_price_is_shown_again_instead_of_placing(client, scene, assigned) -> None:
    client.force_login(assigned)
    response = client.post(
        reverse("staff_orders:new"),
        {**_form(scene), "action": "confirm", "expected_price_fen": "100"},
    )
    html = response.content.decode()
    assert response.status_code == 400 and "价格已变为" in html and 'value="6000"' in html
    assert not Order.objects.exists()


def test_ordering_for_a_resident_outside_ones_area_is_refused(
    client, scene, assigned, outsider
) -> None:
    client.force_login(assigned)
    response = client.post(
        reverse("staff_orders:new"),
        {
            **_form(scene, resident=str(outsider.pk)),
            "action": "confirm",
            "expected_price_fen": "6000",
        },
    )
    assert response.status_code == 400
    assert "不在您负责的区域内" in response.content.decode()
    assert not Order.objects.exists()


def test_slot_in_the_past_is_refused(client, scene, assigned) -> None:
    client.force_login(assigned)
    past = timezone.localtime() - dt.timedelta(hours=1)
    data = _form(scene, timing="slot", slot_start=past.strftime("%Y-%m-%dT%H:%M"))
    response = client.post(reverse("staff_orders:new"), {**data, "action": "quote"})
    assert response.status_code == 400 and "预约时间已过" in response.content.decode()
    response = client.post(
        reverse("staff_orders:new"), {**data, "action": "confirm", "expected_price_fen": "6000"}
    )
    assert response.status_code == 400 and not Order.objects.exists()


def test_slot_booking_is_placed_for_the_chosen_time(client, scene, assigned) -> None:
    client.force_login(assigned)
    start = (timezone.localtime() + dt.timedelta(days=2)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    data = _form(scene, timing="slot", slot_start=start.strftime("%Y-%m-%dT%H:%M"))
    client.post(
        reverse("staff_orders:new"), {**data, "action": "confirm", "expected_price_fen": "6000"}
    )
    order = Order.objects.get()
    assert order.slot_start == start and order.slot_end == start + dt.timedelta(hours=1)
    assert order.status == OrderStatus.PLACED  # dispatched by the sweep before the slot


def test_crew_larger_than_the_service_allows_is_refused(client, scene, assigned) -> None:
    client.force_login(assigned)
    data = _form(scene, service_type=str(scene.service("repair").pk), workers_needed="2")
    response = client.post(reverse("staff_orders:new"), {**data, "action": "quote"})
    assert response.status_code == 400 and "最多需要 1 人" in response.content.decode()


def test_quote_reasons_naming_eligibility_are_hidden_without_sensitive_access() -> None:
    assert quote_reason("低保对象：8 元", scheme="canteen_meal", sensitive=True) == "低保对象：8 元"
    assert quote_reason("低保对象：8 元", scheme="canteen_meal", sensitive=False) == REASON_HIDDEN
    assert quote_reason("标准价", scheme=None, sensitive=False) == "标准价"


def test_meal_quote_shows_the_tier_rule_to_a_grid_worker(client, scene, assigned) -> None:
    client.force_login(assigned)
    data = _form(scene, service_type=str(scene.service("meal_assist").pk), variant="delivery")
    html = client.post(reverse("staff_orders:new"), {**data, "action": "quote"}).content.decode()
    assert "8.00" in html and "60" in html  # the 80-year-old mother gets the 60+ tier


# --- detail: cancel and redispatch ------------------------------------------------------


def test_cancel_needs_a_reason_and_then_withdraws_the_offer(client, scene, assigned) -> None:
    on_shift_today(scene)
    order = dispatch(place(scene, assigned))
    client.force_login(assigned)
    url = reverse("staff_orders:cancel", args=[order.pk])
    refused = client.post(url, {"reason": " "})
    assert refused.status_code == 400 and "需填写原因" in refused.content.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ASSIGNED
    response = client.post(url, {"reason": "居民家属已自行安排"})
    order.refresh_from_db()
    assert response.status_code == 302
    assert order.status == OrderStatus.CANCELLED and order.cancel_reason == "居民家属已自行安排"
    assert not order.offers.filter(status=OfferStatus.PENDING).exists()
    again = client.post(url, {"reason": "再次取消"})
    assert again.status_code == 409 and "不能取消" in again.content.decode()


def test_an_order_in_service_cannot_be_cancelled(client, scene, assigned) -> None:
    order = place(scene, assigned)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.IN_SERVICE)
    client.force_login(assigned)
    page = client.get(reverse("staff_orders:detail", args=[order.pk])).content.decode()
    assert 'id="cancel"' not in page
    response = client.post(reverse("staff_orders:cancel", args=[order.pk]), {"reason": "测试"})
    assert response.status_code == 409 and "服务正在进行中" in response.content.decode()


def test_redispatch_of_an_unfulfilled_order_places_a_linked_new_one(
    client, scene, assigned
) -> None:
    lost = dispatch(place(scene, assigned))
    assert lost.status == OrderStatus.UNFULFILLED
    on_shift_today(scene)  # the provider has called in a caregiver
    client.force_login(assigned)
    response = client.post(reverse("staff_orders:redispatch", args=[lost.pk]))
    fresh = Order.objects.exclude(pk=lost.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff_orders:detail", args=[fresh.pk])
    assert fresh.status == OrderStatus.ASSIGNED and lost.number in fresh.note
    lost.refresh_from_db()
    assert lost.status == OrderStatus.UNFULFILLED  # final states stay final
    place_event = fresh.events.get(action=OrderAction.PLACE)
    assert place_event.data["redispatch_of"] == lost.number
    page = client.get(reverse("staff_orders:detail", args=[lost.pk])).content.decode()
    assert reverse("staff_orders:detail", args=[fresh.pk]) in page
    page = client.get(reverse("staff_orders:detail", args=[fresh.pk])).content.decode()
    assert 'id="predecessor"' in page and lost.number in page


def test_an_unfulfilled_order_is_redispatched_once(client, scene, assigned) -> None:
    lost = dispatch(place(scene, assigned))
    client.force_login(assigned)
    url = reverse("staff_orders:redispatch", args=[lost.pk])
    client.post(url)  # still nobody on shift: the new order is unfulfilled too
    again = client.post(url)
    assert again.status_code == 409 and "已经重新派单过" in again.content.decode()
    assert Order.objects.count() == 2


def test_redispatch_of_a_waiting_order_dispatches_it_now(client, scene, assigned) -> None:
    order = place(scene, assigned)
    on_shift_today(scene)
    client.force_login(assigned)
    client.post(reverse("staff_orders:redispatch", args=[order.pk]))
    order.refresh_from_db()
    assert order.status == OrderStatus.ASSIGNED and Order.objects.count() == 1


def test_redispatch_of_a_completed_order_is_refused(client, scene, assigned) -> None:
    order = place(scene, assigned)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.COMPLETED)
    client.force_login(assigned)
    response = client.post(reverse("staff_orders:redispatch", args=[order.pk]))
    assert response.status_code == 409 and "不能重新派单" in response.content.decode()
    assert Order.objects.count() == 1


def test_detail_links_the_complaint_case(client, scene, assigned) -> None:
    from linli.orders.ordering import order_rate

    order = place(scene, assigned)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.COMPLETED)
    order_rate(order=order, actor=scene.daughter_user, stars=1, comment="护工迟到一小时")
    order.refresh_from_db()
    client.force_login(assigned)
    page = client.get(reverse("staff_orders:detail", args=[order.pk])).content.decode()
    assert order.complaint_case is not None
    assert reverse("cases:detail", args=[order.complaint_case.number]) in page


def test_full_phone_is_only_linked_to_the_logged_reveal(client, scene, assigned, areas) -> None:
    order = place(scene, assigned)
    url = reverse("staff_orders:detail", args=[order.pk])
    reveal = reverse("admin:people_resident_pii_reveal", args=[scene.mother.pk])
    client.force_login(assigned)  # a micro-grid worker: masked only
    page = client.get(url).content.decode()
    assert scene.mother.phone not in page and reveal not in page
    client.force_login(staff_user(areas["community"], Role.COMMUNITY_ADMIN))
    page = client.get(url).content.decode()
    assert scene.mother.phone not in page and reveal in page


def test_detail_names_the_chosen_service_form(client, scene, assigned) -> None:
    order = place(scene, assigned, code="meal_assist", variant="dine_in")
    client.force_login(assigned)
    page = client.get(reverse("staff_orders:detail", args=[order.pk])).content.decode()
    assert "（堂食预约）" in page


def test_a_variant_of_another_service_is_refused_in_chinese(client, scene, assigned) -> None:
    """Walkthrough: 助浴 + 远程问诊 got a quote, then a raw error "remote"."""
    client.force_login(assigned)
    url = reverse("staff_orders:new")
    for action in ("quote", "confirm"):
        response = client.post(url, _form(scene, variant="remote", action=action))
        page = response.content.decode()
        assert response.status_code == 400
        assert "没有这种服务形式，请重新选择" in page and 'id="quote"' not in page
    assert not Order.objects.exists()


def test_a_posted_service_offers_only_its_own_variants(client, scene, assigned) -> None:
    client.force_login(assigned)
    page = client.post(
        reverse("staff_orders:new"),
        _form(scene, service_type=str(scene.service("meal_assist").pk), action="quote"),
    ).content.decode()
    groups = re.findall(r'<optgroup label="([^"]+)"', page)
    assert groups == [scene.service("meal_assist").name]
    assert 'value="dine_in"' in page and 'value="remote"' not in page
    blank = client.get(reverse("staff_orders:new"), {"resident": scene.mother.pk}).content.decode()
    assert len(re.findall(r"<optgroup ", blank)) > 1 and "data-groups=" in blank
    assert "orders/staff-new.js" in blank


def test_a_redispatched_original_no_longer_needs_handling(client, scene, assigned) -> None:
    """Walkthrough: after 重新派单 the original kept counting in 需处理 and showed the
    family a ⚠ they could not act on."""
    lost = dispatch(place(scene, assigned))
    other = dispatch(place(scene, assigned))
    assert lost.status == other.status == OrderStatus.UNFULFILLED
    on_shift_today(scene)
    client.force_login(assigned)
    assert "⚠ 无人接单 2 单" in client.get(reverse("staff_orders:list")).content.decode()
    client.post(reverse("staff_orders:redispatch", args=[lost.pk]))
    fresh = Order.objects.exclude(pk__in=[lost.pk, other.pk]).get()
    page = client.get(reverse("staff_orders:list")).content.decode()
    assert "⚠ 无人接单 1 单" in page
    alerts = client.get(reverse("staff_orders:list"), {"status": "alerts"}).content.decode()
    assert other.number in alerts and lost.number not in alerts
    # The family sees where the work went instead of a warning.
    client.force_login(scene.daughter_user)
    mine = re.sub(r"\s+", " ", client.get(f"/me/orders/{lost.pk}/").content.decode())
    assert "社区已重新为您安排（新订单号 <a" in mine and fresh.number in mine
    assert f'href="/me/orders/{fresh.pk}/"' in mine
    assert "暂时没有服务人员可以接单" not in mine
    listing = client.get("/me/orders/").content.decode()
    assert "社区已重新安排" in listing
