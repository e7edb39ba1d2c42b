"""Real-time dispatch of on-demand orders to workers (issue 4, "Dispatch and planning").

The choice itself is :func:`linli.dispatch.policy.rank`, the same code the
``linli bench dispatch`` simulation measures: the qualified, on-shift worker (or crew of
two) with the earliest expected arrival, counting work they already hold. This module
turns database rows into its inputs and its answer into an :class:`Offer`:

* :func:`dispatch` — offer an order to the best worker(s): status ``assigned``, an offer
  that expires after ``ORDERS_OFFER_SECONDS`` (default 90 s);
* :func:`offer_accept`, :func:`offer_decline`, :func:`offers_expire` — the worker's answer,
  or silence; a decline or a timeout moves the order on to the next best worker;
* :func:`sweep` (every minute, and after every change) — expire offers, dispatch what
  waits (immediate orders nobody could take yet, time-slot bookings coming due), and
  re-optimise held work that has not started.

A booking is dispatched only from ``ORDERS_SCHEDULED_LEAD_S`` before its slot (earlier
calls leave it ``placed``); until then the day plan (:mod:`linli.orders.dayplan`) may
give it *planned* offers, which never expire and do not count as "deciding". Workers who
declined an order or let its offer lapse are not asked again; a worker whose offer was
withdrawn by re-optimisation may be. Appointments (an accepted booking, a planned visit)
later in the day end the worker's usable time for on-demand jobs at the appointment less
the way there, so an on-demand job never makes them late for it. Re-optimisation moves
only immediate one-worker jobs, among the workers qualified for each (a worker who became
free included), and re-sequences plans by expected arrival.

No double-booking: a dispatch locks the order row, then the chosen workers' rows with
``SKIP LOCKED`` (a worker another dispatch is deciding about is simply passed over), and
re-reads their offers under the lock (a pending offer, or held work that changed since
the choice was computed, makes it try the next choice). The partial unique constraints
on :class:`Offer` (one pending offer per worker; a worker holds an order once) are the
database's backstop.
An order nobody can take — no qualified worker on shift, or every one declined — becomes
``unfulfilled`` and the staff of its area are alerted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import math
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from linli.dispatch.policy import Choice, Job, WorkerState, rank, reoptimise, timeline
from linli.dispatch.travel import GreatCircleTravel, Point, RoadNetworkTravel, Travel
from linli.orders.models import (
    Offer,
    OfferStatus,
    Order,
    OrderAction,
    OrderStatus,
    Shift,
    TravelMode,
    Worker,
    WorkerStatus,
)
from linli.orders.ordering import event_write, locked
from linli.orders.selectors import qualified_workers
from linli.places.models import Facility, FacilityKind

log = logging.getLogger(__name__)

#: Orders (crew) a worker on an e-bike carries in one trip; on foot, one.
EBIKE_CAPACITY = 4
#: A phone position older than this (seconds) is not trusted; the worker's base is used.
PING_FRESH_S = 3600
#: Declines and timeouts after which an order is given up as unfulfilled.
MAX_OFFERS = 8


def offer_seconds() -> int:
    """How long a worker has to accept an offer (``ORDERS_OFFER_SECONDS``, default 90)."""
    return int(getattr(settings, "ORDERS_OFFER_SECONDS", 90))


def scheduled_lead_s() -> int:
    """A time-slot booking is dispatched this long before its slot (default 2 h)."""
    return int(getattr(settings, "ORDERS_SCHEDULED_LEAD_S", 2 * 3600))


@functools.cache
def travel_model() -> Travel:
    """The travel-time model: a road network (``ORDERS_ROAD_NETWORK``, GeoJSON) if set,
    else great-circle distance × ``ORDERS_DETOUR`` (1.3) at walking/e-bike speed."""
    detour = float(getattr(settings, "ORDERS_DETOUR", 1.3))
    fallback = GreatCircleTravel(detour=detour)
    road = getattr(settings, "ORDERS_ROAD_NETWORK", "")
    if road:
        return RoadNetworkTravel.from_geojson(road, fallback=fallback)
    return fallback


def _epoch(moment: dt.datetime) -> float:
    return moment.timestamp()


def _moment(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


# --- building the dispatcher's inputs ---------------------------------------------------


#: Facility positions by kind, read once per dispatch decision (see :func:`order_job`).
FacilityPoints = dict[str, list[Point]]


def _pickup(order: Order, facilities: FacilityPoints) -> Point | None:
    """The nearest facility of the service's pickup kind (canteen, pharmacy)."""
    kind = order.service_type.pickup_kind
    if not kind or order.variant in ("dine_in", "remote"):
        return None
    if kind not in facilities:
        facilities[kind] = [
            Point(float(lat or 0), float(lng or 0))
            for lat, lng in Facility.objects.filter(
                kind=kind, lat__isnull=False, lng__isnull=False
            ).values_list("lat", "lng")
        ]
    here = Point(order.lat, order.lng)
    best: tuple[float, Point] | None = None
    for point in facilities[kind]:
        distance = travel_model().seconds(point, here, TravelMode.WALK)
        if best is None or distance < best[0]:
            best = (distance, point)
    return best[1] if best else None


def order_job(
    order: Order, *, crew: int | None = None, facilities: FacilityPoints | None = None
) -> Job:
    """The dispatcher's view of ``order`` (ids are order primary keys as strings).

    Waits are measured from ``placed_at`` (the slot start of a booking), so a job already
    waiting long keeps its priority when held work is re-planned. ``facilities`` shares
    the pickup facilities between the jobs of one decision (one query per kind).
    """
    ready = order.slot_start or order.placed_at
    pickup = _pickup(order, {} if facilities is None else facilities)
    ready_s = order.service_type.pickup_ready_s if pickup else 0
    return Job(
        id=str(order.pk),
        dropoff=Point(order.lat, order.lng),
        service_s=float(order.duration_s),
        skills=frozenset(s.code for s in order.service_type.skills.all()),
        ready_at=_epoch(ready) + ready_s,
        pickup=pickup,
        crew=crew or order.workers_needed,
        placed_at=_epoch(ready),
    )


def _base(worker: Worker) -> Point | None:
    """Where a worker without a fresh ping is assumed to be: their provider's building,
    else the service station of its area."""
    building = worker.provider.organization.building
    if building is not None and building.lat is not None and building.lng is not None:
        return Point(float(building.lat), float(building.lng))
    station = (
        Facility.objects.filter(kind=FacilityKind.SERVICE_STATION, lat__isnull=False)
        .filter(area__path__startswith=worker.provider.organization.area.path[:30])
        .values_list("lat", "lng")
        .first()
    )
    return Point(float(station[0] or 0), float(station[1] or 0)) if station else None


def _shift_ends(workers: list[Worker], at: dt.datetime) -> dict[int, float]:
    local = timezone.localtime(at)
    day, now = local.date(), local.time()
    ends: dict[int, float] = {}
    shifts = Shift.objects.filter(
        Q(date=day) | Q(date__isnull=True, weekday=day.weekday()),
        worker__in=workers,
        start__lte=now,
        end__gt=now,
    )
    for shift in shifts:
        end = timezone.make_aware(dt.datetime.combine(day, shift.end), local.tzinfo)
        ends[shift.worker_id] = max(ends.get(shift.worker_id, 0.0), _epoch(end))
    return ends


def worker_states(workers: list[Worker], *, at: dt.datetime, fallback: Point) -> list[WorkerState]:
    """Each worker's position, when they are free, shift end, skills and held plan.

    Held work: orders the worker has accepted. One under way (en route, arrived, in
    service) makes the worker free at its expected end; accepted ones not started are the
    plan, in offer sequence. An appointment after ``at`` — an accepted booking, or a visit
    of the day plan (:mod:`linli.orders.dayplan`) accepted or still pending, at its planned
    start — is not in the plan (the policy has no appointment times): it ends the worker's
    usable shift instead, at the appointment less the walk or ride there from where the
    worker will be. Three queries plus one per worker without a fresh ping and one per
    pickup kind among the held deliveries.
    """
    now = _epoch(at)
    facilities: FacilityPoints = {}
    ends = _shift_ends(workers, at)
    held: dict[int, list[Offer]] = defaultdict(list)
    offers = (
        Offer.objects.filter(worker__in=workers)
        .filter(Q(status=OfferStatus.ACCEPTED) | Q(status=OfferStatus.PENDING, planned=True))
        .exclude(order__status__in=[OrderStatus.COMPLETED, OrderStatus.CANCELLED])
        .select_related("order__service_type")
        .prefetch_related("order__service_type__skills")
        .order_by("sequence", "offered_at", "pk")
    )
    for offer in offers:
        held[offer.worker_id].append(offer)
    states = []
    for worker in workers:
        fresh = (
            worker.last_ping_at is not None
            and worker.last_lat is not None
            and worker.last_lng is not None
            and (at - worker.last_ping_at).total_seconds() <= PING_FRESH_S
        )
        position = (
            Point(float(worker.last_lat or 0), float(worker.last_lng or 0))
            if fresh
            else _base(worker) or fallback
        )
        available = now
        plan: list[Job] = []
        appointments: list[tuple[dt.datetime, Order]] = []
        for offer in held[worker.pk]:
            order = offer.order
            due = offer.eta if offer.planned and offer.eta else order.slot_start
            waiting = order.status in (OrderStatus.ASSIGNED, OrderStatus.ACCEPTED)
            if waiting and due is not None and due > at:
                appointments.append((due, order))
                continue
            if offer.status == OfferStatus.PENDING:
                continue  # a planned visit due now and still unconfirmed
            if order.status == OrderStatus.ACCEPTED:
                plan.append(order_job(order, crew=1, facilities=facilities))
                continue
            started = order.started_at or order.arrived_at
            if started is not None:
                finish = _epoch(started) + order.duration_s
            else:  # en route: expected arrival, then the service
                eta = _epoch(offer.eta) if offer.eta else now
                finish = max(eta, now) + order.duration_s
            available = max(available, finish)
            position = Point(order.lat, order.lng)
        shift_end = ends.get(worker.pk, now)
        for due, booking in appointments:
            there = travel_model().seconds(
                position, Point(booking.lat, booking.lng), worker.travel_mode
            )
            shift_end = min(shift_end, _epoch(due) - there)
        states.append(
            WorkerState(
                id=str(worker.pk),
                mode=worker.travel_mode,
                position=position,
                available_at=available,
                shift_end=shift_end,
                skills=frozenset(ws.skill.code for ws in worker.worker_skills.all()),
                capacity=EBIKE_CAPACITY if worker.travel_mode == TravelMode.EBIKE else 1,
                plan=plan,
            )
        )
    return states


# --- dispatch ---------------------------------------------------------------------------


def _live_offers(order: Order) -> list[Offer]:
    return list(order.offers.filter(status__in=[OfferStatus.PENDING, OfferStatus.ACCEPTED]))


def _held(worker_ids: Iterable[int]) -> set[tuple[int, int]]:
    """``(worker, order)`` of every accepted offer on an open order of these workers."""
    return set(
        Offer.objects.filter(worker_id__in=list(worker_ids), status=OfferStatus.ACCEPTED)
        .exclude(order__status__in=[OrderStatus.COMPLETED, OrderStatus.CANCELLED])
        .values_list("worker_id", "order_id")
    )


def _resequence(
    state: WorkerState, plan: list[Job], crew_eta: dict[str, float], now: float
) -> dict[str, float]:
    """Expected arrival (epoch s) at each job of ``plan`` executed by ``state``."""
    synced = WorkerState(
        id=state.id,
        mode=state.mode,
        position=state.position,
        available_at=state.available_at,
        shift_end=state.shift_end,
        skills=state.skills,
        capacity=state.capacity,
        plan=plan,
        crew_start={**state.crew_start, **crew_eta},
    )
    etas, _ = timeline(synced, plan, now, travel_model())
    return {job.id: eta for job, eta in zip(plan, etas, strict=True)}


def _claim(
    choice: Choice,
    *,
    order: Order,
    job: Job,
    states: dict[str, WorkerState],
    held: set[tuple[int, int]],
    at: dt.datetime,
) -> list[Offer] | None:
    """Offers to the workers of ``choice``, or ``None`` if one was taken meanwhile.

    Taken: another dispatch holds the worker's row (``SKIP LOCKED``), the worker has a
    pending offer, or the work the worker holds changed since ``states`` were read (the
    choice's arrival time would be wrong: the next sweep decides again). Each chosen
    worker's held offers get the ``sequence`` and ``eta`` of the new plan (epoch seconds).
    """
    ids = sorted(int(w) for w in choice.worker_ids)
    rows = list(
        Worker.objects.select_for_update(skip_locked=True).filter(pk__in=ids).order_by("pk")
    )
    if len(rows) != len(ids):
        return None
    if Offer.objects.filter(worker__in=rows, status=OfferStatus.PENDING, planned=False).exists():
        return None
    if _held(ids) != {pair for pair in held if pair[0] in ids}:
        return None
    expires = at + dt.timedelta(seconds=offer_seconds())
    # The policy has no appointment times: a booking's arrival is its slot start at the
    # earliest (the worker is told when to be there, not to set off now).
    eta = _moment(max(choice.eta, _epoch(order.slot_start) if order.slot_start else 0.0))
    now = _epoch(at)
    try:
        with transaction.atomic():
            offers = []
            for worker in rows:
                index = choice.worker_ids.index(str(worker.pk))
                state = states[str(worker.pk)]
                position = choice.positions[index]
                plan = [*state.plan[:position], job, *state.plan[position:]]
                etas = _resequence(state, plan, {job.id: choice.eta}, now)
                for held_job in state.plan:
                    moment = etas[held_job.id]
                    Offer.objects.filter(
                        worker=worker, order_id=int(held_job.id), status=OfferStatus.ACCEPTED
                    ).update(sequence=moment, eta=_moment(moment))
                offers.append(
                    Offer.objects.create(
                        order=order,
                        worker=worker,
                        status=OfferStatus.PENDING,
                        offered_at=at,
                        expires_at=expires,
                        eta=eta,
                        sequence=etas[job.id],
                    )
                )
            return offers
    except IntegrityError:
        return None


def _due(order: Order, now: dt.datetime) -> bool:
    """Immediate, or a booking whose slot starts within the lead time."""
    lead = dt.timedelta(seconds=scheduled_lead_s())
    return order.slot_start is None or order.slot_start <= now + lead


def providers_at_capacity(at: dt.datetime) -> set[int]:
    """Providers that have taken ``capacity_per_day`` orders on the local date of ``at``
    (orders with an accepted offer by one of their workers, counted once; one query)."""
    from django.db.models import Count, F

    day = timezone.localdate(at)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = start + dt.timedelta(days=1)
    taken = (
        Offer.objects.filter(
            status=OfferStatus.ACCEPTED,
            order__placed_at__gte=start,
            order__placed_at__lt=end,
        )
        .exclude(order__status=OrderStatus.CANCELLED)
        .values("worker__provider_id", "worker__provider__capacity_per_day")
        .annotate(orders=Count("order", distinct=True))
        .filter(orders__gte=F("worker__provider__capacity_per_day"))
    )
    return {row["worker__provider_id"] for row in taken}


def dispatch(order: Order, *, now: dt.datetime | None = None) -> Order:
    """Offer ``order`` to the best qualified worker(s) not yet asked; see module docstring.

    Does nothing to an order that is final, fully staffed, already waiting on offers, or a
    booking not yet due (its slot starts more than ``ORDERS_SCHEDULED_LEAD_S`` after
    ``now``: the sweep or the day plan takes it later). Leaves it ``placed`` when every
    qualified worker is deciding on another offer (the sweep retries); makes it
    ``unfulfilled`` when nobody qualified is left. Workers who declined or let an offer
    lapse are not asked again; one whose offer was withdrawn (re-optimisation) may be.
    Workers of a provider that has reached its ``capacity_per_day`` are not asked
    (:func:`providers_at_capacity`).
    """
    now = now or timezone.now()
    with transaction.atomic():
        order = locked(order)
        if order.status not in (OrderStatus.PLACED, OrderStatus.ASSIGNED):
            return order
        if not _due(order, now):
            if order.status == OrderStatus.ASSIGNED and not _live_offers(order):
                order.status = OrderStatus.PLACED  # a declined planned visit waits again
                order.save(update_fields=["status", "updated_at"])
            return order
        live = _live_offers(order)
        missing = order.workers_needed - len(live)
        if missing <= 0 or any(o.status == OfferStatus.PENDING for o in live):
            return order
        refused = set(
            order.offers.filter(status__in=[OfferStatus.DECLINED, OfferStatus.EXPIRED]).values_list(
                "worker_id", flat=True
            )
        )
        asked = refused | {o.worker_id for o in live}
        at = order.slot_start if order.slot_start and order.slot_start > now else now
        full = providers_at_capacity(at)
        candidates = [
            w
            for w in qualified_workers(service_type=order.service_type, at=at, area=order.area)
            if w.pk not in asked and w.provider_id not in full
        ]
        if not candidates or len(refused) >= MAX_OFFERS:
            return _unfulfil(order, now=now, tried=len(refused))
        deciding = set(
            Offer.objects.filter(
                worker__in=candidates, status=OfferStatus.PENDING, planned=False
            ).values_list("worker_id", flat=True)
        )
        free = [w for w in candidates if w.pk not in deciding]
        if not free:
            return order  # everyone is deciding on another order; the sweep retries
        held = _held(w.pk for w in free)
        states = worker_states(free, at=now, fallback=Point(order.lat, order.lng))
        job = order_job(order, crew=missing)
        choices = rank(job, states, _epoch(now), travel_model())
        if not choices:
            if deciding:
                return order
            return _unfulfil(order, now=now, tried=len(refused))
        by_id = {s.id: s for s in states}
        for choice in choices:
            offers = _claim(choice, order=order, job=job, states=by_id, held=held, at=now)
            if offers is None:
                continue
            before = order.status
            order.status = OrderStatus.ASSIGNED
            order.assigned_at = order.assigned_at or now
            order.save(update_fields=["status", "assigned_at", "updated_at"])
            for offer in offers:
                event_write(
                    order=order,
                    action=OrderAction.OFFER,
                    at=now,
                    worker=offer.worker,
                    from_status=before,
                    data={"eta": offer.eta.isoformat() if offer.eta else None},
                )
            _notify_offer(offers)
            return order
        return order


def _notify_offer(offers: Iterable[Offer]) -> None:
    from linli.notify.services import notify

    for offer in offers:
        if offer.worker.user is None:
            continue
        notify(
            recipients=[offer.worker.user],
            title=f"新派单：{offer.order.service_type.name}",
            body=f"{offer.order.address}，请在 {offer_seconds()} 秒内接单",
            link="/work/",
            kind="order.offer",
            subject=offer.order,
        )


def _unfulfil(order: Order, *, now: dt.datetime, tried: int) -> Order:
    """Nobody can take ``order``: mark it and alert the staff of its area."""
    from linli.notify.services import notify

    before = order.status
    order.status = OrderStatus.UNFULFILLED
    order.unfulfilled_at = now
    order.save(update_fields=["status", "unfulfilled_at", "updated_at"])
    Offer.objects.filter(order=order, status=OfferStatus.ACCEPTED).update(
        status=OfferStatus.WITHDRAWN, responded_at=now
    )
    event_write(
        order=order,
        action=OrderAction.UNFULFIL,
        at=now,
        from_status=before,
        note=f"已询问 {tried} 名服务人员，无人可接",
    )
    notify(
        recipients=_area_staff(order),
        title=f"订单无人接单：{order.service_type.name}",
        body=f"{order.number}，{order.address}，请电话联系居民并人工安排",
        link=f"/orders/{order.pk}/",
        kind="order.unfulfilled",
        subject=order,
        area=order.area,
    )
    return order


def _area_staff(order: Order) -> list[User]:
    """Active community admins and dispatchers of the order's area or an area above."""
    from linli.people.models import Role

    return list(
        User.objects.filter(
            is_active=True,
            assignments__role__in=[Role.COMMUNITY_ADMIN, Role.DISPATCHER],
            assignments__area__path__in=_ancestor_paths(order.area.path),
        ).distinct()
    )


def unconfirmed_alert(*, now: dt.datetime | None = None) -> int:
    """Alert the area's staff, once per order, to planned visits due within
    ``ORDERS_SCHEDULED_LEAD_S`` that a caregiver has not confirmed yet (planned offers
    never expire, so nothing else would notice). Returns the number of alerts sent."""
    from django.contrib.contenttypes.models import ContentType

    from linli.notify.models import Notification
    from linli.notify.services import notify

    now = now or timezone.now()
    due = now + dt.timedelta(seconds=scheduled_lead_s())
    orders = (
        Order.objects.filter(
            status=OrderStatus.ASSIGNED,
            offers__status=OfferStatus.PENDING,
            offers__planned=True,
            offers__eta__lte=due,
        )
        .distinct()
        .select_related("service_type", "area")
        .order_by("slot_start", "pk")
    )
    kind = "order.unconfirmed"
    subject_type = ContentType.objects.get_for_model(Order)
    sent = 0
    for order in orders:
        told = Notification.objects.filter(
            kind=kind, subject_type=subject_type, subject_id=order.pk
        ).exists()
        staff = _area_staff(order)
        if told or not staff:
            continue
        start = timezone.localtime(order.slot_start) if order.slot_start else None
        notify(
            recipients=staff,
            title=f"预约上门服务尚未确认：{order.service_type.name}",
            body=(
                f"{order.number}，{order.address}，预约 {start:%H:%M} 开始，"
                "日计划安排的服务人员还没有确认，请联系服务人员或改派"
                if start
                else f"{order.number}，{order.address}，日计划安排的服务人员还没有确认"
            ),
            link=f"/orders/{order.pk}/",
            kind=kind,
            subject=order,
            area=order.area,
        )
        sent += 1
    return sent


def _ancestor_paths(path: str) -> list[str]:
    codes = [c for c in path.split("/") if c]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


# --- the worker's answer ----------------------------------------------------------------


def _pending(order: Order, worker: Worker) -> Offer:
    offer = Offer.objects.filter(order=order, worker=worker, status=OfferStatus.PENDING).first()
    if offer is None:
        raise ValidationError("该派单已失效（可能已超时或已改派）")
    return offer


def offer_accept(*, order: Order, worker: Worker, now: dt.datetime | None = None) -> Order:
    """The worker takes the offer; the order is ``accepted`` once the whole crew has.

    A hand-over offered by re-optimisation (the order is already ``accepted``) moves the
    order to this worker and withdraws it from the previous holder.

    Raises:
        ValidationError: no pending offer for this worker, or it has expired (the order
            then moves on to the next worker).
    """
    now = now or timezone.now()
    expired = withdrawn = False
    with transaction.atomic():
        order = locked(order)
        offer = _pending(order, worker)
        if order.status not in (OrderStatus.PLACED, OrderStatus.ASSIGNED, OrderStatus.ACCEPTED):
            offer.status = OfferStatus.WITHDRAWN
            offer.responded_at = now
            offer.save(update_fields=["status", "responded_at"])
            withdrawn = True
        elif offer.expires_at is not None and offer.expires_at <= now:
            _expire(offer, now=now)
            expired = True
        else:
            transfer = order.status == OrderStatus.ACCEPTED
            offer.status = OfferStatus.ACCEPTED
            offer.responded_at = now
            offer.save(update_fields=["status", "responded_at"])
            before = order.status
            accepted = order.offers.filter(status=OfferStatus.ACCEPTED).count()
            if accepted >= order.workers_needed and order.status in (
                OrderStatus.PLACED,
                OrderStatus.ASSIGNED,
            ):
                order.status = OrderStatus.ACCEPTED
                order.accepted_at = order.accepted_at or now
                order.save(update_fields=["status", "accepted_at", "updated_at"])
            event_write(
                order=order,
                action=OrderAction.ACCEPT,
                at=now,
                actor=worker.user,
                worker=worker,
                from_status=before,
            )
            if transfer:
                _hand_over(order, to=worker, now=now)
            if worker.status == WorkerStatus.AVAILABLE and not offer.planned:
                Worker.objects.filter(pk=worker.pk).update(status=WorkerStatus.BUSY)
    if withdrawn:
        raise ValidationError("该订单已有服务人员在处理，此派单已撤回")
    if expired:
        dispatch(order, now=now)
        raise ValidationError("接单已超时，订单已转给其他服务人员")
    if order.status == OrderStatus.ASSIGNED:
        dispatch(order, now=now)  # the second member of a crew, if still missing
    return order


def offer_decline(
    *, order: Order, worker: Worker, reason: str = "", now: dt.datetime | None = None
) -> Order:
    """The worker declines; the order goes to the next best worker at once.

    Raises:
        ValidationError: no pending offer for this worker; reason over 200 characters.
    """
    now = now or timezone.now()
    reason = reason.strip()
    if len(reason) > 200:
        raise ValidationError("原因最多 200 字")
    with transaction.atomic():
        order = locked(order)
        offer = _pending(order, worker)
        offer.status = OfferStatus.DECLINED
        offer.responded_at = now
        offer.save(update_fields=["status", "responded_at"])
        event_write(
            order=order,
            action=OrderAction.DECLINE,
            at=now,
            actor=worker.user,
            worker=worker,
            from_status=order.status,
            note=reason,
        )
    return dispatch(order, now=now)


def _expire(offer: Offer, *, now: dt.datetime) -> None:
    offer.status = OfferStatus.EXPIRED
    offer.responded_at = now
    offer.save(update_fields=["status", "responded_at"])
    event_write(
        order=offer.order,
        action=OrderAction.EXPIRE,
        at=now,
        worker=offer.worker,
        from_status=offer.order.status,
        note=f"{offer_seconds()} 秒内未接单",
    )


def offers_expire(*, now: dt.datetime | None = None) -> int:
    """Expire every pending offer past its limit and re-dispatch its order (and any order
    whose offer expired before without a new one); returns how many offers expired."""
    now = now or timezone.now()
    due = list(
        Offer.objects.filter(status=OfferStatus.PENDING, expires_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    orders: set[int] = set()
    for pk in due:
        with transaction.atomic():
            # The order row first, as every transition locks it: an accept racing this
            # expiry either sees the offer expired or its acceptance is seen here.
            order_id = Offer.objects.filter(pk=pk).values_list("order_id", flat=True).first()
            if order_id is None:
                continue
            Order.objects.select_for_update(of=("self",)).filter(pk=order_id).first()
            offer = (
                Offer.objects.select_related("order", "worker")
                .filter(pk=pk, status=OfferStatus.PENDING)
                .first()
            )
            if offer is None:
                continue
            _expire(offer, now=now)
            orders.add(offer.order_id)
    # Also orders whose offer expired earlier but whose re-dispatch was lost (the process
    # died, or the database refused the write after the expiry committed): a retry of this
    # call must not leave them waiting for the minute sweep.
    lost = (
        Order.objects.filter(
            status__in=[OrderStatus.PLACED, OrderStatus.ASSIGNED],
            offers__status=OfferStatus.EXPIRED,
            offers__expires_at__lte=now,
        )
        .exclude(offers__status=OfferStatus.PENDING)
        .values_list("pk", flat=True)
    )
    orders.update(lost)
    for order in Order.objects.filter(pk__in=orders):
        dispatch(order, now=now)
    return len(due)


# --- the sweep --------------------------------------------------------------------------


def waiting_orders(*, now: dt.datetime) -> list[Order]:
    """Orders to (re)dispatch: immediate ones still ``placed``, bookings due within the
    lead time, and crews still missing a member; oldest first."""
    due = now + dt.timedelta(seconds=scheduled_lead_s())
    return list(
        Order.objects.filter(status__in=[OrderStatus.PLACED, OrderStatus.ASSIGNED])
        .filter(Q(slot_start__isnull=True) | Q(slot_start__lte=due))
        .exclude(offers__status=OfferStatus.PENDING)
        .select_related("service_type")
        .order_by("placed_at", "pk")
    )


def reoptimise_held(*, now: dt.datetime | None = None) -> int:
    """Re-plan accepted work not yet started (:func:`linli.dispatch.policy.reoptimise`).

    Movable: immediate single-worker orders accepted but not started (bookings, planned
    visits and crews stay with their workers). The workers considered are their holders
    and every worker qualified for one of them now (service, skills, shift, area — so a
    worker who became free can take a job over). Reordering within a worker's plan only
    rewrites ``sequence`` and ``eta``; a job moved to another worker is withdrawn from the
    first and offered to the second (who may decline: it then goes back through
    :func:`dispatch`, where the first holder may be asked again). Returns the number of
    jobs moved between workers.
    """
    now = now or timezone.now()
    movable = list(
        Order.objects.filter(
            status=OrderStatus.ACCEPTED,
            slot_start__isnull=True,
            workers_needed=1,
            offers__status=OfferStatus.ACCEPTED,
            offers__planned=False,
        )
        .distinct()
        .select_related("service_type", "area")
        .order_by("placed_at", "pk")
    )
    if not movable:
        return 0
    tokens: dict[int, set[str]] = defaultdict(set)  # worker → movable orders they may take
    workers: dict[int, Worker] = {}
    qualified: dict[tuple[int, int], list[Worker]] = {}
    for order in movable:
        key = (order.service_type_id, order.area_id)
        if key not in qualified:
            qualified[key] = list(
                qualified_workers(service_type=order.service_type, at=now, area=order.area)
            )
        for person in qualified[key]:
            workers.setdefault(person.pk, person)
            tokens[person.pk].add(f"order:{order.pk}")
    holders = Worker.objects.filter(
        offers__order__in=movable, offers__status=OfferStatus.ACCEPTED
    ).exclude(pk__in=list(workers))
    for person in holders.select_related("provider__organization__building", "user"):
        workers.setdefault(person.pk, person)
    if len(workers) < 2:
        return 0
    movable_ids = {str(o.pk) for o in movable}
    first = movable[0]
    states = worker_states(list(workers.values()), at=now, fallback=Point(first.lat, first.lng))
    for state in states:
        # Only the qualified may take a movable job; every other held job stays put.
        own = f"worker:{state.id}"
        state.skills = state.skills | tokens[int(state.id)] | {own}
        state.plan = [
            dataclasses.replace(
                job,
                skills=job.skills | {f"order:{job.id}" if job.id in movable_ids else own},
            )
            for job in state.plan
        ]
    plans = reoptimise(states, _epoch(now), travel_model())
    by_id = {s.id: s for s in states}
    jobs = {job.id: job for s in states for job in s.plan}
    moved = 0
    for worker_id, job_ids in plans.items():
        state = by_id[worker_id]
        plan = [jobs[j] for j in job_ids]
        etas = _resequence(state, plan, {}, _epoch(now))
        for job_id in job_ids:
            moved += _move(int(job_id), to_worker=int(worker_id), eta=etas[job_id], now=now)
    return moved


#: Hand-overs by re-optimisation after which an order stays with its holder (no ping-pong).
MAX_TRANSFERS = 3


def _move(order_id: int, *, to_worker: int, eta: float, now: dt.datetime) -> int:
    """Offer ``order_id`` to ``to_worker`` (expected at ``eta``, epoch s) as a hand-over.

    The holder keeps the order until the new worker accepts (:func:`offer_accept` then
    withdraws it from the holder); a decline or a timeout leaves it where it was. Crews,
    bookings, orders already handed over :data:`MAX_TRANSFERS` times and workers deciding
    on another offer are left alone. Returns 1 if a hand-over was offered.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None or order.status != OrderStatus.ACCEPTED:
            return 0
        offers = list(order.offers.filter(status=OfferStatus.ACCEPTED).select_related("worker"))
        if any(o.worker_id == to_worker for o in offers):
            Offer.objects.filter(
                order=order, worker_id=to_worker, status=OfferStatus.ACCEPTED
            ).update(sequence=eta, eta=_moment(eta))
            return 0
        if len(offers) != 1 or order.workers_needed != 1 or order.slot_start is not None:
            return 0  # crews and bookings are not moved by re-optimisation
        if order.offers.filter(status=OfferStatus.PENDING).exists():
            return 0  # a hand-over is already on offer
        if order.events.filter(action=OrderAction.WITHDRAW).count() >= MAX_TRANSFERS:
            return 0
        target = Worker.objects.select_for_update(skip_locked=True).filter(pk=to_worker).first()
        if (
            target is None
            or Offer.objects.filter(
                worker=target, status=OfferStatus.PENDING, planned=False
            ).exists()
        ):
            return 0
        holder = offers[0].worker
        offer = Offer.objects.create(
            order=order,
            worker=target,
            offered_at=now,
            expires_at=now + dt.timedelta(seconds=offer_seconds()),
            eta=_moment(eta),
            sequence=eta,
        )
        event_write(
            order=order,
            action=OrderAction.OFFER,
            at=now,
            worker=target,
            from_status=OrderStatus.ACCEPTED,
            note=f"重新优化：{target.name}可更早到达，接单后由其承接（{holder.name}仍保留此单）",
            data={"eta": offer.eta.isoformat() if offer.eta else None, "from": holder.pk},
        )
        _notify_offer([offer])
    return 1


def _hand_over(order: Order, *, to: Worker, now: dt.datetime) -> None:
    """``to`` accepted a hand-over: withdraw the order from its previous holder(s)."""
    from linli.orders.ordering import workers_release

    previous = list(
        order.offers.filter(status=OfferStatus.ACCEPTED).exclude(worker=to).select_related("worker")
    )
    for old in previous:
        old.status = OfferStatus.WITHDRAWN
        old.responded_at = now
        old.save(update_fields=["status", "responded_at"])
        event_write(
            order=order,
            action=OrderAction.WITHDRAW,
            at=now,
            worker=old.worker,
            from_status=order.status,
            note=f"重新优化：改由{to.name}承接",
        )
    workers_release(order, keep=to)


def sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic job (every minute, and after changes): expire, dispatch, re-optimise.

    Returns counts: ``{"expired", "dispatched", "unfulfilled", "moved", "unconfirmed"}``
    — offers expired, waiting orders that got an offer, waiting orders given up, jobs moved
    between workers, alerts about planned visits not confirmed in time
    (:func:`unconfirmed_alert`). Never raises: a step or an order that fails is logged
    and skipped so one bad row cannot stop the others.
    """
    now = now or timezone.now()
    expired = 0
    try:
        expired = offers_expire(now=now)
    except Exception:
        log.exception("offer expiry failed")
    dispatched = unfulfilled = 0
    for order in waiting_orders(now=now):
        try:
            after = dispatch(order, now=now)
        except Exception:
            log.exception("dispatch of order %s failed", order.pk)
            continue
        if after.status == OrderStatus.UNFULFILLED:
            unfulfilled += 1
        elif after.offers.filter(status=OfferStatus.PENDING).exists():
            dispatched += 1
    moved = 0
    if getattr(settings, "ORDERS_REOPTIMISE", True):
        try:
            moved = reoptimise_held(now=now)
        except Exception:
            log.exception("re-optimisation failed")
    unconfirmed = 0
    try:
        unconfirmed = unconfirmed_alert(now=now)
    except Exception:
        log.exception("unconfirmed planned visits alert failed")
    return {
        "expired": expired,
        "dispatched": dispatched,
        "unfulfilled": unfulfilled,
        "moved": moved,
        "unconfirmed": unconfirmed,
    }


SWEEP_TASK = "linli.orders.dispatching.sweep"
SWEEP_SCHEDULE = "orders.sweep"


def ensure_schedules() -> object:
    """The every-minute :func:`sweep` schedule (run by ``linli up``)."""
    from linli.common.schedules import schedule_every

    return schedule_every(name=SWEEP_SCHEDULE, func=SWEEP_TASK)


def eta_minutes(offer: Offer, *, now: dt.datetime) -> int | None:
    """Whole minutes until the offer's expected arrival (0 if due), ``None`` if unknown."""
    if offer.eta is None:
        return None
    return max(0, math.ceil((offer.eta - now).total_seconds() / 60))
