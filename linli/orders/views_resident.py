"""Resident ordering pages at ``/me/``: services, quote and confirm, my orders, status.

Who: only resident accounts (log-in by phone and one-time code). Anonymous visitors go
to the log-in page; staff users, who have no resident account, go to the staff order
pages. A resident sees and orders for the people :func:`residents_actable_by` returns —
themself and family who consented — which is exactly whom
:func:`linli.orders.ordering.order_channel` accepts for a resident account; any other
order is a 404, so its existence never leaks.

Age-friendly (MIIT 2021): elder mode shares the accounts pages' cookie and stylesheet;
one main action per screen; no pop-ups and no time limits (a confirmation is its own
page); states carry an icon and words, never colour alone. The status page polls a
fragment every 10 s with htmx when JavaScript runs; a plain 刷新 link does the same
without it.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.accounts.models import ResidentAccount
from linli.accounts.selectors import account_of, residents_actable_by
from linli.cases.views_public import is_elder
from linli.common.security import safe_file_response
from linli.eligibility.engine import EligibilityError
from linli.eligibility.money import yuan
from linli.orders.dispatching import dispatch, eta_minutes
from linli.orders.forms_resident import (
    NOW,
    SLOT,
    CancelForm,
    OrderForm,
    RateForm,
    slot_days,
    slot_times,
)
from linli.orders.models import (
    FINAL_STATUSES,
    Offer,
    OfferStatus,
    Order,
    OrderAction,
    OrderEvent,
    OrderPhoto,
    OrderStatus,
    ServiceMode,
    ServiceType,
)
from linli.orders.ordering import cancel_check, order_cancel, order_place, order_quote, order_rate
from linli.orders.selectors import active_service_types, qualified_workers
from linli.orders.services import ServiceQuote
from linli.people.models import FamilyLink, Resident, Sex
from linli.places.models import Facility, FacilityKind, Household

log = logging.getLogger(__name__)

#: Where staff users are sent (the staff order pages, ``linli/orders/urls_staff.py``).
STAFF_PAGES = "/orders/"
#: Session key: the person last chosen on the services page (a primary key).
FOR_SESSION_KEY = "resident_orders_for"
#: Session key: confirm tokens already used → order pk (a double tap places one order).
TOKENS_SESSION_KEY = "resident_orders_tokens"
TOKENS_KEPT = 20
#: Seconds between status refreshes on the order page (htmx polling).
POLL_SECONDS = 10
#: Seconds between refreshes of a booking whose slot is not due yet (nothing moves
#: before the evening plan; see :func:`_live_context`).
SLOW_POLL_SECONDS = 300
#: A booking is "not yet due" until this many seconds before its slot starts.
DUE_BEFORE_SLOT_S = 2 * 3600
#: Variants served at a facility, not at home (as ``linli.orders.dayplan.NO_VISIT_VARIANTS``).
DINE_IN = "dine_in"
NO_VISIT = frozenset({DINE_IN, "remote"})
NO_CONSENT = "您没有为该居民下单的授权（需要对方同意的家属关联）"
REFUSED = "您不能办理这项操作。如有疑问，请联系社区。"
#: Why 现在 is not offered (the walkthrough was offered it with nobody on shift).
NOBODY_NOW = "现在没有服务人员在岗，请预约时间"
NOBODY_NOW_ON_DEMAND = "现在没有服务人员在岗，请稍后再试，或联系社区"
TOO_FEW_NOW = "现在在岗的服务人员不足两位，需要两位时请预约时间"

#: An emoji per service code (decoration only: the name is always written beside it);
#: tiles follow this order (the most asked-for first), other services after, by name.
ICONS = {
    "meal_assist": "🍱",
    "bath_assist": "🛁",
    "medicine_delivery": "💊",
    "consultation": "🩺",
    "housekeeping": "🧹",
    "repair": "🔧",
    "haircut": "💇",
    "knife_sharpening": "🔪",
}
#: The order's main line of states, with an icon each (never colour alone).
STEPS = [
    (OrderStatus.PLACED, "📝"),
    (OrderStatus.ASSIGNED, "📨"),
    (OrderStatus.ACCEPTED, "🤝"),
    (OrderStatus.EN_ROUTE, "🚶"),
    (OrderStatus.ARRIVED, "🏠"),
    (OrderStatus.IN_SERVICE, "⏳"),
    (OrderStatus.COMPLETED, "✅"),
]
STAMPS = {
    OrderStatus.PLACED: "placed_at",
    OrderStatus.ASSIGNED: "assigned_at",
    OrderStatus.ACCEPTED: "accepted_at",
    OrderStatus.EN_ROUTE: "en_route_at",
    OrderStatus.ARRIVED: "arrived_at",
    OrderStatus.IN_SERVICE: "started_at",
    OrderStatus.COMPLETED: "completed_at",
}
#: How the family member calls the person they act for, from ``FamilyLink.relation``
#: (what the family member is to the resident) and the resident's sex.
INVERSE_RELATION = {
    "女儿": ("母亲", "父亲"),
    "儿子": ("母亲", "父亲"),
    "儿媳": ("婆婆", "公公"),
    "女婿": ("岳母", "岳父"),
    "孙女": ("奶奶", "爷爷"),
    "孙子": ("奶奶", "爷爷"),
    "外孙女": ("外婆", "外公"),
    "外孙": ("外婆", "外公"),
    "妻子": ("丈夫", "丈夫"),
    "丈夫": ("妻子", "妻子"),
}

View = Callable[..., HttpResponseBase]


def resident_page(view: View) -> View:
    """Only resident accounts: anonymous → log-in page, staff → the staff order pages.

    The wrapped view receives the :class:`ResidentAccount` as its second argument. A 404
    or 403 raised inside is answered with a resident page (``missing.html`` /
    ``refused.html``) in resident wording, not the staff site's error pages.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
        account = account_of(request.user)
        if account is None:
            return redirect(STAFF_PAGES)
        try:
            return view(request, account, *args, **kwargs)
        except Http404:
            # The site-wide 404 page speaks to staff (管辖范围); residents get their own.
            return _page(request, "orders/resident/missing.html", {"nav": "orders"}, status=404)
        except PermissionDenied:
            return _page(request, "orders/resident/refused.html", {"message": REFUSED}, status=403)

    return wrapped


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    extra = {"elder": is_elder(request), "here": request.get_full_path()}
    return render(request, template, {**context, **extra}, status=status)


# --- for whom ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Someone the user may order for, with the label the pages show."""

    resident: Resident
    label: str


def people_for(account: ResidentAccount) -> list[Person]:
    """The account's own resident first (本人), then consenting family by name."""
    me = account.resident
    others = [r for r in residents_actable_by(account.user) if r.pk != me.pk]
    relations = dict(
        FamilyLink.objects.filter(relative=me, resident__in=others).values_list(
            "resident_id", "relation"
        )
    )
    people = [Person(me, f"本人（{me.name}）")]
    for other in others:
        pair = INVERSE_RELATION.get(relations.get(other.pk, ""))
        called = (pair[0] if other.sex == Sex.FEMALE else pair[1]) if pair else "家人"
        people.append(Person(other, f"{other.name}（{called}）"))
    return people


def _chosen(request: HttpRequest, people: list[Person], raw: str | None) -> Person | None:
    """The person picked by ``raw`` (a primary key); ``None`` when not one of ``people``.

    Without ``raw``, the person chosen last time in this session, else the user.
    """
    if raw is None:
        remembered = request.session.get(FOR_SESSION_KEY)
        return next((p for p in people if p.resident.pk == remembered), people[0])
    if not raw.isdigit():
        return None
    return next((p for p in people if p.resident.pk == int(raw)), None)


def _no_consent(request: HttpRequest) -> HttpResponse:
    # The same answer whether or not the number names a real resident: nothing leaks.
    return _page(request, "orders/resident/refused.html", {"message": NO_CONSENT}, status=403)


# --- services and the quote -------------------------------------------------------------


def _quote(service: ServiceType, resident: Resident, form: OrderForm | None) -> ServiceQuote:
    """The quote for the slot the form holds (its day decides age tiers), else for today."""
    slot = None
    if form is not None and form.is_bound and form.is_valid():
        slot = form.slot_start()
    return order_quote(service_type=service, resident=resident, slot_start=slot)


@require_GET
@resident_page
def services(request: HttpRequest, account: ResidentAccount) -> HttpResponse:
    """``/me/services/``: one big tile per active service, priced for the chosen person."""
    people = people_for(account)
    person = _chosen(request, people, request.GET.get("for"))
    if person is None:
        return _no_consent(request)
    request.session[FOR_SESSION_KEY] = person.resident.pk
    tiles = []
    for service in sorted(active_service_types(), key=_tile_order):
        try:
            price = order_quote(service_type=service, resident=person.resident).price_text
        except (ValidationError, EligibilityError):
            log.exception("quote of %s failed", service.code)
            price = "价格请咨询社区"
        tiles.append({"service": service, "icon": ICONS.get(service.code, "🤝"), "price": price})
    context = {"people": people, "person": person, "tiles": tiles, "nav": "services"}
    return _page(request, "orders/resident/services.html", context)


def _tile_order(service: ServiceType) -> tuple[int, str]:
    codes = list(ICONS)
    return (codes.index(service.code) if service.code in codes else len(codes), service.name)


def _service(code: str) -> ServiceType:
    return get_object_or_404(ServiceType, code=code, active=True)


def variant_name(service: ServiceType, code: str) -> str:
    """The catalogue name of variant ``code`` of ``service`` (the code if unknown, "" for none)."""
    for variant in service.variants or []:
        if isinstance(variant, dict) and str(variant.get("code")) == code:
            return str(variant.get("name") or code)
    return code


def nearest_canteen(home: Household | None) -> Facility | None:
    """The community canteen (``Facility`` kind ``canteen``) nearest the home's building by
    straight-line degrees (good enough within a city), else any canteen; ``None`` when none
    is registered. One query."""
    canteens = list(Facility.objects.filter(kind=FacilityKind.CANTEEN).order_by("pk"))
    if not canteens:
        return None
    building = home.building if home is not None else None
    if building is None or building.lat is None or building.lng is None:
        return canteens[0]
    here = (float(building.lat), float(building.lng))

    def distance(f: Facility) -> float:
        if f.lat is None or f.lng is None:
            return float("inf")
        return (float(f.lat) - here[0]) ** 2 + (float(f.lng) - here[1]) ** 2

    return min(canteens, key=distance)


def _order_context(
    *,
    service: ServiceType,
    person: Person,
    people: list[Person],
    form: OrderForm,
    errors: list[str],
) -> dict[str, Any]:
    try:
        quote: ServiceQuote | None = _quote(service, person.resident, form)
    except (ValidationError, EligibilityError) as error:
        errors = [*errors, _message(error)]
        quote = None
    home = person.resident.household if person.resident.household_id else None
    now_refused = _now_refused(form, service, home)
    chosen = _chosen_values(form)
    if now_refused and chosen.get("when") == NOW and not form.is_bound:
        chosen["when"] = SLOT if service.mode != ServiceMode.ON_DEMAND else ""
    if quote is not None:
        # The confirm tap agrees to the price on this screen (after a refusal too: e.g.
        # the slot moved to a day with another tier; the refused tap changed nothing).
        chosen["expected_price_fen"] = str(quote.price_fen)
    return {
        "service": service,
        "icon": ICONS.get(service.code, "🤝"),
        "person": person,
        "several": len(people) > 1,
        "quote": quote,
        "subsidies": "、".join(f"{s.source} {yuan(s.amount_fen)}" for s in quote.subsidies)
        if quote
        else "",
        "form": form,
        "errors": errors,
        "home": home,
        "days": _days(form),
        "times": _times(form, chosen.get("slot_date", "")),
        "today": timezone.localtime(form.now).date().isoformat(),
        "chosen": chosen,
        "NOW": NOW,
        "SLOT": SLOT,
        "immediate_only": service.mode == ServiceMode.ON_DEMAND,
        "now_refused": now_refused,
        "dine_in": chosen.get("variant") == DINE_IN,
        "has_dine_in": DINE_IN in form.variant_codes,
        "canteen": nearest_canteen(home) if DINE_IN in form.variant_codes else None,
        "nav": "services",
    }


def on_shift_now(service: ServiceType, home: Household | None, at: dt.datetime) -> int | None:
    """How many qualified workers are on shift at ``at`` for the home's micro-grid, counted
    up to 2 (:func:`~linli.orders.selectors.qualified_workers`); ``None`` without a home
    (the page then asks for an address instead)."""
    if home is None:
        return None
    area = home.building.micro_grid
    return qualified_workers(service_type=service, at=at, area=area)[:2].count()


def _now_refused(form: OrderForm, service: ServiceType, home: Household | None) -> str:
    """Why 现在 cannot be chosen at this moment ("" when it can): nobody on shift, or
    fewer than two when two are needed (the service's usual crew or the box ticked)."""
    if service.mode == ServiceMode.SCHEDULED:
        return ""
    count = on_shift_now(service, home, form.now)
    if count is None:
        return ""
    if count == 0:
        return NOBODY_NOW if service.mode != ServiceMode.ON_DEMAND else NOBODY_NOW_ON_DEMAND
    two = service.workers_needed >= 2 or (
        form.is_bound and str(form.data.get("two_workers", "")) == "on"
    )
    return TOO_FEW_NOW if two and count < 2 else ""


def _chosen_values(form: OrderForm) -> dict[str, str]:
    """The raw values the form carries, so a refused form shows what was chosen."""
    if form.is_bound:
        raw = {name: str(form.data.get(name, "")) for name in form.fields}
    else:
        raw = {name: str(form.initial.get(name, "")) for name in form.fields}
    if not raw.get("when"):
        raw["when"] = form.when_choices()[0][0]
    if not raw.get("variant") and form.variant_codes:
        raw["variant"] = form.variant_codes[0]
    days = _days(form)
    if not raw.get("slot_date") or (not form.is_bound and raw["slot_date"] not in dict(days)):
        raw["slot_date"] = days[0][0]
    if not raw.get("slot_time"):
        future = [t for t in _times(form, raw["slot_date"]) if not (t["past"] and t["hide"])]
        raw["slot_time"] = future[0]["value"] if future else ""
    return raw


def _days(form: OrderForm) -> list[tuple[str, str]]:
    """The days offered: today only while a start time is left (see :func:`slot_days`)."""
    now = timezone.localtime(form.now)
    return slot_days(now.date(), now=now)


def _times(form: OrderForm, day: str) -> list[dict[str, Any]]:
    """Every start time ``{value, label, past}``; ``past`` marks today's times that have
    gone by: they are not offered (hidden and disabled) while today is the chosen day,
    and the page's script hides them again whenever today is picked."""
    now = timezone.localtime(form.now)
    left = {value for value, _ in slot_times(day=now.date(), now=now)}
    chosen_today = day == now.date().isoformat()
    return [
        {"value": value, "label": label, "past": value not in left, "hide": chosen_today}
        for value, label in slot_times()
    ]


def _message(error: ValidationError | EligibilityError) -> str:
    if isinstance(error, ValidationError):
        return "；".join(str(m) for m in error.messages)
    return str(error)


@require_http_methods(["GET", "POST"])
@resident_page
def service_order(request: HttpRequest, account: ResidentAccount, code: str) -> HttpResponse:
    """``/me/services/<code>/``: the quote, when, variant, address, note; 确认下单.

    POST places the order (:func:`order_place` with the price shown) and dispatches it;
    a refusal re-shows the form with the values kept and the reason on top.
    """
    service = _service(code)
    people = people_for(account)
    # A POST names its person; only the GET falls back to the one chosen last time.
    raw_for = (
        request.POST.get("resident", "") if request.method == "POST" else request.GET.get("for")
    )
    person = _chosen(request, people, raw_for)
    if person is None:
        return _no_consent(request)
    if request.method == "GET":
        form = OrderForm(service_type=service, initial={"token": uuid.uuid4().hex})
        context = _order_context(
            service=service, person=person, people=people, form=form, errors=[]
        )
        return _page(request, "orders/resident/order.html", context)
    form = OrderForm(request.POST, service_type=service)
    done = _token_order(request, str(request.POST.get("token", "")))
    if done is not None:
        return redirect("resident_orders:order", pk=done)
    errors: list[str] = []
    order = None
    home = person.resident.household if person.resident.household_id else None
    if form.is_valid() and form.cleaned_data["when"] == NOW:
        refused = _now_refused(form, service, home)
        if refused:
            form.add_error("when", refused)
    if form.is_valid():
        try:
            order = order_place(
                service_type=service,
                resident=person.resident,
                placed_by=request.user,
                variant=form.cleaned_data.get("variant") or "",
                slot_start=form.slot_start(),
                workers_needed=form.workers_needed(),
                note=form.cleaned_data.get("note") or "",
                expected_price_fen=form.cleaned_data["expected_price_fen"],
            )
        except (ValidationError, EligibilityError) as error:
            errors.append(_message(error))
    else:
        errors.extend(str(e) for field in form.errors.values() for e in field)
    if order is None:
        context = _order_context(
            service=service, person=person, people=people, form=form, errors=errors
        )
        return _page(request, "orders/resident/order.html", context, status=400)
    _token_remember(request, form.cleaned_data["token"], order.pk)
    _dispatch_now(order)
    return redirect("resident_orders:order", pk=order.pk)


def _dispatch_now(order: Order) -> None:
    """Offer the new order to a worker at once; on failure the minute sweep retries."""
    try:
        dispatch(order)
    except Exception:
        log.exception("dispatch of order %s failed; the sweep will retry", order.pk)


def _token_order(request: HttpRequest, token: str) -> int | None:
    tokens: dict[str, int] = request.session.get(TOKENS_SESSION_KEY, {})
    return tokens.get(token) if token else None


def _token_remember(request: HttpRequest, token: str, order_pk: int) -> None:
    tokens: dict[str, int] = dict(request.session.get(TOKENS_SESSION_KEY, {}))
    tokens[token] = order_pk
    request.session[TOKENS_SESSION_KEY] = dict(list(tokens.items())[-TOKENS_KEPT:])


# --- my orders --------------------------------------------------------------------------


def visible_orders(account: ResidentAccount) -> QuerySet[Order]:
    """Orders for the account's resident and the family who consented, newest first."""
    return Order.objects.filter(resident__in=residents_actable_by(account.user)).select_related(
        "service_type", "resident", "complaint_case", "household__building"
    )


def _order(account: ResidentAccount, pk: int) -> Order:
    """The order if the account may see it, else 404 (no hint that it exists)."""
    try:
        return visible_orders(account).get(pk=pk)
    except Order.DoesNotExist:
        raise Http404("没有找到这个订单") from None


@require_GET
@resident_page
def orders(request: HttpRequest, account: ResidentAccount) -> HttpResponse:
    """``/me/orders/``: my orders and those of the family I act for."""
    listed = list(visible_orders(account)[:100])
    lost = [o.number for o in listed if o.status == OrderStatus.UNFULFILLED]
    redone = set(
        OrderEvent.objects.filter(
            action=OrderAction.PLACE, data__redispatch_of__in=lost
        ).values_list("data__redispatch_of", flat=True)
        if lost
        else []
    )
    rows = [
        {
            "order": o,
            "icon": "🔁" if o.number in redone else _status_icon(o.status),
            "redispatched": o.number in redone,
            "for_self": o.resident_id == account.resident_id,
        }
        for o in listed
    ]
    return _page(request, "orders/resident/orders.html", {"rows": rows, "nav": "orders"})


def _status_icon(status: str) -> str:
    icons: dict[str, str] = {**dict(STEPS), "cancelled": "✖", "unfulfilled": "⚠"}
    return icons.get(status, "•")


def steps(order: Order) -> list[dict[str, Any]]:
    """The main line of states: each ``{label, icon, state: done|current|todo, at}``.

    A cancelled or unfulfilled order shows the steps it reached as done and nothing
    current; the page then says what happened in words.
    """
    order_of = [s for s, _ in STEPS]
    reached = order_of.index(OrderStatus(order.status)) if order.status in order_of else -1
    if reached < 0:  # cancelled/unfulfilled: the last step with a timestamp
        stamped = [i for i, s in enumerate(order_of) if getattr(order, STAMPS[s])]
        reached = max(stamped, default=0)
    rows = []
    for i, (status, icon) in enumerate(STEPS):
        if i < reached or (i == reached and order.status == OrderStatus.COMPLETED):
            state = "done"
        elif i == reached and order.status not in FINAL_STATUSES:
            state = "current"
        elif i == reached:
            state = "done"
        else:
            state = "todo"
        at = getattr(order, STAMPS[status])
        rows.append({"label": status.label, "icon": icon, "state": state, "at": at})
    return rows


def carers(order: Order) -> list[dict[str, Any]]:
    """Workers asked (pending) or holding (accepted) the order, with ETA in minutes."""
    now = timezone.now()
    offers = (
        Offer.objects.filter(order=order, status__in=[OfferStatus.PENDING, OfferStatus.ACCEPTED])
        .select_related("worker")
        .order_by("offered_at", "pk")
    )
    return [
        {
            "name": offer.worker.name,
            "accepted": offer.status == OfferStatus.ACCEPTED,
            "eta_minutes": eta_minutes(offer, now=now),
        }
        for offer in offers
    ]


def successor(order: Order) -> Order | None:
    """The order staff placed when re-dispatching ``order`` (重新派单 records
    ``redispatch_of`` on its place event), for the same resident; ``None`` if none."""
    return (
        Order.objects.filter(
            resident_id=order.resident_id,
            events__action=OrderAction.PLACE,
            events__data__redispatch_of=order.number,
        )
        .order_by("pk")
        .first()
    )


def booked_ahead(order: Order, now: dt.datetime) -> bool:
    """A time-slot booking still waiting for its caregiver, its slot more than
    :data:`DUE_BEFORE_SLOT_S` away: caregivers are arranged the evening before (day plan),
    so nothing is being searched for now."""
    return (
        order.slot_start is not None
        and order.status == OrderStatus.PLACED
        and (order.slot_start - now).total_seconds() > DUE_BEFORE_SLOT_S
    )


def _live_context(order: Order) -> dict[str, Any]:
    open_ = order.status not in FINAL_STATUSES
    ahead = booked_ahead(order, timezone.now())
    return {
        "nav": "orders",
        "order": order,
        "steps": steps(order),
        "carers": carers(order) if open_ else [],
        "polling": open_,
        "booked_ahead": ahead,
        "poll_seconds": SLOW_POLL_SECONDS if ahead else POLL_SECONDS,
        "variant": variant_name(order.service_type, order.variant),
        "successor": successor(order) if order.status == OrderStatus.UNFULFILLED else None,
        "dine_in": order.variant == DINE_IN,
        "on_the_way": order.status
        in (OrderStatus.ASSIGNED, OrderStatus.ACCEPTED, OrderStatus.EN_ROUTE),
    }


def _may_cancel(order: Order) -> str | None:
    """``None`` if the resident may cancel now, else the reason they may not."""
    try:
        cancel_check(order=order, by_staff=False, now=timezone.now())
    except ValidationError as error:
        return _message(error)
    return None


def _detail(
    request: HttpRequest,
    order: Order,
    *,
    rate_form: RateForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        **_live_context(order),
        "cancel_refused": _may_cancel(order),
        "canteen": nearest_canteen(order.household) if order.variant == DINE_IN else None,
        "photos": list(order.photos.values_list("pk", flat=True))
        if order.status == OrderStatus.COMPLETED
        else [],
        "price_text": yuan(order.price_fen),
        "rate_form": rate_form or RateForm(),
        "may_rate": order.status == OrderStatus.COMPLETED and order.rating is None,
        "errors": errors or [],
        "just_rated": request.GET.get("rated") == "1",
        "just_cancelled": request.GET.get("cancelled") == "1",
    }
    return _page(request, "orders/resident/order_detail.html", context, status=status)


@require_GET
@resident_page
def order_detail(request: HttpRequest, account: ResidentAccount, pk: int) -> HttpResponseBase:
    """``/me/orders/<pk>/``: steps, caregiver and ETA, cancel, rating.

    ``?photo=<id>`` answers with that completion photo of the order instead (only once
    the order is completed; any other photo or state is a 404).
    """
    order = _order(account, pk)
    if "photo" in request.GET:
        if order.status != OrderStatus.COMPLETED:
            raise Http404("没有这张照片")
        return photo_response(order, request.GET["photo"])
    return _detail(request, order)


def photo_response(order: Order, raw: str) -> FileResponse:
    """The completion photo ``raw`` (a primary key) of ``order`` as a file, else 404.

    Callers check first that the user may see the order (residents: their own and
    consenting family's orders; staff: their areas). Photos are re-encoded without EXIF
    at upload (:class:`~linli.orders.models.OrderPhoto`); ``MEDIA_URL`` is not served, so
    this is the only way to fetch them. ``Cache-Control: private``.
    """
    item = OrderPhoto.objects.filter(order=order, pk=int(raw)).first() if raw.isdigit() else None
    if item is None or not item.image:
        raise Http404("没有这张照片")
    return safe_file_response(item.image.open("rb"), item.image.name or "")


@require_GET
@resident_page
def order_live(request: HttpRequest, account: ResidentAccount, pk: int) -> HttpResponse:
    """The status fragment htmx polls; a changed state reloads the whole page (so the
    cancel button and the rating form appear or go as the state now allows)."""
    order = _order(account, pk)
    response = _page(request, "orders/resident/_live.html", _live_context(order))
    if request.GET.get("seen") not in (None, order.status):
        response["HX-Refresh"] = "true"
    return response


@require_http_methods(["GET", "POST"])
@resident_page
def order_cancel_page(request: HttpRequest, account: ResidentAccount, pk: int) -> HttpResponse:
    """``/me/orders/<pk>/cancel/``: a confirmation page (never a pop-up), then cancel."""
    order = _order(account, pk)
    form = CancelForm(request.POST or None)
    refused = _may_cancel(order)
    if request.method == "POST" and refused is None and form.is_valid():
        try:
            order_cancel(order=order, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            refused = _message(error)
        else:
            return redirect(reverse("resident_orders:order", args=[order.pk]) + "?cancelled=1")
    errors = [refused] if refused else [str(e) for f in form.errors.values() for e in f]
    status = 409 if refused and request.method == "POST" else (400 if errors else 200)
    context = {"order": order, "form": form, "refused": refused, "errors": errors}
    return _page(request, "orders/resident/cancel.html", context, status=status)


@require_POST
@resident_page
def order_rate_page(request: HttpRequest, account: ResidentAccount, pk: int) -> HttpResponse:
    """Rate a completed order; a complaint files a case whose number the page then shows."""
    order = _order(account, pk)
    form = RateForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for f in form.errors.values() for e in f]
        return _detail(request, order, rate_form=form, errors=errors, status=400)
    try:
        order_rate(
            order=order,
            actor=request.user,
            stars=form.cleaned_data["stars"],
            comment=form.cleaned_data["comment"],
            complain=form.cleaned_data["complain"],
        )
    except ValidationError as error:
        return _detail(request, order, rate_form=form, errors=[_message(error)], status=409)
    return redirect(reverse("resident_orders:order", args=[order.pk]) + "?rated=1")
