"""Ledger pages at ``/economy/ledger/`` (namespace ``ledger``).

* ``<pk>/`` (``month``) — month picker (``?month=2026-11``), the month statement per
  business line, the month's hand-kept entries and the form to record one
  (``<pk>/entries/``, POST); exports ``<pk>/<yyyy-mm>.xlsx`` and ``.pdf``;
* ``<pk>/year/<yyyy>/`` — the year figures per line and month, the year's close or the
  结账 form showing the allocation it will make (``close/``, POST, the shown allocation
  is posted back and must still be the computed one); exports ``<yyyy>.xlsx`` / ``.pdf``;
* ``<pk>/fund/`` — the welfare fund: balance, moves, projects; add a project
  (``fund/projects/``) and record spending (``fund/spend/``), both POST.

Who: anyone who may operate the enterprise sees the pages and records entries; closing a
year and the fund's writes need :func:`~linli.economy.access.may_manage` (else 403);
anyone else gets 404. Domain errors are shown on the page with their status.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from linli.common.documents import Document, pdf_bytes, xlsx_bytes
from linli.economy import access
from linli.economy.accounts import (
    Statement,
    add_project,
    allocation_for,
    close_refusal,
    close_year,
    fund_report,
    month_statement,
    record_entry,
    spend,
    year_figures,
)
from linli.economy.company import percent
from linli.economy.errors import EconomyError
from linli.economy.forms_ledger import (
    EntryForm,
    MonthForm,
    ProjectForm,
    SpendForm,
    add_service_error,
)
from linli.economy.forms_money import yuan_grouped
from linli.economy.models import FundMove, LedgerEntry, SocialEnterprise, YearClose
from linli.economy.reports_accounts import statement_document, year_document
from linli.economy.views_company import enterprise_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(document: Document, name: str, kind: str) -> FileResponse:
    """The export as a download: ``FileResponse`` writes the Chinese file name as RFC 6266
    ``filename*=utf-8''…`` (browsers do not read a MIME-encoded ``=?utf-8?b?…``)."""
    if kind == "xlsx":
        data, content_type = xlsx_bytes(document), XLSX
    else:
        data, content_type = pdf_bytes(document), "application/pdf"
    return FileResponse(
        io.BytesIO(data),
        as_attachment=True,
        filename=f"{name}.{kind}",
        content_type=content_type,
    )


def _month_of(text: str) -> dt.date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return dt.date(year, month, 1)
    except ValueError as err:
        raise Http404("月份无效") from err


def _statement_rows(statement: Statement) -> list[dict[str, Any]]:
    return [
        {
            "line": s.line,
            "revenue": [(label, yuan_grouped(amount)) for label, amount in s.revenue],
            "costs": [(label, yuan_grouped(amount)) for label, amount in s.costs],
            "revenue_total": yuan_grouped(s.revenue_fen),
            "cost_total": yuan_grouped(s.cost_fen),
            "profit": yuan_grouped(s.profit_fen),
            "loss": s.profit_fen < 0,
        }
        for s in statement.lines
    ]


def _month_page(
    request: HttpRequest,
    enterprise: SocialEnterprise,
    first: dt.date,
    form: EntryForm | None = None,
    status: int = 200,
) -> HttpResponse:
    statement = month_statement(enterprise, first)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    entries = LedgerEntry.objects.filter(
        enterprise=enterprise, date__gte=first, date__lt=following
    ).select_related("line")
    context = {
        "enterprise": enterprise,
        "manage": access.may_manage(request.user, enterprise),
        "month": first,
        "month_key": f"{first:%Y-%m}",
        "previous": f"{(first - dt.timedelta(days=1)):%Y-%m}",
        "next": f"{following:%Y-%m}",
        "rows": _statement_rows(statement),
        "revenue": yuan_grouped(statement.revenue_fen),
        "cost": yuan_grouped(statement.cost_fen),
        "profit": yuan_grouped(statement.profit_fen),
        "entries": [(e, yuan_grouped(e.amount_fen)) for e in entries],
        "form": form or EntryForm(enterprise=enterprise, initial={"date": timezone.localdate()}),
    }
    return render(request, "economy/ledger/month.html", context, status=status)


@require_safe
@login_required
def month(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    first = MonthForm(request.GET).month_date()
    return _month_page(request, enterprise, first)


@require_POST
@login_required
def entry_add(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    form = EntryForm(request.POST, enterprise=enterprise)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = record_entry(
                enterprise,
                line=data["line"],
                date=data["date"],
                kind=data["kind"],
                category=data["category"],
                amount_fen=data["amount"],
                description=data["description"],
                voucher=data["voucher"],
                by=request.user,
            )
        except EconomyError as err:
            add_service_error(form, err)
            status = err.http_status
        else:
            messages.success(
                request, f"已记账：{entry.get_kind_display()} {yuan_grouped(entry.amount_fen)}"
            )
            return redirect(f"/economy/ledger/{enterprise.pk}/?month={entry.date:%Y-%m}")
    first = (form.cleaned_data.get("date") or timezone.localdate()).replace(day=1)
    return _month_page(request, enterprise, first, form=form, status=status)


def _month_document(request: HttpRequest, pk: int, month: str) -> tuple[Document, str]:
    enterprise = enterprise_for(request, pk)
    first = _month_of(month)
    return statement_document(month_statement(enterprise, first)), f"收支月报-{first:%Y-%m}"


@require_safe
@login_required
def month_xlsx(request: HttpRequest, pk: int, month: str) -> FileResponse:
    document, name = _month_document(request, pk, month)
    return _file(document, name, "xlsx")


@require_safe
@login_required
def month_pdf(request: HttpRequest, pk: int, month: str) -> FileResponse:
    document, name = _month_document(request, pk, month)
    return _file(document, name, "pdf")


# --- the year ------------------------------------------------------------------------------


def _year_page(
    request: HttpRequest, enterprise: SocialEnterprise, year: int, status: int = 200
) -> HttpResponse:
    if not 2000 <= year <= 2100:
        raise Http404("年度无效")
    figures = year_figures(enterprise, year)
    close = YearClose.objects.filter(enterprise=enterprise, year=year).first()
    allocation = allocation_for(figures.profit_fen, enterprise.welfare_rate_bp)
    refusal = close_refusal(enterprise, year)
    context = {
        "enterprise": enterprise,
        "manage": access.may_manage(request.user, enterprise),
        "year": year,
        "months": [
            {
                "key": f"{m.month:%Y-%m}",
                "label": f"{m.month.month}月",
                "revenue": yuan_grouped(m.revenue_fen),
                "cost": yuan_grouped(m.cost_fen),
                "profit": yuan_grouped(m.profit_fen),
            }
            for m in figures.months
        ],
        "lines": [
            {
                "line": line.line,
                "revenue": yuan_grouped(line.revenue_fen),
                "cost": yuan_grouped(line.cost_fen),
                "profit": yuan_grouped(line.profit_fen),
            }
            for line in figures.lines
        ],
        "revenue": yuan_grouped(figures.revenue_fen),
        "cost": yuan_grouped(figures.cost_fen),
        "profit": yuan_grouped(figures.profit_fen),
        "close": close,
        "close_allocation": yuan_grouped(close.allocation_fen) if close else "",
        "close_rate": percent(close.rate_bp) if close else "",
        "close_profit": yuan_grouped(close.profit_fen) if close else "",
        "rate": percent(enterprise.welfare_rate_bp),
        "allocation": yuan_grouped(allocation),
        "allocation_fen": allocation,
        "may_close": close is None and timezone.localdate().year > year and refusal is None,
        "refusal": str(refusal) if close is None and refusal is not None else "",
        "previous": year - 1,
        "next": year + 1,
    }
    return render(request, "economy/ledger/year.html", context, status=status)


@require_safe
@login_required
def year(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    return _year_page(request, enterprise_for(request, pk), year)


@require_POST
@login_required
def year_close(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk, manage=True)
    shown = request.POST.get("allocation_fen", "")
    expected = allocation_for(year_figures(enterprise, year).profit_fen, enterprise.welfare_rate_bp)
    if shown != str(expected):
        messages.error(request, "账目在确认期间有变动，请核对新的公益提取金额后再结账")
        return _year_page(request, enterprise, year, status=409)
    try:
        close = close_year(enterprise, year, by=request.user)
    except EconomyError as err:
        messages.error(request, str(err))
        return _year_page(request, enterprise, year, status=err.http_status)
    messages.success(request, f"{year} 年度已结账，提取公益金 {yuan_grouped(close.allocation_fen)}")
    return redirect("ledger:year", enterprise.pk, year)


def _year_document(request: HttpRequest, pk: int, year: int) -> tuple[Document, str]:
    enterprise = enterprise_for(request, pk)
    if not 2000 <= year <= 2100:
        raise Http404("年度无效")
    return year_document(enterprise, year), f"年度报告-{year}"


@require_safe
@login_required
def year_xlsx(request: HttpRequest, pk: int, year: int) -> FileResponse:
    document, name = _year_document(request, pk, year)
    return _file(document, name, "xlsx")


@require_safe
@login_required
def year_pdf(request: HttpRequest, pk: int, year: int) -> FileResponse:
    document, name = _year_document(request, pk, year)
    return _file(document, name, "pdf")


# --- the welfare fund ---------------------------------------------------------------------


def _fund_page(
    request: HttpRequest,
    enterprise: SocialEnterprise,
    status: int = 200,
    project_form: ProjectForm | None = None,
    spend_form: SpendForm | None = None,
) -> HttpResponse:
    report = fund_report(enterprise)
    moves = (
        FundMove.objects.filter(fund=report.fund).select_related("project")
        if report.fund
        else FundMove.objects.none()
    )
    context = {
        "enterprise": enterprise,
        "manage": access.may_manage(request.user, enterprise),
        "fund": report.fund,
        "balance": yuan_grouped(report.balance_fen),
        "moves": [
            (m, yuan_grouped(m.amount_fen), yuan_grouped(m.balance_after_fen)) for m in moves
        ],
        "projects": [
            (p.project, yuan_grouped(p.project.budget_fen), yuan_grouped(p.spent_fen))
            for p in report.projects
        ],
        "project_form": project_form or ProjectForm(),
        "spend_form": spend_form
        or SpendForm(fund=report.fund, initial={"date": timezone.localdate()}),
    }
    return render(request, "economy/ledger/fund.html", context, status=status)


@require_safe
@login_required
def fund(request: HttpRequest, pk: int) -> HttpResponse:
    return _fund_page(request, enterprise_for(request, pk))


@require_POST
@login_required
def project_add(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk, manage=True)
    report = fund_report(enterprise)
    form = ProjectForm(request.POST)
    status = 400
    if form.is_valid() and report.fund is not None:
        data = form.cleaned_data
        try:
            project = add_project(
                report.fund,
                data["name"],
                data["description"],
                data["budget"] or 0,
                data["decided_by"],
            )
        except EconomyError as err:
            add_service_error(form, err)
            status = err.http_status
        else:
            messages.success(request, f"已添加公益项目“{project.name}”")
            return redirect("ledger:fund", enterprise.pk)
    return _fund_page(request, enterprise, status=status, project_form=form)


@require_POST
@login_required
def fund_spend(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk, manage=True)
    report = fund_report(enterprise)
    form = SpendForm(request.POST, fund=report.fund)
    status = 400
    if form.is_valid() and report.fund is not None:
        data = form.cleaned_data
        try:
            move = spend(
                report.fund,
                project=data["project"],
                amount_fen=data["amount"],
                date=data["date"],
                description=data["description"],
                voucher=data["voucher"],
                by=request.user,
            )
        except EconomyError as err:
            add_service_error(form, err)
            status = err.http_status
        else:
            messages.success(request, f"已记录公益金支出 {yuan_grouped(-move.amount_fen)}")
            return redirect("ledger:fund", enterprise.pk)
    return _fund_page(request, enterprise, status=status, spend_form=form)
