"""Enterprise contact pages (企业联络员), mounted at ``/biz/`` (namespace ``engagement_biz``).

* ``/biz/`` — home: our needs with their progress, the main action 「提需求」, links to
  the service menu, policies (``/biz/policies/``) and activities (``/activities/``).
* ``/biz/needs/new/`` — raise a need (category, what, urgency, how many people);
  ``?menu=<pk>`` orders a menu item (category from the item, lead time shown).
* ``/biz/menu/`` — the service menu (点菜单) of our community.
* ``/biz/needs/<pk>/`` — progress timeline; rating once the need is done.

Phone-first, large type even in normal mode, and the elder mode (大字模式) of the resident
pages (cookie of ``/report/elder/``): contacts are often not young. Who: users with an
``enterprise_contact`` assignment naming an organisation; anyone else logged in gets 403,
anonymous visitors the log-in page. Another organisation's need is 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from linli.cases.views_public import is_elder
from linli.engagement import selectors, services
from linli.engagement.errors import EngagementError
from linli.engagement.forms import NeedForm, RateForm, add_service_error
from linli.engagement.models import MenuItem, Need, NeedStatus
from linli.engagement.views import fee_words
from linli.orgs.models import Organization

View = Callable[..., HttpResponseBase]
REFUSED = "企业服务页面仅供企业联络员使用"
#: The progress steps shown to the enterprise (declined is said in words instead).
STEPS = [
    NeedStatus.RAISED,
    NeedStatus.ACCEPTED,
    NeedStatus.PLANNED,
    NeedStatus.IN_PROGRESS,
    NeedStatus.DONE,
]


def contact_required(view: View) -> View:
    """Log-in required (redirect), then an enterprise contact assignment (403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        orgs = selectors.contact_organizations(request.user)
        if not orgs:
            raise PermissionDenied(REFUSED)
        request.linli_orgs = orgs  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {
        **context,
        "elder": is_elder(request),
        "here": request.get_full_path(),
        "orgs": request.linli_orgs,  # type: ignore[attr-defined]
    }
    return render(request, template, context, status=status)


def steps(need: Need) -> list[dict[str, Any]]:
    """The progress steps of ``need``: each done / current / to do, in words."""
    if need.status == NeedStatus.DECLINED:
        return []
    at = STEPS.index(NeedStatus(need.status))
    return [
        {
            "label": step.label,
            "state": "done" if i < at else "current" if i == at else "todo",
        }
        for i, step in enumerate(STEPS)
    ]


@require_safe
@contact_required
def home(request: HttpRequest) -> HttpResponse:
    needs = selectors.needs_for_contact(request.user)
    return _render(
        request,
        "engagement/biz/home.html",
        {"needs": needs[:50], "open": needs.exclude(status__in=["done", "declined"]).count()},
    )


@require_safe
@contact_required
def menu(request: HttpRequest) -> HttpResponse:
    items = [(item, fee_words(item)) for item in selectors.menu_for_contact(request.user)]
    return _render(request, "engagement/biz/menu.html", {"items": items})


def _organization(request: HttpRequest) -> Organization:
    """The organisation a need is raised for: ``org`` from the form when the contact has
    several, else their only one."""
    orgs: list[Organization] = request.linli_orgs  # type: ignore[attr-defined]
    chosen = request.POST.get("org") or request.GET.get("org") or ""
    for org in orgs:
        if str(org.pk) == chosen:
            return org
    return orgs[0]


@contact_required
def need_new(request: HttpRequest) -> HttpResponse:
    item: MenuItem | None = None
    menu_id = request.GET.get("menu", "")
    if menu_id:
        item = (
            selectors.menu_for_contact(request.user).filter(pk=menu_id).first()
            if (menu_id.isdigit())
            else None
        )
        if item is None:
            raise Http404("没有找到这项服务，或它已下架")
    form = NeedForm(request.POST or None, menu_item=item)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                need = services.need_raise(
                    actor=request.user,
                    organization=_organization(request),
                    category=data["category"],
                    title=data["title"],
                    description=data["description"],
                    urgency=data["urgency"],
                    headcount=data["headcount"],
                    menu_item=item,
                )
            except EngagementError as err:
                add_service_error(form, err)
                status = err.http_status
            else:
                messages.success(
                    request, f"需求已提交，编号 {need.number}。社区会在 3 个工作日内受理。"
                )
                return redirect("engagement_biz:need", pk=need.pk)
    return _render(
        request,
        "engagement/biz/need_new.html",
        {"form": form, "item": item, "chosen_org": _organization(request)},
        status=status,
    )


def _need(request: HttpRequest, pk: int) -> Need:
    need = selectors.need_for_contact(request.user, pk)
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
        },
        status=status,
    )


@require_safe
@contact_required
def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _need(request, pk))


def rate_submit(
    request: HttpRequest,
    need: Need,
    detail: Callable[..., HttpResponse],
    done: str,
) -> HttpResponse:
    """Shared by the enterprise and resident pages: check the rating form, rate through
    :func:`linli.engagement.services.need_rate`, redirect to ``done`` (a URL name taking
    ``pk``) or show ``detail(request, need, form, status=…)`` with the error."""
    form = RateForm(request.POST)
    if not form.is_valid():
        return detail(request, need, form, status=400)
    try:
        services.need_rate(
            need=need,
            actor=request.user,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
    except EngagementError as err:
        add_service_error(form, err)
        need.refresh_from_db()
        return detail(request, need, form, status=err.http_status)
    messages.success(request, "谢谢您的评价！")
    return redirect(done, pk=need.pk)


@require_POST
@contact_required
def need_rate(request: HttpRequest, pk: int) -> HttpResponse:
    return rate_submit(request, _need(request, pk), _detail, "engagement_biz:need")
