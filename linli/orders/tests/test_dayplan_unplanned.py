"""Staff are alerted, once per booking, when the day plan leaves a booking unplanned."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType

from linli.notify.models import Notification
from linli.orders.dayplan import UNPLANNED_KIND, plan_day
from linli.orders.models import Order, OrderStatus, Shift
from linli.orders.services import shift_create
from linli.orders.tests.factories import DAY, local, worker
from linli.people.models import Role
from linli.testing.factories import staff_user

pytestmark = pytest.mark.django_db

TOMORROW = DAY + dt.timedelta(days=1)
FAST = {"seconds": 20, "seed": 3, "max_iterations": 150}


def at(hour: int) -> dt.datetime:
    return local(TOMORROW, hour)


def book(scene, start: dt.datetime, end: dt.datetime) -> Order:  # type: ignore[no-untyped-def]
    from linli.orders.ordering import order_place

    return order_place(
        service_type=scene.service("housekeeping"),
        resident=scene.mother,
        placed_by=scene.daughter_user,
        slot_start=start,
        slot_end=end,
        now=scene.now,
    )


def alerts(order: Order):  # type: ignore[no-untyped-def]
    return Notification.objects.filter(
        kind=UNPLANNED_KIND,
        subject_type=ContentType.objects.get_for_model(Order),
        subject_id=order.pk,
    )


@pytest.fixture
def crew(scene):  # type: ignore[no-untyped-def]
    """One housekeeper working 08–18 tomorrow."""
    person = worker(scene.profile, skills={"housekeeping": None}, shift=None, name="独自")
    shift_create(worker=person, date=TOMORROW, start=dt.time(8), end=dt.time(18))
    return person


def test_unplanned_booking_alerts_admins_and_dispatchers_once(  # type: ignore[no-untyped-def]
    scene, crew, community_admin, elsewhere
) -> None:
    dispatcher = staff_user(scene.areas["street"], Role.DISPATCHER)
    grid_worker = staff_user(scene.areas["micro_grid"])
    fits = book(scene, at(9), at(11))
    evening = book(scene, at(19), at(20))  # after the only shift: nobody can do it
    result = plan_day(date=TOMORROW, now=scene.now, **FAST)
    assert [u.order.pk for u in result.unplanned] == [evening.pk]
    assert {n.user for n in alerts(evening)} == {community_admin, dispatcher}
    alert = alerts(evening).get(user=community_admin)
    assert alert.link == f"/orders/{evening.pk}/"
    assert evening.number in alert.body and result.unplanned[0].reason in alert.body
    assert "19:00" in alert.body and alert.read_at is None
    assert not alerts(fits).exists()
    assert not Notification.objects.filter(kind=UNPLANNED_KIND, user=elsewhere).exists()
    assert not Notification.objects.filter(kind=UNPLANNED_KIND, user=grid_worker).exists()
    # planning again (the 18:00 run after a manual plan-day) does not alert again
    again = plan_day(date=TOMORROW, now=scene.now, **FAST)
    assert [u.order.pk for u in again.unplanned] == [evening.pk]
    assert alerts(evening).count() == 2  # still one each for the admin and the dispatcher


def test_a_booking_dropped_by_a_later_plan_is_alerted_then(  # type: ignore[no-untyped-def]
    scene, crew, community_admin
) -> None:
    morning = book(scene, at(9), at(11))
    first = plan_day(date=TOMORROW, now=scene.now, **FAST)
    assert first.unplanned == [] and not alerts(morning).exists()
    assert Order.objects.get(pk=morning.pk).status == OrderStatus.ASSIGNED
    Shift.objects.filter(worker=crew).delete()  # the housekeeper is off after all
    second = plan_day(date=TOMORROW, now=scene.now, **FAST)
    assert [u.order.pk for u in second.unplanned] == [morning.pk]
    assert Order.objects.get(pk=morning.pk).status == OrderStatus.PLACED
    assert alerts(morning).count() == 1


def test_no_alert_without_unplanned_bookings_or_staff(scene, crew) -> None:  # type: ignore[no-untyped-def]
    evening = book(scene, at(19), at(20))
    result = plan_day(date=TOMORROW, now=scene.now, **FAST)
    assert [u.order.pk for u in result.unplanned] == [evening.pk]
    assert not alerts(evening).exists()  # nobody administers the area: nobody to tell
