"""Residents raise and follow needs (居民需求) at ``/me/needs/`` (namespace ``resident_needs``).

* ``/me/needs/`` — my needs (and those of family who consented) with their progress;
  the one main action 「提需求」.
* ``/me/needs/new/`` — what is needed, how many people, how urgent; for myself or a
  consenting relative (``for``).
* ``/me/needs/<pk>/`` — the progress steps and timeline; a rating once done.

Who: resident accounts only (log-in by phone and one-time code); anonymous visitors go to
the log-in page and back, staff users to the staff needs list. Someone else's need is
404. The pages reuse the enterprise pages' templates on the resident base (elder mode,
one main action, no pop-ups, no time limits).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from linli.accounts.decorators import resident_only
from linli.accounts.selectors import residents_actable_by
from linli.cases.views_public import is_elder
from linli.engagement import selectors, services
from linli.engagement.errors import EngagementError
from linli.engagement.forms import NeedForm, RateForm, add_service_error
from linli.engagement.models import Need, NeedStatus
from linli.engagement.views_biz import rate_submit, steps
from linli.people.models import Resident

View = Callable[..., HttpResponseBase]
BASE = "orders/resident/base.html"


resident_required = resident_only("engagement:needs")


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {**context, "base": BASE, "nav": "needs", "elder": is_elder(request)}
    return render(request, template, context, status=status)


@require_safe
@resident_required
def home(request: HttpRequest) -> HttpResponse:
    needs = selectors.needs_for_resident_account(request.user)
    return _render(request, "engagement/resident/home.html", {"needs": needs[:50]})


def _chosen(request: HttpRequest, people: list[Resident]) -> Resident:
    wanted = request.POST.get("for") or request.GET.get("for") or ""
    return next((p for p in people if str(p.pk) == wanted), people[0])


@resident_required
def need_new(request: HttpRequest) -> HttpResponse:
    people = list(residents_actable_by(request.user))
    form = NeedForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                need = services.need_raise(
                    actor=request.user,
                    resident=_chosen(request, people),
                    category=data["category"],
                    title=data["title"],
                    description=data["description"],
                    urgency=data["urgency"],
                    headcount=data["headcount"],
                )
            except EngagementError as err:
                add_service_error(form, err)
                status = err.http_status
            else:
                messages.success(
                    request, f"需求已提交，编号 {need.number}。社区会在 3 个工作日内受理。"
                )
                return redirect("resident_needs:need", pk=need.pk)
    return _render(
        request,
        "engagement/biz/need_new.html",
        {"form": form, "item": None, "people": people, "chosen": _chosen(request, people)},
        status=status,
    )


def _need(request: HttpRequest, pk: int) -> Need:
    need = selectors.needs_for_resident_account(request.user).filter(pk=pk).first()
    if need is None:
        raise Http404("没有找到这项需求")
    return need


def _detail(
    request: HttpRequest, need: Need, form: RateForm | None = None, status: int = 200
) -> HttpResponse:
    may_rate = need.status == NeedStatus.DONE and need.rating is None
    return _render(
        request,
        "engagement/biz/need.html",
        {
            "need": need,
            "steps": steps(need),
            "events": selectors.need_timeline(need, names=False),
            "form": form or (RateForm() if may_rate else None),
            "back_url": reverse("resident_needs:home"),
            "rate_url": reverse("resident_needs:need_rate", args=[need.pk]),
        },
        status=status,
    )


@require_safe
@resident_required
def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _need(request, pk))


@require_POST
@resident_required
def need_rate(request: HttpRequest, pk: int) -> HttpResponse:
    return rate_submit(request, _need(request, pk), _detail, "resident_needs:need")
