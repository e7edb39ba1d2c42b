"""The dispatch adapter (linli.orders.dispatching) on the daughter-for-mother scene.

Carers are placed by their last ping (written straight to the row: the scene's day is in
2030 and :func:`linli.orders.services.worker_ping` refuses pings from the future); a carer
without a fresh ping is at the provider's building, the service station ~420 m from home.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from linli.dispatch.travel import Point
from linli.notify.models import Notification
from linli.orders import dispatching
from linli.orders.dispatching import (
    dispatch,
    eta_minutes,
    offer_accept,
    offer_decline,
    offers_expire,
    reoptimise_held,
    sweep,
    waiting_orders,
    worker_states,
)
from linli.orders.models import (
    Offer,
    OfferStatus,
    Order,
    OrderStatus,
    Worker,
    WorkerSkill,
    WorkerStatus,
)
from linli.orders.ordering import (
    order_arrive,
    order_complete,
    order_en_route,
    order_place,
    order_start,
)
from linli.orders.tests.conftest import HOME
from linli.orders.tests.factories import DAY, local, provider, worker

pytestmark = pytest.mark.django_db

#: Degrees of latitude per metre (near enough at 38° N for placing carers).
DEG_PER_M = 1 / 111_200


def ping(person: Worker, *, metres_north: float, at: dt.datetime) -> Worker:
    """Put ``person`` ``metres_north`` of the mother's building, seen at ``at``."""
    lat = float(HOME[0]) + metres_north * DEG_PER_M
    Worker.objects.filter(pk=person.pk).update(
        last_lat=lat, last_lng=float(HOME[1]), last_ping_at=at
    )
    person.refresh_from_db()
    return person


def place(scene, code="bath_assist", **kwargs):  # type: ignore[no-untyped-def]
    return order_place(
        service_type=scene.service(code),
        resident=kwargs.pop("resident", scene.mother),
        placed_by=kwargs.pop("user", scene.daughter_user),
        now=kwargs.pop("now", scene.now),
        **kwargs,
    )


def pending(order: Order) -> list[Offer]:
    return list(order.offers.filter(status=OfferStatus.PENDING).order_by("worker_id"))


def offered_to(order: Order) -> Worker:
    [offer] = pending(order)
    return offer.worker


def actions(order: Order) -> list[str]:
    return list(order.events.order_by("at", "pk").values_list("action", flat=True))


def spread(scene, *metres: float) -> list[Worker]:  # type: ignore[no-untyped-def]
    """Ping the scene's carers at these distances north of home (same order)."""
    return [
        ping(carer, metres_north=m, at=scene.now)
        for carer, m in zip(scene.carers, metres, strict=True)
    ]


# --- who gets the offer -----------------------------------------------------------------


def test_nearest_free_qualified_carer_gets_the_offer(scene) -> None:  # type: ignore[no-untyped-def]
    _far, near, _middle = spread(scene, 900, 60, 400)
    order = dispatch(place(scene), now=scene.now)
    assert order.status == OrderStatus.ASSIGNED
    assert order.assigned_at == scene.now
    [offer] = pending(order)
    assert offer.worker == near
    assert offer.expires_at == scene.now + dt.timedelta(seconds=dispatching.offer_seconds())
    # 60 m × 1.3 detour at 4.5 km/h is about one minute
    assert eta_minutes(offer, now=scene.now) == 2
    assert actions(order) == ["place", "offer"]
    offer_event = order.events.get(action="offer")
    assert offer_event.worker == near and offer_event.to_status == "assigned"


def test_stale_ping_counts_as_being_at_the_provider_base(scene) -> None:  # type: ignore[no-untyped-def]
    # The first carer pinged next door two hours ago (stale); the second is 300 m away now;
    # the third, without a ping, is at the station ~420 m away.
    stale, fresh, _ = scene.carers
    ping(stale, metres_north=20, at=scene.now - dt.timedelta(hours=2))
    ping(fresh, metres_north=300, at=scene.now)
    order = dispatch(place(scene), now=scene.now)
    assert offered_to(order) == fresh


def _unqualified(scene) -> list[Worker]:  # type: ignore[no-untyped-def]
    """Four carers standing at the door, each unable to take a bath order for one reason."""
    from linli.testing.factories import area_chain

    expired = worker(scene.profile, skills={"bathing": DAY - dt.timedelta(days=1)}, name="过期证")
    late_shift = worker(scene.profile, shift=(14, 18), name="下午班")
    off = worker(scene.profile, status=WorkerStatus.OFF, name="下线")
    elsewhere = area_chain("640106002", name="别处")
    other = provider(elsewhere["community"], serves=[elsewhere["community"]])
    outsider = worker(other, name="外区")
    people = [expired, late_shift, off, outsider]
    for person in people:
        ping(person, metres_north=5, at=scene.now)
    return people


def test_unqualified_carers_are_never_offered(scene, community_admin) -> None:  # type: ignore[no-untyped-def]
    unqualified = _unqualified(scene)
    spread(scene, 800, 900, 1000)
    order = dispatch(place(scene), now=scene.now)
    tried = []
    while order.status == OrderStatus.ASSIGNED:
        person = offered_to(order)
        tried.append(person)
        order = offer_decline(order=order, worker=person, reason="忙", now=scene.now)
    # Only the three qualified carers were asked, nearest first; then nobody was left
    assert tried == scene.carers
    assert order.status == OrderStatus.UNFULFILLED
    assert not Offer.objects.filter(worker__in=unqualified).exists()


def test_held_work_counts_a_busy_carer_at_the_door_loses_to_a_free_one(scene) -> None:  # type: ignore[no-untyped-def]
    busy, free, _ = scene.carers
    ping(busy, metres_north=10, at=scene.now)
    Worker.objects.filter(pk=scene.carers[2].pk).update(status=WorkerStatus.OFF)
    # The busy carer holds a housekeeping job (60 min) next door, started just now
    chore = dispatch(place(scene, "housekeeping"), now=scene.now)
    assert offered_to(chore) == busy
    offer_accept(order=chore, worker=busy, now=scene.now)
    order_arrive(order=chore, worker=busy, now=scene.now)
    order_start(order=chore, worker=busy, now=scene.now)
    # The free carer is 800 m away (about 14 minutes on foot)
    ping(free, metres_north=800, at=scene.now)
    order = dispatch(place(scene), now=scene.now)
    assert offered_to(order) == free
    [state] = worker_states(
        [Worker.objects.get(pk=busy.pk)], at=scene.now, fallback=Point(0.0, 0.0)
    )
    assert state.available_at == pytest.approx(scene.now.timestamp() + 3600)


# --- declines and timeouts --------------------------------------------------------------


def test_decline_moves_the_order_to_the_next_carer_at_once(scene) -> None:  # type: ignore[no-untyped-def]
    first, second, _ = spread(scene, 50, 200, 900)
    order = dispatch(place(scene), now=scene.now)
    later = scene.now + dt.timedelta(seconds=20)
    order = offer_decline(order=order, worker=first, reason="在忙", now=later)
    assert order.status == OrderStatus.ASSIGNED
    assert offered_to(order) == second
    declined = order.offers.get(worker=first)
    assert (declined.status, declined.responded_at) == (OfferStatus.DECLINED, later)
    assert actions(order) == ["place", "offer", "decline", "offer"]
    assert order.events.get(action="decline").note == "在忙"
    with pytest.raises(ValidationError, match="已失效"):
        offer_accept(order=order, worker=first, now=later)


def test_decline_reason_too_long_writes_nothing(scene) -> None:  # type: ignore[no-untyped-def]
    first, *_ = spread(scene, 50, 200, 900)
    order = dispatch(place(scene), now=scene.now)
    with pytest.raises(ValidationError, match="200"):
        offer_decline(order=order, worker=first, reason="忙" * 201, now=scene.now)
    assert offered_to(order) == first
    assert actions(order) == ["place", "offer"]


def test_timeout_moves_the_order_to_the_next_carer(scene) -> None:  # type: ignore[no-untyped-def]
    first, second, _ = spread(scene, 50, 200, 900)
    order = dispatch(place(scene), now=scene.now)
    # Nothing expires before the limit
    assert offers_expire(now=scene.now + dt.timedelta(seconds=30)) == 0
    after = scene.now + dt.timedelta(seconds=dispatching.offer_seconds() + 1)
    assert offers_expire(now=after) == 1
    order.refresh_from_db()
    assert offered_to(order) == second
    assert order.offers.get(worker=first).status == OfferStatus.EXPIRED
    assert actions(order) == ["place", "offer", "expire", "offer"]
    assert "秒内未接单" in order.events.get(action="expire").note


def test_late_accept_is_refused_and_the_order_has_moved_on(scene) -> None:  # type: ignore[no-untyped-def]
    first, second, _ = spread(scene, 50, 200, 900)
    order = dispatch(place(scene), now=scene.now)
    late = scene.now + dt.timedelta(seconds=dispatching.offer_seconds() + 30)
    with pytest.raises(ValidationError, match="接单已超时"):
        offer_accept(order=order, worker=first, now=late)
    order.refresh_from_db()
    assert order.status == OrderStatus.ASSIGNED
    assert offered_to(order) == second
    assert order.offers.get(worker=first).status == OfferStatus.EXPIRED
    assert actions(order) == ["place", "offer", "expire", "offer"]


def test_everyone_declines_unfulfilled_and_the_community_admin_is_alerted(
    scene, community_admin
) -> None:  # type: ignore[no-untyped-def]
    spread(scene, 50, 200, 900)
    order = dispatch(place(scene), now=scene.now)
    asked = []
    for _ in scene.carers:
        asked.append(offered_to(order))
        order = offer_decline(order=order, worker=asked[-1], now=scene.now)
    assert sorted(a.pk for a in asked) == sorted(c.pk for c in scene.carers)
    assert order.status == OrderStatus.UNFULFILLED
    assert order.unfulfilled_at == scene.now
    assert actions(order) == ["place"] + ["offer", "decline"] * 3 + ["unfulfil"]
    assert "3 名" in order.events.get(action="unfulfil").note
    [alert] = Notification.objects.filter(user=community_admin)
    assert alert.kind == "order.unfulfilled"
    assert order.number in alert.body
    assert alert.link == f"/orders/{order.pk}/"


def test_no_qualified_carer_at_all_is_unfulfilled_at_once(scene, community_admin) -> None:  # type: ignore[no-untyped-def]
    # Nobody holds the repair skill
    order = dispatch(place(scene, "repair"), now=scene.now)
    assert order.status == OrderStatus.UNFULFILLED
    assert not order.offers.exists()
    assert actions(order) == ["place", "unfulfil"]
    assert Notification.objects.filter(user=community_admin, kind="order.unfulfilled").count() == 1


def test_unfulfilled_alert_skips_staff_of_other_areas(scene, elsewhere) -> None:  # type: ignore[no-untyped-def]
    dispatch(place(scene, "repair"), now=scene.now)
    assert not Notification.objects.filter(user=elsewhere).exists()


# --- crews ------------------------------------------------------------------------------


def test_crew_of_two_is_accepted_only_when_both_accept(scene) -> None:  # type: ignore[no-untyped-def]
    first, second, _ = spread(scene, 50, 100, 900)
    order = dispatch(place(scene, workers_needed=2), now=scene.now)
    assert order.workers_needed == 2
    assert [o.worker for o in pending(order)] == [first, second]
    order = offer_accept(order=order, worker=first, now=scene.now)
    assert order.status == OrderStatus.ASSIGNED
    order = offer_accept(order=order, worker=second, now=scene.now)
    assert order.status == OrderStatus.ACCEPTED
    assert order.accepted_at == scene.now
    assert actions(order) == ["place", "offer", "offer", "accept", "accept"]


def test_crew_member_declining_is_replaced_and_the_other_keeps_the_job(scene) -> None:  # type: ignore[no-untyped-def]
    first, second, third = spread(scene, 50, 100, 900)
    order = dispatch(place(scene, workers_needed=2), now=scene.now)
    order = offer_accept(order=order, worker=first, now=scene.now)
    order = offer_decline(order=order, worker=second, now=scene.now)
    assert offered_to(order) == third
    order = offer_accept(order=order, worker=third, now=scene.now)
    assert order.status == OrderStatus.ACCEPTED
    held = order.offers.filter(status=OfferStatus.ACCEPTED).values_list("worker", flat=True)
    assert sorted(held) == sorted([first.pk, third.pk])


# --- bookings and the sweep -------------------------------------------------------------


def test_booking_is_dispatched_only_within_the_lead_time(scene) -> None:  # type: ignore[no-untyped-def]
    spread(scene, 50, 200, 900)
    booking = place(scene, slot_start=local(DAY, 15), slot_end=local(DAY, 16))
    now_order = place(scene, "housekeeping")
    # At 10:00 a 15:00 booking is not due (lead 2 h): dispatching it now leaves it placed
    assert waiting_orders(now=scene.now) == [now_order]
    assert dispatch(booking, now=scene.now).status == OrderStatus.PLACED
    assert not booking.offers.exists()
    # At 13:00 it is due
    at = local(DAY, 13)
    assert booking in waiting_orders(now=at)
    counts = sweep(now=at)
    booking.refresh_from_db()
    assert booking.status == OrderStatus.ASSIGNED
    assert counts["dispatched"] == 2  # the booking and the waiting housekeeping order
    # Its expected arrival is the slot start, not "now plus the walk"
    assert pending(booking)[0].eta == local(DAY, 15)
    # An order with a pending offer is not waiting any more
    assert waiting_orders(now=at) == []
    # A repair booking (nobody has the skill) is given up when it comes due
    repair = place(scene, "repair", slot_start=local(DAY, 16), slot_end=local(DAY, 17))
    assert dispatch(repair, now=at).status == OrderStatus.PLACED
    assert sweep(now=local(DAY, 14, 30))["unfulfilled"] == 1
    repair.refresh_from_db()
    assert repair.status == OrderStatus.UNFULFILLED


def test_sweep_counts_expired_and_dispatched(scene) -> None:  # type: ignore[no-untyped-def]
    first, second, third = spread(scene, 50, 200, 900)
    a = dispatch(place(scene), now=scene.now)
    b = dispatch(place(scene, "housekeeping"), now=scene.now)
    assert offered_to(a) == first and offered_to(b) == second
    # A third order finds only the far carer free
    c = dispatch(place(scene, "housekeeping"), now=scene.now)
    assert offered_to(c) == third
    # A fourth waits: every qualified carer is deciding
    d = dispatch(place(scene, "housekeeping"), now=scene.now)
    assert d.status == OrderStatus.PLACED
    assert sweep(now=scene.now + dt.timedelta(seconds=10)) == {
        "expired": 0,
        "dispatched": 0,
        "unfulfilled": 0,
        "moved": 0,
        "unconfirmed": 0,
    }
    # Everyone lets the offers lapse: three expire; a, b and c move on and d is offered
    counts = sweep(now=scene.now + dt.timedelta(seconds=dispatching.offer_seconds() + 5))
    # a, b and c went on to another carer each as they expired; d still waits for one
    assert counts == {
        "expired": 3,
        "dispatched": 0,
        "unfulfilled": 0,
        "moved": 0,
        "unconfirmed": 0,
    }
    assert Order.objects.get(pk=d.pk).status == OrderStatus.PLACED
    pending_now = Offer.objects.filter(status=OfferStatus.PENDING)
    # Never two pending offers for one carer
    workers = list(pending_now.values_list("worker_id", flat=True))
    assert len(workers) == len(set(workers)) == 3


# --- re-optimisation --------------------------------------------------------------------


def _busy_with(scene, person: Worker, code: str = "housekeeping") -> Order:  # type: ignore[no-untyped-def]
    order = dispatch(place(scene, code), now=scene.now)
    assert offered_to(order) == person
    offer_accept(order=order, worker=person, now=scene.now)
    order_arrive(order=order, worker=person, now=scene.now)
    return order_start(order=order, worker=person, now=scene.now)


def test_reoptimise_moves_a_waiting_job_to_a_carer_who_became_free(scene) -> None:  # type: ignore[no-untyped-def]
    a, b, c = spread(scene, 10, 20, 30)
    Worker.objects.filter(pk=c.pk).update(status=WorkerStatus.OFF)
    # a and b are both in an hour-long housekeeping job next door
    first = _busy_with(scene, a)
    second = _busy_with(scene, b)
    # A bath comes in: a takes it, to do after the housekeeping (about an hour's wait)
    bath = dispatch(place(scene), now=scene.now)
    holder = offered_to(bath)
    offer_accept(order=bath, worker=holder, now=scene.now)
    other = b if holder == a else a
    assert reoptimise_held(now=scene.now + dt.timedelta(minutes=1)) == 0
    # Ten minutes later the other carer finishes early and is free
    at = scene.now + dt.timedelta(minutes=10)
    order_complete(order=second if other == b else first, worker=other, note="提前完成", now=at)
    assert reoptimise_held(now=at) == 1
    bath.refresh_from_db()
    # A hand-over is offered; until it is accepted the first carer keeps the job
    assert bath.status == OrderStatus.ACCEPTED
    assert bath.offers.get(worker=holder).status == OfferStatus.ACCEPTED
    assert offered_to(bath) == other
    assert actions(bath)[-1] == "offer"
    assert "重新优化" in bath.events.filter(action="offer").last().note
    assert reoptimise_held(now=at) == 0  # one hand-over on offer at a time
    # The other carer accepts: they hold it, the first carer no longer does
    bath = offer_accept(order=bath, worker=other, now=at)
    assert bath.status == OrderStatus.ACCEPTED
    assert bath.offers.get(worker=holder).status == OfferStatus.WITHDRAWN
    assert bath.offers.get(worker=other).status == OfferStatus.ACCEPTED
    assert actions(bath)[-2:] == ["accept", "withdraw"]
    assert "改由" in bath.events.get(action="withdraw").note


def hand_over_offered(scene):  # type: ignore[no-untyped-def]
    """Two carers busy next door, a bath accepted by one of them (``holder``); ten minutes
    later the ``other`` finishes early and re-optimisation offers them the bath.
    Returns ``(bath, holder, other, at)``."""
    a, b, c = spread(scene, 10, 20, 30)
    Worker.objects.filter(pk=c.pk).update(status=WorkerStatus.OFF)
    first = _busy_with(scene, a)
    _busy_with(scene, b)
    bath = dispatch(place(scene), now=scene.now)
    holder = offered_to(bath)
    offer_accept(order=bath, worker=holder, now=scene.now)
    other = b if holder == a else a
    at = scene.now + dt.timedelta(minutes=10)
    busy = first if other == a else Order.objects.exclude(pk__in=[first.pk, bath.pk]).get()
    order_complete(order=busy, worker=other, now=at)
    assert reoptimise_held(now=at) == 1
    return bath, holder, other, at


def test_reoptimised_job_declined_goes_back_to_its_first_holder(scene) -> None:  # type: ignore[no-untyped-def]
    bath, holder, other, at = hand_over_offered(scene)
    # The free carer declines the hand-over: the carer who had accepted it keeps it
    bath = offer_decline(order=bath, worker=other, reason="临时有事", now=at)
    assert bath.status == OrderStatus.ACCEPTED
    assert bath.offers.get(worker=holder).status == OfferStatus.ACCEPTED
    assert not pending(bath)


def test_hand_over_accepted_after_the_holder_set_off_is_withdrawn(scene) -> None:  # type: ignore[no-untyped-def]
    bath, holder, other, at = hand_over_offered(scene)
    order_en_route(order=bath, worker=holder, now=at)
    with pytest.raises(ValidationError, match="已有服务人员在处理"):
        offer_accept(order=bath, worker=other, now=at)
    bath.refresh_from_db()
    assert bath.status == OrderStatus.EN_ROUTE
    assert bath.offers.get(worker=holder).status == OfferStatus.ACCEPTED
    assert bath.offers.get(worker=other).status == OfferStatus.WITHDRAWN


def test_reoptimise_leaves_bookings_alone(scene) -> None:  # type: ignore[no-untyped-def]
    a, _b, c = spread(scene, 10, 20, 30)
    Worker.objects.filter(pk=c.pk).update(status=WorkerStatus.OFF)
    first = _busy_with(scene, a)
    booking = place(scene, slot_start=local(DAY, 11), slot_end=local(DAY, 12))
    booking = dispatch(booking, now=scene.now)
    holder = offered_to(booking)
    offer_accept(order=booking, worker=holder, now=scene.now)
    assert first.status == OrderStatus.IN_SERVICE
    assert reoptimise_held(now=scene.now + dt.timedelta(minutes=5)) == 0
    assert booking.offers.get(worker=holder).status == OfferStatus.ACCEPTED


def test_certificate_expiring_removes_the_skill_from_the_state(scene) -> None:  # type: ignore[no-untyped-def]
    carer = scene.carers[0]
    WorkerSkill.objects.filter(worker=carer, skill__code="bathing").update(
        valid_until=DAY - dt.timedelta(days=1)
    )
    spread(scene, 10, 500, 900)
    order = dispatch(place(scene), now=scene.now)
    assert offered_to(order) == scene.carers[1]


# --- appointments -----------------------------------------------------------------------


def test_an_accepted_booking_soon_keeps_a_carer_from_a_long_job(scene) -> None:  # type: ignore[no-untyped-def]
    near, far, off = spread(scene, 10, 900, 1000)
    Worker.objects.filter(pk=off.pk).update(status=WorkerStatus.OFF)
    booking = place(scene, "housekeeping", slot_start=local(DAY, 10, 30), slot_end=local(DAY, 11))
    booking = dispatch(booking, now=scene.now)
    assert offered_to(booking) == near
    offer_accept(order=booking, worker=near, now=scene.now)
    # A 45-minute bath next door would make the near carer miss 10:30: the far one gets it
    order = dispatch(place(scene), now=scene.now)
    assert offered_to(order) == far


def test_a_planned_visit_soon_keeps_a_carer_from_a_long_job(scene) -> None:  # type: ignore[no-untyped-def]
    from linli.orders.dayplan import plan_day

    booking = place(scene, "housekeeping", slot_start=local(DAY, 10, 40), slot_end=local(DAY, 11))
    plan_day(date=DAY, now=scene.now, seconds=5, max_iterations=50)
    [planned] = pending(booking)
    assert planned.planned and planned.expires_at is None
    holder = planned.worker
    others = [c for c in scene.carers if c != holder]
    ping(holder, metres_north=10, at=scene.now)
    ping(others[0], metres_north=900, at=scene.now)
    Worker.objects.filter(pk=others[1].pk).update(status=WorkerStatus.OFF)
    # The planned carer is free now (a pending planned visit does not block offers) but
    # is due next door at about 10:40: the 45-minute bath goes to the far carer
    order = dispatch(place(scene), now=scene.now)
    assert offered_to(order) == others[0]
    # and the planned visit is left as it was
    assert Offer.objects.filter(worker=holder, status=OfferStatus.PENDING).count() == 1


def test_after_eight_refusals_the_order_is_unfulfilled_even_with_carers_left(
    scene, community_admin
) -> None:  # type: ignore[no-untyped-def]
    extra = [worker(scene.profile, name=f"护工{i}") for i in range(6)]  # nine in all
    order = dispatch(place(scene), now=scene.now)
    for _ in range(dispatching.MAX_OFFERS):
        order = offer_decline(order=order, worker=offered_to(order), now=scene.now)
    assert order.status == OrderStatus.UNFULFILLED
    assert order.offers.count() == dispatching.MAX_OFFERS
    assert f"{dispatching.MAX_OFFERS} 名" in order.events.get(action="unfulfil").note
    assert len(extra) + len(scene.carers) > dispatching.MAX_OFFERS


def test_sweep_schedule_every_minute_created_once(db) -> None:  # type: ignore[no-untyped-def]
    from django_q.models import Schedule

    dispatching.ensure_schedules()
    dispatching.ensure_schedules()
    [row] = Schedule.objects.filter(name=dispatching.SWEEP_SCHEDULE)
    assert (row.func, row.schedule_type, row.minutes) == (
        "linli.orders.dispatching.sweep",
        Schedule.MINUTES,
        1,
    )


def test_planned_visit_not_confirmed_by_the_lead_time_alerts_staff_once(
    scene, community_admin
) -> None:  # type: ignore[no-untyped-def]
    from linli.orders.dayplan import plan_day

    booking = place(scene, "housekeeping", slot_start=local(DAY, 15), slot_end=local(DAY, 16))
    plan_day(date=DAY, now=scene.now, seconds=5, max_iterations=50)
    [planned] = pending(booking)
    # At 12:00 the 15:00 visit is not due yet; at 13:30 it is, and nobody has confirmed
    assert sweep(now=local(DAY, 12))["unconfirmed"] == 0
    assert sweep(now=local(DAY, 13, 30))["unconfirmed"] == 1
    [alert] = Notification.objects.filter(user=community_admin, kind="order.unconfirmed")
    assert booking.number in alert.body and "15:00" in alert.body
    assert sweep(now=local(DAY, 13, 31))["unconfirmed"] == 0  # once per order
    # The planned offer is untouched: the caregiver may still confirm
    planned.refresh_from_db()
    assert planned.status == OfferStatus.PENDING
    order = offer_accept(order=booking, worker=planned.worker, now=local(DAY, 13, 40))
    assert order.status == OrderStatus.ACCEPTED


def test_a_provider_at_its_daily_capacity_gets_no_more_offers(scene) -> None:  # type: ignore[no-untyped-def]
    from linli.orders.models import ProviderProfile

    ProviderProfile.objects.filter(pk=scene.profile.pk).update(capacity_per_day=1)
    first = dispatch(place(scene), now=scene.now)
    offer_accept(order=first, worker=offered_to(first), now=scene.now)
    second = dispatch(place(scene, "housekeeping"), now=scene.now)
    assert second.status == OrderStatus.UNFULFILLED
    assert not second.offers.exists()


def test_worker_states_query_count_does_not_grow_with_held_deliveries(scene) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from linli.orders.dispatching import worker_states
    from linli.orders.models import Offer
    from linli.places.models import Facility, FacilityKind

    Facility.objects.create(
        area=scene.areas["micro_grid"],
        kind=FacilityKind.CANTEEN,
        name="长者食堂",
        lat=38.47,
        lng=106.23,
    )
    carer = scene.carers[0]

    def hold(count: int) -> None:
        for _ in range(count):
            order = place(scene, "meal_assist")
            Order.objects.filter(pk=order.pk).update(status=OrderStatus.ACCEPTED)
            Offer.objects.create(order=order, worker=carer, status="accepted", offered_at=scene.now)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            [state] = worker_states([carer], at=scene.now, fallback=Point(38.47, 106.23))
        assert all(job.pickup is not None for job in state.plan)
        return len(captured)

    hold(1)
    one = queries()
    hold(3)
    assert queries() == one
