"""Residents raise, support and follow topics (议题) at ``/me/topics/`` (namespace
``resident_topics``).

* ``""`` (``home``) — the open topics of my community with their support counts; the one
  main action 「提议题」.
* ``new/`` — title, category, description; raised in my own name (my support counts first).
* ``<pk>/`` — the progress steps in words and 「附议」 (one tap, POST; a second time is
  refused with a clear message); a small 「撤回附议」 link while the topic is OPEN.
* ``<pk>/withdraw/`` — GET a confirmation page, POST withdraws my support
  (:func:`~linli.governance.services.topic_withdraw_support`; only while OPEN: a
  qualified topic keeps its supports).

Who: resident accounts only (anonymous visitors go to the log-in page and back, staff to
``/governance/``). A topic of another community is 404. Elder mode as the other resident
pages (:func:`linli.cases.views_public.is_elder`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from linli.accounts.decorators import resident_only
from linli.accounts.selectors import account_of
from linli.cases.views_public import is_elder
from linli.governance import selectors, services
from linli.governance.errors import GovernanceError
from linli.governance.forms import TopicForm, add_service_error
from linli.governance.models import Topic, TopicStatus

View = Callable[..., HttpResponseBase]
BASE = "orders/resident/base.html"

#: The steps a topic goes through, as residents see them: (label, statuses reached).
STEPS = [
    ("提出议题", {"open", "qualified", "scheduled", "decided", "done"}),
    ("附议达到门槛", {"qualified", "scheduled", "decided", "done"}),
    ("列入议事会", {"scheduled", "decided", "done"}),
    ("形成决议", {"decided", "done"}),
    ("决议事项全部落实", {"done"}),
]


resident_required = resident_only("governance:home")


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {**context, "base": BASE, "nav": "topics", "elder": is_elder(request)}
    return render(request, f"governance/resident/{template}", context, status=status)


def steps(topic: Topic) -> list[dict[str, str]]:
    """``[{"label", "state"}]`` with state ``done`` / ``current`` / ``todo``: the first step
    not reached yet is current."""
    rows, current_set = [], False
    for label, reached in STEPS:
        if topic.status in reached:
            state = "done"
        elif not current_set:
            state, current_set = "current", True
        else:
            state = "todo"
        rows.append({"label": label, "state": state})
    return rows


@require_safe
@resident_required
def home(request: HttpRequest) -> HttpResponse:
    topics = selectors.topics_for_resident(request.user)
    return _render(
        request,
        "home.html",
        {
            "community": selectors.community_of_account(request.user),
            "open_topics": topics.filter(status__in=selectors.ON_THE_WAY)[:100],
            "finished": topics.filter(status__in=(TopicStatus.DECIDED, TopicStatus.DONE))[:20],
        },
    )


@resident_required
def topic_new(request: HttpRequest) -> HttpResponse:
    form = TopicForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        account = account_of(request.user)
        community = selectors.community_of_account(request.user)
        if form.is_valid() and account is not None:
            try:
                if community is None:
                    raise GovernanceError("您的住址还没有登记到社区，暂时不能提议题")
                topic = services.topic_raise(
                    actor=request.user,
                    area=community,
                    resident=account.resident,
                    **form.cleaned_data,
                )
            except GovernanceError as err:
                add_service_error(form, err)
                status = err.http_status
            else:
                messages.success(
                    request,
                    f"议题已提出，编号 {topic.number}。邻居附议满 {topic.support_threshold} 人后"
                    "进入议事会。",
                )
                return redirect("resident_topics:topic", pk=topic.pk)
    return _render(request, "new.html", {"form": form}, status=status)


def _topic(request: HttpRequest, pk: int) -> Topic:
    topic = selectors.topics_for_resident(request.user).filter(pk=pk).first()
    if topic is None:
        raise Http404("没有找到这个议题")
    return topic


def _detail(request: HttpRequest, topic: Topic, error: str = "", status: int = 200) -> HttpResponse:
    supported = selectors.supported_by(request.user, topic)
    return _render(
        request,
        "topic.html",
        {
            "topic": topic,
            "steps": steps(topic),
            "supported": supported,
            "may_support": not supported and topic.status in services.SUPPORTABLE,
            "may_withdraw": supported and topic.status == TopicStatus.OPEN,
            "missing": max(topic.support_threshold - topic.support_count, 0),
            "decisions": topic.decisions.filter(public=True).prefetch_related("follow_ups"),
            "error": error,
        },
        status=status,
    )


@require_safe
@resident_required
def topic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _topic(request, pk))


@require_POST
@resident_required
def topic_support(request: HttpRequest, pk: int) -> HttpResponse:
    """附议: one tap; the resident's own support, once."""
    topic = _topic(request, pk)
    account = account_of(request.user)
    try:
        services.topic_support(
            topic=topic, actor=request.user, resident=account.resident if account else None
        )
    except GovernanceError as err:
        return _detail(request, topic, error=str(err), status=err.http_status)
    messages.success(request, "谢谢，您的附议已记录")
    return redirect("resident_topics:topic", pk=topic.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@resident_required
def topic_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """撤回附议: GET asks to confirm, POST withdraws my own support and goes back to the
    topic. Refused (the topic page with the reason, 409; 403 if not my support) when the
    topic is no longer OPEN or I have not supported it; nothing is written then."""
    topic = _topic(request, pk)
    if request.method != "POST":
        if not selectors.supported_by(request.user, topic) or topic.status != TopicStatus.OPEN:
            return redirect("resident_topics:topic", pk=topic.pk)
        return _render(request, "withdraw.html", {"topic": topic})
    account = account_of(request.user)
    try:
        if account is None:
            raise GovernanceError("只有居民本人可以撤回附议")
        services.topic_withdraw_support(topic=topic, actor=request.user, resident=account.resident)
    except GovernanceError as err:
        return _detail(request, topic, error=str(err), status=err.http_status)
    messages.success(request, "已撤回您的附议")
    return redirect("resident_topics:topic", pk=topic.pk)
