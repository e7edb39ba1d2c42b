"""Caregiver (worker) phone pages at ``/work/`` (issue 4, "Caregiver phone pages").

A worker is a user linked by :attr:`linli.orders.models.Worker.user`; everyone else is
sent to the log-in page (anonymous) or refused with 403 (resident accounts, users without
an active worker row). Pages are phone-first and work without JavaScript; scripts only
add the ticking countdown, the 15-second refresh of the offer (htmx) and position pings.

* ``/work/`` — status (上线/休息/下线), the pending offer with its time limit as text, held
  orders in sequence, and today's planned visits in time order.
* ``/work/orders/<pk>/`` — an order the worker holds: who (surname and 先生/女士 only),
  where (AMap link in GCJ-02 and a ``geo:`` link in WGS-84), and the one or two steps the
  current state allows (出发 → 已到达 → 开始服务 → 完成服务 with notes and photos).
* ``/work/ping`` — the phone's position (JSON or form), stored by
  :func:`linli.orders.services.worker_ping`.

Views parse, call one service, and render; the services lock, check and record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from linli.accounts.selectors import account_of
from linli.common.geo import DETOUR_FACTOR, LatLng, great_circle_m, wgs84_to_gcj02
from linli.common.models import PiiAccessLog
from linli.orders import dispatching, ordering
from linli.orders.models import (
    FINAL_STATUSES,
    Offer,
    OfferStatus,
    Order,
    OrderStatus,
    Worker,
    WorkerStatus,
)
from linli.orders.services import GeoPoint, worker_ping, worker_status_set
from linli.people.models import Resident, Sex

#: Order states in which a worker still has something to do, in the order they happen.
UNDER_WAY = (
    OrderStatus.ACCEPTED,
    OrderStatus.EN_ROUTE,
    OrderStatus.ARRIVED,
    OrderStatus.IN_SERVICE,
)
#: The statuses a worker may pick on the page (服务中 is set by accepting an offer).
STATUS_CHOICES = (
    (WorkerStatus.AVAILABLE, "上线"),
    (WorkerStatus.ON_BREAK, "休息"),
    (WorkerStatus.OFF, "下线"),
)
#: A phone position older than this (seconds) is not used for the distance shown.
PING_FRESH_S = dispatching.PING_FRESH_S
#: Chinese two-character surnames, so 欧阳娜 is 欧阳女士 and not 欧女士.
_COMPOUND = "欧阳司马上官诸葛东方皇甫尉迟公孙慕容长孙宇文司徒夏侯令狐端木西门南宫"
COMPOUND_SURNAMES = frozenset(_COMPOUND[i : i + 2] for i in range(0, len(_COMPOUND), 2))


@dataclasses.dataclass(frozen=True)
class Step:
    """One button on the order page: its label, service, and the states it applies to."""

    label: str
    service: Callable[..., Order]
    allowed: frozenset[str]
    target: str


#: The worker's steps in the order they are shown (ordering.py enforces the same states).
STEPS: dict[str, Step] = {
    "en_route": Step(
        "出发",
        ordering.order_en_route,
        frozenset({OrderStatus.ACCEPTED}),
        OrderStatus.EN_ROUTE,
    ),
    "arrive": Step(
        "已到达",
        ordering.order_arrive,
        frozenset({OrderStatus.ACCEPTED, OrderStatus.EN_ROUTE}),
        OrderStatus.ARRIVED,
    ),
    "start": Step(
        "开始服务",
        ordering.order_start,
        frozenset({OrderStatus.ARRIVED}),
        OrderStatus.IN_SERVICE,
    ),
    "complete": Step(
        "完成服务",
        ordering.order_complete,
        frozenset({OrderStatus.ARRIVED, OrderStatus.IN_SERVICE}),
        OrderStatus.COMPLETED,
    ),
}


# --- access -----------------------------------------------------------------------------


def worker_for(user: Any) -> Worker | None:
    """The active worker row of ``user``; ``None`` for anonymous users, resident accounts
    and users who are not workers."""
    if not getattr(user, "is_authenticated", False) or account_of(user) is not None:
        return None
    return (
        Worker.objects.select_related("provider__organization__building")
        .filter(user=user, active=True, provider__active=True)
        .first()
    )


def _refuse(request: HttpRequest, reason: str, *, status: int) -> HttpResponse:
    return render(
        request, "orders/work/error.html", {"title": "无法操作", "reason": reason}, status=status
    )


def worker_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Pass the request's :class:`Worker` as the view's second argument; anonymous users
    go to the log-in page, other non-workers get 403."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if request.headers.get("HX-Request"):  # a poll after the session ended: the
                # whole page goes to the log-in form, not the offer area
                login = redirect_to_login(reverse("work:today"))
                return HttpResponse(headers={"HX-Redirect": login["Location"]})
            return redirect_to_login(request.get_full_path())
        worker = worker_for(request.user)
        if worker is None:
            return _refuse(request, "此页面仅供服务人员使用。", status=403)
        return view(request, worker, *args, **kwargs)

    return wrapper


def _message(error: ValidationError) -> str:
    return "；".join(error.messages)


# --- reads for the pages ----------------------------------------------------------------


def pending_offer(worker: Worker) -> Offer | None:
    """The worker's one offer waiting for an answer (not from the day plan), if any."""
    return (
        Offer.objects.filter(worker=worker, status=OfferStatus.PENDING, planned=False)
        .select_related("order__service_type")
        .first()
    )


def held_offers(worker: Worker) -> list[Offer]:
    """Accepted offers whose order is still under way, in the worker's sequence."""
    return list(
        Offer.objects.filter(
            worker=worker, status=OfferStatus.ACCEPTED, order__status__in=UNDER_WAY
        )
        .select_related("order__service_type")
        .order_by("sequence", "offered_at", "pk")
    )


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Local midnight of ``day`` and of the day after (tz-aware)."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def plan_offers(worker: Worker, day: dt.date) -> list[Offer]:
    """The planned visits of ``day`` (local): open pending or accepted offers whose
    order's slot starts that day, and day-plan offers without a slot expected that day;
    by start time."""
    start, end = _day_bounds(day)
    offers = (
        Offer.objects.filter(worker=worker, status__in=[OfferStatus.PENDING, OfferStatus.ACCEPTED])
        .exclude(order__status__in=FINAL_STATUSES)
        .filter(
            Q(order__slot_start__gte=start, order__slot_start__lt=end)
            | Q(planned=True, order__slot_start__isnull=True, eta__gte=start, eta__lt=end)
        )
        .select_related("order__service_type")
    )
    return sorted(offers, key=lambda o: (o.order.slot_start or o.eta or start, o.sequence, o.pk))


def withdrawn_offers(worker: Worker, now: dt.datetime, *, limit: int = 5) -> list[Offer]:
    """Orders taken back from the worker today (cancelled, or moved to someone else by
    re-optimisation), newest first: the page says so, as nothing else tells them."""
    start, _ = _day_bounds(timezone.localdate(now))
    return list(
        Offer.objects.filter(worker=worker, status=OfferStatus.WITHDRAWN, responded_at__gte=start)
        .select_related("order__service_type")
        .order_by("-responded_at", "-pk")[:limit]
    )


def worker_position(worker: Worker, now: dt.datetime) -> tuple[LatLng, str] | None:
    """Where distances are measured from: a fresh phone position, else the provider's
    building; with a label saying which. ``None`` if neither is known."""
    if (
        worker.last_ping_at is not None
        and worker.last_lat is not None
        and worker.last_lng is not None
        and (now - worker.last_ping_at).total_seconds() <= PING_FRESH_S
    ):
        return LatLng(worker.last_lat, worker.last_lng), "您的位置"
    building = worker.provider.organization.building
    if building is not None and building.lat is not None and building.lng is not None:
        return LatLng(float(building.lat), float(building.lng)), building.name
    return None


def offer_view(offer: Offer | None, worker: Worker, now: dt.datetime) -> dict[str, Any]:
    """What the offer area shows: the offer, seconds left (whole, ≥ 0), whether the time
    is up, distance (metres, great circle × detour factor) and the ETA in minutes."""
    if offer is None:
        return {"offer": None, "key": "none"}
    order = offer.order
    left = None
    if offer.expires_at is not None:
        left = max(0, math.ceil((offer.expires_at - now).total_seconds()))
    expired = left == 0
    origin = worker_position(worker, now)
    metres = None
    if origin is not None:
        metres = great_circle_m(origin[0], LatLng(order.lat, order.lng)) * DETOUR_FACTOR
    return {
        "offer": offer,
        "order": order,
        "seconds_left": left,
        "expired": expired,
        "metres": None if metres is None else round(metres / 10) * 10,
        "origin": origin[1] if origin else "",
        "eta_minutes": dispatching.eta_minutes(offer, now=now),
        "variant": _variant_name(order),
        "key": f"{offer.pk}-{'x' if expired else 'p'}",
    }


def _variant_name(order: Order) -> str:
    for variant in order.service_type.variants or []:
        if isinstance(variant, dict) and variant.get("code") == order.variant:
            return str(variant.get("name") or "")
    return ""


def resident_label(resident: Resident) -> str:
    """Surname and 先生/女士 only (``王女士``): enough to greet at the door."""
    name = resident.name.strip()
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]
    return f"{surname}{'女士' if resident.sex == Sex.FEMALE else '先生'}"


def nav_links(order: Order) -> dict[str, str]:
    """Navigation: AMap's marker page (GCJ-02, as AMap expects) and a ``geo:`` URI
    (RFC 5870, WGS-84) that any map app on the phone can open."""
    gcj = wgs84_to_gcj02(LatLng(order.lat, order.lng))
    amap = "https://uri.amap.com/marker?" + urlencode(
        {
            "position": f"{gcj.lng:.6f},{gcj.lat:.6f}",
            "name": order.address,
            "coordinate": "gaode",
            "callnative": "1",
        },
        safe=",",
    )
    point = f"{order.lat:.6f},{order.lng:.6f}"
    geo = f"geo:{point}?q={point}({quote(order.address)})"
    return {"amap": amap, "geo": geo}


def crew_names(order: Order, worker: Worker) -> list[str]:
    """The other workers holding ``order`` (a crew of two for a bedridden resident's bath)."""
    return list(
        order.offers.filter(status=OfferStatus.ACCEPTED)
        .exclude(worker=worker)
        .values_list("worker__name", flat=True)
    )


def contacts(order: Order, user: User) -> list[dict[str, str]]:
    """Phones to call while the worker holds an open order: the resident's, and the family
    member's who placed it. Each showing is logged (PIPL art. 51, as the registry does)."""
    rows: list[dict[str, str]] = []
    people = [("服务对象", order.resident)]
    family = account_of(order.placed_by) if order.placed_by_id else None
    if family is not None and family.resident_id != order.resident_id:
        people.append(("下单家属", family.resident))
    for role, person in people:
        if not person.phone:
            continue
        rows.append({"role": role, "name": resident_label(person), "phone": person.phone})
        PiiAccessLog.objects.create(
            user=user,
            subject_type="resident",
            subject_id=person.pk,
            subject_label=f"{person.name}（{person.id_number_masked}）",
            fields="电话",
            purpose=f"服务人员上门联系（订单 {order.number}）",
        )
    return rows


def order_context(order: Order, worker: Worker, user: User) -> dict[str, Any]:
    """The order page: facts, links, and the steps allowed now (in their fixed order)."""
    open_ = order.status not in FINAL_STATUSES
    steps = [
        {"code": code, "label": step.label, "url": reverse(f"work:{code}", args=[order.pk])}
        for code, step in STEPS.items()
        if order.status in step.allowed
    ]
    waiting_crew = order.status == OrderStatus.ASSIGNED
    return {
        "order": order,
        "resident_name": resident_label(order.resident),
        "variant": _variant_name(order),
        "contacts": contacts(order, user) if open_ else [],
        "nav": nav_links(order),
        "crew": crew_names(order, worker),
        "steps": steps,
        "waiting_crew": waiting_crew,
        "photo_count": order.photos.count(),
    }


def holds(worker: Worker, order: Order) -> bool:
    """Whether ``worker`` holds ``order`` by an accepted offer (open or finished)."""
    return Offer.objects.filter(order=order, worker=worker, status=OfferStatus.ACCEPTED).exists()


def _order_or_404(pk: int) -> Order:
    order = (
        Order.objects.select_related("service_type", "resident", "placed_by").filter(pk=pk).first()
    )
    if order is None:
        raise Http404("没有这个订单")
    return order


# --- pages ------------------------------------------------------------------------------


@worker_required
@require_GET
def today(request: HttpRequest, worker: Worker) -> HttpResponse:
    """``/work/``: status, the pending offer, held orders, today's and tomorrow's plan
    (the day plan is made the day before, so its visits can be confirmed ahead)."""
    now = timezone.now()
    today = timezone.localdate(now)
    context = {
        "worker": worker,
        "status_choices": STATUS_CHOICES,
        "held": held_offers(worker),
        "plan": plan_offers(worker, today),
        "plan_tomorrow": plan_offers(worker, today + dt.timedelta(days=1)),
        "withdrawn": withdrawn_offers(worker, now),
        **offer_view(pending_offer(worker), worker, now),
    }
    return render(request, "orders/work/today.html", context)


@worker_required
@require_GET
def offer_area(request: HttpRequest, worker: Worker) -> HttpResponse:
    """htmx fragment polled every 15 s: the offer area, or 204 (htmx keeps the page as
    it is) when nothing changed since ``?shown=<key>`` — so a reason being typed is kept."""
    context = offer_view(pending_offer(worker), worker, timezone.now())
    if request.GET.get("shown") == context["key"]:
        return HttpResponse(status=204)
    return render(request, "orders/work/_offer.html", {"worker": worker, **context})


@worker_required
@require_POST
def status_set(request: HttpRequest, worker: Worker) -> HttpResponse:
    """Set 上线/休息/下线. Going off duty is refused while an offer waits or held work is
    open, so no order is left with a worker who has gone home."""
    status = request.POST.get("status", "")
    labels: dict[str, str] = {str(value): label for value, label in STATUS_CHOICES}
    if status not in labels:
        messages.error(request, "请选择上线、休息或下线")
        return redirect("work:today")
    if status == WorkerStatus.OFF and (pending_offer(worker) or held_offers(worker)):
        messages.error(request, "您还有待接的派单或未完成的订单，处理完后才能下线")
        return redirect("work:today")
    worker_status_set(worker=worker, status=status)
    messages.success(request, f"已{labels[status]}")
    return redirect("work:today")


def _offered(worker: Worker, pk: int) -> Order:
    """The order if it was ever offered to ``worker``; 404 otherwise."""
    order = _order_or_404(pk)
    if not Offer.objects.filter(order=order, worker=worker).exists():
        raise Http404("没有这个派单")
    return order


@worker_required
@require_POST
def accept(request: HttpRequest, worker: Worker, pk: int) -> HttpResponse:
    """接单: take the offer (:func:`dispatching.offer_accept`); too late → a message."""
    order = _offered(worker, pk)
    try:
        order = dispatching.offer_accept(order=order, worker=worker)
    except ValidationError as error:
        if holds(worker, order):  # a second tap on a slow network: the first one took it
            return redirect("work:order", pk=order.pk)
        messages.error(request, _message(error))
        return redirect("work:today")
    messages.success(request, f"已接单：{order.service_type.name}，{order.address}")
    return redirect("work:order", pk=order.pk)


@worker_required
@require_POST
def decline(request: HttpRequest, worker: Worker, pk: int) -> HttpResponse:
    """拒单 with an optional reason; the order goes to the next worker at once."""
    order = _offered(worker, pk)
    try:
        dispatching.offer_decline(order=order, worker=worker, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        answered = order.offers.filter(worker=worker, status=OfferStatus.DECLINED).exists()
        if not answered:  # else a second tap: the first one declined it
            messages.error(request, _message(error))
    else:
        messages.success(request, f"已拒单：{order.number}")
    return redirect("work:today")


@worker_required
@require_GET
def order_detail(request: HttpRequest, worker: Worker, pk: int) -> HttpResponse:
    """``/work/orders/<pk>/``: an order the worker holds; 404 for anyone else."""
    order = _order_or_404(pk)
    if not holds(worker, order):
        raise Http404("没有这个订单")
    context = order_context(order, worker, request.user)  # type: ignore[arg-type]
    return render(request, "orders/work/order.html", {"worker": worker, **context})


@worker_required
@require_POST
def order_step(request: HttpRequest, worker: Worker, pk: int, step: str) -> HttpResponse:
    """One step (出发, 已到达, 开始服务, 完成服务). Not the holder → 403 "您没有承接此订单";
    a step the state does not allow → 409; bad notes or photos → 400; nothing changes."""
    spec = STEPS[step]
    order = _order_or_404(pk)
    try:
        ordering.held_offer(order, worker)
    except ValidationError as error:
        reason = _message(error)
        if order.status == OrderStatus.CANCELLED and order.offers.filter(worker=worker).exists():
            reason = f"订单已取消，无需继续服务。{order.cancel_reason}"
        return _refuse(request, reason, status=403)
    note = request.POST.get("note", "")
    try:
        if step == "complete":
            photos = request.FILES.getlist("photos")
            order = ordering.order_complete(order=order, worker=worker, note=note, photos=photos)
        else:
            order = spec.service(order=order, worker=worker)
    except ValidationError as error:
        order.refresh_from_db()
        wrong_state = order.status not in spec.allowed and order.status != spec.target
        context = order_context(order, worker, request.user)  # type: ignore[arg-type]
        context.update(worker=worker, error=_message(error), note=note)
        status = 409 if wrong_state else 400
        return render(request, "orders/work/order.html", context, status=status)
    if step == "complete":  # the service set the worker back to 空闲 if nothing else is held
        messages.success(request, f"已完成服务：{order.number}")
        return redirect("work:today")
    messages.success(request, f"{spec.label}：已记录")
    return redirect("work:order", pk=order.pk)


# --- position pings ---------------------------------------------------------------------


def _number(value: Any, label: str) -> float:
    """A finite float from JSON or form input; Chinese ``ValidationError`` otherwise."""
    if value is None or value == "":
        raise ValidationError(f"缺少{label}")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationError(f"{label}不是数字")
    try:
        number = float(value)
    except ValueError:
        raise ValidationError(f"{label}不是数字") from None
    if not math.isfinite(number):
        raise ValidationError(f"{label}不是有限数值")
    return number


def ping_payload(request: HttpRequest) -> GeoPoint:
    """``lat``/``lng`` (WGS-84 degrees) and optional ``accuracy`` (metres) from a JSON
    object body or form fields.

    Raises:
        ValidationError: not JSON, not an object, missing or non-numeric fields.
    """
    data: Any
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"")
        except (ValueError, UnicodeDecodeError):
            raise ValidationError("定位数据不是有效的 JSON") from None
        if not isinstance(data, dict):
            raise ValidationError("定位数据应为 JSON 对象")
    else:
        data = request.POST
    accuracy = data.get("accuracy")
    return GeoPoint(
        lat=_number(data.get("lat"), "纬度"),
        lng=_number(data.get("lng"), "经度"),
        accuracy_m=None if accuracy in (None, "") else _number(accuracy, "定位精度"),
    )


@require_POST
def ping(request: HttpRequest) -> HttpResponse:
    """``/work/ping``: store the phone's position now (``{"ok": true, "stored": bool}``;
    ``stored`` is false for a ping older than the one kept). Bad input → 400 with
    ``{"error": "…"}``; non-workers → 403; nothing is stored on either."""
    worker = worker_for(request.user)
    if worker is None:
        return JsonResponse({"error": "请以服务人员账号登录"}, status=403)
    try:
        stored = worker_ping(worker=worker, point=ping_payload(request), at=timezone.now())
    except ValidationError as error:
        return JsonResponse({"error": _message(error)}, status=400)
    return JsonResponse({"ok": True, "stored": stored})
