"""Family away mode at ``/me/away/``: "去亲戚家住，到几号回来".

Who: resident accounts only (log-in by phone and one-time code). A family member acts for
the people :func:`linli.accounts.selectors.residents_actable_by` returns — themself and
relatives whose :class:`~linli.people.models.FamilyLink` has recorded, unrevoked consent
(``may_act``) — exactly as on the ordering pages (:func:`people_for`). Anonymous visitors
go to the log-in page; staff users, who have no resident account, to ``/care/``. An away
period of anyone else is a 404 in resident wording, so its existence never leaks.

Age-friendly (MIIT 2021): text ≥ 18 px and targets ≥ 60×60 px even in normal mode (elder
mode enlarges further); one main action (登记外出); no time limits and no pop-ups;
errors are words with ⚠, never colour alone. Away mode starts now; the page asks only the
day and time of return, and a note. Writes go through :func:`linli.care.services.away_announce`
and :func:`~linli.care.services.away_end`, whose messages are shown as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from linli.accounts.models import ResidentAccount
from linli.accounts.selectors import account_of
from linli.care import services
from linli.care.forms import FamilyAwayForm
from linli.care.models import AwayPeriod, Watch
from linli.cases.views_public import is_elder
from linli.orders.views_resident import Person, people_for

View = Callable[..., HttpResponseBase]
QUIET = "这段时间家里没有动静，社区不会打扰。"
MISSING = "没有找到这条外出登记，可能已经结束，或不是您家人的登记。"


def family_page(view: View) -> View:
    """Resident accounts only: anonymous → log-in page, staff → ``/care/``. The wrapped
    view gets the :class:`ResidentAccount`; a 404 inside becomes a resident-worded page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
        account = account_of(request.user)
        if account is None:
            return redirect("care:home")
        try:
            return view(request, account, *args, **kwargs)
        except Http404:
            return _page(request, "care/family_missing.html", {"message": MISSING}, status=404)

    return wrapped


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    extra = {"elder": is_elder(request), "here": request.get_full_path()}
    return render(request, template, {**context, **extra}, status=status)


def _preselected(request: HttpRequest, people: list[Person]) -> int | None:
    """The person the form starts with: ``?for=<pk>`` if it is one of ``people``; else the
    only one; else the only one under watch; else nobody (the user must choose)."""
    ids = [p.resident.pk for p in people]
    raw = request.GET.get("for", "")
    if raw.isdigit() and int(raw) in ids:
        return int(raw)
    if len(ids) == 1:
        return ids[0]
    watched = list(
        Watch.objects.filter(resident_id__in=ids, active=True).values_list("resident_id", flat=True)
    )
    return watched[0] if len(watched) == 1 else None


def _context(
    account: ResidentAccount, people: list[Person], form: FamilyAwayForm, errors: list[str]
) -> dict[str, Any]:
    now = timezone.now()
    labels = {p.resident.pk: p.label for p in people}
    current = AwayPeriod.objects.filter(
        resident_id__in=labels, ended_at__isnull=True, ends_at__gt=now
    ).order_by("starts_at", "pk")
    return {
        "form": form,
        "people": people,
        "several": len(people) > 1,
        "chosen": form["person"].value(),
        "aways": [{"away": a, "who": labels[a.resident_id]} for a in current],
        "errors": errors,
        "today": timezone.localdate(now).isoformat(),
        "nav": "away",
    }


@require_http_methods(["GET", "HEAD", "POST"])
@family_page
def away_home(request: HttpRequest, account: ResidentAccount) -> HttpResponse:
    """``/me/away/``: announce away mode for oneself or a consenting relative; see and end
    the current ones."""
    people = people_for(account)
    choices = [(p.resident.pk, p.label) for p in people]
    if request.method == "GET":
        form = FamilyAwayForm(people=choices, initial={"person": _preselected(request, people)})
        return _page(request, "care/family_away.html", _context(account, people, form, []))
    form = FamilyAwayForm(request.POST, people=choices)
    errors: list[str] = []
    if form.is_valid():
        person = next(p for p in people if p.resident.pk == form.cleaned_data["person"])
        now = timezone.now()
        try:
            services.away_announce(
                resident=person.resident,
                starts_at=now,
                ends_at=form.ends_at(),
                note=form.cleaned_data["note"],
                by=request.user,  # type: ignore[arg-type]
                now=now,
            )
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, f"已登记：{person.label}外出。{QUIET}")
            return redirect("resident_care:away")
    else:
        errors = [str(e) for field in form.errors.values() for e in field]
    context = _context(account, people, form, errors)
    return _page(request, "care/family_away.html", context, status=400)


@require_POST
@family_page
def away_end(request: HttpRequest, account: ResidentAccount, pk: int) -> HttpResponse:
    """「已经回家了」: end an away period of oneself or a consenting relative."""
    people = people_for(account)
    ids = [p.resident.pk for p in people]
    away = AwayPeriod.objects.filter(pk=pk, resident_id__in=ids).first()
    if away is None:
        raise Http404(MISSING)
    try:
        services.away_end(away=away, by=request.user)  # type: ignore[arg-type]
    except ValidationError as error:
        form = FamilyAwayForm(people=[(p.resident.pk, p.label) for p in people])
        context = _context(account, people, form, error.messages)
        return _page(request, "care/family_away.html", context, status=409)
    whom = next((p.label for p in people if p.resident.pk == away.resident_id), "")
    messages.success(request, f"已结束{whom}的外出登记" if whom else "已结束外出登记")
    return redirect("resident_care:away")
