"""Staff vote pages at ``/governance/votes/`` (namespace ``governance_votes``).

* ``""`` (``home``) — the votes of the user's communities;
* ``new/`` — create a vote (options one per line); it starts as a draft;
* ``<pk>/`` — detail: question, options, electorate, live turnout by channel, events;
  publish, count, cancel; paper entry: find an elector by name, phone or room, then
  enter an open vote's ballot, or a secret vote's sign-in and the tally of the box;
* ``<pk>/participations.xlsx`` — who took part and how they took part (channel; the
  option only in an open vote);
* ``<pk>/result/`` — the counted result.

Who: log-in required; votes outside the user's communities are 404; only managers
(:func:`linli.governance.access.may_manage`) see and use the write actions. Domain errors
are shown on the detail page with their HTTP status (400, 403, 409).
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from openpyxl import Workbook

from linli.governance import vote_selectors as selectors
from linli.governance import voting
from linli.governance.access import may_manage
from linli.governance.errors import GovernanceError
from linli.governance.forms_votes import CancelForm, VoteForm, add_service_error, tally_counts
from linli.governance.models import Vote, VoteStatus
from linli.people.models import Resident


def _vote(request: HttpRequest, pk: int) -> Vote:
    vote = selectors.vote_for_staff(request.user, pk)
    if vote is None:
        raise Http404("没有找到这项表决")
    return vote


def _managed(request: HttpRequest) -> Any:
    communities = selectors.communities_for_staff(request.user)
    return communities.filter(pk__in=[c.pk for c in communities if may_manage(request.user, c)])


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "votes": selectors.votes_for_staff(request.user)[:200],
        "may_create": _managed(request).exists(),
    }
    return render(request, "governance/votes/staff/home.html", context)


@login_required
def vote_new(request: HttpRequest) -> HttpResponse:
    communities = _managed(request)
    if not communities.exists():
        raise Http404("您没有发起表决的权限")
    form = VoteForm(request.POST or None, communities=communities)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                vote = voting.vote_create(
                    actor=request.user, area=form.cleaned_data["area"], **form.spec()
                )
            except GovernanceError as err:
                add_service_error(form, err)
                status = err.http_status
            else:
                messages.success(request, "表决已保存为草稿，核对无误后请发布")
                return redirect("governance_votes:vote", pk=vote.pk)
    return render(request, "governance/votes/staff/new.html", {"form": form}, status=status)


def _detail(
    request: HttpRequest,
    vote: Vote,
    *,
    error: str = "",
    status: int = 200,
    cancel_form: CancelForm | None = None,
) -> HttpResponse:
    query = request.GET.get("q", "") if request.method == "GET" else request.POST.get("q", "")
    in_window = vote.opens_at <= timezone.now() < vote.closes_at
    signins, papers = voting.paper_counts(vote) if vote.secret else (0, 0)
    context = {
        "vote": vote,
        "options": list(vote.options.all()),
        "turnout": selectors.turnout_by_channel(vote),
        "events": vote.events.select_related("actor").order_by("at", "pk"),
        "manage": may_manage(request.user, vote.area),
        "published": vote.status == VoteStatus.PUBLISHED,
        "in_window": in_window,
        "query": query,
        "matches": selectors.elector_search(vote, query) if query else [],
        "error": error,
        "cancel_form": cancel_form or CancelForm(),
        "signins": signins,
        "papers": papers,
        "local_text": voting.local_text,
    }
    return render(request, "governance/votes/staff/detail.html", context, status=status)


@require_safe
@login_required
def vote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _vote(request, pk))


def _act(request: HttpRequest, vote: Vote, done: str, call: Any) -> HttpResponse:
    try:
        call()
    except GovernanceError as err:
        return _detail(request, vote, error=str(err), status=err.http_status)
    messages.success(request, done)
    url = reverse("governance_votes:vote", args=[vote.pk])
    query = request.POST.get("q", "").strip()
    # Back to the same search, so the next voter in the queue is one click away.
    return redirect(f"{url}?{urlencode({'q': query})}" if query else url)


@require_POST
@login_required
def vote_publish(request: HttpRequest, pk: int) -> HttpResponse:
    vote = _vote(request, pk)
    return _act(
        request,
        vote,
        "表决已发布，选民名单已固定",
        lambda: voting.vote_publish(actor=request.user, vote=vote),
    )


@require_POST
@login_required
def vote_count(request: HttpRequest, pk: int) -> HttpResponse:
    vote = _vote(request, pk)
    try:
        voting.vote_count(actor=request.user, vote=vote)
    except GovernanceError as err:
        return _detail(request, vote, error=str(err), status=err.http_status)
    messages.success(request, "计票完成")
    return redirect("governance_votes:result", pk=vote.pk)


@require_POST
@login_required
def vote_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    vote = _vote(request, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _detail(request, vote, error="请填写取消理由", status=400, cancel_form=form)
    return _act(
        request,
        vote,
        "表决已取消",
        lambda: voting.vote_cancel(
            actor=request.user, vote=vote, reason=form.cleaned_data["reason"]
        ),
    )


def _resident(vote: Vote, raw: str) -> Resident:
    resident = (
        Resident.objects.filter(pk=int(raw), area__path__startswith=vote.area.path).first()
        if raw.isdigit()
        else None
    )
    if resident is None:
        raise GovernanceError("请先查找并选择投票的居民", field="resident")
    return resident


def _option_id(raw: str) -> int:
    if not raw.isdigit():
        raise GovernanceError("请选择一个选项", field="option")
    return int(raw)


@require_POST
@login_required
def paper_ballot(request: HttpRequest, pk: int) -> HttpResponse:
    """An open vote's paper ballot, or a secret vote's sign-in (``resident``, ``option``)."""
    vote = _vote(request, pk)

    def record() -> None:
        resident = _resident(vote, request.POST.get("resident", ""))
        if vote.secret:
            voting.paper_signin(actor=request.user, vote=vote, resident=resident)
        else:
            option = _option_id(request.POST.get("option", ""))
            voting.paper_ballot_record(
                actor=request.user, vote=vote, resident=resident, option=option
            )

    done = "已登记签到领票" if vote.secret else "纸质选票已录入"
    return _act(request, vote, done, record)


@require_POST
@login_required
def paper_tally(request: HttpRequest, pk: int) -> HttpResponse:
    vote = _vote(request, pk)
    option_ids = list(vote.options.values_list("pk", flat=True))

    def add() -> None:
        counts = {pk: n for pk, n in tally_counts(request.POST, option_ids).items() if n}
        voting.paper_tally_add(actor=request.user, vote=vote, counts=counts)

    return _act(request, vote, "纸质票数已录入", add)


@require_safe
@login_required
def participations_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    vote = _vote(request, pk)
    if not may_manage(request.user, vote.area):
        raise Http404("没有找到这项表决")
    header = ["选民（户/人）", "投票人", "方式", "时间", "录入人"]
    if not vote.secret:
        header.append("选择")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "参与名单"
    sheet.append(header)
    for row in selectors.participation_rows(vote):
        cells = [
            row["elector"],
            row["cast_by"],
            row["channel"],
            row["at"].strftime("%Y-%m-%d %H:%M"),
            row["recorded_by"],
        ]
        sheet.append([*cells, row["option"]] if not vote.secret else cells)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="vote-{vote.pk}-participations.xlsx"'
    return response


@require_safe
@login_required
def vote_result(request: HttpRequest, pk: int) -> HttpResponse:
    vote = _vote(request, pk)
    if vote.status != VoteStatus.COUNTED or not vote.result:
        raise Http404("这项表决还没有计票")
    context = {"vote": vote, "result": vote.result, "rule": selectors.MAJORITY_WORDS[vote.majority]}
    return render(request, "governance/votes/staff/result.html", context)
