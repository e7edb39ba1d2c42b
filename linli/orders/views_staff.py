"""Staff order pages, mounted at ``/orders/`` (namespace ``staff_orders``).

* ``/orders/`` — the orders of the user's areas (:func:`linli.people.scoping.scope` on
  ``Order.area``) with filters, counts per status, 无人接单 shown as alerts, order → arrival
  minutes per row, and the headline on top: today's p50/p90 order → arrival of immediate
  orders against the 30-minute promise.
* ``/orders/new/`` — an order on a resident's behalf from a phone call: find the resident
  (name, mobile number, or full identity number through its keyed hash), choose the
  service, see the quote, confirm → :func:`~linli.orders.ordering.order_place` then
  :func:`~linli.orders.dispatching.dispatch`.
* ``/orders/<pk>/`` — detail with the event trail and offers; cancel with a reason
  (staff rules of :func:`~linli.orders.ordering.cancel_check`); 重新派单
  (:func:`order_redispatch`); the complaint case.

Who: superusers, and staff holding one of :data:`ORDER_ROLES` (the people who take phone
calls and dispatch). Anyone else with a login gets 403; a row outside the user's areas is
404, exactly like a missing one. Quote reasons can name sensitive tags (低保、残疾), so they
are shown only to users with :func:`~linli.people.scoping.can_view_sensitive`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from linli.common.documents import Cell
from linli.common.exports import filter_lines, local_time, wants_xlsx, xlsx_response
from linli.common.identity import IdentityError, normalize_text, parse_phone
from linli.common.pii import mask_phone
from linli.eligibility.engine import EligibilityError
from linli.eligibility.money import yuan
from linli.orders.dispatching import dispatch, eta_minutes
from linli.orders.forms_staff import (
    ALERTS,
    CancelForm,
    OrderFilterForm,
    ResidentSearchForm,
    StaffOrderForm,
)
from linli.orders.models import (
    OfferStatus,
    Order,
    OrderAction,
    OrderEvent,
    OrderStatus,
)
from linli.orders.ordering import (
    MAX_NOTE,
    locked,
    order_cancel,
    order_events,
    order_place,
    order_quote,
)
from linli.orders.services import STANDARD_PRICE, ServiceQuote
from linli.orders.views_resident import photo_response
from linli.people.models import Resident, Role
from linli.people.scoping import can_view_pii, can_view_sensitive, roles, scope
from linli.people.services import resident_find_by_id_number

AnyUser = User | AnonymousUser

#: Roles that see and handle service orders in their areas.
ORDER_ROLES = frozenset(
    {
        Role.STREET_ADMIN,
        Role.COMMUNITY_ADMIN,
        Role.DISPATCHER,
        Role.GRID_LEADER,
        Role.GRID_WORKER,
        Role.MICRO_GRID_WORKER,
    }
)
#: The promise of issue 4 ("a caregiver was at the door 30 minutes later"), in minutes.
PROMISE_MIN = 30
PAGE_SIZE = 25
SEARCH_LIMIT = 20
#: Shown instead of an eligibility reason to users who may not see sensitive tags.
REASON_HIDDEN = "按资格规则定价"
#: Orders staff may send out again (重新派单).
REDISPATCHABLE = frozenset({OrderStatus.PLACED, OrderStatus.UNFULFILLED})


def may_handle_orders(user: AnyUser) -> bool:
    """Superuser, or staff with one of :data:`ORDER_ROLES`."""
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(getattr(user, "is_superuser", False) or roles(user) & ORDER_ROLES)


def order_staff_required(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Log-in required (redirect), then :func:`may_handle_orders` (403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not may_handle_orders(request.user):
            raise PermissionDenied("服务订单页面仅供社区、网格和调度工作人员使用")
        return view(request, *args, **kwargs)

    return wrapped


# --- reads ------------------------------------------------------------------------------


def orders_visible_to(user: AnyUser) -> QuerySet[Order]:
    """Orders whose area lies under the user's areas, with what a list row shows joined."""
    return scope(Order.objects.all(), user).select_related(
        "service_type", "resident", "area", "building"
    )


def order_for(user: AnyUser, pk: int) -> Order:
    """The order ``pk`` if the user may see it, else 404 (outside one's areas = missing)."""
    order = (
        orders_visible_to(user)
        .select_related("complaint_case", "placed_by", "household")
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise Http404("没有找到这个订单，或它不在您负责的区域内")
    return order


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) by linear interpolation between closest ranks, as
    ``linli bench dispatch`` reports it; ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclasses.dataclass(frozen=True)
class ArrivalStats:
    """Order → arrival of immediate orders placed in a period, in minutes.

    ``arrived`` orders with an arrival; ``unfulfilled`` orders that ended 无人接单;
    ``waiting`` still open without arrival, of which ``overdue`` were placed more than
    :data:`PROMISE_MIN` minutes ago (the promise is already broken for them).
    ``p50_min``/``p90_min`` are over the arrived orders only (``None`` when none);
    ``on_time`` is the share (0–1) of *decided* orders — arrived, unfulfilled, overdue —
    that arrived within :data:`PROMISE_MIN`; ``None`` when none is decided yet. An order
    nobody took is never on time.
    """

    arrived: int
    waiting: int
    p50_min: float | None
    p90_min: float | None
    on_time: float | None
    unfulfilled: int = 0
    overdue: int = 0

    @property
    def failed(self) -> int:
        """Orders whose promise is broken without an arrival: 无人接单 plus overdue."""
        return self.unfulfilled + self.overdue

    @property
    def p90_kept(self) -> bool | None:
        """The promise is kept: p90 of arrivals within :data:`PROMISE_MIN` and no order
        failed (``failed`` is 0). ``None`` when nothing is decided yet."""
        if self.p90_min is None and not self.failed:
            return None
        return self.failed == 0 and self.p90_min is not None and self.p90_min <= PROMISE_MIN


def arrival_stats(
    orders: QuerySet[Order], *, since: dt.datetime, now: dt.datetime | None = None
) -> ArrivalStats:
    """Order → arrival over immediate orders of ``orders`` placed at or after ``since``.

    Time-slot bookings are left out: for them the wait is chosen by the resident.
    Cancelled orders are left out; unfulfilled ones and those still waiting more than
    :data:`PROMISE_MIN` minutes after ``now`` (default: the current time) count as not
    on time (see :class:`ArrivalStats`). One query; percentiles in Python.
    """
    now = now or timezone.now()
    rows = (
        orders.filter(placed_at__gte=since, slot_start__isnull=True)
        .exclude(status=OrderStatus.CANCELLED)
        .order_by()
        .values_list("placed_at", "arrived_at", "status")
    )
    minutes: list[float] = []
    waiting = unfulfilled = overdue = 0
    for placed, arrived, status in rows:
        if arrived is not None:
            minutes.append((arrived - placed).total_seconds() / 60)
        elif status == OrderStatus.UNFULFILLED:
            unfulfilled += 1
        elif status != OrderStatus.COMPLETED:
            waiting += 1
            if (now - placed).total_seconds() / 60 > PROMISE_MIN:
                overdue += 1
    decided = len(minutes) + unfulfilled + overdue
    in_time = sum(m <= PROMISE_MIN for m in minutes)
    return ArrivalStats(
        arrived=len(minutes),
        waiting=waiting,
        p50_min=percentile(minutes, 50),
        p90_min=percentile(minutes, 90),
        on_time=in_time / decided if decided else None,
        unfulfilled=unfulfilled,
        overdue=overdue,
    )


def redispatched_numbers() -> list[str]:
    """Numbers of orders already re-dispatched (:func:`order_redispatch` records
    ``redispatch_of`` on the new order's place event). One query; re-dispatches are few."""
    return [
        str(number)
        for number in OrderEvent.objects.filter(
            action=OrderAction.PLACE, data__has_key="redispatch_of"
        ).values_list("data__redispatch_of", flat=True)
        if number
    ]


def needs_handling(orders: QuerySet[Order]) -> QuerySet[Order]:
    """需处理: unfulfilled orders nobody has re-dispatched yet (a re-dispatched original
    is handled: its successor carries the work)."""
    return orders.filter(status=OrderStatus.UNFULFILLED).exclude(number__in=redispatched_numbers())


def filtered_orders(user: AnyUser, data: dict[str, Any]) -> QuerySet[Order]:
    """Visible orders filtered by :class:`OrderFilterForm` data except the status."""
    queryset = orders_visible_to(user)
    if data.get("service"):
        queryset = queryset.filter(service_type=data["service"])
    if data.get("day"):
        start = timezone.make_aware(dt.datetime.combine(data["day"], dt.time()))
        queryset = queryset.filter(placed_at__gte=start, placed_at__lt=start + dt.timedelta(1))
    if data.get("number"):
        queryset = queryset.filter(number__icontains=data["number"].strip())
    return queryset


def status_counts(orders: QuerySet[Order]) -> list[dict[str, Any]]:
    """``[{"value", "label", "count"}]`` per status, in lifecycle order (one query)."""
    counted = dict(orders.order_by().values_list("status").annotate(n=Count("pk")))
    return [
        {"value": value, "label": label, "count": counted.get(value, 0)}
        for value, label in OrderStatus.choices
    ]


def arrival_text(order: Order) -> str:
    """Order → arrival for a list row: minutes for an immediate order, the gap to the slot
    for a booking, or "—" before arrival."""
    if order.arrived_at is None:
        return "—"
    if order.slot_start is None:
        return f"{math.ceil((order.arrived_at - order.placed_at).total_seconds() / 60)} 分钟"
    early = (order.arrived_at - order.slot_start).total_seconds() / 60
    return "按时（预约）" if early <= 0 else f"预约后 {math.ceil(early)} 分钟"


def quote_reason(reason: str, *, scheme: str | None, sensitive: bool) -> str:
    """The reason of a quote as a staff page may show it (see module docstring)."""
    if sensitive or not scheme or reason == STANDARD_PRICE:
        return reason
    return REASON_HIDDEN


def residents_matching(user: AnyUser, text: str) -> list[Resident]:
    """At most :data:`SEARCH_LIMIT` residents of the user's areas matching ``text``.

    An 18-digit (or 15-digit) identity number is looked up exactly through its keyed hash
    (nothing is decrypted); an 11-digit mobile number exactly; anything else is part of a
    name.
    """
    term = normalize_text(text).replace(" ", "").upper()
    residents = scope(Resident.objects.all(), user).select_related("household__building")
    if len(term) in (15, 18) and term[:15].isdigit():
        found = resident_find_by_id_number(id_number=term)
        return list(residents.filter(pk=found.pk)) if found else []
    if term.isdigit():
        try:
            phone = parse_phone(term)
        except IdentityError:
            return []
        return list(residents.filter(phone=phone)[:SEARCH_LIMIT])
    return list(residents.filter(name__contains=term).order_by("name", "pk")[:SEARCH_LIMIT])


def resident_card(resident: Resident) -> dict[str, Any]:
    """What the staff page shows of a resident: masked identity number and phone."""
    household = resident.household
    return {
        "resident": resident,
        "age": resident.age(),
        "phone": mask_phone(resident.phone),
        "id_number": resident.id_number_masked,
        "address": str(household) if household else "未登记住址",
        "has_home": household is not None,
    }


# --- the staff service ------------------------------------------------------------------


def order_redispatch(*, order: Order, actor: User, now: dt.datetime | None = None) -> Order:
    """Send an order out again after a phone call (重新派单); returns the order now waiting.

    * ``placed`` (every qualified worker was deciding on something else): dispatch it
      now instead of waiting for the minute sweep; the same order is returned.
    * ``unfulfilled`` is final and stays so (no new path through the state machine): a
      new order is placed for the same resident, service, form, address, slot and crew,
      by ``actor`` (channel ``staff``), its place event recording ``redispatch_of``, and
      dispatched. The new order is returned.

    Raises:
        ValidationError: any other status; the actor may not order for the resident; the
            booked slot has passed (place a new order instead); see
            :func:`~linli.orders.ordering.order_place`.
    """
    now = now or timezone.now()
    if order.status == OrderStatus.PLACED:
        return dispatch(order, now=now)
    with transaction.atomic():
        order = locked(order)  # two staff clicking at once place one new order, not two
        if order.status != OrderStatus.UNFULFILLED:
            raise ValidationError(f"订单当前为“{order.get_status_display()}”，不能重新派单")
        if OrderEvent.objects.filter(
            action=OrderAction.PLACE, data__redispatch_of=order.number
        ).exists():
            raise ValidationError("该订单已经重新派单过，请查看新订单")
        if order.slot_start is not None and order.slot_start <= now:
            raise ValidationError("原预约时间已过，请为居民新建订单")
        fresh = order_place(
            service_type=order.service_type,
            resident=order.resident,
            placed_by=actor,
            variant=order.variant,
            slot_start=order.slot_start,
            slot_end=order.slot_end,
            building=order.building,
            workers_needed=order.workers_needed,
            note=f"重新派单（原订单 {order.number}） {order.note}".strip()[:MAX_NOTE],
            now=now,
        )
        OrderEvent.objects.filter(order=fresh, action=OrderAction.PLACE).update(
            data={
                "channel": fresh.channel,
                "price_fen": fresh.price_fen,
                "redispatch_of": order.number,
            }
        )
    return dispatch(fresh, now=now)  # after commit: placing never waits on worker locks


# --- pages ------------------------------------------------------------------------------


@order_staff_required
def order_list(request: HttpRequest) -> HttpResponseBase:
    """``/orders/?status=alerts&service=3&day=2026-11-29&number=FW…``: the orders list."""
    form = OrderFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    base = filtered_orders(request.user, data)
    status = data.get("status") or ""
    listed = base
    if status == ALERTS:
        listed = needs_handling(base)
    elif status:
        listed = base.filter(status=status)
    if wants_xlsx(request) and (not form.is_bound or form.is_valid()):
        return orders_xlsx(listed.order_by("-placed_at", "-pk"), form)
    page = Paginator(listed.order_by("-placed_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    visible = orders_visible_to(request.user)
    query = request.GET.copy()
    query.pop("page", None)
    others = query.copy()
    others.pop("status", None)
    context = {
        "form": form,
        "page": page,
        "rows": [{"order": o, "arrival": arrival_text(o)} for o in page],
        "counts": status_counts(base),
        "alerts": needs_handling(visible).count(),
        "today": arrival_stats(visible, since=midnight),
        "week": arrival_stats(visible, since=midnight - dt.timedelta(days=6)),
        "promise": PROMISE_MIN,
        "status": status,
        "query": query.urlencode(),
        "filter_query": others.urlencode(),
    }
    status_code = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "orders/staff/list.html", context, status=status_code)


#: Columns of the orders export: a list row split into cells.
ORDERS_HEADER = [
    "订单编号",
    "服务",
    "渠道",
    "居民",
    "地址",
    "下单时间",
    "预约时间",
    "状态",
    "下单→到达",
]


def orders_xlsx(orders: QuerySet[Order], form: OrderFilterForm) -> FileResponse:
    """``/orders/?…&format=xlsx``: every order the filters select (all pages), the
    columns of the list (resident name and address; no phone, as on screen)."""
    rows: list[list[Cell]] = [
        [
            order.number,
            order.service_type.name,
            order.get_channel_display(),
            order.resident.name if order.resident else "",
            order.address,
            local_time(order.placed_at),
            local_time(order.slot_start),
            order.get_status_display(),
            arrival_text(order),
        ]
        for order in orders
    ]
    return xlsx_response(
        title="服务订单", header=ORDERS_HEADER, rows=rows, lines=filter_lines(form)
    )


def _quote_context(quote: ServiceQuote, *, sensitive: bool) -> dict[str, Any]:
    return {
        "price_text": quote.price_text,
        "price_fen": quote.price_fen,
        "subsidy_fen": quote.subsidy_fen,
        "tier": quote.tier,
        "reason": quote_reason(quote.reason, scheme=quote.scheme_code, sensitive=sensitive),
        "rules": quote.rules if sensitive else (),
    }


@order_staff_required
def order_new(request: HttpRequest) -> HttpResponse:
    """``/orders/new/``: find the resident (GET ``q``), pick one (GET ``resident``), then
    POST ``action=quote`` to see the price and ``action=confirm`` to place and dispatch."""
    search = ResidentSearchForm(request.GET if "q" in request.GET else None)
    context: dict[str, Any] = {"search": search, "results": None}
    if search.is_bound and search.is_valid():
        found = residents_matching(request.user, search.cleaned_data["q"])
        context["results"] = [resident_card(r) for r in found]
    status = 200
    if request.method == "POST":
        form = StaffOrderForm(request.POST, user=request.user)
        status = _order_post(request, form, context)
        if status == 302:
            return redirect("staff_orders:detail", pk=context["placed"].pk)
    else:
        chosen = request.GET.get("resident")
        form = StaffOrderForm(initial={"resident": chosen}, user=request.user)
        if chosen:
            resident = _resident_of(form, chosen)
            if resident is None:
                context["not_found"] = "没有找到这位居民，或其不在您负责的区域内"
                status = 404
            else:
                context["card"] = resident_card(resident)
    context["form"] = form
    return render(request, "orders/staff/new.html", context, status=status)


def _resident_of(form: StaffOrderForm, raw: str | None) -> Resident | None:
    """The resident with primary key ``raw`` among those the form offers (the user's areas)."""
    if not raw or not raw.isdigit():
        return None
    residents: QuerySet[Resident] = form.fields["resident"].queryset  # type: ignore[attr-defined]
    return residents.filter(pk=int(raw)).first()


def _order_post(request: HttpRequest, form: StaffOrderForm, context: dict[str, Any]) -> int:
    """Quote or place from a bound form; fills ``context``; returns the HTTP status."""
    resident = _resident_of(form, request.POST.get("resident"))
    if resident is not None:
        context["card"] = resident_card(resident)
    if not form.is_valid():
        return 400
    data = form.cleaned_data
    sensitive = can_view_sensitive(request.user)
    try:
        quote = order_quote(
            service_type=data["service_type"],
            resident=data["resident"],
            slot_start=form.slot_start_value(),
        )
        context["quote"] = _quote_context(quote, sensitive=sensitive)
        if request.POST.get("action") != "confirm":
            _expect(request, form, quote.price_fen)
            return 200
        if data.get("expected_price_fen") is None:
            form.add_error(None, "请先查看报价，确认价格后再下单")
            return 400
        order = order_place(
            service_type=data["service_type"],
            resident=data["resident"],
            placed_by=request.user,
            variant=data.get("variant") or "",
            slot_start=form.slot_start_value(),
            workers_needed=data.get("workers_needed"),
            note=data.get("note") or "",
            expected_price_fen=data["expected_price_fen"],
        )
    except (ValidationError, EligibilityError) as exc:
        for message in getattr(exc, "messages", [str(exc)]):
            form.add_error(None, message)
        if "quote" in context:  # show the current price so it can be confirmed again
            _expect(request, form, context["quote"]["price_fen"])
        return 400
    order = dispatch(order)
    messages.success(request, _placed_message(order))
    context["placed"] = order
    return 302


def _predecessor(user: AnyUser, order: Order) -> Order | None:
    """The unfulfilled order this one re-dispatched (:func:`order_redispatch`), if visible."""
    data = order.events.filter(action=OrderAction.PLACE).values_list("data", flat=True).first()
    number = (data or {}).get("redispatch_of")
    return orders_visible_to(user).filter(number=number).first() if number else None


def _expect(request: HttpRequest, form: StaffOrderForm, price_fen: int) -> None:
    """Carry the quoted price in the form's hidden field, to be confirmed next."""
    data = request.POST.copy()
    data["expected_price_fen"] = str(price_fen)
    form.data = data


def _status_label(value: str) -> str:
    return str(OrderStatus(value).label) if value in OrderStatus.values else value


def _placed_message(order: Order) -> str:
    if order.status == OrderStatus.ASSIGNED:
        return f"已下单 {order.number}，已派给服务人员，等待接单"
    if order.status == OrderStatus.UNFULFILLED:
        return f"已下单 {order.number}，但目前没有可接单的服务人员：请电话联系服务商人工安排"
    if order.slot_start is not None:
        return f"已下单 {order.number}，系统将在预约前自动派单"
    return f"已下单 {order.number}，服务人员都在忙，系统每分钟自动重试派单"


@order_staff_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """``/orders/<pk>/``: facts, offers, the event trail and the staff actions;
    ``?photo=<id>`` answers with a completion photo of the order (404 for any other)."""
    order = order_for(request.user, pk)
    if "photo" in request.GET:  # ?photo=<id>: that completion photo, for staff of the area
        return photo_response(order, request.GET["photo"])
    return _detail(request, order, cancel_form=CancelForm(), status=200)


def _detail(
    request: HttpRequest, order: Order, *, cancel_form: CancelForm, status: int
) -> HttpResponse:
    now = timezone.now()
    sensitive = can_view_sensitive(request.user)
    offers = list(order.offers.select_related("worker__provider__organization"))
    live = (OfferStatus.PENDING, OfferStatus.ACCEPTED)
    successors = (
        orders_visible_to(request.user)
        .filter(events__action=OrderAction.PLACE, events__data__redispatch_of=order.number)
        .distinct()
    )
    context = {
        "order": order,
        "card": resident_card(order.resident),
        "events": [
            {
                "event": e,
                "moved_to": _status_label(e.to_status)
                if e.from_status != e.to_status and (e.from_status or e.action == OrderAction.PLACE)
                else "",
            }
            for e in order_events(order)
        ],
        "price_text": yuan(order.price_fen),
        "subsidy_text": yuan(order.subsidy_fen) if order.subsidy_fen else "",
        "variant": next(
            (
                str(v.get("name"))
                for v in order.service_type.variants or []
                if isinstance(v, dict) and v.get("code") == order.variant
            ),
            order.variant,
        ),
        "offers": [
            {
                "offer": offer,
                "phone": mask_phone(offer.worker.phone),
                "eta_min": eta_minutes(offer, now=now)
                if offer.status in live and order.arrived_at is None
                else None,
            }
            for offer in offers
        ],
        "reason": quote_reason(
            str(order.quote.get("reason", "")),
            scheme=order.quote.get("scheme"),
            sensitive=sensitive,
        ),
        "rules": order.quote.get("rules", []) if sensitive else [],
        "arrival": arrival_text(order),
        "cancel_form": cancel_form,
        "may_cancel": not order.is_final and order.status != OrderStatus.IN_SERVICE,
        "may_redispatch": order.status in REDISPATCHABLE,
        "successors": list(successors),
        "predecessor": _predecessor(request.user, order),
        "may_reveal": can_view_pii(request.user),
        "photos": list(order.photos.values_list("pk", flat=True)),
    }
    return render(request, "orders/staff/detail.html", context, status=status)


@require_POST
@order_staff_required
def order_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    """POST ``/orders/<pk>/cancel/`` with ``reason``: 400 without one, 409 when too late."""
    order = order_for(request.user, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _detail(request, order, cancel_form=form, status=400)
    try:
        order_cancel(order=order, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        form.add_error(None, exc)
        return _detail(request, order, cancel_form=form, status=409)
    messages.success(request, f"订单 {order.number} 已取消")
    return redirect("staff_orders:detail", pk=order.pk)


@require_POST
@order_staff_required
def order_redispatch_view(request: HttpRequest, pk: int) -> HttpResponse:
    """POST ``/orders/<pk>/redispatch/``: :func:`order_redispatch`; 409 when not allowed."""
    order = order_for(request.user, pk)
    assert isinstance(request.user, User)
    try:
        after = order_redispatch(order=order, actor=request.user)
    except (ValidationError, EligibilityError) as exc:
        form = CancelForm()
        for message in getattr(exc, "messages", [str(exc)]):
            messages.error(request, message)
        return _detail(request, order, cancel_form=form, status=409)
    messages.success(request, _placed_message(after) if after.pk != order.pk else _again(after))
    return redirect("staff_orders:detail", pk=after.pk)


def _again(order: Order) -> str:
    if order.status == OrderStatus.ASSIGNED:
        return f"订单 {order.number} 已重新派出，等待服务人员接单"
    if order.status == OrderStatus.UNFULFILLED:
        return f"订单 {order.number} 仍然无人可接：请电话联系服务商人工安排"
    if order.slot_start is not None:
        return f"订单 {order.number} 是预约订单，系统将在预约前自动派单"
    return f"订单 {order.number} 暂无空闲服务人员，系统每分钟自动重试"
