"""Placing, advancing, cancelling and rating orders (linli.orders.ordering)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from linli.orders.dispatching import dispatch, offer_accept
from linli.orders.models import Order, OrderAction, OrderChannel, OrderEvent, OrderStatus
from linli.orders.ordering import (
    order_arrive,
    order_cancel,
    order_complete,
    order_en_route,
    order_place,
    order_rate,
    order_start,
)
from linli.orders.tests.factories import DAY, local
from linli.people.models import Role
from linli.testing.factories import BuildingFactory, ResidentFactory, area_chain, staff_user

pytestmark = pytest.mark.django_db


def place(scene, code="bath_assist", user=None, **kwargs):  # type: ignore[no-untyped-def]
    return order_place(
        service_type=scene.service(code),
        resident=kwargs.pop("resident", scene.mother),
        placed_by=user or scene.daughter_user,
        now=kwargs.pop("now", scene.now),
        **kwargs,
    )


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    return buffer.getvalue()


# --- who may order ---------------------------------------------------------------------


def test_daughter_with_consent_orders_for_mother(scene) -> None:  # type: ignore[no-untyped-def]
    order = place(scene)
    assert order.status == OrderStatus.PLACED
    assert order.channel == OrderChannel.FAMILY
    assert order.resident == scene.mother
    assert order.household == scene.mother.household  # address defaults to the household
    assert order.area == scene.areas["micro_grid"]
    assert order.number.startswith("FW20300108-")
    assert order.price_fen == 6000
    [event] = OrderEvent.objects.filter(order=order)
    assert (event.action, event.to_status, event.at) == ("place", "placed", scene.now)


def test_resident_orders_for_themself(scene) -> None:  # type: ignore[no-untyped-def]
    order = place(scene, user=scene.mother_user)
    assert order.channel == OrderChannel.SELF


def test_no_consent_link_is_refused_and_nothing_written(scene) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="没有为该居民下单的授权"):
        place(scene, user=scene.stranger_user)
    assert not Order.objects.exists()


def test_revoked_consent_is_refused(scene) -> None:  # type: ignore[no-untyped-def]
    scene.mother.family_links.update(revoked_at=scene.now)
    with pytest.raises(ValidationError, match="授权"):
        place(scene)


def test_staff_orders_by_phone_in_their_area_only(scene, elsewhere) -> None:  # type: ignore[no-untyped-def]
    staff = staff_user(scene.areas["community"], Role.COMMUNITY_ADMIN)
    assert place(scene, user=staff).channel == OrderChannel.STAFF
    with pytest.raises(ValidationError, match="不在您负责的区域"):
        place(scene, user=elsewhere)


def test_anonymous_is_refused(scene) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ValidationError, match="请先登录"):
        place(scene, user=AnonymousUser())


# --- what, when, where -----------------------------------------------------------------


def test_slot_in_the_past_is_refused(scene) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="预约时间已过"):
        place(scene, slot_start=scene.now - dt.timedelta(minutes=1))
    assert not Order.objects.exists()


def test_slot_booking_gets_default_one_hour(scene) -> None:  # type: ignore[no-untyped-def]
    start = local(DAY, 15)
    order = place(scene, slot_start=start)
    assert (order.slot_start, order.slot_end) == (start, start + dt.timedelta(hours=1))
    assert not order.immediate


def test_slot_end_before_start_is_refused(scene) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="结束时间必须晚于"):
        place(scene, slot_start=local(DAY, 15), slot_end=local(DAY, 14))


def test_slot_too_far_ahead_is_refused(scene) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="30 天"):
        place(scene, slot_start=scene.now + dt.timedelta(days=31))


def test_on_demand_only_service_refuses_a_slot(scene) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="只提供即时服务"):
        place(scene, "medicine_delivery", slot_start=local(DAY, 15))


def test_scheduled_only_service_needs_a_slot(scene) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="需要预约时间"):
        place(scene, "haircut")


def test_unknown_variant_is_refused(scene) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="没有“helicopter”这种服务形式"):
        place(scene, "meal_assist", variant="helicopter")


def test_address_outside_the_community_is_refused(scene) -> None:  # type: ignore[no-untyped-def]
    far = BuildingFactory(micro_grid=area_chain("640106002", "别处")["micro_grid"], lat=1, lng=1)
    with pytest.raises(ValidationError, match="不在本社区服务范围内"):
        place(scene, building=far)


def test_another_building_in_the_community_is_accepted(scene) -> None:  # type: ignore[no-untyped-def]
    there = BuildingFactory(micro_grid=scene.areas["micro_grid"], lat=38.471, lng=106.231)
    order = place(scene, building=there)
    assert (order.building, order.household) == (there, None)


def test_crew_larger_than_the_service_allows_is_refused(scene) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="最多需要 1 人"):
        place(scene, "housekeeping", workers_needed=2)


def test_changed_price_is_refused_before_confirming(scene) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=r"价格已变为 60\.00 元"):
        place(scene, expected_price_fen=5000)
    assert place(scene, expected_price_fen=6000).price_fen == 6000


def test_canteen_meal_is_priced_by_the_eligibility_tier(scene) -> None:  # type: ignore[no-untyped-def]
    mother = place(scene, "meal_assist")
    daughter = place(scene, "meal_assist", resident=scene.daughter, user=scene.daughter_user)
    assert (mother.price_fen, daughter.price_fen) == (800, 1200)
    assert mother.quote["reason"] and mother.quote["rules"]


def test_resident_turning_60_on_the_day_gets_the_elder_price(scene) -> None:  # type: ignore[no-untyped-def]
    from linli.testing.factories import make_id_number

    turning = ResidentFactory(
        household=scene.mother.household, id_number=make_id_number(dt.date(1970, 1, 8))
    )
    staff = staff_user(scene.areas["community"], Role.COMMUNITY_ADMIN)
    order = place(scene, "meal_assist", resident=turning, user=staff)
    assert order.price_fen == 800


# --- the lifecycle ---------------------------------------------------------------------


def accepted(scene, code="bath_assist"):  # type: ignore[no-untyped-def]
    order = dispatch(place(scene, code), now=scene.now)
    holder = order.offers.get().worker
    return offer_accept(order=order, worker=holder, now=scene.now), holder


def test_full_walk_records_every_step(scene) -> None:  # type: ignore[no-untyped-def]
    order, carer = accepted(scene)
    at = scene.now
    for step in (order_en_route, order_arrive, order_start):
        at += dt.timedelta(minutes=5)
        order = step(order=order, worker=carer, now=at)
    order = order_complete(order=order, worker=carer, note="洗浴顺利", photos=[jpeg()], now=at)
    assert order.status == OrderStatus.COMPLETED
    assert order.arrival_seconds == 600
    assert order.completion_note == "洗浴顺利"
    assert order.photos.count() == 1
    actions = list(order.events.values_list("action", flat=True))
    assert actions == [
        "place",
        "offer",
        "accept",
        "en_route",
        "arrive",
        "start",
        "complete",
    ]


def test_a_worker_who_does_not_hold_the_order_cannot_arrive(scene) -> None:  # type: ignore[no-untyped-def]
    order, carer = accepted(scene)
    other = next(w for w in scene.carers if w != carer)
    with pytest.raises(ValidationError, match="您没有承接此订单"):
        order_arrive(order=order, worker=other, now=scene.now)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED and order.arrived_at is None


def test_steps_out_of_order_are_refused(scene) -> None:  # type: ignore[no-untyped-def]
    order, carer = accepted(scene)
    with pytest.raises(ValidationError, match="不能开始服务"):
        order_start(order=order, worker=carer, now=scene.now)


def test_repeated_tap_changes_nothing(scene) -> None:  # type: ignore[no-untyped-def]
    order, carer = accepted(scene)
    order_arrive(order=order, worker=carer, now=scene.now)
    order_arrive(order=order, worker=carer, now=scene.now + dt.timedelta(minutes=1))
    order.refresh_from_db()
    assert order.arrived_at == scene.now
    assert order.events.filter(action=OrderAction.ARRIVE).count() == 1


def test_a_bad_photo_stops_completion_with_nothing_written(scene) -> None:  # type: ignore[no-untyped-def]
    order, carer = accepted(scene)
    order_arrive(order=order, worker=carer, now=scene.now)
    with pytest.raises(ValidationError):
        order_complete(order=order, worker=carer, photos=[b"not an image"], now=scene.now)
    order.refresh_from_db()
    assert order.status == OrderStatus.ARRIVED and not order.photos.exists()


# --- cancelling ------------------------------------------------------------------------


def test_family_cancels_before_the_worker_sets_off(scene) -> None:  # type: ignore[no-untyped-def]
    order, _ = accepted(scene)
    order = order_cancel(order=order, actor=scene.daughter_user, now=scene.now)
    assert order.status == OrderStatus.CANCELLED
    assert not order.offers.filter(status__in=["pending", "accepted"]).exists()


def test_family_cannot_cancel_once_the_worker_is_on_the_way(scene) -> None:  # type: ignore[no-untyped-def]
    order, carer = accepted(scene)
    order_en_route(order=order, worker=carer, now=scene.now)
    with pytest.raises(ValidationError, match="已在路上"):
        order_cancel(order=order, actor=scene.daughter_user, now=scene.now)


def test_staff_cancel_needs_a_reason(scene) -> None:  # type: ignore[no-untyped-def]
    staff = staff_user(scene.areas["community"], Role.COMMUNITY_ADMIN)
    order = place(scene)
    with pytest.raises(ValidationError, match="需填写原因"):
        order_cancel(order=order, actor=staff, now=scene.now)
    assert order_cancel(order=order, actor=staff, reason="居民来电取消", now=scene.now).status == (
        OrderStatus.CANCELLED
    )


def test_accepted_booking_cannot_be_cancelled_by_family_close_to_the_slot(scene) -> None:  # type: ignore[no-untyped-def]
    order = place(scene, slot_start=local(DAY, 11))
    order = dispatch(order, now=scene.now)
    holder = order.offers.get().worker
    offer_accept(order=order, worker=holder, now=scene.now)
    with pytest.raises(ValidationError, match="2 小时内不能自行取消"):
        order_cancel(order=order, actor=scene.daughter_user, now=scene.now)


def test_stranger_cannot_cancel(scene) -> None:  # type: ignore[no-untyped-def]
    order = place(scene)
    with pytest.raises(ValidationError, match="授权"):
        order_cancel(order=order, actor=scene.stranger_user, now=scene.now)


# --- ratings and complaints ------------------------------------------------------------


def completed(scene):  # type: ignore[no-untyped-def]
    order, carer = accepted(scene)
    order_arrive(order=order, worker=carer, now=scene.now)
    return order_complete(order=order, worker=carer, now=scene.now)


def test_rating_once(scene) -> None:  # type: ignore[no-untyped-def]
    order = order_rate(order=completed(scene), actor=scene.daughter_user, stars=5, now=scene.now)
    assert order.rating == 5 and order.complaint_case is None
    with pytest.raises(ValidationError, match="已评价过"):
        order_rate(order=order, actor=scene.daughter_user, stars=4, now=scene.now)


@pytest.mark.parametrize("stars", [0, 6, -1])
def test_stars_outside_1_to_5_are_refused(scene, stars) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="1 到 5 星"):
        order_rate(order=completed(scene), actor=scene.daughter_user, stars=stars)


def test_rating_before_completion_is_refused(scene) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="完成后才能评价"):
        order_rate(order=place(scene), actor=scene.daughter_user, stars=5)


def test_low_rating_with_comment_files_a_complaint_case(scene) -> None:  # type: ignore[no-untyped-def]
    order = order_rate(
        order=completed(scene),
        actor=scene.daughter_user,
        stars=1,
        comment="护工迟到一小时，态度差",
        now=scene.now,
    )
    case = order.complaint_case
    assert case is not None
    assert case.category.code == "SQ11"
    assert case.subject_resident == scene.mother
    assert order.number in case.description and "迟到" in case.description
    assert order.events.filter(action=OrderAction.COMPLAIN).exists()


def test_complaint_without_comment_is_refused_and_nothing_written(scene) -> None:  # type: ignore[no-untyped-def]
    order = completed(scene)
    with pytest.raises(ValidationError, match="写明遇到的问题"):
        order_rate(order=order, actor=scene.daughter_user, stars=3, complain=True)
    order.refresh_from_db()
    assert order.rating is None


def test_worker_is_free_again_after_completion_or_cancellation(scene) -> None:  # type: ignore[no-untyped-def]
    from linli.orders.models import WorkerStatus

    order, carer = accepted(scene)
    carer.refresh_from_db()
    assert carer.status == WorkerStatus.BUSY
    order_arrive(order=order, worker=carer, now=scene.now)
    order_complete(order=order, worker=carer, now=scene.now)
    carer.refresh_from_db()
    assert carer.status == WorkerStatus.AVAILABLE
    second, holder = accepted(scene, "housekeeping")
    order_cancel(order=second, actor=scene.daughter_user, now=scene.now)
    holder.refresh_from_db()
    assert holder.status == WorkerStatus.AVAILABLE


def test_staff_ordering_for_a_resident_without_household_uses_the_residents_area(scene) -> None:  # type: ignore[no-untyped-def]
    from linli.people.models import Resident

    Resident.objects.filter(pk=scene.daughter.pk).update(household=None)
    scene.daughter.refresh_from_db()
    staff = staff_user(scene.areas["community"], Role.COMMUNITY_ADMIN)
    with pytest.raises(ValidationError, match="没有登记住址"):
        place(scene, resident=scene.daughter, user=staff)
