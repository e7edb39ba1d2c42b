"""Day planning of booked home visits (issue 4, "Dispatch and planning").

"Day planning of scheduled visits (bathing, housekeeping, home consultations) for tomorrow:
caregivers with skills and shifts, visits with time windows, visits needing two caregivers
at once." :func:`plan_day` turns the day's bookings into a home-health-care instance of
Mankowska, Meisel and Bierwirth (2014), solves it with :mod:`linli.planning` (construction
and ALNS, checked by its independent evaluator), checks what that model cannot express,
and writes the result as *planned offers*: :class:`Offer` rows with ``planned=True``, no
time limit (``expires_at`` empty), ``eta`` the planned start. A caregiver confirms a planned
visit with :func:`linli.orders.dispatching.offer_accept`; a decline sends the booking back
to real-time dispatch (within ``ORDERS_SCHEDULED_LEAD_S`` of its slot) or to the next plan.

The mapping (times in minutes from local midnight of the day, the planning model's unit):

* a visit (patient) per booking for the day still ``placed``, or ``assigned`` only by an
  earlier plan (its live offers all planned and pending), of a service that can be booked
  and needs no pickup (deliveries are dispatched in real time); its window is the slot,
  read as "arrive between ``slot_start`` and ``slot_end``"; its duration the order's;
* the caregivers who could do it: provider active, offering the service and serving the
  order's area; every skill the service needs, a certified one valid on the day; a shift
  that day in which the visit fits inside the window; not having declined this booking.
  Orders with the same set of such caregivers share a service kind (the model's "ability");
* a crew of two is a synchronised double service (both start together, two caregivers);
* visits already confirmed or dispatched that day are fixed: a one-caregiver visit pinned
  to its time, so new visits are planned around them;
* travel: the dispatcher's travel model (:func:`linli.orders.dispatching.travel_model`:
  great-circle × detour, or the road network) at walking speed, the slowest mode.

Shifts and where caregivers start, which the model has no notion of (one depot, caregivers
leaving it at time 0), are encoded in it: each shift of a worker is a caregiver of the
model, with a start marker (a zero-length visit at the worker's base — the provider's
building or the area's service station — that only this caregiver can make, window opening
at the shift start) and an end marker (latest start = the shift end); the travel matrix
forbids (:data:`FAR`) any route that does not go depot → start marker → visits → end marker
→ depot, and the depot is at zero distance from the start markers. So a caregiver begins
at their base at the shift start (exactly, in the model), and running past the shift end
makes the end marker late, which the search minimises as tardiness.

What the model still does not enforce is checked after each solve:

* a visit ending after its shift, or outside the markers: that shift is removed from the
  visit's choices and the day is solved again (at most :data:`MAX_ROUNDS` times);
* hard windows: the model lets a visit start late (tardiness). A late visit is taken out
  (the latest first) and reported unplanned, and the day is solved again;
* a fixed visit pushed later by a new one: the new one is taken out.
Once the plan passes, the visits taken out for lateness are tried again one by one (at
most :data:`MAX_RETRIES`) and kept if the plan still passes. When the rounds or the time
run out, every visit still failing a check is reported
unplanned and the rest of that (valid) solution is kept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from linli.dispatch.travel import Point
from linli.orders.models import (
    Offer,
    OfferStatus,
    Order,
    OrderAction,
    OrderStatus,
    ServiceMode,
    Shift,
    TravelMode,
    Worker,
    WorkerSkill,
)
from linli.orders.ordering import event_write
from linli.orders.selectors import ancestor_paths
from linli.planning.evaluate import Visit
from linli.planning.instance import Caregiver, Instance, Patient, Service, Sync
from linli.planning.solve import plan

log = logging.getLogger(__name__)

#: Solve → check → repair rounds at most (see the module docstring).
MAX_ROUNDS = 10
#: Visits taken out for lateness that are tried again once the plan is clean.
MAX_RETRIES = 3
#: Tolerance of the checks, minutes (floating sums of travel times).
EPS_MIN = 1e-3
#: Travel time (minutes) that forbids a leg: a route must start and end at its shift's markers.
FAR = 100_000.0
#: Shortest time given to one solve, seconds.
MIN_ROUND_S = 0.2
#: Variants that need no visit.
NO_VISIT_VARIANTS = frozenset({"dine_in", "remote"})

PLAN_TASK = "linli.orders.dayplan.plan_tomorrow"
PLAN_SCHEDULE = "orders.plan_day"
#: Local time the daily plan for the next day is made.
PLAN_AT = dt.time(18, 0)


@dataclasses.dataclass(frozen=True)
class PlannedVisit:
    """A booking in the plan: its caregiver(s), planned start and end (tz-aware)."""

    order: Order
    workers: tuple[Worker, ...]
    start: dt.datetime
    end: dt.datetime


@dataclasses.dataclass(frozen=True)
class UnplannedOrder:
    """A booking the plan could not place, with the reason in Chinese."""

    order: Order
    reason: str


@dataclasses.dataclass
class DayPlan:
    """The outcome of :func:`plan_day`.

    ``visits`` are in start order; ``unplanned`` the bookings left ``placed`` (reasons in
    Chinese); ``fixed`` the visits already confirmed or dispatched that the plan kept;
    ``rounds`` the solves run; ``travel_min`` the plan's total travel in minutes;
    ``written`` / ``withdrawn`` the planned offers created / replaced; ``seconds`` wall time.
    """

    date: dt.date
    visits: list[PlannedVisit] = dataclasses.field(default_factory=list)
    unplanned: list[UnplannedOrder] = dataclasses.field(default_factory=list)
    fixed: int = 0
    rounds: int = 0
    travel_min: float = 0.0
    written: int = 0
    withdrawn: int = 0
    seconds: float = 0.0

    def by_worker(self) -> dict[Worker, list[PlannedVisit]]:
        """Each caregiver's visits in start order (caregivers by name)."""
        table: dict[Worker, list[PlannedVisit]] = defaultdict(list)
        for visit in self.visits:
            for person in visit.workers:
                table[person].append(visit)
        return dict(sorted(table.items(), key=lambda item: (item[0].name, item[0].pk)))


# --- reading the day --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Shift:
    """One shift of one worker: a caregiver of the planning model (``key``)."""

    key: str
    worker_id: int
    start: float  # minutes
    end: float
    base: Point | None  # where the worker starts (provider building or service station)


@dataclasses.dataclass
class _Booking:
    order: Order
    window: tuple[float, float]  # minutes: arrive no earlier, no later
    duration: float  # minutes
    crew: int
    eligible: set[str]  # shift keys


@dataclasses.dataclass(frozen=True)
class _Pin:
    offer_id: int
    shift: str
    order: Order
    start: float
    duration: float


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0)))


def _minutes(moment: dt.datetime, day: dt.date) -> float:
    return (moment - _midnight(day)).total_seconds() / 60.0


def _moment(minutes: float, day: dt.date) -> dt.datetime:
    return _midnight(day) + dt.timedelta(minutes=minutes)


def _day_orders(day: dt.date) -> list[Order]:
    start = _midnight(day)
    return list(
        Order.objects.filter(slot_start__gte=start, slot_start__lt=start + dt.timedelta(days=1))
        .exclude(status__in=[OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.UNFULFILLED])
        .select_related("service_type", "area")
        .prefetch_related("service_type__skills", "offers")
        .order_by("slot_start", "pk")
    )


def _replannable(order: Order, offers: Iterable[Offer]) -> bool:
    """Placed, or assigned only by an earlier plan (live offers all planned and pending)."""
    if order.status not in (OrderStatus.PLACED, OrderStatus.ASSIGNED):
        return False
    live = [o for o in offers if o.status in (OfferStatus.PENDING, OfferStatus.ACCEPTED)]
    return all(o.planned and o.status == OfferStatus.PENDING for o in live)


def _plannable_service(order: Order) -> bool:
    service = order.service_type
    return (
        service.mode in (ServiceMode.SCHEDULED, ServiceMode.BOTH)
        and not service.pickup_kind
        and order.variant not in NO_VISIT_VARIANTS
    )


def _workers(day: dt.date) -> list[Worker]:
    """Active workers of active providers with a shift on ``day`` (shifts, skills, services
    and areas prefetched)."""
    on_day = Shift.objects.filter(Q(date=day) | Q(date__isnull=True, weekday=day.weekday()))
    return list(
        Worker.objects.filter(
            Exists(on_day.filter(worker=OuterRef("pk"))), active=True, provider__active=True
        )
        .select_related("provider__organization__building", "provider__organization__area", "user")
        .prefetch_related(
            Prefetch("shifts", queryset=on_day.order_by("start"), to_attr="day_shifts"),
            Prefetch("worker_skills", queryset=WorkerSkill.objects.select_related("skill")),
            "provider__service_types",
            "provider__areas",
        )
        .order_by("pk")
    )


def _shifts(workers: list[Worker]) -> list[_Shift]:
    from linli.orders.dispatching import _base

    found = []
    for person in workers:
        base = _base(person)
        for index, s in enumerate(person.day_shifts):  # type: ignore[attr-defined]
            found.append(
                _Shift(
                    key=f"w{person.pk}s{index}",
                    worker_id=person.pk,
                    start=s.start.hour * 60 + s.start.minute,
                    end=s.end.hour * 60 + s.end.minute,
                    base=base,
                )
            )
    return found


def _skills_on(worker: Worker, day: dt.date) -> set[str]:
    return {
        ws.skill.code
        for ws in worker.worker_skills.all()
        if not ws.skill.needs_certificate or (ws.valid_until is not None and ws.valid_until >= day)
    }


def _fits(window: tuple[float, float], duration: float, shift: _Shift) -> bool:
    """Some arrival within ``window`` lets the visit happen inside ``shift``."""
    earliest = max(window[0], shift.start)
    return earliest <= min(window[1], shift.end - duration) + EPS_MIN


def _eligible(
    order: Order,
    window: tuple[float, float],
    duration: float,
    day: dt.date,
    workers: list[Worker],
    shifts: dict[int, list[_Shift]],
) -> set[str]:
    """Keys of the shifts in which a qualified worker could do ``order``."""
    needs = {s.code for s in order.service_type.skills.all()}
    above = set(ancestor_paths(order.area))
    found = set()
    for person in workers:
        provider = person.provider
        if order.service_type not in provider.service_types.all():
            continue
        if not any(a.path in above for a in provider.areas.all()):
            continue
        if not needs <= _skills_on(person, day):
            continue
        found |= {s.key for s in shifts.get(person.pk, []) if _fits(window, duration, s)}
    return found


def sequence_gap_min() -> float:
    """Longest wait (minutes) between two services in sequence for one resident
    (``ORDERS_SEQUENCE_GAP_S``, default 30 minutes)."""
    from django.conf import settings

    return float(getattr(settings, "ORDERS_SEQUENCE_GAP_S", 1800)) / 60.0


def _sequences(bookings: list[_Booking]) -> dict[int, int]:
    """Pairs of one-person bookings for the same resident at the same building whose slots
    overlap: done in sequence (order pk → partner pk, both ways). A third such booking is
    planned on its own."""
    partners: dict[int, int] = {}
    singles = [b for b in bookings if b.crew == 1]
    for a, b in itertools.combinations(singles, 2):
        x, y = a.order, b.order
        if x.pk in partners or y.pk in partners:
            continue
        assert x.slot_start and x.slot_end and y.slot_start and y.slot_end
        if (
            x.resident_id == y.resident_id
            and x.building_id == y.building_id
            and x.slot_start < y.slot_end
            and y.slot_start < x.slot_end
        ):
            partners[x.pk], partners[y.pk] = y.pk, x.pk
    return partners


# --- the planning instance --------------------------------------------------------------


@dataclasses.dataclass
class _Model:
    instance: Instance
    bookings: dict[tuple[str, str], _Booking]  # (patient id, service) → booking
    pins: dict[str, _Pin]  # patient id → pin
    markers: dict[str, str]  # patient id of a shift's start/end marker → shift key


def _instance(
    bookings: list[_Booking],
    pins: list[_Pin],
    shifts: list[_Shift],
    excluded: dict[int, set[str]],
    day: dt.date,
    partners: dict[int, int],
) -> _Model:
    """The Mankowska instance: shifts as caregivers, bookings and pins as patients.

    Each shift has a start marker (a patient only it can serve, at its base, window
    opening at the shift start) and an end marker; the matrix forbids (:data:`FAR`) any
    route not starting at its start marker and ending at its end marker, so a caregiver
    leaves its base at the shift start, and a visit running past the shift end makes the
    end marker late (tardiness the search minimises; the check rejects what remains).
    """
    from linli.orders.dispatching import travel_model

    travel = travel_model()
    points = [Point(b.order.lat, b.order.lng) for b in bookings] + [
        Point(p.order.lat, p.order.lng) for p in pins
    ]
    first_visit = 1 + 2 * len(shifts)
    size = first_visit + len(points)
    matrix = [[FAR] * size for _ in range(size)]
    for i in range(size):
        matrix[i][i] = 0.0
    visit_nodes = range(first_visit, size)
    for i, a in zip(visit_nodes, points, strict=True):
        matrix[i][0] = 0.0
        for j, b in zip(visit_nodes, points, strict=True):
            if i != j:
                matrix[i][j] = travel.seconds(a, b, TravelMode.WALK) / 60.0
    patients: list[Patient] = []
    abilities: dict[str, set[str]] = {}
    markers: dict[str, str] = {}
    for index, shift in enumerate(shifts):
        start, end = 1 + 2 * index, 2 + 2 * index
        matrix[0][start] = matrix[start][end] = matrix[end][0] = 0.0
        for j, point in zip(visit_nodes, points, strict=True):
            out = travel.seconds(shift.base, point, TravelMode.WALK) if shift.base else 0.0
            matrix[start][j] = out / 60.0
            matrix[j][end] = 0.0
        abilities[shift.key] = {f"{shift.key}+", f"{shift.key}-"}
        patients.append(
            Patient(
                id=f"{shift.key}+",
                node=start,
                services=(Service(f"{shift.key}+", 0.0),),
                window_start=shift.start,
                window_end=shift.start,
            )
        )
        patients.append(
            Patient(
                id=f"{shift.key}-",
                node=end,
                services=(Service(f"{shift.key}-", 0.0),),
                window_start=0.0,
                window_end=shift.end,
            )
        )
        markers[f"{shift.key}+"] = markers[f"{shift.key}-"] = shift.key
    kinds: dict[frozenset[str], str] = {}
    by_patient: dict[tuple[str, str], _Booking] = {}
    nodes = {b.order.pk: node for node, b in zip(visit_nodes, bookings, strict=False)}
    active = {b.order.pk: b for b in bookings}

    def kind_of(booking: _Booking) -> str:
        who = frozenset(booking.eligible - excluded.get(booking.order.pk, set()))
        kind = kinds.setdefault(who, f"k{len(kinds)}")
        for key in who:
            abilities[key].update({kind, f"{kind}b", f"{kind}s"})
        return kind

    for booking in bookings:
        partner = active.get(partners.get(booking.order.pk, 0))
        if partner is not None and partner.order.pk < booking.order.pk:
            continue  # the second of a sequence: added with the first
        if partner is not None:
            first, second = sorted(
                (booking, partner), key=lambda b: (b.order.slot_start, b.order.pk)
            )
            pid = f"o{first.order.pk}o{second.order.pk}"
            services = [
                Service(kind_of(first), first.duration),
                Service(f"{kind_of(second)}s", second.duration),
            ]
            by_patient[(pid, services[0].service)] = first
            by_patient[(pid, services[1].service)] = second
            sync: Sync | None = Sync(
                type="sequential",
                min_gap=first.duration,
                max_gap=first.duration + sequence_gap_min(),
            )
            window = (min(first.window[0], second.window[0]), first.window[1])
        else:
            first = booking
            pid = f"o{booking.order.pk}"
            kind = kind_of(booking)
            services = [Service(kind, booking.duration)]
            by_patient[(pid, kind)] = booking
            sync = None
            if booking.crew == 2:
                services.append(Service(f"{kind}b", booking.duration))
                by_patient[(pid, f"{kind}b")] = booking
                sync = Sync(type="simultaneous")
            window = booking.window
        patients.append(
            Patient(
                id=pid,
                node=nodes[first.order.pk],
                services=tuple(services),
                window_start=window[0],
                window_end=window[1],
                sync=sync,
            )
        )
    by_pin: dict[str, _Pin] = {}
    for node, pin in zip(visit_nodes[len(bookings) :], pins, strict=True):
        pid = f"f{pin.offer_id}"
        abilities[pin.shift].add(pid)
        patients.append(
            Patient(
                id=pid,
                node=node,
                services=(Service(pid, pin.duration),),
                window_start=pin.start,
                window_end=pin.start,
            )
        )
        by_pin[pid] = pin
    instance = Instance(
        name=f"day-{day.isoformat()}",
        distances=tuple(tuple(row) for row in matrix),
        caregivers=tuple(
            Caregiver(id=s.key, abilities=frozenset(abilities[s.key])) for s in shifts
        ),
        patients=tuple(patients),
    )
    return _Model(instance, by_patient, by_pin, markers)


@dataclasses.dataclass
class _Problems:
    off_shift: list[tuple[int, str]] = dataclasses.field(default_factory=list)  # order, shift
    late: dict[int, float] = dataclasses.field(default_factory=dict)  # order → minutes late
    blocking: set[int] = dataclasses.field(default_factory=set)  # orders delaying a pin
    early: set[int] = dataclasses.field(default_factory=set)  # before the slot (sequences)

    def orders(self) -> set[int]:
        return {o for o, _ in self.off_shift} | set(self.late) | self.blocking | self.early

    def __bool__(self) -> bool:
        return bool(self.off_shift or self.late or self.blocking or self.early)


def _check(model: _Model, visits: list[Visit], shifts: dict[str, _Shift]) -> _Problems:
    """What the planning model does not enforce: shift ends, hard windows, pinned times,
    two different people for a crew."""
    problems = _Problems()
    routes: dict[str, list[Visit]] = defaultdict(list)
    for visit in visits:
        routes[visit.caregiver].append(visit)
    crews: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for key, route in routes.items():
        shift = shifts[key]
        route.sort(key=lambda v: v.start)
        inside = False
        for index, visit in enumerate(route):
            if visit.patient in model.markers:
                inside = visit.patient.endswith("+")
                continue
            pin = model.pins.get(visit.patient)
            if pin is not None:
                if visit.start > pin.start + EPS_MIN:
                    earlier = route[index - 1] if index else None
                    before = (
                        model.bookings.get((earlier.patient, earlier.service)) if earlier else None
                    )
                    if before is not None:
                        problems.blocking.add(before.order.pk)
                continue
            booking = model.bookings[(visit.patient, visit.service)]
            pk = booking.order.pk
            crews[pk].append((shift.worker_id, key))
            if not (
                inside
                and shift.start - EPS_MIN <= visit.start
                and visit.start + booking.duration <= shift.end + EPS_MIN
            ):
                problems.off_shift.append((pk, key))
            if visit.start < booking.window[0] - EPS_MIN:
                problems.early.add(pk)
            late = visit.start - booking.window[1]
            if late > EPS_MIN:
                problems.late[pk] = max(problems.late.get(pk, 0.0), late)
    for pk, crew in crews.items():
        if len(crew) == 2 and crew[0][0] == crew[1][0]:  # one person in two shifts
            problems.off_shift.append((pk, crew[1][1]))
    return problems


# --- planning ---------------------------------------------------------------------------


def _slot_text(order: Order) -> str:
    assert order.slot_start is not None and order.slot_end is not None
    start, end = timezone.localtime(order.slot_start), timezone.localtime(order.slot_end)
    return f"{start:%H:%M}–{end:%H:%M}"


def plan_day(
    *,
    date: dt.date,
    seconds: float = 10,
    seed: int = 1,
    max_iterations: int | None = None,
    now: dt.datetime | None = None,
) -> DayPlan:
    """Plan the booked visits of ``date`` (local) and write them as planned offers.

    Args:
        date: the day to plan; not before today.
        seconds: the solver's whole time budget (shared by the rounds), > 0.
        seed: the search's random seed.
        max_iterations: stop each solve after this many search iterations (reproducible
            plans for a seed, for tests); ``None``: only the time budget.
        now: the planning instant (default: now); offers are stamped with it.

    Returns:
        The :class:`DayPlan`. Bookings planned become ``assigned`` with one planned offer
        per caregiver; earlier planned offers still pending are replaced (kept as they
        are when the plan did not change them, so planning twice changes nothing);
        bookings that cannot be placed stay (or become again) ``placed`` and are listed
        in ``unplanned`` with the reason. Everything is written in one transaction.

    Raises:
        ValidationError: ``date`` is not a date or lies in the past; ``seconds`` ≤ 0.
    """
    began = time.monotonic()
    now = now or timezone.now()
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise ValidationError("日期格式不正确")
    if date < timezone.localdate(now):
        raise ValidationError(f"不能规划已经过去的日期（{date:%Y-%m-%d}）")
    if not seconds > 0:
        raise ValidationError("求解时间必须大于 0 秒")
    result = DayPlan(date=date)
    workers = _workers(date)
    by_pk = {w.pk: w for w in workers}
    shift_list = _shifts(workers)
    shifts = {s.key: s for s in shift_list}
    per_worker: dict[int, list[_Shift]] = defaultdict(list)
    for shift in shift_list:
        per_worker[shift.worker_id].append(shift)
    bookings: list[_Booking] = []
    pins: list[_Pin] = []
    unplanned: dict[int, str] = {}
    orders: dict[int, Order] = {}
    today = _minutes(now, date)
    for order in _day_orders(date):
        assert order.slot_start is not None and order.slot_end is not None
        if not _plannable_service(order):
            continue
        offers = list(order.offers.all())
        if not _replannable(order, offers):
            for offer in offers:
                if offer.status not in (OfferStatus.PENDING, OfferStatus.ACCEPTED):
                    continue
                start = _minutes(offer.eta or order.slot_start, date)
                own = [s for s in per_worker.get(offer.worker_id, []) if s.start <= start < s.end]
                if own:
                    pins.append(_Pin(offer.pk, own[0].key, order, start, order.duration_s / 60))
            continue
        orders[order.pk] = order
        window = (max(_minutes(order.slot_start, date), today), _minutes(order.slot_end, date))
        duration = order.duration_s / 60.0
        if window[0] > window[1]:
            unplanned[order.pk] = f"预约时段 {_slot_text(order)} 已过"
            continue
        able = _eligible(order, window, duration, date, workers, per_worker)
        refused = {o.worker_id for o in offers if o.status == OfferStatus.DECLINED}
        eligible = {key for key in able if shifts[key].worker_id not in refused}
        people = {shifts[key].worker_id for key in eligible}
        if len(people) < order.workers_needed:
            if not able:
                reason = f"当天没有在 {_slot_text(order)} 在班、具备所需技能的服务人员"
            elif len(people) < len({shifts[key].worker_id for key in able}):
                reason = "符合条件的服务人员已拒绝此预约"
            else:
                reason = f"需要 {order.workers_needed} 名服务人员同时上门，符合条件的不足"
            unplanned[order.pk] = reason
            continue
        bookings.append(_Booking(order, window, duration, order.workers_needed, eligible))
    result.fixed = len({p.order.pk for p in pins})
    partners = _sequences(bookings)
    visits: list[Visit] = []
    model: _Model | None = None
    excluded: dict[int, set[str]] = defaultdict(set)
    deadline = began + seconds
    active = list(bookings)
    retry: list[int] = []  # taken out for lateness: tried again at the end
    problems = _Problems()
    while active:
        model = _instance(active, pins, shift_list, excluded, date, partners)
        remaining = deadline - time.monotonic()
        last = result.rounds + 1 >= MAX_ROUNDS or remaining <= 2 * MIN_ROUND_S
        budget = max(MIN_ROUND_S, remaining if last else remaining / 2)
        solution = plan(
            model.instance, time_limit_s=budget, seed=seed, max_iterations=max_iterations
        )
        result.rounds += 1
        visits = solution.visits
        result.travel_min = _travel(model, visits)
        problems = _check(model, visits, shifts)
        if not problems:
            break
        dropped: set[int] = set()
        if last:
            for pk in problems.orders():
                dropped.add(pk)
                unplanned[pk] = _reason(orders[pk], problems, pk)
            break
        paired = {pk for pk in problems.orders() if pk in partners}
        if paired:
            for pk in paired:  # plan them separately first, then repair if still needed
                partners.pop(partners.pop(pk, 0), None)
            continue
        for pk, key in problems.off_shift:
            excluded[pk].add(key)
        for booking in active:
            pk = booking.order.pk
            left = {shifts[k].worker_id for k in booking.eligible - excluded[pk]}
            if len(left) < booking.crew:
                dropped.add(pk)
                unplanned[pk] = f"在服务人员的班次内排不下（时段 {_slot_text(booking.order)}）"
        for pk in problems.early:  # cannot happen unpaired; never kept
            dropped.add(pk)
            unplanned[pk] = _reason(orders[pk], problems, pk)
        if problems.blocking:
            pk = min(problems.blocking)
            dropped.add(pk)
            unplanned[pk] = _reason(orders[pk], problems, pk)
            retry.append(pk)
        elif problems.late and not problems.off_shift:
            pk = max(problems.late, key=lambda o: (problems.late[o], o))
            dropped.add(pk)
            unplanned[pk] = _reason(orders[pk], problems, pk)
            retry.append(pk)
        active = [b for b in active if b.order.pk not in dropped]
    if model is not None and active and not problems:
        # A visit taken out early may fit once others moved: try each again, keep a
        # clean plan only.
        by_order = {b.order.pk: b for b in bookings}
        for pk in retry[:MAX_RETRIES]:
            remaining = deadline - time.monotonic()
            if remaining < 2 * MIN_ROUND_S:
                break
            trial = [*active, by_order[pk]]
            trial_model = _instance(trial, pins, shift_list, excluded, date, partners)
            solution = plan(
                trial_model.instance,
                time_limit_s=remaining / 2,
                seed=seed,
                max_iterations=max_iterations,
            )
            result.rounds += 1
            if not _check(trial_model, solution.visits, shifts):
                active, model, visits = trial, trial_model, solution.visits
                result.travel_min = _travel(model, visits)
                unplanned.pop(pk, None)
    planned: dict[int, tuple[list[int], float]] = {}
    if model is not None and active:
        for visit in visits:
            found = model.bookings.get((visit.patient, visit.service))
            if found is None or found.order.pk in unplanned:
                continue
            people_of, _ = planned.setdefault(found.order.pk, ([], visit.start))
            people_of.append(shifts[visit.caregiver].worker_id)
    _write(result, planned, unplanned, orders, by_pk, date=date, now=now)
    result.seconds = time.monotonic() - began
    return result


def _travel(model: _Model, visits: list[Visit]) -> float:
    """Minutes walked between visits and from each base to the first (markers excluded)."""
    nodes = {p.id: p.node for p in model.instance.patients}
    dist = model.instance.distances
    routes: dict[str, list[Visit]] = defaultdict(list)
    for visit in visits:
        routes[visit.caregiver].append(visit)
    total = 0.0
    for route in routes.values():
        route.sort(key=lambda v: v.start)
        for a, b in itertools.pairwise(route):
            step = dist[nodes[a.patient]][nodes[b.patient]]
            if step < FAR:
                total += step
    return total


def _reason(order: Order, problems: _Problems, pk: int) -> str:
    if pk in problems.blocking:
        return "与服务人员已确认的服务时间冲突"
    if pk in problems.late or pk in problems.early:
        return f"预约时段 {_slot_text(order)} 内排不下（在班服务人员不足）"
    return f"在服务人员的班次内排不下（时段 {_slot_text(order)}）"


# --- writing ----------------------------------------------------------------------------


def _write(
    result: DayPlan,
    planned: dict[int, tuple[list[int], float]],
    unplanned: dict[int, str],
    orders: dict[int, Order],
    workers: dict[int, Worker],
    *,
    date: dt.date,
    now: dt.datetime,
) -> None:
    """Planned offers for ``planned`` (order → worker pks, start minutes), in one
    transaction; orders a dispatch took meanwhile are left alone and reported."""
    touched: set[Worker] = set()
    with transaction.atomic():
        rows = {
            o.pk: o
            for o in Order.objects.select_for_update(of=("self",))
            .filter(pk__in=list(orders))
            .select_related("service_type")
            .order_by("pk")
        }
        for pk in sorted(orders):
            order = rows.get(pk)
            if order is None:
                continue
            offers = list(order.offers.select_related("worker"))
            if not _replannable(order, offers):
                if pk in planned:
                    planned.pop(pk)
                    unplanned[pk] = "规划期间已被派单或取消，未改动"
                continue
            current = [o for o in offers if o.status == OfferStatus.PENDING and o.planned]
            if pk in planned:
                people, minutes = planned[pk]
                start = _moment(minutes, date)
                keep = [o for o in current if o.worker_id in people and o.eta == start]
                for offer in current:
                    if offer not in keep:
                        _withdraw(order, offer, now=now, note="日计划调整")
                        result.withdrawn += 1
                        touched.add(offer.worker)
                have = {o.worker_id for o in keep}
                before = order.status
                if order.status != OrderStatus.ASSIGNED:
                    order.status = OrderStatus.ASSIGNED
                    order.assigned_at = order.assigned_at or now
                    order.save(update_fields=["status", "assigned_at", "updated_at"])
                for worker_pk in sorted(set(people) - have):
                    person = workers[worker_pk]
                    Offer.objects.create(
                        order=order,
                        worker=person,
                        status=OfferStatus.PENDING,
                        offered_at=now,
                        expires_at=None,
                        eta=start,
                        sequence=start.timestamp(),
                        planned=True,
                    )
                    event_write(
                        order=order,
                        action=OrderAction.OFFER,
                        at=now,
                        worker=person,
                        from_status=before,
                        note=f"日计划：{timezone.localtime(start):%m-%d %H:%M} 上门",
                        data={"planned": True, "start": start.isoformat()},
                    )
                    result.written += 1
                    touched.add(person)
                end = start + dt.timedelta(seconds=order.duration_s)
                result.visits.append(
                    PlannedVisit(
                        order=order,
                        workers=tuple(workers[p] for p in sorted(people)),
                        start=start,
                        end=end,
                    )
                )
            else:
                for offer in current:
                    _withdraw(order, offer, now=now, note="日计划调整：未能排入")
                    result.withdrawn += 1
                    touched.add(offer.worker)
                if current and order.status == OrderStatus.ASSIGNED:
                    order.status = OrderStatus.PLACED
                    order.save(update_fields=["status", "updated_at"])
        _notify(touched, date)
    result.visits.sort(key=lambda v: (v.start, v.order.pk))
    result.unplanned = [
        UnplannedOrder(order=rows.get(pk) or orders[pk], reason=reason)
        for pk, reason in sorted(unplanned.items(), key=lambda item: item[0])
    ]
    _alert_unplanned(result.unplanned)


def _withdraw(order: Order, offer: Offer, *, now: dt.datetime, note: str) -> None:
    offer.status = OfferStatus.WITHDRAWN
    offer.responded_at = now
    offer.save(update_fields=["status", "responded_at"])
    event_write(
        order=order,
        action=OrderAction.WITHDRAW,
        at=now,
        worker=offer.worker,
        from_status=order.status,
        note=note,
    )


def _notify(workers: Iterable[Worker], date: dt.date) -> None:
    from linli.notify.services import notify

    users = [w.user for w in workers if w.user is not None]
    if users:
        notify(
            recipients=users,
            title=f"{date:%m月%d日}服务计划已更新",
            body="请在“我的工作”中查看并确认预约上门服务",
            link="/work/",
            kind="order.plan",
        )


UNPLANNED_KIND = "order.unplanned"


def _alert_unplanned(missing: list[UnplannedOrder]) -> int:
    """Tell the area's community admins and dispatchers about each booking the plan left
    ``placed``, once per order: an order already alerted (a :class:`Notification` of kind
    :data:`UNPLANNED_KIND` about it exists) is skipped on a re-plan. Orders a dispatch took
    or a cancellation ended meanwhile are not alerted. Returns the number of orders alerted.
    """
    from django.contrib.contenttypes.models import ContentType

    from linli.notify.models import Notification
    from linli.notify.services import notify
    from linli.orders.dispatching import _area_staff

    reasons = {u.order.pk: u.reason for u in missing}
    if not reasons:
        return 0
    told: set[int] = {
        pk
        for pk in Notification.objects.filter(
            kind=UNPLANNED_KIND,
            subject_type=ContentType.objects.get_for_model(Order),
            subject_id__in=list(reasons),
        ).values_list("subject_id", flat=True)
        if pk is not None
    }
    orders = (
        Order.objects.filter(pk__in=list(reasons), status=OrderStatus.PLACED)
        .exclude(pk__in=told)
        .select_related("service_type", "area")
        .order_by("pk")
    )
    sent = 0
    for order in orders:
        staff = _area_staff(order)
        if not staff:
            continue
        notify(
            recipients=staff,
            title=f"预约未能排入日计划：{order.service_type.name}",
            body=(
                f"{order.number}，{order.address}，"
                f"预约 {timezone.localtime(order.slot_start):%m月%d日} {_slot_text(order)}。"
                f"原因：{reasons[order.pk]}。请电话联系居民，人工安排或改约"
            ),
            link=f"/orders/{order.pk}/",
            kind=UNPLANNED_KIND,
            subject=order,
            area=order.area,
        )
        sent += 1
    return sent


# --- the daily schedule -----------------------------------------------------------------


def plan_tomorrow() -> dict[str, int]:
    """The 18:00 task: plan tomorrow's bookings (``ORDERS_PLAN_SECONDS``, default 30 s).

    Returns counts ``{"planned", "unplanned", "fixed"}`` (django-q stores the result).
    """
    from django.conf import settings

    seconds = float(getattr(settings, "ORDERS_PLAN_SECONDS", 30))
    day = timezone.localdate() + dt.timedelta(days=1)
    result = plan_day(date=day, seconds=seconds)
    log.info(
        "day plan %s: %d planned, %d unplanned", day, len(result.visits), len(result.unplanned)
    )
    return {
        "planned": len(result.visits),
        "unplanned": len(result.unplanned),
        "fixed": result.fixed,
    }


def next_plan_run(now: dt.datetime | None = None) -> dt.datetime:
    """The next :data:`PLAN_AT` (local) after ``now``."""
    local = timezone.localtime(now or timezone.now())
    run = timezone.make_aware(dt.datetime.combine(local.date(), PLAN_AT))
    return run if run > local else run + dt.timedelta(days=1)


def ensure_schedules() -> object:
    """The daily 18:00 :func:`plan_tomorrow` schedule (idempotent; ``linli up`` calls it).

    One row named :data:`PLAN_SCHEDULE`; running again repairs an edited row. The next run
    is kept when it is already an upcoming 18:00, so restarts do not skip or repeat a day.
    """
    from django_q.models import Schedule

    run = next_plan_run()
    schedule = Schedule.objects.filter(name=PLAN_SCHEDULE).first()
    keep = (
        schedule is not None
        and schedule.next_run is not None
        and schedule.next_run > timezone.now()
        and timezone.localtime(schedule.next_run).time() == PLAN_AT
    )
    schedule, _ = Schedule.objects.update_or_create(
        name=PLAN_SCHEDULE,
        defaults={
            "func": PLAN_TASK,
            "schedule_type": Schedule.DAILY,
            "repeats": -1,
            "next_run": schedule.next_run if keep and schedule is not None else run,
        },
    )
    return schedule
