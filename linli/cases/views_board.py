"""Dispatcher board (new cases to register and dispatch) and the 12345 hotline intake form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone

from linli.cases import forms, services
from linli.cases.errors import CaseInputError
from linli.cases.models import OPEN_STATUSES, Case, CaseChannel, CaseStatus
from linli.cases.selectors import cases_visible_to
from linli.cases.views import due_label
from linli.cases.views_actions import dispatch_choices
from linli.cases.views_worker import _field_of
from linli.common.exports import filter_lines, local_time, wants_xlsx, xlsx_response
from linli.people.models import Assignment

BOARD_PAGE_SIZE = 25
#: The board's default view: what still needs a dispatcher (立案 or 派遣).
TO_DISPATCH = [CaseStatus.REPORTED, CaseStatus.REGISTERED, CaseStatus.RETURNED]


def _coordinator_paths(user: Any) -> list[str] | None:
    """Area paths where the user coordinates (may register/reject/dispatch); None = all.

    One query for the whole page, so the inline buttons cost nothing per row.
    """
    from linli.cases.permissions import COORDINATOR_ROLES

    if getattr(user, "is_superuser", False):
        return None
    return list(
        Assignment.objects.filter(user=user, role__in=COORDINATOR_ROLES).values_list(
            "area__path", flat=True
        )
    )


def board_cases(user: Any, data: dict[str, Any]) -> QuerySet[Case]:
    """Visible cases filtered by the board's form (area within scope, category, state,
    overdue), oldest due first."""
    queryset = cases_visible_to(user).select_related(
        "building", "handler", "handler_org", "area", "category"
    )
    if data.get("area"):
        queryset = queryset.filter(area__path__startswith=data["area"].path)
    if data.get("category"):
        queryset = queryset.filter(
            Q(category=data["category"]) | Q(category__parent=data["category"])
        )
    status = data.get("status") or ""
    if status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif status:
        queryset = queryset.filter(status=status)
    else:
        queryset = queryset.filter(status__in=TO_DISPATCH)
    if data.get("overdue"):
        queryset = queryset.filter(due_at__lt=timezone.now(), paused_at__isnull=True)
    return queryset.order_by("due_at", "pk")


@login_required
def board(request: HttpRequest) -> HttpResponseBase:
    """``/cases/board/``: paged list with inline register / reject / dispatch."""
    form = forms.BoardFilterForm(request.GET or None, user=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    if wants_xlsx(request) and form.is_valid():
        return board_xlsx(board_cases(request.user, data), form)
    page = Paginator(board_cases(request.user, data), BOARD_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    paths = _coordinator_paths(request.user)
    now = timezone.now()
    rows = [
        {
            "case": case,
            "due": due_label(case, now),
            "coordinate": paths is None or any(case.area.path.startswith(p) for p in paths),
        }
        for case in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "target_groups": dispatch_choices(request.user)[1:]
        if any(r["coordinate"] for r in rows)
        else [],
        "here": request.get_full_path(),
        "coordinator": paths is None or bool(paths),
    }
    return render(request, "cases/board.html", context)


#: Columns of the board's export: what a board row shows, split into cells.
BOARD_HEADER = [
    "事件编号",
    "标题",
    "类别",
    "渠道",
    "状态",
    "时限",
    "时限状态",
    "区域",
    "楼栋",
    "处置",
]


def board_xlsx(cases: QuerySet[Case], form: forms.BoardFilterForm) -> FileResponse:
    """``/cases/board/?…&format=xlsx``: every case the filters select (all pages), the
    columns of the board (no reporter contact: the board does not show it)."""
    now = timezone.now()
    rows = []
    for case in cases:
        due = due_label(case, now)
        handler = ""
        if case.handler_org:
            handler = case.handler_org.name
        elif case.handler:
            handler = case.handler.get_full_name() or case.handler.username
        rows.append(
            [
                case.number,
                case.title,
                case.category.name,
                case.get_channel_display(),
                case.get_status_display(),
                local_time(case.due_at),
                due.text if due else "",
                case.area.name,
                case.building.name if case.building else "",
                handler,
            ]
        )
    return xlsx_response(
        title="调度台事件",
        header=BOARD_HEADER,
        rows=rows,
        lines=filter_lines(form) or ["筛选条件：待立案、待派遣（默认）"],
    )


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """``/cases/intake/``: file a 12345 hotline transfer (channel hotline, ticket number kept
    in ``attributes["hotline_ticket"]``)."""
    form = forms.HotlineIntakeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        attributes = {"hotline_ticket": data["ticket"]} if data["ticket"] else {}
        try:
            case = services.case_report(
                category=data["category"],
                description=data["description"],
                channel=CaseChannel.HOTLINE,
                reporter=request.user,  # type: ignore[arg-type]
                reporter_name=data["caller_name"],
                reporter_phone=data["caller_phone"],
                building=data["building"],
                address=data["address"],
                area=data["community"],
                attributes=attributes,
            )
        except CaseInputError as exc:
            message = str(exc)
            if exc.field == "location" and not data["building"]:
                # case_report places a case by building or coordinates only.
                message = "只填地址还无法确定所属网格，请同时选择楼栋"
            form.add_error(_field_of(form, exc), message)
        else:
            messages.success(request, f"已登记热线工单，事件编号 {case.number}")
            return redirect("cases:detail", number=case.number)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/intake.html", {"form": form}, status=status)
