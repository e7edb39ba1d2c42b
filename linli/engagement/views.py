"""Staff pages of the building economy, mounted at ``/engagement/`` (namespace ``engagement``).

* ``/engagement/`` — the needs board (问需清单): filters (status, category, urgency,
  organisation, overdue, search), counts per status, overdue raised needs flagged ⚠;
  ``/engagement/needs/export.xlsx`` the same rows as a spreadsheet.
* ``/engagement/needs/new/`` — a need raised on an enterprise's behalf (after a council).
* ``/engagement/needs/<pk>/`` — detail with the timeline and the moves allowed now
  (accept, plan from the menu / a partner / an activity, 新建活动, start, done, decline).
* ``/engagement/menu/`` — the service menu (点菜单): list, add, edit, 下架 / 上架.
* ``/engagement/councils/`` — building councils (楼事会): list, record, minutes, the
  needs raised there.

Who: superusers and staff holding one of :data:`~linli.engagement.selectors.STAFF_ROLES`;
anyone else logged in gets 403, anonymous visitors the log-in page. A row outside the
user's areas is 404, exactly like a missing one. A refused action shows the service's
Chinese message with 400 (bad input), 403 or 409 (the need moved on meanwhile).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from openpyxl import Workbook

from linli.activities.models import Activity
from linli.common.documents import Cell
from linli.common.exports import local_time, wants_xlsx, xlsx_response
from linli.eligibility.money import yuan
from linli.engagement import selectors, services
from linli.engagement.errors import EngagementError
from linli.engagement.forms import (
    CouncilForm,
    MenuItemForm,
    NeedFilterForm,
    StaffNeedForm,
    TransitionForm,
    add_service_error,
)
from linli.engagement.models import (
    NEED_TRANSITIONS,
    CouncilMeeting,
    MenuItem,
    Need,
    NeedStatus,
)
from linli.orgs.models import Organization
from linli.places.models import Area, Building

View = Callable[..., HttpResponseBase]
PAGE_SIZE = 25
REFUSED = "企业服务页面仅供街道、社区、网格工作人员和调度员使用"
#: Button words of each move on the need page.
MOVE_WORDS: dict[str, str] = {
    NeedStatus.ACCEPTED: "受理",
    NeedStatus.PLANNED: "安排",
    NeedStatus.IN_PROGRESS: "开始办理",
    NeedStatus.DONE: "办结",
    NeedStatus.DECLINED: "不予受理",
}
#: Confirmation after a move: "需求 XQ… <words>" (the status labels already start with 已).
MOVED_WORDS: dict[str, str] = {
    NeedStatus.ACCEPTED: "已受理",
    NeedStatus.PLANNED: "已安排",
    NeedStatus.IN_PROGRESS: "已开始办理",
    NeedStatus.DONE: "已办结",
    NeedStatus.DECLINED: "已标为“未能受理”",
}
EXPORT_COLUMNS = [
    "编号",
    "提出单位/居民",
    "所属区域",
    "类别",
    "需求",
    "紧急程度",
    "涉及人数",
    "状态",
    "提出时间",
    "受理时间",
    "办结时间",
    "超时未受理",
    "安排",
    "满意度",
]


def fee_words(item: MenuItem) -> str:
    """``"免费"`` or ``"80.00 元"`` (fee stored in fen)."""
    return yuan(item.fee_fen) if item.fee_fen else "免费"


def staff_required(view: View) -> View:
    """Log-in required (redirect), then :func:`selectors.is_needs_staff` (403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not selectors.is_needs_staff(request.user):
            raise PermissionDenied(REFUSED)
        return view(request, *args, **kwargs)

    return wrapped


def _need(request: HttpRequest, pk: int) -> Need:
    need = selectors.need_for_staff(request.user, pk)
    if need is None:
        raise Http404("没有找到这项需求，或它不在您负责的区域内")
    return need


# --- the needs board ------------------------------------------------------------------------


def _filters(request: HttpRequest) -> tuple[NeedFilterForm, selectors.NeedFilters]:
    form = NeedFilterForm(
        request.GET or None, organizations=selectors.organizations_for_staff(request.user)
    )
    if not form.is_bound or not form.is_valid():
        return form, selectors.NeedFilters()
    data = form.cleaned_data
    org = data.get("organization")
    return form, selectors.NeedFilters(
        status=data.get("status") or "",
        category=data.get("category") or "",
        urgency=data.get("urgency") or "",
        organization=org.pk if org else None,
        overdue=bool(data.get("overdue")),
        q=(data.get("q") or "").strip(),
    )


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@require_safe
@staff_required
def need_list(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    now = timezone.now()
    rows = selectors.needs_filtered(request.user, filters, now=now)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    cutoff = selectors.overdue_cutoff(now)
    all_rows = selectors.needs_for_staff(request.user)
    return render(
        request,
        "engagement/staff/needs.html",
        {
            "form": form,
            "page": page,
            "rows": [(n, n.status == NeedStatus.RAISED and n.created_at <= cutoff) for n in page],
            "counts": selectors.need_counts(all_rows),
            "overdue": selectors.overdue_count(all_rows, now=now),
            "status": filters.status,
            "query": _query_without(request, "page"),
            "filter_query": _query_without(request, "page", "status", "overdue"),
        },
    )


@require_safe
@staff_required
def need_export(request: HttpRequest) -> HttpResponse:
    """The board's rows (filters applied, all pages) as ``.xlsx``; times in Asia/Shanghai."""
    _form, filters = _filters(request)
    now = timezone.now()
    cutoff = selectors.overdue_cutoff(now)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("问需清单")
    sheet.append(EXPORT_COLUMNS)
    rows = selectors.needs_filtered(request.user, filters, now=now).select_related(
        "partner", "activity"
    )
    for need in rows.iterator(chunk_size=500):
        sheet.append(
            _export_row(need, overdue=need.status == "raised" and need.created_at <= cutoff)
        )
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="needs-{stamp}.xlsx"'
    return response


def _local(moment: Any) -> Any:
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def _export_row(need: Need, *, overdue: bool) -> list[Any]:
    plan = "；".join(
        part
        for part in (
            need.menu_item.name if need.menu_item else "",
            need.partner.name if need.partner else "",
            need.activity.title if need.activity else "",
            need.plan_note,
            f"未能受理：{need.declined_reason}" if need.declined_reason else "",
        )
        if part
    )
    return [
        need.number,
        need.raiser_name,
        need.area.name,
        need.get_category_display(),
        need.title,
        need.get_urgency_display(),
        need.headcount,
        need.get_status_display(),
        _local(need.created_at),
        _local(need.accepted_at),
        _local(need.done_at),
        "是" if overdue else "",
        plan,
        need.rating,
    ]


# --- one need -------------------------------------------------------------------------------


def _community(need: Need) -> Area | None:
    return selectors.community_of(need.area)


def _move_forms(request: HttpRequest, need: Need, bound: TransitionForm | None) -> list[Any]:
    community = _community(need)
    moves = []
    for to in sorted(NEED_TRANSITIONS[need.status], key=list(NeedStatus.values).index):
        if bound is not None and bound.data.get("to") == to:
            form = bound
        else:
            form = TransitionForm(
                initial={"to": to},
                auto_id=f"id_{to}_%s",
                menu=selectors.menu_for_community(community) if community else None,
                partners=selectors.organizations_for_staff(request.user),
                activities=Activity.objects.filter(area=community) if community else None,
            )
        moves.append({"to": to, "words": MOVE_WORDS[to], "form": form})
    return moves


def _detail(
    request: HttpRequest, need: Need, *, bound: TransitionForm | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "engagement/staff/need.html",
        {
            "need": need,
            "events": selectors.need_timeline(need),
            "moves": _move_forms(request, need, bound),
            "due": selectors.accept_due_at(need),
            "overdue": selectors.is_overdue(need),
            "new_activity": f"/activities/manage/new/?need={need.pk}",
            "move_error": "；".join(
                str(e) for errs in (bound.errors.values() if bound else []) for e in errs
            ),
        },
        status=status,
    )


@require_safe
@staff_required
def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _need(request, pk))


@require_POST
@staff_required
def need_move(request: HttpRequest, pk: int) -> HttpResponse:
    need = _need(request, pk)
    community = _community(need)
    form = TransitionForm(
        request.POST,
        auto_id=f"id_{request.POST.get('to', '')}_%s",
        menu=selectors.menu_for_community(community) if community else None,
        partners=selectors.organizations_for_staff(request.user),
        activities=Activity.objects.filter(area=community) if community else None,
    )
    if not form.is_valid():
        return _detail(request, need, bound=form, status=400)
    data = form.cleaned_data
    try:
        services.need_transition(
            need=need,
            actor=request.user,
            to=data["to"],
            note=data["note"],
            declined_reason=data["declined_reason"],
            menu_item=data["menu_item"],
            partner=data["partner"],
            activity=data["activity"],
            plan_note=data["plan_note"],
        )
    except EngagementError as err:
        add_service_error(form, err)
        need.refresh_from_db()
        return _detail(request, need, bound=form, status=err.http_status)
    messages.success(request, f"需求 {need.number} {MOVED_WORDS[data['to']]}")
    return redirect("engagement:need", pk=need.pk)


@staff_required
def need_new(request: HttpRequest) -> HttpResponse:
    """Raise a need for an organisation of the user's areas (``?council=<pk>`` preselects)."""
    user = request.user
    councils = selectors.councils_for_staff(user)
    initial: dict[str, Any] = {}
    council_id = request.GET.get("council", "")
    if council_id.isdigit() and councils.filter(pk=council_id).exists():
        initial["council"] = int(council_id)
    form = StaffNeedForm(
        request.POST or None,
        initial=initial,
        organizations=selectors.organizations_for_staff(user),
        councils=councils,
        menu=selectors.menu_for_staff(user, active_only=True),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                need = services.need_raise(
                    actor=user,
                    organization=data["organization"],
                    category=data["category"],
                    title=data["title"],
                    description=data["description"],
                    urgency=data["urgency"],
                    headcount=data["headcount"],
                    council=data["council"],
                    menu_item=data["menu_item"],
                )
            except EngagementError as err:
                add_service_error(form, err)
                status = err.http_status
            else:
                messages.success(request, f"已登记需求 {need.number}")
                if need.council_id:
                    return redirect("engagement:council", pk=need.council_id)
                return redirect("engagement:need", pk=need.pk)
    return render(request, "engagement/staff/need_new.html", {"form": form}, status=status)


# --- the menu -------------------------------------------------------------------------------


def _menu_page(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "engagement/staff/menu.html",
        {
            "items": [(i, fee_words(i)) for i in selectors.menu_for_staff(request.user)],
            "may_edit": bool(_menu_communities(request)),
        },
        status=status,
    )


@require_safe
@staff_required
def menu_list(request: HttpRequest) -> HttpResponse:
    return _menu_page(request)


def _menu_communities(request: HttpRequest) -> list[Area]:
    return [
        c
        for c in selectors.staff_communities(request.user)
        if selectors.holds_role_over(request.user, c, selectors.MENU_ROLES)
    ]


def _menu_form(request: HttpRequest, item: MenuItem | None) -> HttpResponse:
    communities = _menu_communities(request)
    if not communities:
        raise PermissionDenied("只有社区（或街道）管理员可以维护服务菜单")
    initial: dict[str, Any] = {}
    if item is not None:
        initial = {
            "area": item.area_id,
            "name": item.name,
            "category": item.category,
            "description": item.description,
            "provider": item.provider_id,
            "deliverer": item.deliverer,
            "capacity": item.capacity,
            "lead_days": item.lead_days,
            "fee_yuan": item.fee_fen / 100,
        }
    form = MenuItemForm(
        request.POST or None,
        initial=initial,
        communities=communities if item is None else [item.area],
        providers=selectors.organizations_for_staff(request.user),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.menu_item_save(
                    actor=request.user,
                    area=data["area"],
                    name=data["name"],
                    category=data["category"],
                    capacity=data["capacity"],
                    lead_days=data["lead_days"],
                    fee_fen=form.fee_fen,
                    description=data["description"],
                    provider=data["provider"],
                    deliverer=data["deliverer"],
                    item=item,
                )
            except EngagementError as err:
                add_service_error(form, err)
                status = err.http_status
            else:
                messages.success(request, f"已保存服务「{saved.name}」")
                return redirect("engagement:menu")
    return render(
        request, "engagement/staff/menu_form.html", {"form": form, "item": item}, status=status
    )


def _menu_item(request: HttpRequest, pk: int) -> MenuItem:
    item = selectors.menu_for_staff(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404("没有找到这项服务，或它不在您负责的社区")
    return item


@staff_required
def menu_new(request: HttpRequest) -> HttpResponse:
    return _menu_form(request, None)


@staff_required
def menu_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _menu_form(request, _menu_item(request, pk))


@require_POST
@staff_required
def menu_retire(request: HttpRequest, pk: int) -> HttpResponse:
    item = _menu_item(request, pk)
    retire = request.POST.get("retire", "1") != "0"
    try:
        services.menu_item_retire(item=item, actor=request.user, retire=retire)
    except EngagementError as err:
        messages.error(request, str(err))
        return _menu_page(request, status=err.http_status)
    messages.success(request, f"「{item.name}」已{'下架' if retire else '重新上架'}")
    return redirect("engagement:menu")


# --- councils -------------------------------------------------------------------------------


@require_safe
@staff_required
def council_list(request: HttpRequest) -> HttpResponseBase:
    """``/engagement/councils/``: the council meetings of my communities (``?format=xlsx``
    as a workbook with the same columns)."""
    if wants_xlsx(request):
        return _councils_xlsx(selectors.councils_for_staff(request.user))
    return render(
        request,
        "engagement/staff/councils.html",
        {
            "meetings": selectors.councils_for_staff(request.user),
            "communities": selectors.staff_communities(request.user),
        },
    )


#: Columns of the council list export: a row of the page split into cells.
COUNCILS_HEADER = ["会议", "地点", "召开时间", "社区", "参会单位", "提出需求"]


def _councils_xlsx(meetings: Any) -> FileResponse:
    """Every council meeting the page lists, newest first."""
    rows: list[list[Cell]] = [
        [
            m.title,
            str(m.venue or ""),
            local_time(m.held_at),
            m.area.name,
            m.attendee_count,
            m.need_count,
        ]
        for m in meetings
    ]
    return xlsx_response(title="楼事会", header=COUNCILS_HEADER, rows=rows)


def _council(request: HttpRequest, pk: int) -> CouncilMeeting:
    meeting = selectors.council_for_staff(request.user, pk)
    if meeting is None:
        raise Http404("没有找到这次楼事会，或它不在您负责的社区")
    return meeting


@require_safe
@staff_required
def council_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _council(request, pk)
    return render(
        request,
        "engagement/staff/council.html",
        {
            "meeting": meeting,
            "attendance": meeting.attendance.select_related("organization"),
            "buildings": meeting.buildings.all(),
            "needs": selectors.needs_for_staff(request.user).filter(council=meeting),
            "raise_url": reverse("engagement:need_new") + f"?council={meeting.pk}",
        },
    )


def _council_form(
    request: HttpRequest, community: Area, meeting: CouncilMeeting | None
) -> HttpResponse:
    organizations = list(
        Organization.objects.filter(area__path__startswith=community.path).order_by("name")
    )
    buildings = Building.objects.filter(micro_grid__path__startswith=community.path)
    initial = CouncilForm.initial_for(meeting) if meeting is not None else {}
    form = CouncilForm(
        request.POST or None,
        initial=initial,
        buildings=buildings,
        organizations=organizations,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.council_meeting_save(
                    actor=request.user,
                    area=community,
                    title=data["title"],
                    held_at=data["held_at"],
                    venue=data["venue"],
                    agenda=data["agenda"],
                    minutes=data["minutes"],
                    buildings=list(data["buildings"]),
                    attendees=form.attendees(),
                    meeting=meeting,
                )
            except EngagementError as err:
                add_service_error(form, err)
                status = err.http_status
            else:
                messages.success(request, f"已保存楼事会「{saved.title}」")
                return redirect("engagement:council", pk=saved.pk)
    return render(
        request,
        "engagement/staff/council_form.html",
        {"form": form, "meeting": meeting, "community": community},
        status=status,
    )


@staff_required
def council_new(request: HttpRequest) -> HttpResponse:
    """``?community=<pk>`` chooses the community (a choice page when the user has several)."""
    communities = selectors.staff_communities(request.user)
    chosen = request.GET.get("community", "")
    if len(communities) == 1:
        return _council_form(request, communities[0], None)
    for community in communities:
        if str(community.pk) == chosen:
            return _council_form(request, community, None)
    return render(request, "engagement/staff/council_choose.html", {"communities": communities})


@staff_required
def council_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _council(request, pk)
    return _council_form(request, meeting.area, meeting)
