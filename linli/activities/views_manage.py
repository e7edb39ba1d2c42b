"""Organiser and staff pages of activities, mounted at ``/activities/manage/``
(namespace ``activities_manage``).

* ``/`` — the activities one manages: status, first session, places taken / capacity,
  waitlist; upcoming first (``?past=1`` the others);
* ``new/`` — a new activity with one session or a timetable, previewed before saving
  (``?need=<id>`` prefills from a need of the needs list and links it);
* ``<pk>/`` — detail: sessions, registrations with waitlist positions, publish, raise
  capacity (promotes), cancel a registration or the activity with a reason;
* ``<pk>/register/`` and ``<pk>/bulk/`` — registering others (one person; pasted lines or
  an .xlsx, previewed with per-line errors, then confirmed);
* ``<pk>/attendance/`` — registrations × sessions, manual check-in and undo;
* ``<pk>/door/`` — check in by the last 4 digits of a phone or a name, live count;
* ``<pk>/export.xlsx`` — registrations and attendance;
* ``checkin/<uuid:token>/`` — what the phone camera opens from a participant's QR code.

Who: :func:`linli.activities.selectors.may_manage` (staff with a managing role, enterprise
contacts); anyone else logged in gets 403, anonymous visitors the login page; an activity
or code outside the user's activities is 404. Domain errors (:class:`ActivityError`) are
shown on the page with their HTTP status (400, or 409 for an illegal state).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from linli.activities import selectors
from linli.activities.errors import ActivityError
from linli.activities.exports import registrations_export
from linli.activities.forms_manage import (
    SINGLE,
    ActivityForm,
    BulkForm,
    CapacityForm,
    ParticipantForm,
    ReasonForm,
    SearchForm,
)
from linli.activities.models import (
    Activity,
    ActivityStatus,
    Attendance,
    Audience,
    RegistrationStatus,
)
from linli.activities.services import (
    activity_cancel,
    activity_create,
    activity_publish,
    activity_set_capacity,
    attendance_undo,
    checkin,
    current_session,
    registration_cancel,
    registration_create,
    registrations_bulk_create,
    venue_problem,
)
from linli.common.documents import Cell
from linli.common.exports import local_time, wants_xlsx, xlsx_response
from linli.common.pii import mask_phone
from linli.eligibility.money import yuan

#: Activities the organiser pages still change (registrations, capacity, check-in).
LIVE = (ActivityStatus.DRAFT, ActivityStatus.PUBLISHED, ActivityStatus.CLOSED)


def manage_required(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Log-in required (redirect), then :func:`selectors.may_manage` (403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not selectors.may_manage(request.user):
            raise PermissionDenied("活动管理页面仅供社区工作人员和企业联络员使用")
        return view(request, *args, **kwargs)

    return wrapped


def _field_error(form: Any, exc: ActivityError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


# --- list and new ------------------------------------------------------------------------------


@manage_required
def activity_list(request: HttpRequest) -> HttpResponseBase:
    """``/activities/manage/?status=published&past=1``."""
    past = request.GET.get("past") == "1"
    status = request.GET.get("status", "")
    rows = selectors.activity_rows(request.user, status=status, past=past)
    if wants_xlsx(request):
        return _list_xlsx(rows, status=status, past=past)
    context = {
        "rows": rows,
        "past": past,
        "status": status,
        "statuses": ActivityStatus.choices,
    }
    return render(request, "activities/manage/list.html", context)


#: Columns of the activity list's export: a list row split into cells.
LIST_HEADER = ["活动", "类型", "场地", "主办", "场次", "第一场", "状态", "已报名", "名额", "候补"]


def _list_xlsx(rows: list[selectors.ActivityRow], *, status: str, past: bool) -> FileResponse:
    """``/activities/manage/?…&format=xlsx``: the listed activities (same filter, order)."""
    cells: list[list[Cell]] = [
        [
            row.activity.title,
            row.activity.get_kind_display(),
            row.activity.venue.name if row.activity.venue else "",
            row.activity.organiser_name,
            row.sessions,
            local_time(row.starts_at),
            row.activity.get_status_display(),
            row.confirmed,
            row.activity.capacity,
            row.waitlisted,
        ]
        for row in rows
    ]
    shown = ["已结束的活动" if past else "即将进行和进行中的活动"]
    if status in ActivityStatus.values:
        shown.append(f"状态 {ActivityStatus(status).label}")
    return xlsx_response(
        title="活动列表", header=LIST_HEADER, rows=cells, lines=[f"筛选条件：{'；'.join(shown)}"]
    )


def _need_initial(request: HttpRequest, need: Any) -> dict[str, Any]:
    initial: dict[str, Any] = {"need": need.pk, "title": need.title, "capacity": need.headcount}
    initial["summary"] = need.description
    if need.organization_id:
        if selectors.manager_scope(request.user).is_staff_side:
            initial["audience"] = "invited"
            initial["invited_orgs"] = [need.organization_id]
        else:
            initial["organiser"] = need.organization_id
    return initial


@manage_required
@require_http_methods(["GET", "HEAD", "POST"])
def activity_new(request: HttpRequest) -> HttpResponse:
    """GET the form (``?need=<id>`` prefilled); POST ``action=preview`` shows the sessions
    with each one's venue check, ``action=draft`` / ``action=publish`` saves."""
    need = selectors.need_for(request.user, request.GET.get("need") or request.POST.get("need"))
    if request.method != "POST":
        initial = _need_initial(request, need) if need is not None else {}
        initial.setdefault("mode", SINGLE)
        form = ActivityForm(initial=initial, user=request.user)
        return _new_page(request, form, need)
    form = ActivityForm(request.POST, user=request.user)
    action = request.POST.get("action", "preview")
    if not form.is_valid():
        return _new_page(request, form, need, status=400)
    if action not in ("draft", "publish"):
        return _new_page(request, form, need, preview=True)
    try:
        activity = _create(request, form, need, publish=action == "publish")
    except ActivityError as exc:
        _field_error(form, exc)
        return _new_page(request, form, need, status=exc.http_status, preview=True)
    messages.success(request, f"已创建活动“{activity.title}”（{activity.get_status_display()}）")
    for warning in form.calendar_warnings():
        messages.warning(request, warning)
    return redirect("activities_manage:detail", pk=activity.pk)


def _create(request: HttpRequest, form: ActivityForm, need: Any, *, publish: bool) -> Activity:
    data = form.cleaned_data
    venue = data["venue"]
    with transaction.atomic():
        activity = activity_create(
            actor=request.user,
            area=selectors.community_of(venue.area),
            venue=venue,
            title=data["title"],
            kind=data["kind"],
            capacity=data["capacity"],
            sessions=form.sessions(),
            summary=data.get("summary") or "",
            organiser=data.get("organiser"),
            organiser_kind=form.organiser_kind(),
            audience=data["audience"],
            invited_orgs=list(data.get("invited_orgs") or []),
            min_age=data.get("min_age"),
            max_age=data.get("max_age"),
            fee_fen=form.fee_fen(),
            fee_scheme=data.get("fee_scheme"),
            waitlist_limit=form.waitlist_size(),
            registration_opens=data.get("registration_opens"),
            registration_closes=data.get("registration_closes"),
            contact=data.get("contact") or "",
            publish=publish,
        )
        if need is not None:
            _link_need(request, need, activity)
    return activity


def _link_need(request: HttpRequest, need: Any, activity: Activity) -> None:
    """The need is answered by the new activity through the needs module
    (:func:`linli.engagement.services.need_activity_link`: an accepted need becomes
    planned). A refusal there (a need not yet accepted, an actor who is not staff over
    the need) keeps the activity and says why on the next page."""
    from linli.engagement.errors import EngagementError
    from linli.engagement.services import need_activity_link

    try:
        with transaction.atomic():
            need_activity_link(need=need, actor=request.user, activity=activity)
    except EngagementError as exc:
        messages.warning(request, f"活动已创建，但没有关联到需求 {need.number}：{exc}")


def _new_page(
    request: HttpRequest,
    form: ActivityForm,
    need: Any,
    *,
    status: int = 200,
    preview: bool = False,
) -> HttpResponse:
    venues = [
        {"venue": v, "windows": selectors.window_summary(v)}
        for v in form.fields["venue"].queryset  # type: ignore[attr-defined]
    ]
    rows = []
    if preview and form.is_valid():
        venue = form.cleaned_data["venue"]
        rows = [
            {"starts_at": s, "ends_at": e, "problem": venue_problem(venue, s, e)}
            for s, e, _ in form.sessions()
        ]
    context = {
        "form": form,
        "need": need,
        "venues": venues,
        "preview": rows,
        "previewing": preview and form.is_valid(),
        "has_problem": any(r["problem"] for r in rows),
        "calendar_warnings": form.calendar_warnings() if preview and form.is_valid() else [],
    }
    return render(request, "activities/manage/new.html", context, status=status)


# --- detail and its actions ----------------------------------------------------------------------


def _detail(
    request: HttpRequest, activity: Activity, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "activity": activity,
        "sessions": list(activity.sessions.order_by("starts_at", "pk")),
        "rows": selectors.registration_rows(activity),
        "counts": selectors.registration_counts(activity),
        "capacity_form": extra.pop("capacity_form", None)
        or CapacityForm(initial={"capacity": activity.capacity}),
        "cancel_form": extra.pop("cancel_form", None) or ReasonForm(),
        "live": activity.status in LIVE,
        "invited": list(activity.invited_orgs.all()),
        "fee_text": yuan(activity.fee_fen) if activity.fee_fen else "免费",
        **extra,
    }
    return render(request, "activities/manage/detail.html", context, status=status)


@manage_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.activity_for(request.user, pk))


@manage_required
@require_POST
def activity_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_for(request.user, pk)
    try:
        activity_publish(activity=activity, actor=request.user)
    except ActivityError as exc:
        return _detail(request, activity, status=exc.http_status, error=str(exc))
    messages.success(request, "已发布，开始报名")
    return redirect("activities_manage:detail", pk=pk)


@manage_required
@require_POST
def activity_capacity_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the number of places; more places promote from the waitlist."""
    activity = selectors.activity_for(request.user, pk)
    form = CapacityForm(request.POST)
    if not form.is_valid():
        return _detail(request, activity, status=400, capacity_form=form)
    try:
        promoted = activity_set_capacity(
            activity=activity, actor=request.user, capacity=form.cleaned_data["capacity"]
        )
    except ActivityError as exc:
        _field_error(form, exc)
        return _detail(request, activity, status=exc.http_status, capacity_form=form)
    note = f"，{len(promoted)} 人由候补转为正式报名并已通知" if promoted else ""
    messages.success(request, f"名额已改为 {form.cleaned_data['capacity']}{note}")
    return redirect("activities_manage:detail", pk=pk)


@manage_required
@require_POST
def activity_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_for(request.user, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _detail(request, activity, status=400, cancel_form=form)
    try:
        activity_cancel(activity=activity, actor=request.user, reason=form.cleaned_data["reason"])
    except ActivityError as exc:
        _field_error(form, exc)
        return _detail(request, activity, status=exc.http_status, cancel_form=form)
    messages.success(request, "活动已取消，已报名和候补的人都会收到通知")
    return redirect("activities_manage:detail", pk=pk)


@manage_required
@require_POST
def registration_cancel_view(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    activity = selectors.activity_for(request.user, pk)
    registration = selectors.registration_for(activity, rid)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        error = "取消报名需填写原因"
        return _detail(request, activity, status=400, error=error)
    try:
        promoted = registration_cancel(
            registration=registration, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ActivityError as exc:
        return _detail(request, activity, status=exc.http_status, error=str(exc))
    note = f"；候补第一位 {promoted[0].name} 已转为正式报名并已通知" if promoted else ""
    messages.success(request, f"已取消 {registration.name} 的报名{note}")
    return redirect("activities_manage:detail", pk=pk)


# --- registering others ------------------------------------------------------------------------


@manage_required
@require_http_methods(["GET", "HEAD", "POST"])
def register_one(request: HttpRequest, pk: int) -> HttpResponse:
    """One person; staff may search the registry (``?q=`` phone or name) and pick one. An
    enterprise contact admitted by the audience (not organising) registers an employee of
    their own organisation (:func:`selectors.activity_to_register`)."""
    activity, employer = selectors.activity_to_register(request.user, pk)
    search = SearchForm(request.GET if "q" in request.GET else None)
    context: dict[str, Any] = {"activity": activity, "search": search, "results": None}
    context["staff_side"] = selectors.manager_scope(request.user).is_staff_side
    context["employer"] = employer
    if search.is_bound and search.is_valid():
        found = selectors.residents_for_pick(request.user, search.cleaned_data["q"])
        context["results"] = [
            {"resident": r, "name": selectors.mask_name(r.name), "phone": mask_phone(r.phone)}
            for r in found
        ]
    picked_pk = request.POST.get("resident") or request.GET.get("resident")
    picked = selectors.resident_pickable(request.user, picked_pk) if picked_pk else None
    if picked_pk and picked is None:
        context["error"] = "没有找到这位居民，或其不在您负责的区域内"
        form = ParticipantForm(user=request.user, employer=employer)
        return _register_page(request, context, form, 404)
    context["picked"] = picked
    if picked is not None:
        context["picked_phone"] = mask_phone(picked.phone)
    if request.method != "POST":
        form = ParticipantForm(
            initial={"resident": picked_pk}, user=request.user, employer=employer
        )
        return _register_page(request, context, form)
    form = ParticipantForm(request.POST, user=request.user, employer=employer)
    if not form.is_valid():
        return _register_page(request, context, form, 400)
    try:
        result = registration_create(
            activity=activity, participant=form.participant(picked), actor=request.user
        )
    except ActivityError as exc:
        _field_error(form, exc)
        return _register_page(request, context, form, exc.http_status)
    name = result.registration.name
    if result.waitlisted:
        messages.warning(request, f"名额已满，{name} 已进入候补第 {result.position} 位")
    else:
        messages.success(request, f"{name} 报名成功")
    return redirect("activities_manage:register", pk=pk)


def _register_page(
    request: HttpRequest, context: dict[str, Any], form: ParticipantForm, status: int = 200
) -> HttpResponse:
    context["form"] = form
    context["counts"] = selectors.registration_counts(context["activity"])
    return render(request, "activities/manage/register.html", context, status=status)


@manage_required
@require_http_methods(["GET", "HEAD", "POST"])
def register_bulk(request: HttpRequest, pk: int) -> HttpResponse:
    """POST ``action=preview`` checks every line; ``action=confirm`` registers the valid
    lines (each through :func:`registration_create`) and shows the outcome per line."""
    activity, employer = selectors.activity_to_register(request.user, pk)
    initial = _bulk_initial(request, activity)
    context: dict[str, Any] = {"activity": activity, "employer": employer}
    if request.method != "POST":
        context["form"] = BulkForm(initial=initial, user=request.user, employer=employer)
        return render(request, "activities/manage/bulk.html", context)
    form = BulkForm(request.POST, request.FILES, user=request.user, employer=employer)
    context["form"] = form
    if not form.is_valid():
        return render(request, "activities/manage/bulk.html", context, status=400)
    lines = selectors.bulk_check(activity, form.parsed())
    if request.POST.get("action") != "confirm":
        context.update(
            lines=lines,
            ok=[line for line in lines if line.ok],
            ok_waitlisted=sum(1 for line in lines if line.ok and line.waitlisted),
            bad=[line for line in lines if not line.ok],
            text=form.cleaned_data["text"],
        )
        return render(request, "activities/manage/bulk.html", context)
    valid = [line for line in lines if line.ok and line.participant is not None]
    outcomes = registrations_bulk_create(
        activity=activity,
        participants=[line.participant for line in valid if line.participant is not None],
        actor=request.user,
    )
    context.update(
        done=list(zip(valid, outcomes, strict=True)),
        skipped=[line for line in lines if not line.ok],
        confirmed=sum(1 for o in outcomes if o.result and not o.result.waitlisted),
        waitlisted=sum(1 for o in outcomes if o.result and o.result.waitlisted),
        failed=sum(1 for o in outcomes if o.result is None),
        form=BulkForm(initial=initial, user=request.user, employer=employer),
    )
    return render(request, "activities/manage/bulk.html", context)


def _bulk_initial(request: HttpRequest, activity: Activity) -> dict[str, Any]:
    """The employer preselected on the bulk form: an enterprise contact's own organisation,
    or the only organisation invited to an invite-only activity."""
    scope = selectors.manager_scope(request.user)
    if scope.orgs and not scope.is_staff_side:
        return {"organization": scope.orgs[0]}
    if activity.audience == Audience.INVITED:
        invited = list(activity.invited_orgs.values_list("pk", flat=True)[:2])
        if len(invited) == 1:
            return {"organization": invited[0]}
    return {}


# --- attendance, the door and the QR code -----------------------------------------------------


@manage_required
@require_http_methods(["GET", "HEAD", "POST"])
def attendance_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The grid; POST ``registration``, ``session``, ``action=in|out`` marks by hand."""
    activity = selectors.activity_for(request.user, pk)
    status, error = 200, ""
    if request.method == "POST":
        registration = selectors.registration_for(activity, _int(request.POST.get("registration")))
        session = selectors.session_for(activity, request.POST.get("session"))
        try:
            if request.POST.get("action") == "out":
                mark = Attendance.objects.filter(registration=registration, session=session).first()
                if mark is not None:
                    attendance_undo(attendance=mark, actor=request.user)
            else:
                checkin(
                    token=registration.token, session=session, actor=request.user, method="manual"
                )
        except ActivityError as exc:
            status, error = exc.http_status, str(exc)
        else:
            return redirect("activities_manage:attendance", pk=pk)
    context = {"activity": activity, "grid": selectors.attendance_grid(activity), "error": error}
    return render(request, "activities/manage/attendance.html", context, status=status)


def _int(raw: Any) -> int:
    return int(raw) if str(raw or "").isdigit() else 0


@manage_required
@require_http_methods(["GET", "HEAD", "POST"])
def door(request: HttpRequest, pk: int) -> HttpResponse:
    """Check in by hand at the door: ``?session=&q=`` (last 4 digits or a name); POST
    ``registration`` + ``session``."""
    activity = selectors.activity_for(request.user, pk)
    chosen = request.POST.get("session") or request.GET.get("session")
    session = selectors.door_session(activity, chosen)
    search = SearchForm(request.GET)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    status, result, error = 200, None, ""
    if request.method == "POST" and session is not None:
        registration = selectors.registration_for(activity, _int(request.POST.get("registration")))
        try:
            result = checkin(
                token=registration.token, session=session, actor=request.user, method="manual"
            )
        except ActivityError as exc:
            status, error = exc.http_status, str(exc)
    context = {
        "activity": activity,
        "session": session,
        "sessions": list(activity.sessions.filter(cancelled=False).order_by("starts_at")),
        "search": search,
        "q": q,
        "matches": selectors.door_matches(activity, session, q),
        "count": selectors.door_count(activity, session),
        "result": result,
        "error": error,
        "short_digits": q.isdigit() and len(q) != 4,
    }
    return render(request, "activities/manage/door.html", context, status=status)


@manage_required
def door_count_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The live count fragment (htmx polls it): 已签到 n / 报名 m."""
    activity = selectors.activity_for(request.user, pk)
    session = selectors.door_session(activity, request.GET.get("session"))
    context = {"count": selectors.door_count(activity, session)}
    return render(request, "activities/manage/_door_count.html", context)


@manage_required
def export_view(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_for(request.user, pk)
    content = registrations_export(activity=activity, user=request.user)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="activity-{activity.pk}-{stamp}.xlsx"'
    return response


@manage_required
@require_http_methods(["GET", "HEAD", "POST"])
def checkin_view(request: HttpRequest, token: Any) -> HttpResponse:
    """The page a participant's QR code opens on the organiser's phone: who, which
    activity and session, one big 签到 button (POST)."""
    registration = selectors.registration_by_token(request.user, token)
    activity = registration.activity
    status, result, error = 200, None, ""
    if request.method == "POST":
        try:
            result = checkin(token=registration.token, actor=request.user, method="qr")
        except ActivityError as exc:
            status, error = exc.http_status, str(exc)
    session = result.attendance.session if result else current_session(activity)
    already = None
    if result is None and session is not None:
        already = Attendance.objects.filter(registration=registration, session=session).first()
    context = {
        "registration": registration,
        "activity": activity,
        "masked_name": selectors.mask_name(registration.name),
        "session": session,
        "result": result,
        "already": already,
        "error": error,
        "confirmed": registration.status == RegistrationStatus.CONFIRMED,
        "opens": selectors.checkin_opens_next(activity) if session is None else None,
    }
    return render(request, "activities/manage/checkin.html", context, status=status)
