"""Resident venue booking at ``/me/venues/`` (namespace ``resident_venues``).

* ``/me/venues/`` — the venues my community lets residents book, and my bookings with
  their status in words (the main action: choose a venue);
* ``/me/venues/<pk>/?day=`` — the venue's free times that day in words, and the request
  form (date, from, to, purpose, attendees) — its one main action 「提交预约」;
* ``/me/venues/bookings/<pk>/`` — one booking: status, reason, cancel;
* ``/me/venues/bookings/<pk>/cancel/`` — cancelling asks on its own page (no pop-up).

Who: resident accounts only (anonymous → log-in and back; staff → the staff pages).
A venue the resident may not book and someone else's booking are 404. Service errors
are shown on the form with their status (400, 403, 409). The same templates serve the
enterprise pages (:mod:`linli.sharing.views_venues_biz`) on their own base.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from linli.accounts.decorators import resident_only
from linli.activities.models import Venue
from linli.cases.views_public import is_elder
from linli.sharing import venue_selectors as selectors
from linli.sharing.errors import SharingError
from linli.sharing.forms_venues import BookingForm, DayForm, add_service_error
from linli.sharing.models import VenueBooking, VenueBookingStatus
from linli.sharing.venues import venue_booking_cancel, venue_booking_request

View = Callable[..., HttpResponseBase]
BASE = "orders/resident/base.html"
STAFF_PAGES = "/venues/manage/"
#: Status in words with an icon (never colour alone).
STATUS_WORDS = {
    VenueBookingStatus.REQUESTED: "⏳ 待社区审批",
    VenueBookingStatus.APPROVED: "✅ 预约成功",
    VenueBookingStatus.REJECTED: "✖ 未通过",
    VenueBookingStatus.CANCELLED: "— 已取消",
}


resident_required = resident_only(STAFF_PAGES)


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {**context, "base": BASE, "ns": "resident_venues", "elder": is_elder(request)}
    return render(request, template, context, status=status)


def rows(bookings: Iterable[VenueBooking]) -> list[dict[str, Any]]:
    """Bookings with their status words and whether they may still be cancelled."""
    now = timezone.now()
    return [
        {
            "booking": b,
            "status": STATUS_WORDS[VenueBookingStatus(b.status)],
            "may_cancel": b.status in (VenueBookingStatus.REQUESTED, VenueBookingStatus.APPROVED)
            and b.starts_at > now,
        }
        for b in bookings
    ]


def venue_page(
    request: HttpRequest,
    venue: Venue,
    render_page: Callable[..., HttpResponse],
    book: Callable[[dict[str, Any]], VenueBooking],
    detail_url: str,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The venue page for residents and enterprises: the day's free times, the form; on
    a good POST, ``book(cleaned_data)`` and off to the booking's page."""
    day = DayForm(request.GET).chosen()
    form = BookingForm(request.POST or None, initial={"day": day})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                booking = book(form.cleaned_data)
            except SharingError as err:
                add_service_error(form, err)
                status = err.http_status
            else:
                return redirect(detail_url, pk=booking.pk)
        day = form.cleaned_data.get("day") or day
    context = {"venue": venue, "form": form, "timeline": selectors.venue_day(venue, day)}
    return render_page(request, "sharing/venues/venue.html", {**context, **(extra or {})}, status)


def cancel_page(
    request: HttpRequest,
    booking: VenueBooking,
    render_page: Callable[..., HttpResponse],
    detail_url: str,
) -> HttpResponse:
    """Confirm (GET) and cancel (POST) a booking; an error is shown with its status."""
    error, status = "", 200
    if request.method == "POST":
        try:
            venue_booking_cancel(
                actor=request.user, booking=booking, reason=request.POST.get("reason", "")
            )
        except SharingError as err:
            error, status = str(err), err.http_status
        else:
            return redirect(detail_url, pk=booking.pk)
    return render_page(
        request, "sharing/venues/cancel.html", {"booking": booking, "error": error}, status
    )


# --- views ---------------------------------------------------------------------------------


def _venues(request: HttpRequest) -> QuerySet[Venue]:
    return selectors.venues_for_resident(request.linli_resident)  # type: ignore[attr-defined]


@require_safe
@resident_required
def home(request: HttpRequest) -> HttpResponse:
    bookings = selectors.bookings_of_account(request.user)[:50]
    return _render(
        request,
        "sharing/venues/home.html",
        {"venues": list(_venues(request)), "rows": rows(bookings)},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@resident_required
def venue(request: HttpRequest, pk: int) -> HttpResponse:
    found = _venues(request).filter(pk=pk).first()
    if found is None:
        raise Http404("没有找到这个场地")

    def book(data: dict[str, Any]) -> VenueBooking:
        return venue_booking_request(
            actor=request.user,
            venue=found,
            purpose=data["purpose"],
            attendees=data["attendees"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            resident=request.linli_resident,  # type: ignore[attr-defined]
        )

    return venue_page(request, found, _render, book, "resident_venues:booking")


def _booking(request: HttpRequest, pk: int) -> VenueBooking:
    booking = selectors.bookings_of_account(request.user).filter(pk=pk).first()
    if booking is None:
        raise Http404("没有找到这个预约")
    return booking


@require_safe
@resident_required
def booking(request: HttpRequest, pk: int) -> HttpResponse:
    found = _booking(request, pk)
    return _render(request, "sharing/venues/booking.html", {"row": rows([found])[0]})


@require_http_methods(["GET", "HEAD", "POST"])
@resident_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return cancel_page(request, _booking(request, pk), _render, "resident_venues:booking")
