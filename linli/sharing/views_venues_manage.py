"""Staff venue booking pages at ``/venues/manage/`` (namespace ``venues_manage``).

* ``/venues/manage/`` — the approval queue (approve; reject with a reason) and the
  venues of my areas with their booking rule;
* ``bookings/?venue=&day=`` — every booking of my areas on a day, by venue;
* ``venue/<pk>/?day=`` — the venue's day (windows, sessions, bookings with purposes)
  and booking on behalf (for the community or an organisation of the community);
* ``venue/<pk>/rule/`` — make the venue bookable or change its rule, or stop bookings;
* ``bookings/<pk>/approve|reject|cancel/`` — POST only.

Who: users holding one of :data:`linli.sharing.venues.VENUE_ROLES` (or superusers);
others logged in get 403, anonymous visitors the log-in page. A venue or booking outside
the user's areas is 404. Service errors are shown with their status (400, 403, 409).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from linli.activities.models import Venue
from linli.common.documents import Cell
from linli.common.exports import local_time, wants_xlsx, xlsx_response
from linli.common.pii import mask_phone
from linli.orgs.models import Organization
from linli.people.models import Resident
from linli.sharing import venue_selectors as selectors
from linli.sharing.errors import SharingError
from linli.sharing.forms_venues import (
    DayForm,
    ReasonForm,
    RuleForm,
    StaffBookingForm,
    add_service_error,
)
from linli.sharing.models import VenueBooking, VenueBookingRule, VenueBookingStatus
from linli.sharing.venues import (
    booker_name,
    venue_booking_approve,
    venue_booking_cancel,
    venue_booking_reject,
    venue_booking_request,
    venue_rule_remove,
    venue_rule_set,
)
from linli.sharing.views_venues_resident import STATUS_WORDS

View = Callable[..., HttpResponseBase]
REFUSED = "场地预约管理仅供社区、街道管理员使用"


def staff_required(view: View) -> View:
    """Log-in required (redirect), then a venue role somewhere (403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not selectors.is_staff(request.user):
            raise PermissionDenied(REFUSED)
        return view(request, *args, **kwargs)

    return wrapped


def _rows(bookings: Any) -> list[dict[str, Any]]:
    return [
        {"booking": b, "status": STATUS_WORDS[VenueBookingStatus(b.status)], "who": booker_name(b)}
        for b in bookings
    ]


def _home(
    request: HttpRequest, *, error: str = "", failed: int = 0, status: int = 200
) -> HttpResponse:
    venues = list(selectors.staff_venues(request.user))
    rules = {r.venue_id: r for r in VenueBookingRule.objects.filter(venue__in=venues)}
    context = {
        "queue": _rows(selectors.approval_queue(request.user)),
        "venues": [(v, rules.get(v.pk)) for v in venues],
        "error": error,
        "failed": failed,
        "reject_form": ReasonForm(),
    }
    return render(request, "sharing/venues/manage/home.html", context, status=status)


@require_safe
@staff_required
def home(request: HttpRequest) -> HttpResponse:
    return _home(request)


def _booking(request: HttpRequest, pk: int) -> VenueBooking:
    booking = selectors.staff_bookings(request.user).filter(pk=pk).first()
    if booking is None:
        raise Http404("没有找到这个预约")
    return booking


def _decide(
    request: HttpRequest, pk: int, act: Callable[[VenueBooking], Any], done: str
) -> HttpResponse:
    booking = _booking(request, pk)
    try:
        act(booking)
    except SharingError as err:
        return _home(request, error=str(err), failed=booking.pk, status=err.http_status)
    messages.success(request, f"{booking.venue.name} {done}")
    return redirect("venues_manage:home")


@require_POST
@staff_required
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request, pk, lambda b: venue_booking_approve(actor=request.user, booking=b), "预约已通过"
    )


@require_POST
@staff_required
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _decide(
        request,
        pk,
        lambda b: venue_booking_reject(actor=request.user, booking=b, reason=reason),
        "预约已退回",
    )


@require_POST
@staff_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _decide(
        request,
        pk,
        lambda b: venue_booking_cancel(actor=request.user, booking=b, reason=reason),
        "预约已取消",
    )


@require_safe
@staff_required
def bookings(request: HttpRequest) -> HttpResponseBase:
    day = DayForm(request.GET).chosen()
    venues = list(selectors.staff_venues(request.user))
    chosen = next((v for v in venues if str(v.pk) == request.GET.get("venue", "")), None)
    found = selectors.bookings_on(request.user, day, chosen)
    if wants_xlsx(request):
        return _bookings_xlsx(_rows(found.order_by("venue__name", "starts_at")), day, chosen)
    groups: dict[int, tuple[Venue, list[dict[str, Any]]]] = {}
    for row in _rows(found.order_by("venue__name", "starts_at")):
        venue = row["booking"].venue
        groups.setdefault(venue.pk, (venue, []))[1].append(row)
    context = {"day": day, "venues": venues, "chosen": chosen, "groups": list(groups.values())}
    return render(request, "sharing/venues/manage/bookings.html", context)


#: Columns of the day's bookings export: a row of the page split into cells.
BOOKINGS_HEADER = ["场地", "日期", "开始", "结束", "预约方", "用途", "人数", "状态", "说明"]


def _bookings_xlsx(rows: list[dict[str, Any]], day: dt.date, chosen: Venue | None) -> FileResponse:
    """``bookings/?day=&venue=&format=xlsx``: the day's bookings the page lists (the
    booker as the page names them; no phone numbers)."""
    cells: list[list[Cell]] = []
    for row in rows:
        booking = row["booking"]
        cells.append(
            [
                booking.venue.name,
                local_time(booking.starts_at, "%Y-%m-%d"),
                local_time(booking.starts_at, "%H:%M"),
                local_time(booking.ends_at, "%H:%M"),
                row["who"],
                booking.purpose,
                booking.attendees,
                row["status"],
                booking.reason,
            ]
        )
    shown = f"筛选条件：日期 {day:%Y-%m-%d}" + (f"；场地 {chosen.name}" if chosen else "")
    return xlsx_response(
        title="场地预约一览",
        header=BOOKINGS_HEADER,
        rows=cells,
        lines=[shown],
        filename=f"场地预约-{day:%Y%m%d}",
    )


def _venue(request: HttpRequest, pk: int) -> Venue:
    venue = selectors.staff_venues(request.user).filter(pk=pk).first()
    if venue is None:
        raise Http404("没有找到这个场地")
    return venue


def _community_orgs(venue: Venue) -> list[Organization]:
    return list(
        Organization.objects.filter(area__path__startswith=venue.area.path).order_by("name", "pk")
    )


def _resident(venue: Venue, phone: str) -> Resident | None:
    """The resident of the venue's community with ``phone`` (normalised), if one is given.

    Raises:
        SharingError: nobody of the community has that phone, or several do (field ``phone``).
    """
    if not phone:
        return None
    found = list(Resident.objects.filter(phone=phone, area__path__startswith=venue.area.path)[:2])
    if len(found) != 1:
        problem = "没有找到" if not found else "有不止一位居民用"
        raise SharingError(f"本社区{problem}手机号 {mask_phone(phone)} 的居民", field="phone")
    return found[0]


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def venue(request: HttpRequest, pk: int) -> HttpResponse:
    place = _venue(request, pk)
    orgs = _community_orgs(place)
    day = DayForm(request.GET).chosen()
    form = StaffBookingForm(request.POST or None, orgs=orgs, initial={"day": day})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                booking = venue_booking_request(
                    actor=request.user,
                    venue=place,
                    purpose=data["purpose"],
                    attendees=data["attendees"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    organization=next((o for o in orgs if o.pk == data["org"]), None),
                    resident=_resident(place, data["phone"]),
                )
            except SharingError as err:
                add_service_error(form, err)
                status = err.http_status
            else:
                messages.success(
                    request, f"已预约：{booking.purpose}（{booking.get_status_display()}）"
                )
                local_day = timezone.localtime(booking.starts_at).date()
                return redirect(f"{request.path}?day={local_day:%Y-%m-%d}")
        day = form.cleaned_data.get("day") or day
    context = {
        "venue": place,
        "rule": VenueBookingRule.objects.filter(venue=place).first(),
        "form": form,
        "timeline": selectors.venue_day(place, day, details=True),
        "day_bookings": _rows(selectors.bookings_on(request.user, day, place)),
        "prev_day": day - dt.timedelta(1),
        "next_day": day + dt.timedelta(1),
    }
    return render(request, "sharing/venues/manage/venue.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def rule(request: HttpRequest, pk: int) -> HttpResponse:
    place = _venue(request, pk)
    current = VenueBookingRule.objects.filter(venue=place).first()
    initial = (
        {
            "bookers": current.bookers,
            "needs_approval": current.needs_approval,
            "max_hours": current.max_hours,
            "advance_days": current.advance_days,
        }
        if current
        else {"bookers": "both", "needs_approval": True, "max_hours": 4, "advance_days": 30}
    )
    form = RuleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        try:
            if "remove" in request.POST:
                venue_rule_remove(actor=request.user, venue=place)
                messages.success(request, f"“{place.name}”已停止接受预约")
                return redirect("venues_manage:home")
            if form.is_valid():
                venue_rule_set(actor=request.user, venue=place, **form.cleaned_data)
                messages.success(request, f"“{place.name}”的预约规则已保存")
                return redirect("venues_manage:home")
        except SharingError as err:
            add_service_error(form, err)
            status = err.http_status
    context = {"venue": place, "form": form, "current": current}
    return render(request, "sharing/venues/manage/rule.html", context, status=status)
