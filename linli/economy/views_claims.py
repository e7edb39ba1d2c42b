"""Subsidy claim pages of a canteen (namespace ``canteen``), under ``/economy/canteen/<pk>/``.

* ``claims/`` (``claims``) — months × funding sources with unclaimed and claimed amounts,
  and the claims made;
* ``claims/<yyyy-mm>/?source=…`` (``claim_month``) — the preview tables; POST makes the
  claim (生成申报单);
* ``claims/<claim>/`` (``claim``) — a made claim with its tables, .xlsx / .pdf downloads
  (``claim_xlsx``, ``claim_pdf``) and 登记到账 (``claim_paid``, POST).

Who: log-in required; the enterprise's staff and managers view (:func:`may_operate`),
only managers (:func:`may_manage`) make claims and record payments (403 otherwise);
anyone else gets 404. Domain errors are shown on the page with their HTTP status.
"""

from __future__ import annotations

import datetime as dt
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from linli.common.documents import pdf_bytes, xlsx_bytes
from linli.economy import claims
from linli.economy.access import canteen_for as _canteen
from linli.economy.access import may_manage
from linli.economy.errors import EconomyError, NotAllowed
from linli.economy.forms_claims import PaidForm, add_service_error
from linli.economy.models import Canteen, SubsidyClaim
from linli.eligibility.money import yuan

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month(text: str) -> dt.date:
    match = _MONTH.match(text)
    if match is None:
        raise Http404("月份格式应为 YYYY-MM")
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise Http404("没有这个月份") from None


def _tables(preview: claims.ClaimPreview | None) -> dict[str, object] | None:
    """The preview's three tables with money as yuan text for the templates."""
    if preview is None:
        return None
    return {
        "rows": [(r, yuan(r.amount_fen)) for r in preview.rows],
        "per_person": [(p, yuan(p.amount_fen)) for p in preview.per_person],
        "per_day": [(d, yuan(d.amount_fen)) for d in preview.per_day],
        "people": preview.people,
        "meals": preview.meals,
        "total": yuan(preview.total_fen),
        "empty": not preview.rows,
    }


def _claim(request: HttpRequest, pk: int, claim_pk: int) -> SubsidyClaim:
    canteen = _canteen(request, pk)
    claim = get_object_or_404(SubsidyClaim, pk=claim_pk, canteen=canteen)
    claim.canteen = canteen
    return claim


@login_required
@require_safe
def claims_home(request: HttpRequest, pk: int) -> HttpResponse:
    """Months with subsidised meals, each source's unclaimed and claimed amounts."""
    canteen = _canteen(request, pk)
    months = [
        {
            "month": month,
            "sources": [
                (source, yuan(unclaimed), yuan(claimed), unclaimed > 0)
                for source, unclaimed, claimed in claims.sources(canteen, month)
            ],
        }
        for month in claims.months_with_subsidies(canteen)
    ]
    context = {
        "canteen": canteen,
        "months": months,
        "made": [(c, yuan(c.total_fen)) for c in canteen.claims.order_by("-month", "source")],
        "can_manage": may_manage(request.user, canteen.enterprise),
    }
    return render(request, "economy/claims/home.html", context)


def _month_page(
    request: HttpRequest,
    canteen: Canteen,
    month: dt.date,
    source: str,
    *,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    preview = claims.claim_preview(canteen, source, month) if source else None
    made = (
        SubsidyClaim.objects.filter(canteen=canteen, source=source, month=month).first()
        if source
        else None
    )
    context = {
        "canteen": canteen,
        "month": month,
        "month_text": f"{month:%Y-%m}",
        "source": source,
        "sources": [s for s, _, _ in claims.sources(canteen, month)],
        "tables": _tables(preview),
        "made": made,
        "error": error,
        "can_manage": may_manage(request.user, canteen.enterprise),
    }
    return render(request, "economy/claims/month.html", context, status=status)


@login_required
def claim_month(request: HttpRequest, pk: int, month: str) -> HttpResponse:
    """GET: the preview of ``?source=`` for the month. POST (managers): make the claim."""
    canteen = _canteen(request, pk)
    first = _month(month)
    if request.method == "POST":
        source = (request.POST.get("source") or "").strip()
        if not may_manage(request.user, canteen.enterprise):
            err = NotAllowed("只有社区或街道管理员可以生成申报单")
            return _month_page(
                request, canteen, first, source, status=err.http_status, error=str(err)
            )
        try:
            claim = claims.make_claim(canteen, source, first, by=request.user)
        except EconomyError as err:
            return _month_page(
                request, canteen, first, source, status=err.http_status, error=str(err)
            )
        messages.success(request, f"已生成申报单 {claim.number}")
        return redirect("canteen:claim", pk=canteen.pk, claim_pk=claim.pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    return _month_page(request, canteen, first, (request.GET.get("source") or "").strip())


def _claim_page(
    request: HttpRequest, claim: SubsidyClaim, form: PaidForm | None = None, *, status: int = 200
) -> HttpResponse:
    context = {
        "canteen": claim.canteen,
        "claim": claim,
        "tables": _tables(claims.claim_rows(claim)),
        "total": yuan(claim.total_fen),
        "paid": yuan(claim.paid_fen) if claim.paid_fen is not None else "",
        "form": form or PaidForm(initial={"paid": claim.total_fen}),
        "can_manage": may_manage(request.user, claim.canteen.enterprise),
    }
    return render(request, "economy/claims/claim.html", context, status=status)


@login_required
@require_safe
def claim_detail(request: HttpRequest, pk: int, claim_pk: int) -> HttpResponse:
    """A made claim: its tables, downloads and the payment form."""
    return _claim_page(request, _claim(request, pk, claim_pk))


@login_required
@require_POST
def claim_paid(request: HttpRequest, pk: int, claim_pk: int) -> HttpResponse:
    """Record the funder's payment (managers only)."""
    claim = _claim(request, pk, claim_pk)
    form = PaidForm(request.POST)
    if not may_manage(request.user, claim.canteen.enterprise):
        form.is_valid()
        form.add_error(None, "只有社区或街道管理员可以登记到账")
        return _claim_page(request, claim, form, status=403)
    if not form.is_valid():
        return _claim_page(request, claim, form, status=400)
    try:
        claims.mark_paid(
            claim,
            paid_fen=form.cleaned_data["paid"],
            paid_on=form.cleaned_data["paid_on"],
            by=request.user,
        )
    except EconomyError as err:
        add_service_error(form, err)
        return _claim_page(request, claim, form, status=err.http_status)
    messages.success(request, f"申报单 {claim.number} 已登记到账")
    return redirect("canteen:claim", pk=pk, claim_pk=claim.pk)


def _download(body: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_safe
def claim_xlsx(request: HttpRequest, pk: int, claim_pk: int) -> HttpResponse:
    """The funder's form as .xlsx (three sheets)."""
    claim = _claim(request, pk, claim_pk)
    return _download(
        xlsx_bytes(claims.claim_document(claim)),
        f"{claim.number}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
@require_safe
def claim_pdf(request: HttpRequest, pk: int, claim_pk: int) -> HttpResponse:
    """The funder's form as a landscape A4 PDF."""
    claim = _claim(request, pk, claim_pk)
    return _download(
        pdf_bytes(claims.claim_document(claim)), f"{claim.number}.pdf", "application/pdf"
    )
