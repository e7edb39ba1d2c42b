"""Grid-worker phone pages: my cases, report in three taps, duplicate hints, case detail.

Mobile first (375 px wide, touch targets ≥ 44 px, one hand): big category buttons, a
searchable building list of the worker's micro-grids, "use my location" (browser
Geolocation, WGS-84), a camera photo input.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, F, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from linli.cases import forms, permissions, services
from linli.cases.duplicates import duplicate_candidates
from linli.cases.errors import CaseInputError
from linli.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseAction,
    CaseChannel,
    CaseEvent,
    CasePhoto,
    CategoryKind,
)
from linli.cases.selectors import (
    actor_descriptions,
    cases_visible_to,
    cases_worklist,
    dispatched_to,
)
from linli.cases.views import case_for, due_label
from linli.cases.views_actions import actions_for, attach_photo
from linli.common.geo import LatLng
from linli.common.pii import mask_phone
from linli.common.security import safe_file_response
from linli.people.models import Assignment
from linli.places.models import Area, AreaKind

MINE_LIMIT = 200


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """``/cases/mine/``: the worker's micro-grids and open cases, soonest due first."""
    user = request.user
    now = timezone.now()
    open_cases = cases_worklist(user).filter(status__in=OPEN_STATUSES)
    counts = open_cases.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(due_at__lt=now, paused_at__isnull=True)),
        mine=Count("pk", filter=dispatched_to(user)),  # type: ignore[arg-type]
    )
    rows = open_cases.select_related("building").order_by(
        F("due_at").asc(nulls_last=True), "created_at"
    )[:MINE_LIMIT]
    work_areas, units = _assignment_summary(user)  # type: ignore[arg-type]
    context = {
        "rows": [{"case": case, "due": due_label(case, now)} for case in rows],
        "counts": counts,
        "work_areas": work_areas,
        "units": units,
        "coordinator": permissions.coordinates_somewhere(user),
        "limit": MINE_LIMIT,
    }
    return render(request, "cases/mine.html", context)


def _assignment_summary(user: User) -> tuple[list[str], list[str]]:
    """The page header: the user's assigned areas, each once and outermost only, an area
    above micro-grid level summarised as "金凤苑社区（20 个微网格）"; and their units."""
    rows = list(
        Assignment.objects.filter(user=user)
        .select_related("area", "organization")
        .order_by("area__path")
    )
    outermost: list[Area] = []
    for row in rows:
        if not any(row.area.path.startswith(kept.path) for kept in outermost):
            outermost.append(row.area)
    labels = []
    for area in outermost:
        if area.kind == AreaKind.MICRO_GRID:
            labels.append(area.name)
        else:
            count = Area.objects.filter(kind=AreaKind.MICRO_GRID, path__startswith=area.path)
            labels.append(f"{area.name}（{count.count()} 个微网格）")
    units = list(dict.fromkeys(row.organization.name for row in rows if row.organization))
    return labels, units


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """``/cases/new/``: report a case (category → building or location → photo → submit)."""
    form = forms.WorkerReportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        category = data["category"]
        user = request.user
        try:
            with transaction.atomic():  # a photo that fails to store un-files the report
                case = services.case_report(
                    category=category,
                    description=data["description"] or "网格员巡查上报",
                    channel=CaseChannel.GRID_PATROL,
                    reporter=user,  # type: ignore[arg-type]
                    reporter_name=user.get_full_name() or user.get_username(),  # type: ignore[union-attr]
                    point=data["point"],
                    building=data["building"],
                )
                if data.get("photo"):
                    report_event = case.events.first()
                    attach_photo(case=case, photo=data["photo"], actor=user, event=report_event)  # type: ignore[arg-type]
        except CaseInputError as exc:
            form.add_error(_field_of(form, exc), str(exc))
        else:
            messages.success(request, f"已上报，事件编号 {case.number}")
            return redirect("cases:detail", number=case.number)
    status = 400 if request.method == "POST" else 200
    common = list(
        forms.categories().filter(kind=CategoryKind.COMMUNITY).values_list("pk", flat=True)
    )
    context = {"form": form, "common": common}
    return render(request, "cases/new.html", context, status=status)


def _field_of(form: forms.forms.Form, exc: CaseInputError) -> str | None:
    """The form field a service error belongs to (``location`` → building), else None."""
    field = {"location": "building", "reporter_phone": "caller_phone"}.get(exc.field, exc.field)
    return field if field in form.fields else None


@login_required
@require_GET
def duplicates(request: HttpRequest) -> HttpResponse:
    """htmx fragment: open cases of the chosen category near the chosen building or point."""
    form = forms.WorkerReportForm(request.GET, user=request.user)
    form.is_valid()  # only the parsed category and location are used
    data = form.cleaned_data
    category, point, building = data.get("category"), data.get("point"), data.get("building")
    if point is None and building is not None and building.lat is not None:
        point = LatLng(float(building.lat), float(building.lng or 0))
    rows: list[dict[str, object]] = []
    if category is not None and point is not None:
        found = duplicate_candidates(category=category, point=point, at=timezone.now())
        visible = set(
            cases_visible_to(request.user)
            .filter(pk__in=[case.pk for case, _ in found])
            .values_list("pk", flat=True)
        )
        rows = [
            {"case": case, "metres": round(metres)} for case, metres in found if case.pk in visible
        ]
    return render(request, "cases/_duplicates.html", {"candidates": rows})


@login_required
def detail(request: HttpRequest, number: str) -> HttpResponse:
    """``/cases/<number>/``: timeline, photos, participants, due time and allowed actions."""
    case = case_for(request.user, number)
    events = list(
        CaseEvent.objects.filter(case=case)
        .select_related("actor", "witness")
        .prefetch_related("photos")
        .order_by("at", "pk")
    )
    context = {
        "case": case,
        "due": due_label(case),
        "timeline": _timeline(case, events),
        "photos": case.photos.order_by("uploaded_at", "pk"),
        "participants": case.participants.select_related("user", "organization").order_by(
            "created_at"
        ),
        "actions": actions_for(request.user, case),
        "open_action": request.GET.get("open", ""),  # e.g. the note form, from a duplicate hint
        "merged": case.merged_cases.only("number", "title"),
        # Masked on every page (PIPL); unmasking with an access log is the registry's job.
        "reporter_phone": mask_phone(case.reporter_phone),
    }
    return render(request, "cases/detail.html", context)


def _timeline(case: Case, events: list[CaseEvent]) -> list[dict[str, object]]:
    """Timeline rows: the event, who acted with their role or unit ("王芳（调度员）"), and
    whether the state changed (a note or a rating keeps it: only the action is shown)."""
    described = actor_descriptions(case, {e.actor_id for e in events if e.actor_id})
    rows: list[dict[str, object]] = []
    for event in events:
        who = event.actor_label or "系统"
        role = described.get(event.actor_id or 0, "")
        if event.actor_id is None and event.action == CaseAction.REPORT:
            who = case.reporter_name or "匿名"
            role = case.get_channel_display()
        rows.append(
            {
                "event": event,
                "who": f"{who}（{role}）" if role else who,
                "moves": event.from_status != event.to_status,
            }
        )
    return rows


@login_required
def photo(request: HttpRequest, number: str, pk: int) -> FileResponse:
    """A case photo: the original for staff, the copy without EXIF for anyone else."""
    case = case_for(request.user, number)
    item = CasePhoto.objects.filter(case=case, pk=pk).first()
    if item is None:
        raise Http404("没有这张照片")
    image = item.image if request.user.is_staff else item.public_image  # type: ignore[union-attr]
    if not image:
        raise Http404("没有这张照片")
    # Type from the stored (Pillow-checked) extension's allow-list; never HTML or SVG.
    return safe_file_response(image.open("rb"), image.name or "")
