"""Company record pages at ``/economy/`` (namespace ``economy``).

* ``/`` (``home``) — the enterprises the user may operate; exactly one → redirect to it;
* ``<pk>/`` (``detail``) — the company record: organisation, shareholders with the 100 %
  total, board, business lines, partners, welfare rate, links to canteen, counter, market
  and ledger;
* ``<pk>/shareholders/`` — edit the shareholder list (all rows at once, total 100 %);
* ``<pk>/board/``, ``<pk>/board/<member>/end/``, ``<pk>/partners/``, ``<pk>/lines/``,
  ``<pk>/rate/`` — POST forms of the record.

Who: log-in required; anyone who may not operate the enterprise → 404; the edits need
:func:`~linli.economy.access.may_manage` (a POST by an operator who may not → 403).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from linli.economy import access
from linli.economy.company import percent, set_shareholders, set_welfare_rate
from linli.economy.errors import EconomyError
from linli.economy.forms_company import (
    BoardMemberForm,
    BusinessLineForm,
    PartnerForm,
    ShareholderFormSet,
    WelfareRateForm,
    shareholder_initial,
)
from linli.economy.forms_money import yuan_grouped
from linli.economy.models import BoardMember, Shareholder, SocialEnterprise


def enterprise_for(request: HttpRequest, pk: int, *, manage: bool = False) -> SocialEnterprise:
    """The enterprise ``pk`` if the user may operate it (else 404); with ``manage`` a user
    who may operate but not manage gets 403 (raised as :class:`PermissionDenied`)."""
    enterprise = (
        SocialEnterprise.objects.select_related("organization", "community").filter(pk=pk).first()
    )
    if enterprise is None or not access.may_operate(request.user, enterprise):
        raise Http404("没有找到这家社会企业")
    if manage and not access.may_manage(request.user, enterprise):
        raise PermissionDenied("只有社区或街道管理员可以进行此操作")
    return enterprise


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    enterprises = list(access.enterprises_for(request.user))
    if len(enterprises) == 1:
        return redirect("economy:detail", enterprises[0].pk)
    return render(request, "economy/company/home.html", {"enterprises": enterprises})


def _detail(
    request: HttpRequest, enterprise: SocialEnterprise, status: int = 200, **forms: Any
) -> HttpResponse:
    manage = access.may_manage(request.user, enterprise)
    holders = list(Shareholder.objects.filter(enterprise=enterprise))
    context: dict[str, Any] = {
        "enterprise": enterprise,
        "org": enterprise.organization,
        "manage": manage,
        "capital": yuan_grouped(enterprise.registered_capital_fen),
        "rate": percent(enterprise.welfare_rate_bp),
        "holders": [
            {
                "s": s,
                "percent": percent(s.stake_bp),
                "contribution": yuan_grouped(s.contribution_fen),
            }
            for s in holders
        ],
        "stake_total": percent(sum(s.stake_bp for s in holders)),
        "contribution_total": yuan_grouped(sum(s.contribution_fen for s in holders)),
        "board": enterprise.board.select_related("representing").order_by("term_end", "role"),
        "lines": enterprise.lines.all(),
        "partners": enterprise.partners.select_related("organization"),
        "canteens": enterprise.canteens.all(),
        "today": timezone.localdate(),
    }
    if manage:
        context["board_form"] = forms.get("board_form") or BoardMemberForm(enterprise=enterprise)
        context["partner_form"] = forms.get("partner_form") or PartnerForm(enterprise=enterprise)
        context["line_form"] = forms.get("line_form") or BusinessLineForm(enterprise=enterprise)
        context["rate_form"] = forms.get("rate_form") or WelfareRateForm(
            initial={"rate": enterprise.welfare_rate_bp}
        )
    return render(request, "economy/company/detail.html", context, status=status)


@require_safe
@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, enterprise_for(request, pk))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def shareholders(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        enterprise = enterprise_for(request, pk, manage=True)
    else:
        enterprise = enterprise_for(request, pk)
        if not access.may_manage(request.user, enterprise):
            raise Http404("没有找到这个页面")
    status = 200
    if request.method == "POST":
        formset: Any = ShareholderFormSet(request.POST, prefix="s")
        formset.organizations = {
            s.name: s.organization
            for s in Shareholder.objects.filter(enterprise=enterprise).select_related(
                "organization"
            )
            if s.organization is not None
        }
        if formset.is_valid():
            try:
                set_shareholders(enterprise, formset.stake_rows())
            except EconomyError as err:
                formset._non_form_errors = formset.error_class([str(err)])
                status = err.http_status
            else:
                messages.success(request, "股东名册已保存")
                return redirect("economy:detail", enterprise.pk)
        else:
            status = 400
    else:
        formset = ShareholderFormSet(prefix="s", initial=shareholder_initial(enterprise))
    return render(
        request,
        "economy/company/shareholders.html",
        {"enterprise": enterprise, "formset": formset},
        status=status,
    )


def _save_form(request: HttpRequest, pk: int, form_class: Any, key: str, done: str) -> HttpResponse:
    enterprise = enterprise_for(request, pk, manage=True)
    form = form_class(request.POST, enterprise=enterprise)
    if form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(request, done)
        return redirect("economy:detail", enterprise.pk)
    return _detail(request, enterprise, status=400, **{key: form})


@require_POST
@login_required
def board_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_form(request, pk, BoardMemberForm, "board_form", "已添加董事/监事/高管")


@require_POST
@login_required
def board_end(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk, manage=True)
    seat = get_object_or_404(BoardMember, pk=member, enterprise=enterprise)
    today = timezone.localdate()
    if seat.term_end is not None and seat.term_end <= today:
        messages.error(request, f"{seat.name} 的任期已于 {seat.term_end:%Y-%m-%d} 结束")
    else:
        seat.term_end = max(today, seat.term_start)
        seat.save(update_fields=["term_end", "updated_at"])
        messages.success(request, f"{seat.get_role_display()} {seat.name} 的任期已结束")
    return redirect("economy:detail", enterprise.pk)


@require_POST
@login_required
def partner_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_form(request, pk, PartnerForm, "partner_form", "已添加合作单位")


@require_POST
@login_required
def line_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_form(request, pk, BusinessLineForm, "line_form", "已添加业务板块")


@require_POST
@login_required
def rate_set(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk, manage=True)
    form = WelfareRateForm(request.POST)
    if form.is_valid():
        try:
            set_welfare_rate(enterprise, form.cleaned_data["rate"])
        except EconomyError as err:
            form.add_error("rate", str(err))
            return _detail(request, enterprise, status=err.http_status, rate_form=form)
        messages.success(request, f"公益提取比例已设为 {percent(enterprise.welfare_rate_bp)}")
        return redirect("economy:detail", enterprise.pk)
    return _detail(request, enterprise, status=400, rate_form=form)
