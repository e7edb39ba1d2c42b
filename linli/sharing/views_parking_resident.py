"""Residents share and book parking spaces at ``/me/parking/`` (namespace ``resident_parking``).

* ``/`` (``home``) — my bookings with their status in words, my vehicles, my spaces; the
  one main action 「预约车位」;
* ``vehicles/new/`` — register a vehicle (a malformed plate is explained by the field);
  ``vehicles/<pk>/remove/`` — remove one never booked, after asking;
* ``spaces/<pk>/windows/`` — when my space is free for neighbours (weekdays + from/to);
* ``book/`` — lot (when several), date, from, to → the vehicle chosen once (when several),
  then the free spaces (number, price, 「预约这个车位」), the first :data:`FIRST_SPACES`
  and 「显示更多车位」 (``?more=1``) for the rest (or the day's free spans when none
  fits); ``book/confirm/`` (POST) books one;
* ``bookings/<pk>/`` — status, price in yuan, plate, the lot's grace rule;
  ``bookings/<pk>/cancel/`` — 「确定取消 … 的预约吗？」 (GET), cancel (POST).

Who: resident accounts only (:func:`linli.engagement.views_resident.resident_required`:
anonymous → log-in, staff → their own pages); someone else's space or booking is 404.
Pages extend the resident base (elder mode, one main action, no pop-ups, no time limits).
A clash (someone booked the space meanwhile) sends the resident back to the search with
the reason.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from linli.accounts.selectors import account_of
from linli.cases.views_public import is_elder
from linli.common.windows import local
from linli.eligibility.money import yuan
from linli.engagement.views_resident import resident_required
from linli.people.models import Resident
from linli.sharing import selectors, services
from linli.sharing.errors import Clash, SharingError
from linli.sharing.forms_parking import (
    CancelForm,
    ConfirmForm,
    SearchForm,
    VehicleForm,
    WindowsForm,
    add_service_error,
)
from linli.sharing.models import Booking, BookingStatus, ParkingLot
from linli.sharing.views_parking import windows_initial, windows_save

BASE = "orders/resident/base.html"
#: Free spaces listed before 「显示更多车位」.
FIRST_SPACES = 12
R = "sharing/parking/resident/"


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {**context, "base": BASE, "nav": "parking", "elder": is_elder(request)}
    return render(request, R + template, context, status=status)


def _me(request: HttpRequest) -> Resident:
    account = account_of(request.user)
    assert account is not None  # resident_required
    return account.resident


def grace_words(lot: ParkingLot) -> str:
    """The lot's grace rule in words (the rule: :class:`linli.sharing.models.ParkingLot`)."""
    g = lot.grace_minutes
    return (
        f"可提前 {g} 分钟入场；开始后 {g} 分钟仍未入场算未到场，车位让给别人；"
        f"结束后 {g} 分钟内离场不算超时，超过按每小时 {yuan(lot.fen_per_hour)} 计超时费。"
    )


@require_safe
@resident_required
def home(request: HttpRequest) -> HttpResponse:
    bookings = selectors.bookings_for_home(request.user)
    spaces = [
        {"space": s, "windows": selectors.windows_words(list(s.windows.all()))}
        for s in selectors.spaces_of(request.user)
    ]
    context = {
        "bookings": [{"b": b, "status": selectors.status_words(b)} for b in bookings],
        "vehicles": list(selectors.vehicles_of(request.user).annotate(booked=Count("bookings"))),
        "spaces": spaces,
    }
    return _render(request, "home.html", context)


@resident_required
def vehicle_new(request: HttpRequest) -> HttpResponse:
    form = VehicleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                vehicle = services.vehicle_register(
                    actor=request.user,
                    owner=_me(request),
                    plate=form.cleaned_data["plate"],
                    note=form.cleaned_data["note"],
                )
            except SharingError as err:
                add_service_error(form, err)
                status = err.http_status
            else:
                messages.success(request, f"已登记车辆 {vehicle.plate}")
                return redirect("resident_parking:home")
    return _render(request, "vehicle_new.html", {"form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@resident_required
def vehicle_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """「删除车辆」: GET asks on its own page, POST removes (a car registered by mistake).
    A car with bookings stays (the bookings keep it for the record) and the page says why;
    someone else's car is 404."""
    vehicle = (
        selectors.vehicles_of(request.user).annotate(booked=Count("bookings")).filter(pk=pk).first()
    )
    if vehicle is None:
        raise Http404("没有找到这辆车")
    error, status = "", 200
    if vehicle.booked:
        error, status = "这辆车有预约记录，不能删除：预约记录要保留车牌以便核对。", 409
    if request.method == "POST" and not error:
        try:
            services.vehicle_remove(actor=request.user, vehicle=vehicle)
        except SharingError as err:
            error, status = str(err), err.http_status
        else:
            messages.success(request, f"已删除车辆 {vehicle.plate}")
            return redirect("resident_parking:home")
    context = {"vehicle": vehicle, "error": error}
    return _render(request, "vehicle_remove.html", context, status=status)


@resident_required
def space_windows(request: HttpRequest, pk: int) -> HttpResponse:
    space = selectors.spaces_of(request.user).filter(pk=pk).first()
    if space is None:
        raise Http404("没有找到这个车位")
    status = 200
    form = WindowsForm(initial=windows_initial(space))
    if request.method == "POST":
        form, status = windows_save(request, space)
        if not status:
            messages.success(request, f"车位 {space.number} 的共享时段已保存")
            return redirect("resident_parking:home")
    published = selectors.windows_words(list(space.windows.all()))
    context = {"space": space, "form": form, "published": published}
    return _render(request, "windows.html", context, status=status)


# --- booking -------------------------------------------------------------------------------


def _search_context(
    request: HttpRequest, form: SearchForm, lots: list[ParkingLot]
) -> dict[str, Any]:
    """The free spaces for a valid search (or why none), with the day's free spans."""
    context: dict[str, Any] = {"form": form, "lots": lots, "searched": False}
    if not form.is_bound or not form.is_valid():
        return context
    lot = next(lot for lot in lots if lot.pk == form.cleaned_data["lot"])
    starts_at, ends_at = form.span()
    found = selectors.free_spaces(lot, starts_at, ends_at)
    if found:
        problem = services.booking_problem(found[0].space, starts_at, ends_at, now=timezone.now())
        if problem:  # the span itself is wrong (past, too short, too far ahead)
            form.add_error(None, problem)
            return context
    # A compact list: the first FIRST_SPACES, the rest behind 「显示更多车位」 (?more=1).
    shown = found if request.GET.get("more") == "1" else found[:FIRST_SPACES]
    search = {k: form.data[k] for k in ("lot", "day", "start", "end") if form.data.get(k)}
    more_url = f"{reverse('resident_parking:book')}?{urlencode({**search, 'more': '1'})}"
    spans: list[dict[str, Any]] = []
    if not found:
        spaces = {s.pk: s for s in lot.spaces.all()}
        free = selectors.free_spans(lot, form.cleaned_data["day"])
        spans = [
            {"space": spaces[pk], "spans": "、".join(str(s) for s in v)}
            for pk, v in free.items()
            if v
        ]
    context.update(
        searched=True,
        lot=lot,
        found=[{"f": f, "price": yuan(f.price_fen)} for f in shown],
        found_total=len(found),
        found_rest=len(found) - len(shown),
        more_url=more_url if len(shown) < len(found) else "",
        spans=spans,
        vehicles=list(selectors.vehicles_of(request.user)),
        span_words=f"{local(starts_at):%m月%d日 %H:%M}–{local(ends_at):%H:%M}",
    )
    return context


@require_safe
@resident_required
def book(request: HttpRequest) -> HttpResponse:
    lots = selectors.lots_open_to(request.user)
    form = SearchForm(request.GET or None, lots=lots)
    context = _search_context(request, form, lots)
    status = 400 if form.is_bound and form.errors else 200
    return _render(request, "book.html", context, status=status)


def _back_to_search(form: ConfirmForm) -> str:
    data = form.cleaned_data
    query = urlencode(
        {
            "lot": data["lot"],
            "day": f"{data['day']:%Y-%m-%d}",
            "start": f"{data['start']:%H:%M}",
            "end": f"{data['end']:%H:%M}",
        }
    )
    return f"{reverse('resident_parking:book')}?{query}"


@require_POST
@resident_required
def book_confirm(request: HttpRequest) -> HttpResponse:
    lots = selectors.lots_open_to(request.user)
    form = ConfirmForm(request.POST, lots=lots)
    if not form.is_valid():
        context = _search_context(request, SearchForm(request.POST, lots=lots), lots)
        context["errors"] = [str(e) for errors in form.errors.values() for e in errors]
        return _render(request, "book.html", context, status=400)
    data = form.cleaned_data
    lot = next(lot for lot in lots if lot.pk == data["lot"])
    space = lot.spaces.filter(pk=data["space"]).first()
    vehicle = selectors.vehicles_of(request.user).filter(pk=data["vehicle"]).first()
    if space is None or vehicle is None:
        messages.error(request, "请从列出的车位和车辆中选择")
        return redirect(_back_to_search(form))
    starts_at, ends_at = form.span()
    try:
        booking = services.booking_create(
            actor=request.user,
            booker=_me(request),
            vehicle=vehicle,
            space=space,
            starts_at=starts_at,
            ends_at=ends_at,
        )
    except Clash as err:
        messages.error(request, f"{err}。下面是现在还空着的车位。")
        return redirect(_back_to_search(form))
    except SharingError as err:
        messages.error(request, str(err))
        return redirect(_back_to_search(form))
    messages.success(request, "预约成功")
    return redirect("resident_parking:booking", pk=booking.pk)


def _booking(request: HttpRequest, pk: int) -> Booking:
    booking = selectors.bookings_of(request.user).filter(pk=pk).first()
    if booking is None:
        raise Http404("没有找到这条预约")
    return booking


@require_safe
@resident_required
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk)
    context = {
        "booking": booking,
        "status_words": selectors.status_words(booking),
        "price": yuan(booking.price_fen),
        "overstay_fee": yuan(booking.overstay_fen),
        "grace": grace_words(booking.space.lot),
        "may_cancel": booking.status == BookingStatus.BOOKED,
    }
    return _render(request, "booking.html", context)


def _cancel_page(
    request: HttpRequest,
    booking: Booking,
    form: CancelForm,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "booking": booking,
        "form": form,
        "error": error,
        "may_cancel": booking.status == BookingStatus.BOOKED,
    }
    return _render(request, "cancel.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@resident_required
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks 「确定取消 … 的预约吗？」 on its own page (no pop-up); POST cancels."""
    booking = _booking(request, pk)
    if request.method != "POST":
        return _cancel_page(request, booking, CancelForm())
    form = CancelForm(request.POST)
    if not form.is_valid():
        error = "；".join(str(e) for e in form.errors["reason"])
        return _cancel_page(request, booking, form, error, 400)
    try:
        services.booking_cancel(
            actor=request.user, booking=booking, reason=form.cleaned_data["reason"]
        )
    except SharingError as err:
        return _cancel_page(request, booking, form, str(err), err.http_status)
    messages.success(request, "预约已取消，车位已让出")
    return redirect("resident_parking:booking", pk=booking.pk)
