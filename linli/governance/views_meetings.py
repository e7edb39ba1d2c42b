"""Staff meeting pages at ``/governance/meetings/`` (namespace ``governance``).

* ``meetings/`` (``meetings``) — the meetings of the user's communities; managers plan one
  (POST).
* ``meetings/<pk>/`` (``meeting``) — participants, hold with minutes, cancel, decisions,
  follow-ups and their progress; the POST actions below redirect back to it on success and
  re-render it with the form's errors (400/403/409) otherwise:
  ``participants/``, ``hold/``, ``cancel/``, ``decisions/``,
  ``decisions/<decision_pk>/follow-ups/``; and ``/governance/follow-ups/<pk>/progress/``.

Who: staff working in a community (:func:`~linli.governance.views.staff_required`); the
actions need :func:`~linli.governance.access.may_manage` (403), progress also the
follow-up's owner. Meetings outside the user's communities are 404. Writes go through
:mod:`linli.governance.meetings`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.views.decorators.http import require_POST, require_safe

from linli.activities.models import Venue
from linli.cases.models import Case
from linli.common.documents import Cell
from linli.common.exports import local_time, wants_xlsx, xlsx_response
from linli.governance import meetings as meeting_services
from linli.governance import selectors
from linli.governance.access import RAISE_ROLES, may_manage
from linli.governance.errors import GovernanceError
from linli.governance.forms import (
    DecisionForm,
    FollowUpForm,
    HoldForm,
    MeetingForm,
    ParticipantForm,
    ProgressForm,
    ReasonForm,
    add_service_error,
)
from linli.governance.models import Decision, FollowUp, Meeting
from linli.governance.views import _page, staff_required
from linli.orgs.models import Organization
from linli.places.models import Area

# --- meetings -------------------------------------------------------------------------------


def _managed_communities(request: HttpRequest) -> list[Area]:
    return [c for c in selectors.communities_for_staff(request.user) if may_manage(request.user, c)]


@staff_required
def meetings(request: HttpRequest) -> HttpResponseBase:
    """The meetings of the user's communities; managers plan a new one here (POST)."""
    communities = _managed_communities(request)
    venues = list(
        Venue.objects.filter(area__in=communities, active=True)
        .select_related("area")
        .order_by("area__code", "name")
    )
    form = (
        MeetingForm(request.POST or None, communities=communities, venues=venues)
        if communities
        else None
    )
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("只有本社区（或街道）的管理员、网格长可以安排议事会")
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                meeting = meeting_services.meeting_create(
                    actor=request.user,
                    area=next(c for c in communities if c.pk == data["community"]),
                    title=data["title"],
                    starts_at=data["starts_at"],
                    venue=next((v for v in venues if v.pk == data["venue"]), None),
                    place=data["place"],
                    agenda=data["agenda"],
                )
            except GovernanceError as err:
                add_service_error(form, err)
                status = err.http_status
            else:
                messages.success(request, "议事会已安排")
                return redirect("governance:meeting", pk=meeting.pk)
    mine = selectors.communities_for_staff(request.user)
    rows = Meeting.objects.filter(area__in=mine).select_related("area", "venue")
    if request.method != "POST" and wants_xlsx(request):
        return _meetings_xlsx(rows)
    return _page(request, "meetings.html", {"rows": rows[:200], "form": form}, status=status)


#: Columns of the meeting list export: a row of the page split into cells.
MEETINGS_HEADER = ["会议", "社区", "时间", "地点", "状态"]


def _meetings_xlsx(meetings: QuerySet[Meeting]) -> FileResponse:
    """``/governance/meetings/?format=xlsx``: every meeting of my communities (the page
    shows at most 200), in the page's order."""
    rows: list[list[Cell]] = [
        [
            m.title,
            m.area.name,
            local_time(m.starts_at),
            m.venue.name if m.venue else m.place,
            m.get_status_display(),
        ]
        for m in meetings
    ]
    return xlsx_response(title="议事会", header=MEETINGS_HEADER, rows=rows)


def staff_of(community: Area) -> list[User]:
    """Active staff holding a raising role on, above or below ``community`` (owners)."""
    parts = [p for p in community.path.split("/") if p]
    above = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    return list(
        User.objects.filter(is_active=True, assignments__role__in=RAISE_ROLES)
        .filter(
            Q(assignments__area__path__in=above)
            | Q(assignments__area__path__startswith=community.path)
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def orgs_of(community: Area) -> list[Organization]:
    return list(Organization.objects.filter(area__path__startswith=community.path).order_by("name"))


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    mine = selectors.communities_for_staff(request.user)
    meeting = Meeting.objects.filter(pk=pk, area__in=mine).select_related("area", "venue").first()
    if meeting is None:
        raise Http404("没有找到这次议事会，或它不在您负责的社区")
    return meeting


def _decision_rows(
    decisions: list[Decision],
    bound: dict[str, Any],
    *,
    staff: list[User],
    orgs: list[Organization],
) -> list[tuple[Decision, FollowUpForm, list[tuple[FollowUp, ProgressForm]]]]:
    """Each decision with its add-a-follow-up form and each follow-up with its progress
    form; the bound form (with errors) where the POST came from, blank ones elsewhere
    (a blank progress form starts at the follow-up's current status, so filing only a
    note does not move it backwards).

    HTML ids are prefixed so that they are unique on the page: ``d<decision>-<field>``
    and ``d<decision>-f<follow-up>-<field>`` (the posted field names do not change).
    """
    rows = []
    for decision in decisions:
        followup_form = bound.get("followup")
        if followup_form is None or bound.get("followup_for") != decision.pk:
            followup_form = FollowUpForm(staff=staff, orgs=orgs)
        followup_form.auto_id = f"d{decision.pk}-%s"
        items = []
        for item in decision.follow_ups.all():
            progress_form = bound.get("progress")
            if progress_form is None or bound.get("progress_for") != item.pk:
                progress_form = ProgressForm(initial={"status": item.status})
            progress_form.auto_id = f"d{decision.pk}-f{item.pk}-%s"
            items.append((item, progress_form))
        rows.append((decision, followup_form, items))
    return rows


def _meeting_page(
    request: HttpRequest,
    meeting: Meeting,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    staff, orgs = staff_of(meeting.area), orgs_of(meeting.area)
    participants = list(meeting.participants.all())
    topics = list(meeting.topics.all())
    decisions = list(
        meeting.decisions.select_related("topic").prefetch_related(
            "owners",
            "owner_orgs",
            "follow_ups__updates",
            "follow_ups__owner",
            "follow_ups__owner_org",
        )
    )
    return _page(
        request,
        "meeting.html",
        {
            "meeting": meeting,
            "manage": may_manage(request.user, meeting.area),
            "participants": participants,
            "topics": topics,
            "decision_rows": _decision_rows(decisions, bound, staff=staff, orgs=orgs),
            "participant_form": bound.get("participant") or ParticipantForm(),
            "hold_form": bound.get("hold") or HoldForm(participants=participants),
            "cancel_form": bound.get("cancel") or ReasonForm(),
            "decision_form": bound.get("decision")
            or DecisionForm(topics=topics, staff=staff, orgs=orgs),
        },
        status=status,
    )


@require_safe
@staff_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_page(request, _meeting(request, pk))


def _managed_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = _meeting(request, pk)
    if not may_manage(request.user, meeting.area):
        raise PermissionDenied("只有本社区（或街道）的管理员、网格长可以办理议事会")
    return meeting


Action = Callable[[Meeting, dict[str, Any]], Any]


def _meeting_action(
    request: HttpRequest, pk: int, name: str, form: Any, act: Action, done: str
) -> HttpResponse:
    """Validate ``form``, call ``act(meeting, cleaned_data)``; errors back on the page."""
    meeting = _managed_meeting(request, pk)
    status = 400
    if form.is_valid():
        try:
            act(meeting, form.cleaned_data)
        except GovernanceError as err:
            add_service_error(form, err)
            status = err.http_status
        else:
            messages.success(request, done)
            return redirect("governance:meeting", pk=meeting.pk)
    extra = {f"{name}_for": int(request.POST.get("target") or 0)}
    return _meeting_page(request, meeting, bound={name: form, **extra}, status=status)


@require_POST
@staff_required
def participant_add(request: HttpRequest, pk: int) -> HttpResponse:
    def act(meeting: Meeting, data: dict[str, Any]) -> Any:
        return meeting_services.participant_add(
            meeting=meeting, actor=request.user, role=data["role"], name=data["name"]
        )

    return _meeting_action(
        request, pk, "participant", ParticipantForm(request.POST), act, "已添加参会人"
    )


@require_POST
@staff_required
def meeting_hold(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    form = HoldForm(request.POST, participants=list(meeting.participants.all()))

    def act(meeting: Meeting, data: dict[str, Any]) -> Any:
        return meeting_services.meeting_hold(
            meeting=meeting, actor=request.user, minutes=data["minutes"], absent=data["absent"]
        )

    return _meeting_action(request, pk, "hold", form, act, "已记录会议召开和纪要")


@require_POST
@staff_required
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    def act(meeting: Meeting, data: dict[str, Any]) -> Any:
        return meeting_services.meeting_cancel(
            meeting=meeting, actor=request.user, reason=data["reason"]
        )

    return _meeting_action(request, pk, "cancel", ReasonForm(request.POST), act, "议事会已取消")


@require_POST
@staff_required
def decision_new(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    staff, orgs = staff_of(meeting.area), orgs_of(meeting.area)
    topics = list(meeting.topics.all())
    form = DecisionForm(request.POST, topics=topics, staff=staff, orgs=orgs)

    def act(meeting: Meeting, data: dict[str, Any]) -> Any:
        return meeting_services.decision_record(
            meeting=meeting,
            actor=request.user,
            topic=next((t for t in topics if t.pk == data["topic"]), None),
            text=data["text"],
            deadline=data["deadline"],
            owners=[u for u in staff if u.pk in data["owners"]],
            owner_orgs=[o for o in orgs if o.pk in data["owner_orgs"]],
            votes_for=data["votes_for"],
            votes_against=data["votes_against"],
            votes_abstain=data["votes_abstain"],
        )

    return _meeting_action(request, pk, "decision", form, act, "决议已记录")


def _case(number: str, community: Area) -> Case | None:
    if not number.strip():
        return None
    case = Case.objects.filter(number=number.strip(), area__path__startswith=community.path).first()
    if case is None:
        raise GovernanceError("本社区没有这个编号的事件", field="case")
    return case


@require_POST
@staff_required
def followup_new(request: HttpRequest, pk: int, decision_pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    decision = meeting.decisions.filter(pk=decision_pk).first()
    if decision is None:
        raise Http404("没有找到这条决议")
    staff, orgs = staff_of(meeting.area), orgs_of(meeting.area)
    form = FollowUpForm(request.POST, staff=staff, orgs=orgs)

    def act(meeting: Meeting, data: dict[str, Any]) -> Any:
        return meeting_services.followup_add(
            decision=decision,
            actor=request.user,
            title=data["title"],
            due=data["due"],
            owner=next((u for u in staff if u.pk == data["owner"]), None),
            owner_org=next((o for o in orgs if o.pk == data["owner_org"]), None),
            case=_case(data["case"], meeting.area),
        )

    return _meeting_action(request, pk, "followup", form, act, "落实事项已添加")


@require_POST
@staff_required
def followup_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Report progress on a follow-up (its owner or a manager); back to its meeting."""
    mine = selectors.communities_for_staff(request.user)
    item = (
        FollowUp.objects.filter(pk=pk, decision__meeting__area__in=mine)
        .select_related("decision__meeting__area")
        .first()
    )
    if item is None:
        raise Http404("没有找到这项落实事项")
    meeting = item.decision.meeting
    form = ProgressForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            meeting_services.followup_update(
                follow_up=item,
                actor=request.user,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except GovernanceError as err:
            if err.http_status == 403:
                raise PermissionDenied(str(err)) from err
            add_service_error(form, err)
            status = err.http_status
        else:
            messages.success(request, "进展已填报")
            return redirect("governance:meeting", pk=meeting.pk)
    return _meeting_page(
        request, meeting, bound={"progress": form, "progress_for": item.pk}, status=status
    )
