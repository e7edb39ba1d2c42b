"""Market sales pages (namespace ``market``; products, producers and events are in
:mod:`linli.economy.views_market`).

* ``<pk>/sell/`` — a counter or doorstep sale (rows of product + quantity, the payment;
  doorstep with its market event);
* ``<pk>/sales/`` — sales of a date range with figures by channel; ``sales/export.xlsx``;
* ``<pk>/sales/<sale>/`` — one sale with its lines, the return and refund forms.

Who: log-in required and :func:`linli.economy.access.may_operate`, otherwise 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from linli.common.documents import Cell, Document, Section, xlsx_bytes
from linli.common.windows import local
from linli.economy import market
from linli.economy.errors import EconomyError
from linli.economy.forms_market import (
    RangeForm,
    RefundForm,
    ReturnForm,
    SaleForm,
    add_service_error,
)
from linli.economy.market import MarketPayment
from linli.economy.market_payouts import FigureRow
from linli.economy.models import (
    ProductSale,
    ProductSaleLine,
    SocialEnterprise,
    StockMove,
    StockMoveKind,
)
from linli.economy.views_market import enterprise_for, page
from linli.eligibility.money import yuan

#: Sales listed on the page (the export has all of the range).
PAGE_SALES = 300


@login_required
def sell(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    if request.method != "POST":
        initial = {
            "channel": request.GET.get("channel", "counter"),
            "event": request.GET.get("event"),
            "payment": "cash",
        }
        form = SaleForm(enterprise, initial=initial)
        return page(request, "sell.html", enterprise, {"form": form})
    form = SaleForm(enterprise, request.POST)
    if not form.is_valid():
        return page(request, "sell.html", enterprise, {"form": form}, 400)
    data = form.cleaned_data
    try:
        sale = market.sell_products(
            enterprise,
            data["items"],
            channel=data["channel"],
            payment=data["payment"],
            payment_ref=data["payment_ref"],
            event=data["event"],
            by=request.user,
        )
    except EconomyError as err:
        add_service_error(form, err)
        return page(request, "sell.html", enterprise, {"form": form}, err.http_status)
    messages.success(request, f"已收款 {yuan(sale.total_fen)}，销售单 {sale.number}")
    return redirect("market:sale", pk=enterprise.pk, sale_pk=sale.pk)


def _range(request: HttpRequest) -> tuple[RangeForm, dt.date, dt.date]:
    today = timezone.localdate()
    if "start" not in request.GET and "end" not in request.GET:
        start, end = today.replace(day=1), today
        return RangeForm(initial={"start": start, "end": end}), start, end
    form = RangeForm(request.GET)
    if form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, today, today


def _sales(enterprise: SocialEnterprise, start: dt.date, end: dt.date) -> Any:
    after = timezone.make_aware(dt.datetime.combine(start, dt.time()))
    before = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    return (
        ProductSale.objects.filter(enterprise=enterprise, sold_at__gte=after, sold_at__lt=before)
        .select_related("event")
        .order_by("-sold_at", "-pk")
    )


@require_safe
@login_required
def sales(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    form, start, end = _range(request)
    if form.is_bound and not form.is_valid():
        return page(request, "sales.html", enterprise, {"form": form, "rows": []}, 400)
    figures = market.market_figures(enterprise, start, end)
    rows = [
        {
            "sale": s,
            "at": local(s.sold_at),
            "total": yuan(s.total_fen),
            "refunded": yuan(s.refunded_fen) if s.refunded_fen else "",
            "payment": _payment_label(s.payment),
        }
        for s in _sales(enterprise, start, end)[:PAGE_SALES]
    ]
    context = {
        "form": form,
        "rows": rows,
        "figures": figures,
        "channels": [_money(r) for r in figures.by_channel],
        "total": _money(figures.total),
        "producers": [_money(r) for r in figures.by_producer],
        "query": f"start={start:%Y-%m-%d}&end={end:%Y-%m-%d}",
    }
    return page(request, "sales.html", enterprise, context)


def _payment_label(value: str) -> str:
    return dict(MarketPayment.choices).get(value, value)


def _money(row: FigureRow) -> dict[str, Any]:
    return {
        "label": row.label,
        "count": row.count,
        "sales": yuan(row.sales_fen),
        "refunded": yuan(row.refunded_fen),
        "net": yuan(row.net_fen),
        "share": yuan(row.share_fen),
    }


@require_safe
@login_required
def sales_export(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    form, start, end = _range(request)
    if form.is_bound and not form.is_valid():
        return page(request, "sales.html", enterprise, {"form": form, "rows": []}, 400)
    lines = (
        ProductSaleLine.objects.filter(sale__in=_sales(enterprise, start, end))
        .select_related("sale__event", "product", "producer")
        .order_by("sale__sold_at", "sale__pk", "pk")
    )
    rows: list[list[Cell]] = [
        [
            line.sale.number,
            f"{local(line.sale.sold_at):%Y-%m-%d %H:%M}",
            line.sale.get_channel_display(),
            line.sale.event.title if line.sale.event else "",
            line.sale.external_ref,
            _payment_label(line.sale.payment),
            line.product.code,
            line.product.name,
            line.quantity,
            line.returned,
            yuan(line.unit_price_fen),
            yuan(line.amount_fen),
            line.producer.name,
            yuan(line.producer_share_fen),
            line.payout.number if line.payout_id and line.payout else "",
        ]
        for line in lines.select_related("payout")
    ]
    figures = market.market_figures(enterprise, start, end)
    by_channel: list[list[Cell]] = [
        [r.label, r.count, yuan(r.sales_fen), yuan(r.refunded_fen), yuan(r.net_fen)]
        for r in figures.by_channel
    ]
    t = figures.total
    document = Document(
        title=f"{enterprise} 特产集市销售明细",
        lines=[
            f"期间：{start:%Y-%m-%d} 至 {end:%Y-%m-%d}",
            f"导出：{timezone.localtime():%Y-%m-%d %H:%M}",
        ],
        sections=[
            Section(
                "销售明细",
                [
                    "单号",
                    "时间",
                    "渠道",
                    "场次",
                    "平台订单号",
                    "付款方式",
                    "货号",
                    "品名",
                    "数量",
                    "退货",
                    "单价",
                    "金额（扣除退货）",
                    "生产者",
                    "生产者分成",
                    "结算单",
                ],
                rows,
            ),
            Section(
                "按渠道汇总",
                ["渠道", "单数", "销售额", "退款", "净额"],
                by_channel,
                footer=["合计", t.count, yuan(t.sales_fen), yuan(t.refunded_fen), yuan(t.net_fen)],
            ),
        ],
    )
    response = HttpResponse(
        xlsx_bytes(document),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"market-sales-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- one sale: returns and refunds ---------------------------------------------------------


def _sale(enterprise: SocialEnterprise, sale_pk: int) -> ProductSale:
    sale = enterprise.product_sales.select_related("event").filter(pk=sale_pk).first()
    if sale is None:
        raise Http404("没有找到这张销售单")
    return sale


def _sale_page(
    request: HttpRequest,
    enterprise: SocialEnterprise,
    sale: ProductSale,
    status: int = 200,
    return_form: ReturnForm | None = None,
    refund_form: RefundForm | None = None,
) -> HttpResponse:
    lines = sale.lines.select_related("product", "producer", "payout").order_by("pk")
    context = {
        "sale": sale,
        "at": local(sale.sold_at),
        "payment": _payment_label(sale.payment),
        "lines": [
            {
                "line": line,
                "price": yuan(line.unit_price_fen),
                "amount": yuan(line.amount_fen),
                "share": yuan(line.producer_share_fen),
            }
            for line in lines
        ],
        "total": yuan(sale.total_fen),
        "refunded": yuan(sale.refunded_fen),
        "left": yuan(sale.total_fen - sale.refunded_fen),
        "refundable": sale.total_fen > sale.refunded_fen,
        "refunds": [
            {"refund": r, "amount": yuan(r.amount_fen)}
            for r in sale.refunds.select_related("by").order_by("at", "pk")
        ],
        "returns": StockMove.objects.filter(
            product__enterprise=enterprise,
            kind=StockMoveKind.REFUND,
            reference__startswith=f"{sale.number} ",
        ).select_related("product", "by"),
        "return_form": return_form or ReturnForm(sale),
        "refund_form": refund_form or RefundForm(),
    }
    return page(request, "sale.html", enterprise, context, status)


@require_safe
@login_required
def sale_detail(request: HttpRequest, pk: int, sale_pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    return _sale_page(request, enterprise, _sale(enterprise, sale_pk))


@require_POST
@login_required
def sale_return(request: HttpRequest, pk: int, sale_pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    sale = _sale(enterprise, sale_pk)
    form = ReturnForm(sale, request.POST)
    if form.is_valid() and not form.returns():
        form.add_error(None, "请填写要退的数量")
    if not form.is_valid():
        return _sale_page(request, enterprise, sale, 400, return_form=form)
    try:
        amount = market.return_products(
            sale, form.returns(), reason=form.cleaned_data["reason"], by=request.user
        )
    except EconomyError as err:
        add_service_error(form, err)
        return _sale_page(request, enterprise, sale, err.http_status, return_form=form)
    messages.success(request, f"已退货，退款 {yuan(amount)}，商品已回到库存")
    return redirect("market:sale", pk=enterprise.pk, sale_pk=sale.pk)


@require_POST
@login_required
def sale_refund(request: HttpRequest, pk: int, sale_pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    sale = _sale(enterprise, sale_pk)
    form = RefundForm(request.POST)
    if not form.is_valid():
        return _sale_page(request, enterprise, sale, 400, refund_form=form)
    try:
        market.refund_amount(
            sale, form.cleaned_data["amount"], reason=form.cleaned_data["reason"], by=request.user
        )
    except EconomyError as err:
        add_service_error(form, err)
        return _sale_page(request, enterprise, sale, err.http_status, refund_form=form)
    messages.success(request, f"已退款 {yuan(form.cleaned_data['amount'])}")
    return redirect("market:sale", pk=enterprise.pk, sale_pk=sale.pk)
