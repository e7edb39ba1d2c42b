"""Staff deliberation pages at ``/governance/`` (namespace ``governance``).

* ``""`` (``home``) — the topics board: filters, counts per status, threshold progress;
  ``export/`` the same rows as ``.xlsx``.
* ``topics/new/`` — raise a topic on a resident's behalf or in one's own name.
* ``topics/<pk>/`` — supports (names masked), linked cases and needs, events; schedule,
  decline (managers), record an in-person support (raisers).
* ``meetings/`` and ``meetings/<pk>/`` — plan, participants, hold with minutes,
  decisions, follow-ups and their progress: :mod:`linli.governance.views_meetings`, which
  reuses :func:`staff_required` and ``_page`` from here.
* ``overdue/`` — follow-ups past their due date.

Who: staff working in a community (:func:`selectors.communities_for_staff`); anonymous
visitors go to the log-in page, resident accounts to ``/me/topics/``. Management needs
:func:`~linli.governance.access.may_manage` (403), raising and in-person supports
:func:`~linli.governance.access.may_raise_for_others` (403). Topics outside the user's
communities are 404.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from openpyxl import Workbook

from linli.accounts.selectors import account_of
from linli.cases.models import Case
from linli.common.documents import Cell
from linli.common.exports import wants_xlsx, xlsx_response
from linli.engagement.models import Need
from linli.governance import selectors, services
from linli.governance.access import may_manage, may_raise_for_others
from linli.governance.errors import GovernanceError
from linli.governance.forms import (
    ReasonForm,
    ScheduleForm,
    StaffTopicForm,
    SupportForm,
    TopicFilterForm,
    add_service_error,
)
from linli.governance.models import FollowUp, Meeting, MeetingStatus, Topic, TopicStatus
from linli.people.models import Resident
from linli.places.models import Area

View = Callable[..., HttpResponseBase]
REFUSED = "居民议事页面只对社区工作人员开放"
EXPORT_COLUMNS = [
    "编号",
    "社区",
    "议题",
    "类别",
    "状态",
    "附议人数",
    "上会门槛",
    "提出时间",
    "议事会",
    "不予立项理由",
]
SEARCH_LIMIT = 20


def staff_required(view: View) -> View:
    """Log-in required; resident accounts go to their own pages; others need a community."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if account_of(request.user) is not None:
            return redirect("resident_topics:home")
        if not selectors.communities_for_staff(request.user):
            raise PermissionDenied(REFUSED)
        return view(request, *args, **kwargs)

    return wrapped


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, f"governance/staff/{template}", context, status=status)


def progress_words(topic: Topic) -> str:
    """``"附议 12 人，还差 8 人达到上会门槛（20 人）"`` — the bar in words; the threshold
    only while the topic is OPEN (collecting supports), else just ``"附议 12 人"``."""
    missing = topic.support_threshold - topic.support_count
    done, need = topic.support_count, topic.support_threshold
    if topic.status != TopicStatus.OPEN:
        return f"附议 {done} 人"
    if missing > 0:
        return f"附议 {done} 人，还差 {missing} 人达到上会门槛（{need} 人）"
    return f"附议 {done} 人，已达到上会门槛（{need} 人）"


# --- the board ------------------------------------------------------------------------------


@require_safe
@staff_required
def home(request: HttpRequest) -> HttpResponse:
    form = TopicFilterForm(request.GET or None)
    wanted = form.values()
    everything = selectors.topics_for_staff(request.user)
    rows = selectors.topics_for_staff(request.user, **wanted)
    counts = selectors.status_counts(selectors.topics_for_staff(request.user, q=wanted["q"]))
    query = urlencode({k: v for k, v in wanted.items() if v})
    return _page(
        request,
        "home.html",
        {
            "form": form,
            "rows": [(t, progress_words(t)) for t in rows[:200]],
            "total": rows.count(),
            "counts": [(s.value, s.label, counts[s.value]) for s in TopicStatus],
            "status": wanted["status"],
            "query": query,
            "any_topics": everything.exists(),
            "may_raise": True,
        },
    )


@require_safe
@staff_required
def export(request: HttpRequest) -> HttpResponse:
    """The board's rows (filters applied) as ``.xlsx``; times in Asia/Shanghai."""
    wanted = TopicFilterForm(request.GET or None).values()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("议题")
    sheet.append(EXPORT_COLUMNS)
    for topic in selectors.topics_for_staff(request.user, **wanted).iterator(chunk_size=500):
        sheet.append(
            [
                topic.number,
                topic.area.name,
                topic.title,
                topic.get_category_display(),
                topic.get_status_display(),
                topic.support_count,
                topic.support_threshold,
                timezone.localtime(topic.created_at).replace(tzinfo=None),
                topic.meeting.title if topic.meeting else "",
                topic.decline_reason,
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="topics-{stamp}.xlsx"'
    return response


# --- one topic ------------------------------------------------------------------------------


def _topic(request: HttpRequest, pk: int) -> Topic:
    topic = selectors.topics_for_staff(request.user).filter(pk=pk).first()
    if topic is None:
        raise Http404("没有找到这个议题，或它不在您负责的社区")
    return topic


def _planned_meetings(area: Area) -> list[Meeting]:
    return list(
        Meeting.objects.filter(area=area, status=MeetingStatus.PLANNED).order_by("starts_at")
    )


def residents_found(community: Area, q: str) -> list[Resident]:
    """Residents of ``community`` whose name contains ``q`` or whose phone is ``q``."""
    q = q.strip()
    if not q:
        return []
    return list(
        Resident.objects.filter(area__path__startswith=community.path)
        .select_related("area")
        .filter(Q(name__contains=q) | Q(phone=q))
        .order_by("name", "pk")[:SEARCH_LIMIT]
    )


def _detail(
    request: HttpRequest, topic: Topic, *, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    bound = bound or {}
    manage = may_manage(request.user, topic.area)
    raise_ok = may_raise_for_others(request.user, topic.area)
    meetings = _planned_meetings(topic.area)
    search = request.GET.get("q", "")
    return _page(
        request,
        "topic.html",
        {
            "topic": topic,
            "progress": progress_words(topic),
            "supports": [
                (selectors.masked_name(s.resident.name), s) for s in selectors.supports_of(topic)
            ],
            "events": topic.events.select_related("actor"),
            "cases": topic.cases.all(),
            "needs": topic.needs.all(),
            "decisions": topic.decisions.select_related("meeting").prefetch_related("follow_ups"),
            "manage": manage,
            "may_support": raise_ok and topic.status in services.SUPPORTABLE,
            "schedule_form": bound.get("schedule")
            or (ScheduleForm(meetings=meetings) if manage else None),
            "decline_form": bound.get("decline") or ReasonForm(),
            "support_form": bound.get("support"),
            "search": search,
            "found": residents_found(topic.area, search) if raise_ok else [],
            "schedulable": topic.status in (TopicStatus.OPEN, TopicStatus.QUALIFIED),
            "declinable": topic.status
            in (TopicStatus.OPEN, TopicStatus.QUALIFIED, TopicStatus.SCHEDULED),
        },
        status=status,
    )


@require_safe
@staff_required
def topic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _topic(request, pk))


def _manager_topic(request: HttpRequest, pk: int) -> Topic:
    topic = _topic(request, pk)
    if not may_manage(request.user, topic.area):
        raise PermissionDenied("只有本社区（或街道）的管理员、网格长可以办理议事事项")
    return topic


@require_POST
@staff_required
def topic_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _manager_topic(request, pk)
    form = ScheduleForm(request.POST, meetings=_planned_meetings(topic.area))
    if not form.is_valid():
        return _detail(request, topic, bound={"schedule": form}, status=400)
    meeting = Meeting.objects.get(pk=form.cleaned_data["meeting"])
    try:
        services.topic_schedule(
            topic=topic, actor=request.user, meeting=meeting, reason=form.cleaned_data["reason"]
        )
    except GovernanceError as err:
        add_service_error(form, err)
        return _detail(request, topic, bound={"schedule": form}, status=err.http_status)
    messages.success(request, f"已列入「{meeting.title}」")
    return redirect("governance:topic", pk=topic.pk)


@require_POST
@staff_required
def topic_decline(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _manager_topic(request, pk)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise GovernanceError("理由不能超过 200 个字", field="reason")
        services.topic_decline(topic=topic, actor=request.user, reason=form.cleaned_data["reason"])
    except GovernanceError as err:
        add_service_error(form, err)
        return _detail(request, topic, bound={"decline": form}, status=err.http_status)
    messages.success(request, "已记为不予立项，提出人和附议居民会收到通知")
    return redirect("governance:topic", pk=topic.pk)


@require_POST
@staff_required
def topic_support(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a resident's in-person signature (现场签名)."""
    topic = _topic(request, pk)
    if not may_raise_for_others(request.user, topic.area):
        raise PermissionDenied("您不能为本社区的居民录入附议")
    form = SupportForm(request.POST)
    try:
        if not form.is_valid():
            raise GovernanceError("请先搜索并选择附议的居民", field="resident")
        resident = Resident.objects.filter(pk=form.cleaned_data["resident"]).first()
        if resident is None:
            raise GovernanceError("没有找到这位居民", field="resident")
        services.topic_support(
            topic=topic, actor=request.user, resident=resident, comment=form.cleaned_data["comment"]
        )
    except GovernanceError as err:
        add_service_error(form, err)
        return _detail(request, topic, bound={"support": form}, status=err.http_status)
    messages.success(request, f"已录入{selectors.masked_name(resident.name)}的现场附议")
    return redirect("governance:topic", pk=topic.pk)


def _by_numbers(model: Any, text: str, field: str, label: str) -> list[Any]:
    """Rows of ``model`` by the numbers in ``text`` (spaces, commas); unknown → error.
    The service checks that they belong to the topic's community."""
    numbers = [n for n in re.split(r"[\s,，、]+", text.strip()) if n]
    rows = list(model.objects.filter(number__in=numbers).select_related("area"))
    missing = sorted(set(numbers) - {r.number for r in rows})
    if missing:
        raise GovernanceError(f"没有找到{label}编号：{'、'.join(missing)}", field=field)
    return rows


@staff_required
def topic_new(request: HttpRequest) -> HttpResponse:
    """Raise a topic in one of the user's communities, for a resident or in one's name."""
    communities = [
        c
        for c in selectors.communities_for_staff(request.user)
        if may_raise_for_others(request.user, c)
    ]
    if not communities:
        raise PermissionDenied("您不能在任何社区提出议题")
    search = request.GET.get("q", "")
    found = [r for c in communities for r in residents_found(c, search)][:SEARCH_LIMIT]
    form = StaffTopicForm(request.POST or None, communities=communities, found=found)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                topic = services.topic_raise(
                    actor=request.user,
                    area=next(c for c in communities if c.pk == data["community"]),
                    title=data["title"],
                    category=data["category"],
                    description=data["description"],
                    resident=next((r for r in found if r.pk == data["resident"]), None),
                    cases=_by_numbers(Case, data["case_numbers"], "case_numbers", "事件"),
                    needs=_by_numbers(Need, data["need_numbers"], "need_numbers", "需求"),
                )
            except GovernanceError as err:
                add_service_error(form, err)
                status = err.http_status
            else:
                messages.success(request, f"议题已登记，编号 {topic.number}")
                return redirect("governance:topic", pk=topic.pk)
    return _page(
        request, "topic_new.html", {"form": form, "search": search, "found": found}, status=status
    )


@require_safe
@staff_required
def overdue(request: HttpRequest) -> HttpResponseBase:
    """``/governance/overdue/``: overdue follow-ups, most overdue first (the page shows at
    most 500; ``?format=xlsx`` gives them all)."""
    rows = selectors.overdue_follow_ups(request.user)
    today = timezone.localdate()
    if wants_xlsx(request):
        return _overdue_xlsx(rows, today)
    return _page(
        request,
        "overdue.html",
        {"rows": [(f, (today - f.due).days) for f in rows[:500]]},
    )


#: Columns of the overdue follow-ups export: a row of the page split into cells.
OVERDUE_HEADER = [
    "事项",
    "议题编号",
    "议题",
    "社区",
    "议事会",
    "责任人",
    "责任单位",
    "期限",
    "逾期天数",
    "进度",
]


def _overdue_xlsx(rows: QuerySet[FollowUp], today: dt.date) -> FileResponse:
    """Every overdue follow-up of the user's communities, as the page lists them."""
    cells: list[list[Cell]] = []
    for f in rows:
        topic = f.decision.topic
        cells.append(
            [
                f.title,
                topic.number if topic else "",
                topic.title if topic else "",
                f.decision.meeting.area.name,
                f.decision.meeting.title,
                (f.owner.get_full_name() or f.owner.username) if f.owner else "",
                f.owner_org.name if f.owner_org else "",
                f.due.isoformat(),
                (today - f.due).days,
                f.get_status_display(),
            ]
        )
    return xlsx_response(
        title="逾期落实事项",
        header=OVERDUE_HEADER,
        rows=cells,
        lines=[f"截至 {today:%Y-%m-%d} 未完成且已过期限的落实事项"],
    )
