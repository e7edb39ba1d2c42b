"""Staff parking pages at ``/parking/`` (namespace ``parking``).

* ``/`` (``home``) — the lots of the user's communities with space, shared-space and
  live-booking counts;
* ``lots/<pk>/`` — spaces (number, kind, masked owner, windows in words), add a space;
  ``lots/<pk>/spaces/<space>/windows/`` — set a space's windows (community spaces);
* ``bookings/`` — the board (filters lot, date, status, plate); ``bookings/export.xlsx``;
* ``bookings/<pk>/`` — one booking with its steps; record the arrival or departure by hand
  (staff correct the gate), cancel;
* ``occupancy/`` — occupancy by hour and the sharing gain for a date range;
  ``occupancy/export.xlsx``.

Who: log-in required (anonymous → log-in page); lots and bookings outside the user's
areas are 404 (:mod:`linli.sharing.selectors`). Domain errors are shown on the page with
their HTTP status (400, 403, 409).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from openpyxl import Workbook

from linli.common.windows import local
from linli.eligibility.money import yuan
from linli.sharing import selectors, services
from linli.sharing.errors import SharingError
from linli.sharing.forms_parking import (
    BoardForm,
    CancelForm,
    GateTimeForm,
    OccupancyForm,
    SpaceForm,
    WindowsForm,
    add_service_error,
)
from linli.sharing.models import Booking, ParkingLot, ParkingSpace
from linli.sharing.occupancy import Occupancy, occupancy

#: Width of the text bar of a 100 % hour.
BAR_WIDTH = 20


def _lot(request: HttpRequest, pk: int) -> ParkingLot:
    lot = selectors.lot_for(request.user, pk)
    if lot is None:
        raise Http404("没有找到这个停车场")
    return lot


def _booking(request: HttpRequest, pk: int) -> Booking:
    booking = selectors.bookings_for(request.user).filter(pk=pk).first()
    if booking is None:
        raise Http404("没有找到这条预约")
    return booking


def _xlsx(name: str, header: list[str], rows: list[list[Any]], title: str) -> HttpResponse:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.xlsx"'
    return response


# --- lots and spaces -----------------------------------------------------------------------


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "sharing/parking/staff/home.html", {"lots": selectors.lots_for(request.user)}
    )


def lot_rate_words(lot: ParkingLot) -> str:
    """The lot's price rule in words, money in yuan (``"每小时 5.00 元，按 30 分钟计费，
    每日封顶 20.00 元"``); the model keeps fen."""
    words = f"每小时 {yuan(lot.fen_per_hour)}，按 {lot.billing_unit_minutes} 分钟计费"
    if lot.daily_cap_fen:
        words += f"，每日封顶 {yuan(lot.daily_cap_fen)}"
    return words


def _lot_page(
    request: HttpRequest, lot: ParkingLot, form: SpaceForm | None = None, status: int = 200
) -> HttpResponse:
    spaces = selectors.spaces_of_lot(lot)
    rows = [
        {
            "space": s,
            "owner": selectors.mask_name(s.owner.name) if s.owner else "社区",
            "windows": selectors.windows_words(list(s.windows.all())),
        }
        for s in spaces
    ]
    context = {
        "lot": lot,
        "rows": rows,
        "form": form or SpaceForm(),
        "rate": lot_rate_words(lot),
    }
    return render(request, "sharing/parking/staff/lot.html", context, status=status)


@require_safe
@login_required
def lot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _lot_page(request, _lot(request, pk))


@require_POST
@login_required
def space_new(request: HttpRequest, pk: int) -> HttpResponse:
    lot = _lot(request, pk)
    form = SpaceForm(request.POST)
    if not form.is_valid():
        return _lot_page(request, lot, form, status=400)
    try:
        space = services.space_create(
            actor=request.user,
            lot=lot,
            number=form.cleaned_data["number"],
            kind=form.cleaned_data["kind"],
        )
    except SharingError as err:
        add_service_error(form, err)
        return _lot_page(request, lot, form, status=err.http_status)
    messages.success(request, f"已添加车位 {space.number}")
    return redirect("parking:lot", pk=lot.pk)


def windows_initial(space: ParkingSpace) -> dict[str, Any]:
    """The form prefilled from the space's first window and its weekdays with those hours."""
    windows = list(space.windows.all())
    if not windows:
        return {"weekdays": [0, 1, 2, 3, 4], "start": dt.time(8), "end": dt.time(18)}
    first = windows[0]
    days = [w.weekday for w in windows if (w.start, w.end) == (first.start, first.end)]
    return {"weekdays": days, "start": first.start, "end": first.end}


def windows_save(request: HttpRequest, space: ParkingSpace) -> tuple[WindowsForm, int]:
    """Validate the posted windows form and call the service; ``(form, status)``
    with status 0 when saved."""
    form = WindowsForm(request.POST)
    if not form.is_valid():
        return form, 400
    try:
        services.space_windows_set(actor=request.user, space=space, windows=form.specs())
    except SharingError as err:
        add_service_error(form, err)
        return form, err.http_status
    return form, 0


@login_required
def space_windows(request: HttpRequest, pk: int, space_pk: int) -> HttpResponse:
    lot = _lot(request, pk)
    space = lot.spaces.filter(pk=space_pk).first()
    if space is None:
        raise Http404("没有找到这个车位")
    status = 200
    form = WindowsForm(initial=windows_initial(space))
    if request.method == "POST":
        form, status = windows_save(request, space)
        if not status:
            messages.success(request, f"车位 {space.number} 的共享时段已保存")
            return redirect("parking:lot", pk=lot.pk)
    context = {
        "lot": lot,
        "space": space,
        "form": form,
        "published": selectors.windows_words(list(space.windows.all())),
    }
    return render(request, "sharing/parking/staff/windows.html", context, status=status)


# --- bookings ------------------------------------------------------------------------------


def _board(request: HttpRequest) -> tuple[BoardForm, Any]:
    lots = list(selectors.lots_for(request.user))
    form = BoardForm(request.GET or None, lots=lots)
    if request.GET and not form.is_valid():
        return form, None
    data = form.cleaned_data if request.GET else {}
    board = selectors.BoardFilter(
        lot=data.get("lot"),
        day=data.get("day"),
        status=data.get("status") or "",
        plate=data.get("plate") or "",
    )
    return form, selectors.bookings_board(request.user, board)


@require_safe
@login_required
def bookings(request: HttpRequest) -> HttpResponse:
    form, rows = _board(request)
    if rows is None:
        context = {"form": form, "rows": [], "total": 0}
        return render(request, "sharing/parking/staff/bookings.html", context, status=400)
    shown = list(rows[: selectors.BOARD_LIMIT])
    for b in shown:
        # Money is shown in yuan; the data keeps fen.
        b.price_words = yuan(b.price_fen)  # type: ignore[attr-defined]
    context = {
        "form": form,
        "rows": shown,
        "total": len(shown),
        "limit": selectors.BOARD_LIMIT,
        "query": request.GET.urlencode(),
    }
    return render(request, "sharing/parking/staff/bookings.html", context)


BOARD_HEADER = [
    "停车场",
    "车位",
    "车牌",
    "开始",
    "结束",
    "状态",
    "费用（元）",
    "入场",
    "离场",
    "超时（分钟）",
    "超时费（元）",
]


def _when(moment: dt.datetime | None) -> str:
    return f"{local(moment):%Y-%m-%d %H:%M}" if moment else ""


@require_safe
@login_required
def bookings_export(request: HttpRequest) -> HttpResponse:
    form, rows = _board(request)
    if rows is None:
        return HttpResponse(
            "筛选条件不对：" + "；".join(str(m) for e in form.errors.values() for m in e),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    data = [
        [
            b.space.lot.name,
            b.space.number,
            b.plate,
            _when(b.starts_at),
            _when(b.ends_at),
            b.get_status_display(),
            Decimal(b.price_fen) / 100,
            _when(b.arrived_at),
            _when(b.left_at),
            b.overstay_minutes,
            Decimal(b.overstay_fen) / 100,
        ]
        for b in rows
    ]
    return _xlsx("parking-bookings", BOARD_HEADER, data, "停车预约")


def _booking_page(
    request: HttpRequest, booking: Booking, error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "booking": booking,
        "events": selectors.event_actor_words(list(booking.events.select_related("actor"))),
        "price": yuan(booking.price_fen),
        "overstay_fee": yuan(booking.overstay_fen),
        "gate_form": GateTimeForm(
            initial={"at": timezone.localtime().replace(second=0, microsecond=0)}
        ),
        "cancel_form": CancelForm(),
        "error": error,
    }
    return render(request, "sharing/parking/staff/booking.html", context, status=status)


@require_safe
@login_required
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _booking_page(request, _booking(request, pk))


def _transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    booking = _booking(request, pk)
    try:
        if action == "cancel":
            form: Any = CancelForm(request.POST)
            if not form.is_valid():
                return _booking_page(
                    request, booking, "；".join(str(e) for e in form.errors["reason"]), 400
                )
            services.booking_cancel(
                actor=request.user,
                booking=booking,
                reason=form.cleaned_data["reason"] or "社区工作人员取消",
            )
        else:
            form = GateTimeForm(request.POST)
            if not form.is_valid():
                return _booking_page(
                    request, booking, "；".join(str(e) for e in form.errors["at"]), 400
                )
            move = services.booking_arrive if action == "arrive" else services.booking_leave
            move(booking=booking, at=form.cleaned_data["at"], actor=request.user)
    except SharingError as err:
        return _booking_page(request, booking, str(err), err.http_status)
    done = {"arrive": "已记录入场", "leave": "已记录离场", "cancel": "预约已取消"}[action]
    messages.success(request, done)
    return redirect("parking:booking", pk=booking.pk)


@require_POST
@login_required
def booking_arrive(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "arrive")


@require_POST
@login_required
def booking_leave(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "leave")


@require_POST
@login_required
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "cancel")


# --- occupancy -----------------------------------------------------------------------------


#: The occupancy report's default range, in days ending today.
DEFAULT_DAYS = 7


def range_words(date_from: dt.date, date_to: dt.date, *, default: bool) -> str:
    """The report's dates in words: ``"2026年11月23日 至 2026年11月29日（今天），共 7 天"``,
    with ``"最近 7 天："`` in front when the range is the default one."""
    today = timezone.localdate()

    def day(d: dt.date) -> str:
        return f"{d.year}年{d.month}月{d.day}日" + ("（今天）" if d == today else "")

    words = f"{day(date_from)} 至 {day(date_to)}，共 {(date_to - date_from).days + 1} 天"
    return (f"最近 {DEFAULT_DAYS} 天：" if default else "") + words


def _report(request: HttpRequest) -> tuple[OccupancyForm, Occupancy | None, str]:
    lots = list(selectors.lots_for(request.user))
    today = timezone.localdate()
    # The last 7 days including today: a month of mostly empty days looked like no use.
    initial = {"date_from": today - dt.timedelta(days=DEFAULT_DAYS - 1), "date_to": today}
    form = OccupancyForm(request.GET or initial, lots=lots)
    if not form.is_valid():
        return form, None, ""
    data = form.cleaned_data
    chosen = [lot for lot in lots if lot.pk == data["lot"]] if data.get("lot") else lots
    name = chosen[0].name if data.get("lot") else "全部停车场"
    return form, occupancy(chosen, data["date_from"], data["date_to"]), name


def hour_rows(report: Occupancy) -> list[dict[str, Any]]:
    """One row per hour of day: percent (0–100, whole) and a bar of ``█`` characters."""
    rows = []
    for hour, share in enumerate(report.hours):
        percent = round(share * 100)
        rows.append(
            {
                "hour": f"{hour:02d}:00–{hour + 1:02d}:00",
                "percent": percent,
                "bar": "█" * round(share * BAR_WIDTH),
            }
        )
    return rows


@require_safe
@login_required
def occupancy_report(request: HttpRequest) -> HttpResponse:
    form, report, name = _report(request)
    context = {
        "form": form,
        "report": report,
        "name": name,
        "rows": hour_rows(report) if report else [],
        "gain_percent": round(report.gain_share * 100, 1) if report else 0,
        "range_words": (
            range_words(report.date_from, report.date_to, default=not request.GET) if report else ""
        ),
        "query": request.GET.urlencode(),
    }
    return render(
        request,
        "sharing/parking/staff/occupancy.html",
        context,
        status=200 if report or not request.GET else 400,
    )


@require_safe
@login_required
def occupancy_export(request: HttpRequest) -> HttpResponse:
    _form, report, name = _report(request)
    if report is None:
        return HttpResponse("统计条件不对", status=400, content_type="text/plain; charset=utf-8")
    rows: list[list[Any]] = [[r["hour"], r["percent"]] for r in hour_rows(report)]
    rows += [
        [],
        ["停车场", name],
        ["日期", f"{report.date_from:%Y-%m-%d} 至 {report.date_to:%Y-%m-%d}"],
        ["车位数", report.spaces],
        ["开放共享（车位·小时）", round(report.published_hours, 1)],
        ["预约（车位·小时）", round(report.booked_hours, 1)],
        ["实际停放（车位·小时）", round(report.used_hours, 1)],
        ["共享增量（车位·小时）", round(report.gain_hours, 1)],
        ["共享增量占开放时段", f"{report.gain_share:.1%}"],
        ["预约数", report.bookings],
        ["未到场", report.no_shows],
        ["超时", report.overstays],
        ["超时合计（分钟）", report.overstay_minutes],
    ]
    return _xlsx("parking-occupancy", ["时段", "平均占用率（%）"], rows, "分时占用")
