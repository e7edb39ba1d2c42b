"""Care pages for micro-grid workers and community staff, mounted at ``/care/``.

* ``/care/`` — the phone page: open alerts first (kind, who, where, since when, status;
  ``tel:`` links to the resident and each emergency contact; 「我已确认，马上处理」 and
  「解除」), then "my watched residents", longest silence first, with the last sign of
  life, a ⚠ cue in words when the silence is long, and the away-mode badge.
* ``/care/alerts/`` and ``/care/alerts/<pk>/`` — the alert list (status, kind, newest
  first, paginated) and an alert with its trail, the household's device events of the
  last 48 hours and the actions (ack, note / 已电话联系, resolve, 转为事件).
* ``/care/residents/<pk>/`` — a resident: learnt routine (hour of day, weekdays vs
  weekend), tolerated silence, away periods (announce, end), watch / unwatch, alerts.

Who: superusers and staff holding one of :data:`linli.people.models.SENSITIVE_ROLES`
(micro-grid and grid workers, grid leaders, community and street admins, dispatchers,
the emergency team); anyone else logged in gets 403, anonymous visitors the log-in page.
Rows are scoped to the user's areas (:func:`linli.people.scoping.scope`); a row outside
them is a 404, exactly like a missing one. Phones are shown in full to these roles
because calling is the job, and every showing is logged (:class:`PiiAccessLog`, PIPL
art. 51). Views parse, call one service of :mod:`linli.care.services`, and render;
a service's ``ValidationError`` is shown in its own words (400, or 409 when the alert
no longer allows the action).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from linli.care import forms, services
from linli.care.live import CFG, watched_devices_q
from linli.care.models import (
    OPEN_STATUSES,
    AlertKind,
    AlertStatus,
    AwayPeriod,
    CareAlert,
    Watch,
)
from linli.cases.models import CaseStatus
from linli.common.documents import Cell
from linli.common.exports import local_time, wants_xlsx, xlsx_response
from linli.common.models import PiiAccessLog
from linli.common.pii import mask_phone
from linli.devices.models import Device, DeviceEvent, EventKind
from linli.people.models import SENSITIVE_ROLES, EmergencyContact, Resident
from linli.people.scoping import can_view_pii, roles, scope

AnyUser = User | AnonymousUser
View = Callable[..., HttpResponseBase]

PAGE_SIZE = 25
WATCH_PAGE_SIZE = 50
#: Open alerts shown on the phone page (the list page has them all).
HOME_ALERTS = 50
#: Device events on the alert page: the household's last 48 hours, newest first, at most 30.
EVENTS_HOURS = 48
EVENTS_MAX = 30
#: A silence at least this long (s) is flagged even before the learnt tolerance runs out:
#: the detector's outer limit (``DetectorConfig.cap_s``, 12 hours).
LONG_SILENCE_S = CFG.cap_s
#: Day for the tolerance summary: 07:00–22:00 local, as half-hour bins 14…43.
DAY_BINS = range(14, 44)
#: Alerts turned into cases stay on the worker's page while their case is open (this long).
CASED_DAYS = dt.timedelta(days=14)
CASE_DONE = (CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.MERGED)
REFUSED = "关怀守护页面仅供社区、网格和应急工作人员使用"
ICONS: dict[str, str] = {
    AlertKind.SOS: "🆘",
    AlertKind.SMOKE: "🔥",
    AlertKind.SILENCE: "⏳",
    AlertKind.WATER_RUNNING: "🚰",
}
#: Sign-of-life kinds in the words of the page ("2 小时前 · 用水").
SIGN_WORDS: dict[str, str] = {
    EventKind.DOOR_OPEN: "开关门",
    EventKind.DOOR_CLOSE: "开关门",
    EventKind.WATER: "用水",
    EventKind.POWER: "用电",
    EventKind.MOTION: "有人活动",
    EventKind.SOS: "紧急呼叫",
    EventKind.SMOKE: "烟雾报警",
}
SENSORS = (("door", "开关门"), ("water", "用水"), ("power", "用电"))


# --- access -----------------------------------------------------------------------------


def may_use_care(user: AnyUser) -> bool:
    """Superuser, or staff holding one of ``SENSITIVE_ROLES`` (see the module docstring)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(getattr(user, "is_superuser", False) or roles(user) & SENSITIVE_ROLES)


def may_call(user: AnyUser) -> bool:
    """May see full phone numbers on the care pages: the PII roles, and the sensitive
    roles (micro-grid and grid workers, emergency team) who must call to check on someone."""
    return can_view_pii(user) or bool(roles(user) & SENSITIVE_ROLES)


def care_staff_required(view: View) -> View:
    """Log-in required (redirect to the log-in page), then :func:`may_use_care` (403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not may_use_care(request.user):
            raise PermissionDenied(REFUSED)
        return view(request, *args, **kwargs)

    return wrapped


def alerts_for(user: AnyUser) -> QuerySet[CareAlert]:
    """Alerts under the user's areas, with what the pages show joined in."""
    rows = CareAlert.objects.select_related(
        "resident", "household__building", "case", "acknowledged_by"
    )
    return scope(rows, user)


def watches_for(user: AnyUser) -> QuerySet[Watch]:
    """Active watches whose resident lives under the user's areas."""
    rows = Watch.objects.filter(active=True).select_related("resident__household__building")
    return scope(rows, user, area_field="resident__area")


def _alert(request: HttpRequest, pk: int) -> CareAlert:
    return get_object_or_404(alerts_for(request.user), pk=pk)


def _resident(request: HttpRequest, pk: int) -> Resident:
    rows = Resident.objects.select_related("household__building", "area")
    return get_object_or_404(scope(rows, request.user), pk=pk)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # care_staff_required let only logged-in users through
    return user


# --- wording ----------------------------------------------------------------------------


def ago(moment: dt.datetime | None, now: dt.datetime) -> str:
    """``刚刚``, ``12 分钟前``, ``2 小时前``, ``3 天前``; ``""`` for None."""
    if moment is None:
        return ""
    seconds = max(0.0, (now - moment).total_seconds())
    if seconds < 60:
        return "刚刚"
    if seconds < 3600:
        return f"{int(seconds // 60)} 分钟前"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} 小时前"
    return f"{int(seconds // 86400)} 天前"


def hours_text(seconds: float) -> str:
    """``5.5 小时`` (one decimal, trailing ``.0`` dropped)."""
    return f"{seconds / 3600:.1f}".removesuffix(".0") + " 小时"


@dataclass(frozen=True)
class Sign:
    """The last sign of life as the pages say it, and whether the silence is long."""

    text: str
    long: bool
    silent_s: float | None


def last_sign(watch: Watch, now: dt.datetime, *, alerted: bool = False) -> Sign:
    """``2 小时前 · 用水``; ``long`` when an open silence alert exists (``alerted``), the
    learnt tolerance has run out (``due_at`` passed), or the silence reached the outer
    limit :data:`LONG_SILENCE_S`."""
    if watch.last_sign_at is None:
        return Sign("尚无活动记录", alerted, None)
    silent = (now - watch.last_sign_at).total_seconds()
    word = SIGN_WORDS.get(watch.last_sign_kind, "活动")
    overdue = watch.due_at is not None and watch.due_at <= now
    long = alerted or overdue or silent >= LONG_SILENCE_S
    return Sign(f"{ago(watch.last_sign_at, now)} · {word}", long, silent)


# --- phones -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Callee:
    """A number to call about a resident: ``tel`` is empty when the number is masked."""

    role: str
    name: str
    shown: str
    tel: str


def callees(residents: Iterable[Resident], user: User, purpose: str) -> dict[int, list[Callee]]:
    """``{resident pk: [the resident, each emergency contact]}`` with phones; full numbers
    (``tel:`` links) for :func:`may_call` users, each resident shown logged once in
    :class:`PiiAccessLog`; masked and without links for anyone else."""
    people = {r.pk: r for r in residents}
    full = may_call(user)
    out: dict[int, list[Callee]] = {pk: [] for pk in people}
    contacts = EmergencyContact.objects.filter(resident_id__in=people).order_by("resident_id", "pk")
    for pk, person in people.items():
        if person.phone:
            out[pk].append(_callee("本人", person.name, person.phone, full))
    for contact in contacts:
        if contact.phone:
            who = f"{contact.name}（{contact.relation}）"
            out[contact.resident_id].append(_callee("紧急联系人", who, contact.phone, full))
    if full:
        PiiAccessLog.objects.bulk_create(
            PiiAccessLog(
                user=user,
                subject_type="resident",
                subject_id=pk,
                subject_label=f"{people[pk].name}（{people[pk].id_number_masked}）",
                fields="电话,紧急联系人电话",
                purpose=purpose[:200],
            )
            for pk, rows in out.items()
            if rows
        )
    return out


def _callee(role: str, name: str, phone: str, full: bool) -> Callee:
    return Callee(role, name, phone if full else mask_phone(phone), phone if full else "")


# --- the phone page ---------------------------------------------------------------------


def _open_first(rows: QuerySet[CareAlert]) -> QuerySet[CareAlert]:
    """Not yet taken in hand (open, escalated) before acknowledged; newest first within."""
    waiting = Case(
        When(acknowledged_at__isnull=True, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return rows.annotate(waiting=waiting).order_by("waiting", "-raised_at", "-pk")


def alert_rows(
    alerts: list[CareAlert], user: User, now: dt.datetime, purpose: str
) -> list[dict[str, Any]]:
    """What an alert card shows: the alert, its icon, "since", and whom to call."""
    phones = callees([a.resident for a in alerts if a.resident], user, purpose)
    return [
        {
            "alert": alert,
            "icon": ICONS.get(alert.kind, "⚠"),
            "since": ago(alert.raised_at, now),
            "callees": phones.get(alert.resident_id or 0, []),
            "may_ack": alert.is_open and alert.acknowledged_at is None,
        }
        for alert in alerts
    ]


def _away_now(resident_ids: list[int], now: dt.datetime) -> dict[int, AwayPeriod]:
    """The away period holding (or about to hold) each resident: not ended, not over."""
    rows = AwayPeriod.objects.filter(
        resident_id__in=resident_ids, ended_at__isnull=True, ends_at__gt=now
    ).order_by("starts_at")
    found: dict[int, AwayPeriod] = {}
    for away in rows:
        found.setdefault(away.resident_id, away)
    return found


def watch_rows(watches: list[Watch], now: dt.datetime) -> list[dict[str, Any]]:
    """One row per watch: resident, home, age, last sign (with the long-silence cue), away."""
    ids = [w.resident_id for w in watches]
    silent_alerted = set(
        CareAlert.objects.filter(
            resident_id__in=ids, kind=AlertKind.SILENCE, status__in=OPEN_STATUSES
        ).values_list("resident_id", flat=True)
    )
    aways = _away_now(ids, now)
    equipped = set(
        Device.objects.filter(watched_devices_q(), resident_id__in=ids).values_list(
            "resident_id", flat=True
        )
    ) | set(
        Device.objects.filter(
            watched_devices_q(), resident__isnull=True, household__members__in=ids
        ).values_list("household__members", flat=True)
    )
    in_case = dict(
        CareAlert.objects.filter(resident_id__in=ids, status=AlertStatus.CASE)
        .exclude(case__status__in=CASE_DONE)
        .values_list("resident_id", "case__number")
    )
    rows = []
    for watch in watches:
        away = aways.get(watch.resident_id)
        rows.append(
            {
                "watch": watch,
                "resident": watch.resident,
                "age": watch.resident.age(timezone.localdate(now)),
                "sign": last_sign(watch, now, alerted=watch.resident_id in silent_alerted)
                if watch.resident_id in equipped
                else Sign("未安装智能设备，无法自动提醒", False, None),
                "case_number": in_case.get(watch.resident_id),
                "away": away,
                "away_now": away is not None and away.starts_at <= now,
            }
        )
    return rows


@require_safe
@care_staff_required
def watch_home(request: HttpRequest) -> HttpResponseBase:
    """``/care/``: open alerts (up to :data:`HOME_ALERTS`), then my watched residents."""
    now = timezone.now()
    user = _user(request)
    open_alerts = _open_first(alerts_for(user).filter(status__in=OPEN_STATUSES))
    shown = list(open_alerts[:HOME_ALERTS])
    watches = watches_for(user).order_by(
        F("last_sign_at").asc(nulls_last=True), "resident__name", "pk"
    )
    if wants_xlsx(request):
        return watches_xlsx(watch_rows(list(watches), now))
    page = Paginator(watches, WATCH_PAGE_SIZE).get_page(request.GET.get("page"))
    cased = list(
        alerts_for(user)
        .filter(status=AlertStatus.CASE, raised_at__gte=now - CASED_DAYS)
        .exclude(case__status__in=CASE_DONE)
        .order_by("-raised_at")[:HOME_ALERTS]
    )
    context = {
        "alerts": alert_rows(shown, user, now, "关怀守护：告警联系"),
        "cased": alert_rows(cased, user, now, "关怀守护：事件联系"),
        "open_count": open_alerts.count(),
        "home_alerts": HOME_ALERTS,
        "page": page,
        "watches": watch_rows(list(page.object_list), now),
        "resolve_form": forms.ResolveForm(),
    }
    return render(request, "care/home.html", context)


#: Columns of the watched residents export: a list item of ``/care/`` split into cells.
WATCHES_HEADER = [
    "姓名",
    "住址",
    "年龄",
    "关注原因",
    "最近活动",
    "静默过久",
    "办理中的事件",
    "外出",
]


def watches_xlsx(rows: list[dict[str, Any]]) -> FileResponse:
    """``/care/?format=xlsx``: every watched resident of my areas (all pages), longest
    silent first, as the list shows them (no phones, no identity numbers)."""
    cells: list[list[Cell]] = []
    for row in rows:
        away = row["away"]
        away_text = ""
        if away is not None:
            start = "外出中" if row["away_now"] else f"将外出 {local_time(away.starts_at)} 起"
            away_text = f"{start}，至 {local_time(away.ends_at)}"
        cells.append(
            [
                row["resident"].name,
                str(row["resident"].household or "无住址"),
                row["age"],
                row["watch"].get_reason_display(),
                row["sign"].text,
                "是" if row["sign"].long and not row["away_now"] else "",
                row["case_number"] or "",
                away_text,
            ]
        )
    return xlsx_response(title="关注居民", header=WATCHES_HEADER, rows=cells)


# --- alerts -----------------------------------------------------------------------------


@require_safe
@care_staff_required
def alert_list(request: HttpRequest) -> HttpResponseBase:
    """``/care/alerts/?status=open|all&kind=…&page=N``: newest first, 25 a page."""
    form = forms.AlertFilterForm(request.GET)
    status, kind = form.values()
    rows = alerts_for(request.user)
    if status == forms.OPEN:
        rows = rows.filter(status__in=OPEN_STATUSES)
    if kind:
        rows = rows.filter(kind=kind)
    if wants_xlsx(request):
        return alerts_xlsx(rows.order_by("-raised_at", "-pk"), status=status, kind=kind)
    page = Paginator(rows.order_by("-raised_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    context = {
        "form": form,
        "page": page,
        "rows": [
            {"alert": a, "icon": ICONS.get(a.kind, "⚠"), "since": ago(a.raised_at, now)}
            for a in page.object_list
        ],
        "query": f"status={status}&kind={kind}",
    }
    return render(request, "care/alerts.html", context)


#: Columns of the alerts export: what an alert card on the list shows, split into cells.
ALERTS_HEADER = ["类型", "居民", "住址", "告警时间", "状态", "结果", "确认时间", "事件编号"]


def alerts_xlsx(alerts: QuerySet[CareAlert], *, status: str, kind: str) -> FileResponse:
    """``/care/alerts/?…&format=xlsx``: every alert the filters select (all pages). Like
    the list, no phone numbers (those are on the alert's own page, logged)."""
    rows: list[list[Cell]] = [
        [
            alert.get_kind_display(),
            alert.resident.name if alert.resident else "",
            str(alert.household),
            local_time(alert.raised_at),
            alert.get_status_display(),
            alert.get_outcome_display() if alert.outcome else "",
            local_time(alert.acknowledged_at),
            alert.case.number if alert.case else "",
        ]
        for alert in alerts
    ]
    shown = ["状态 " + ("全部" if status == forms.ALL else "待处理")]
    if kind:
        shown.append(f"类型 {AlertKind(kind).label}")
    return xlsx_response(
        title="关怀告警", header=ALERTS_HEADER, rows=rows, lines=[f"筛选条件：{'；'.join(shown)}"]
    )


def device_events(alert: CareAlert, now: dt.datetime) -> list[DeviceEvent]:
    """The household's device events of the last :data:`EVENTS_HOURS` hours, newest first,
    at most :data:`EVENTS_MAX` (the ``ts`` bound also prunes monthly partitions)."""
    return list(
        DeviceEvent.objects.filter(
            device__household_id=alert.household_id,
            ts__gte=now - dt.timedelta(hours=EVENTS_HOURS),
            ts__lte=now,
        )
        .select_related("device")
        .order_by("-ts")[:EVENTS_MAX]
    )


def _detail(
    request: HttpRequest,
    alert: CareAlert,
    *,
    errors: list[str] | None = None,
    status: int = 200,
    bound: dict[str, Any] | None = None,
) -> HttpResponse:
    now = timezone.now()
    user = _user(request)
    [row] = alert_rows([alert], user, now, f"关怀守护：告警 {alert.pk} 联系")
    forms_ = {
        "resolve_form": forms.ResolveForm(),
        "note_form": forms.NoteForm(),
        "case_form": forms.CaseForm(),
        **(bound or {}),
    }
    context = {
        **row,
        **forms_,
        "steps": alert.steps.select_related("actor").order_by("at", "pk"),
        "events": device_events(alert, now),
        "events_hours": EVENTS_HOURS,
        "errors": errors or [],
    }
    return render(request, "care/alert.html", context, status=status)


@require_safe
@care_staff_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """``/care/alerts/<pk>/``: the alert, whom to call, trail, device events, actions."""
    return _detail(request, _alert(request, pk))


def _back(request: HttpRequest, alert: CareAlert) -> HttpResponse:
    """To ``next`` when it is a care page of this site, else to the alert."""
    target = str(request.POST.get("next") or "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if safe and target.startswith("/care/"):
        return redirect(target)
    return redirect("care:alert", pk=alert.pk)


def _refused(
    request: HttpRequest, alert: CareAlert, error: ValidationError, **bound: Any
) -> HttpResponse:
    """The alert page with the service's message: 409 when the alert has moved on (closed
    or already acknowledged by someone else), 400 when the input was wrong."""
    alert.refresh_from_db()
    moved_on = not alert.is_open or request.resolver_match.url_name == "ack"  # type: ignore[union-attr]
    return _detail(
        request, alert, errors=error.messages, status=409 if moved_on else 400, bound=bound
    )


@require_POST
@care_staff_required
def alert_ack(request: HttpRequest, pk: int) -> HttpResponse:
    """「我已确认，马上处理」: :func:`services.alert_acknowledge`."""
    alert = _alert(request, pk)
    try:
        services.alert_acknowledge(alert=alert, by=_user(request))
    except ValidationError as error:
        return _refused(request, alert, error)
    messages.success(request, "已确认，请尽快联系或上门查看")
    return _back(request, alert)


@require_POST
@care_staff_required
def alert_note(request: HttpRequest, pk: int) -> HttpResponse:
    """A note, or 「已电话联系」 (``called=1``): :func:`services.alert_note`."""
    alert = _alert(request, pk)
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        return _detail(request, alert, errors=["说明太长"], status=400, bound={"note_form": form})
    data = form.cleaned_data
    try:
        services.alert_note(
            alert=alert, by=_user(request), note=data["note"], called=data["called"]
        )
    except ValidationError as error:
        return _refused(request, alert, error, note_form=form)
    messages.success(request, "已记录电话联系" if data["called"] else "已记录备注")
    return _back(request, alert)


@require_POST
@care_staff_required
def alert_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """「解除」 with an outcome: :func:`services.alert_resolve` (误报 needs a reason)."""
    alert = _alert(request, pk)
    form = forms.ResolveForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        return _detail(request, alert, errors=errors, status=400, bound={"resolve_form": form})
    try:
        services.alert_resolve(
            alert=alert,
            by=_user(request),
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        return _refused(request, alert, error, resolve_form=form)
    messages.success(request, "告警已解除")
    return _back(request, alert)


@require_POST
@care_staff_required
def alert_case(request: HttpRequest, pk: int) -> HttpResponse:
    """「转为事件」: :func:`services.alert_to_case`, then the case page."""
    alert = _alert(request, pk)
    form = forms.CaseForm(request.POST)
    if not form.is_valid():
        return _detail(request, alert, errors=["说明太长"], status=400, bound={"case_form": form})
    try:
        alert = services.alert_to_case(
            alert=alert, by=_user(request), note=form.cleaned_data["note"]
        )
    except ValidationError as error:
        return _refused(request, alert, error, case_form=form)
    assert alert.case is not None
    messages.success(request, f"已转为事件 {alert.case.number}")
    return redirect("cases:detail", number=alert.case.number)


# --- a resident -------------------------------------------------------------------------


def profile_rows(profile: list[Any]) -> list[dict[str, Any]]:
    """``Watch.profile`` (3 × 168 shares by hour of week, hour 0 = Monday 00:00 local, None
    where history is missing) as 24 rows, one per hour of day, each with the weekday
    (Mon–Fri) and weekend (Sat–Sun) mean share of door, water and power as
    ``{"pct": 0–100 | None, "level": 0–4}``. Empty list when nothing is learnt."""
    if not profile or len(profile) != 3 or any(len(row) != 168 for row in profile):
        return []
    rows = []
    for hour in range(24):
        cells = []
        for days in (range(5), range(5, 7)):
            for sensor in range(3):
                values = [profile[sensor][d * 24 + hour] for d in days]
                known = [float(v) for v in values if v is not None and math.isfinite(v)]
                share = sum(known) / len(known) if known else None
                cells.append(_cell(share))
        rows.append({"hour": hour, "cells": cells})
    return rows


def _cell(share: float | None) -> dict[str, Any]:
    if share is None:
        return {"pct": None, "level": 0}
    pct = round(share * 100)
    return {"pct": pct, "level": min(4, math.ceil(share * 4)) if pct else 0}


def tolerance_summary(tolerance: list[Any]) -> list[dict[str, str]]:
    """The longest tolerated silence by day (07–22 h) and night, at home and after the door
    (``Watch.tolerance``: 2 rows × 48 half hours, seconds); empty when not learnt."""
    if not tolerance or len(tolerance) != 2:
        return []
    out = []
    for row, label in ((0, "在家时"), (1, "出门或开门后")):
        values = [float(v) for v in tolerance[row]]
        day = max(values[b] for b in DAY_BINS)
        night = max(v for b, v in enumerate(values) if b not in DAY_BINS)
        out.append({"label": label, "day": hours_text(day), "night": hours_text(night)})
    return out


def _resident_page(
    request: HttpRequest,
    resident: Resident,
    *,
    away_form: forms.StaffAwayForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    watch = Watch.objects.filter(resident=resident).first()
    alerted = CareAlert.objects.filter(
        resident=resident, kind=AlertKind.SILENCE, status__in=OPEN_STATUSES
    ).exists()
    aways = list(AwayPeriod.objects.filter(resident=resident).order_by("-starts_at")[:10])
    initial = {"starts_at": forms.local_input(now)}
    context = {
        "resident": resident,
        "age": resident.age(timezone.localdate(now)),
        "watch": watch,
        "sign": last_sign(watch, now, alerted=alerted) if watch else None,
        "profile": profile_rows(watch.profile) if watch else [],
        "sensors": SENSORS,
        "tolerance": tolerance_summary(watch.tolerance) if watch else [],
        "learn_days": CFG.learn_days,
        "cap": hours_text(CFG.cap_s),
        "equipped": Device.objects.filter(watched_devices_q())
        .filter(Q(resident=resident) | Q(resident__isnull=True, household__members=resident))
        .exists(),
        "aways": [
            {"away": a, "open": a.ended_at is None and a.ends_at > now, "now": a.starts_at <= now}
            for a in aways
        ],
        "away_form": away_form or forms.StaffAwayForm(initial=initial),
        "alerts": CareAlert.objects.filter(resident=resident).order_by("-raised_at")[:20],
        "errors": errors or [],
    }
    return render(request, "care/resident.html", context, status=status)


@require_safe
@care_staff_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """``/care/residents/<pk>/``: routine, last sign, away periods, watch, alerts."""
    return _resident_page(request, _resident(request, pk))


@require_POST
@care_staff_required
def resident_watch(request: HttpRequest, pk: int) -> HttpResponse:
    """关注 (:func:`services.watch_add`) or 取消关注 (:func:`services.watch_remove`)."""
    resident = _resident(request, pk)
    form = forms.WatchForm(request.POST)
    if not form.is_valid():
        return _resident_page(request, resident, errors=["请选择关注或取消关注"], status=400)
    user = _user(request)
    try:
        if form.cleaned_data["action"] == "watch":
            services.watch_add(resident=resident, by=user, note=form.cleaned_data["note"])
            messages.success(request, f"已关注{resident.name}")
        else:
            watch = Watch.objects.filter(resident=resident, active=True).first()
            if watch is None:
                return _resident_page(request, resident, errors=["该居民未在关注中"], status=409)
            services.watch_remove(watch=watch, by=user, reason=form.cleaned_data["note"])
            messages.success(request, f"已取消关注{resident.name}")
    except ValidationError as error:
        return _resident_page(request, resident, errors=error.messages, status=400)
    return redirect("care:resident", pk=resident.pk)


@require_POST
@care_staff_required
def resident_away(request: HttpRequest, pk: int) -> HttpResponse:
    """Announce away mode for the resident: :func:`services.away_announce`."""
    resident = _resident(request, pk)
    form = forms.StaffAwayForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        return _resident_page(request, resident, away_form=form, errors=errors, status=400)
    data = form.cleaned_data
    try:
        services.away_announce(
            resident=resident,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            note=data["note"],
            by=_user(request),
        )
    except ValidationError as error:
        return _resident_page(request, resident, away_form=form, errors=error.messages, status=400)
    messages.success(request, "已登记外出，期间不因无活动告警")
    return redirect("care:resident", pk=resident.pk)


@require_POST
@care_staff_required
def away_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End an away period now: :func:`services.away_end`."""
    rows = AwayPeriod.objects.select_related("resident")
    away = get_object_or_404(scope(rows, request.user, area_field="resident__area"), pk=pk)
    try:
        services.away_end(away=away, by=_user(request))
    except ValidationError as error:
        return _resident_page(request, away.resident, errors=error.messages, status=409)
    messages.success(request, "外出登记已结束")
    return redirect(reverse("care:resident", args=[away.resident_id]))
