"""Market pages at ``/economy/market/`` (namespace ``market``): products and stock,
producers and payouts, events and the livestream batch upload. Sales (sell, list, returns,
refunds, export) are in :mod:`linli.economy.views_market_sales`.

* ``<pk>/`` — products (code, name, category, producer, price, stock with 库存紧张/缺货 in
  text), add a product, receive stock, stock-take;
* ``<pk>/producers/`` — producers with the share owed today and a pay-out form, payouts;
* ``<pk>/events/`` — doorstep markets and livestreams, add one; ``<pk>/events/<event>/`` —
  its sales and, for a livestream, the batch upload with every bad row listed.

Who: log-in required; the enterprise must be one the user may operate
(:func:`linli.economy.access.may_operate`), otherwise 404. Domain errors are shown on the
page with their HTTP status (400, 409).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from linli.common.documents import Cell
from linli.common.exports import amount, wants_xlsx, xlsx_response
from linli.common.windows import local
from linli.economy import access, market
from linli.economy.errors import EconomyError
from linli.economy.forms_market import (
    CountForm,
    EventForm,
    PayForm,
    ProducerForm,
    ProductForm,
    ReceiveForm,
    UploadForm,
    add_service_error,
    payout_method_for,
)
from linli.economy.market_batch import BatchRejected, import_livestream_batch
from linli.economy.market_payouts import Owed
from linli.economy.models import (
    EventKind,
    MarketEvent,
    Producer,
    ProducerPayout,
    ProductSaleLine,
    SocialEnterprise,
)
from linli.eligibility.money import yuan

#: The largest upload read (bytes): a platform export of a few thousand orders is ~1 MB.
MAX_UPLOAD = 5 * 1024 * 1024


def enterprise_for(request: HttpRequest, pk: int) -> SocialEnterprise:
    """The enterprise ``pk`` if the user may operate it, else 404."""
    enterprise = (
        SocialEnterprise.objects.select_related("organization", "community").filter(pk=pk).first()
    )
    if enterprise is None or not access.may_operate(request.user, enterprise):
        raise Http404("没有找到这个社会企业")
    return enterprise


def page(
    request: HttpRequest,
    template: str,
    enterprise: SocialEnterprise,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """Render a market page with the enterprise and the section tabs."""
    return render(
        request, f"economy/market/{template}", {"enterprise": enterprise, **context}, status=status
    )


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    enterprises = list(access.enterprises_for(request.user))
    if len(enterprises) == 1:
        return redirect("market:products", pk=enterprises[0].pk)
    return render(request, "economy/market/home.html", {"enterprises": enterprises})


# --- products and stock --------------------------------------------------------------------


def _products_page(
    request: HttpRequest, enterprise: SocialEnterprise, status: int = 200, **forms: Any
) -> HttpResponse:
    products = enterprise.products.select_related("producer").order_by("-active", "code")
    rows = [
        {
            "product": p,
            "price": yuan(p.price_fen),
            "mark": "缺货" if p.stock <= 0 else "库存紧张" if p.stock < market.LOW_STOCK else "",
        }
        for p in products
    ]
    context = {
        "rows": rows,
        "low_stock": market.LOW_STOCK,
        "product_form": forms.get("product_form") or ProductForm(enterprise),
        "receive_form": forms.get("receive_form") or ReceiveForm(enterprise),
        "count_form": forms.get("count_form") or CountForm(enterprise),
        "has_producers": enterprise.producers.exists(),
    }
    return page(request, "products.html", enterprise, context, status)


@require_safe
@login_required
def products(request: HttpRequest, pk: int) -> HttpResponseBase:
    """``/economy/market/<pk>/``: products and stock (``?format=xlsx`` as a workbook)."""
    enterprise = enterprise_for(request, pk)
    if wants_xlsx(request):
        return _products_xlsx(enterprise)
    return _products_page(request, enterprise)


#: Columns of the product list export: a row of the page split into cells.
PRODUCTS_HEADER = ["货号", "品名", "类别", "生产者", "售价（元）", "单位", "库存", "状态"]


def _products_xlsx(enterprise: SocialEnterprise) -> FileResponse:
    """Every product of the enterprise as the page lists it (on sale first, by code)."""
    products = enterprise.products.select_related("producer").order_by("-active", "code")
    rows: list[list[Cell]] = []
    for p in products:
        mark = "缺货" if p.stock <= 0 else "库存紧张" if p.stock < market.LOW_STOCK else ""
        rows.append(
            [
                p.code,
                p.name,
                p.get_category_display(),
                p.producer.name,
                amount(p.price_fen),
                p.unit,
                p.stock,
                "、".join(x for x in ("" if p.active else "已下架", mark) if x),
            ]
        )
    return xlsx_response(
        title=f"{enterprise.organization.name}商品库存",
        header=PRODUCTS_HEADER,
        rows=rows,
        filename=f"{enterprise.organization.name}商品库存-{timezone.localdate():%Y%m%d}",
    )


@require_POST
@login_required
def product_new(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    form = ProductForm(enterprise, request.POST)
    if not form.is_valid():
        return _products_page(request, enterprise, 400, product_form=form)
    data = form.cleaned_data
    try:
        product = market.add_product(
            enterprise,
            producer=data["producer"],
            code=data["code"],
            name=data["name"],
            category=data["category"],
            unit=data["unit"],
            price_fen=data["price"],
        )
    except EconomyError as err:
        add_service_error(form, err)
        return _products_page(request, enterprise, err.http_status, product_form=form)
    messages.success(request, f"已添加商品 {product}，请入库")
    return redirect("market:products", pk=enterprise.pk)


@require_POST
@login_required
def receive(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    form = ReceiveForm(enterprise, request.POST)
    if not form.is_valid():
        return _products_page(request, enterprise, 400, receive_form=form)
    product = form.cleaned_data["product"]
    try:
        market.receive(
            product,
            form.cleaned_data["quantity"],
            by=request.user,
            reference=form.cleaned_data["reference"],
        )
    except EconomyError as err:
        add_service_error(form, err)
        return _products_page(request, enterprise, err.http_status, receive_form=form)
    messages.success(request, f"“{product.name}”已入库，现有 {product.stock} {product.unit}")
    return redirect("market:products", pk=enterprise.pk)


@require_POST
@login_required
def count(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    form = CountForm(enterprise, request.POST)
    if not form.is_valid():
        return _products_page(request, enterprise, 400, count_form=form)
    product = form.cleaned_data["product"]
    try:
        move = market.adjust(
            product,
            form.cleaned_data["counted"],
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
    except EconomyError as err:
        add_service_error(form, err)
        return _products_page(request, enterprise, err.http_status, count_form=form)
    change = f"调整 {move.delta:+d}" if move else "与账面一致"
    messages.success(
        request, f"“{product.name}”盘点完成：{change}，现有 {product.stock} {product.unit}"
    )
    return redirect("market:products", pk=enterprise.pk)


# --- producers and payouts -----------------------------------------------------------------


def _owed_by_producer(enterprise: SocialEnterprise, up_to: dt.date) -> dict[int, Owed]:
    """What each producer of ``enterprise`` is owed up to the end of local day ``up_to``, in
    one query — the same lines as :func:`linli.economy.market_payouts.owed` (unpaid, sold
    before the end of that day); producers owed nothing are absent."""
    end = timezone.make_aware(dt.datetime.combine(up_to + dt.timedelta(days=1), dt.time()))
    lines: dict[int, list[ProductSaleLine]] = defaultdict(list)
    for line in (
        ProductSaleLine.objects.filter(
            producer__enterprise=enterprise, payout__isnull=True, sale__sold_at__lt=end
        )
        .select_related("sale", "product", "producer")
        .order_by("sale__sold_at", "pk")
    ):
        lines[line.producer_id].append(line)
    return {pk: Owed(group[0].producer, up_to, group) for pk, group in lines.items()}


def _producers_page(
    request: HttpRequest,
    enterprise: SocialEnterprise,
    status: int = 200,
    form: ProducerForm | None = None,
    pay_form: tuple[int, PayForm] | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    rows = []
    owed_all = _owed_by_producer(enterprise, today)
    for producer in enterprise.producers.select_related("resident").order_by("name"):
        bound = pay_form[1] if pay_form and pay_form[0] == producer.pk else None
        owed = owed_all.get(producer.pk) or Owed(producer, today, [])
        method = payout_method_for(producer.payee) or market.PayoutMethod.CASH
        initial = {"up_to": today, "method": method}
        rows.append(
            {
                "producer": producer,
                "share": f"{producer.share_bp / 100:g}%",
                "owed": yuan(owed.total_fen),
                "owed_fen": owed.total_fen,
                "lines": len(owed.lines),
                "form": bound or PayForm(initial=initial, auto_id=f"p{producer.pk}_%s"),
            }
        )
    payouts = (
        ProducerPayout.objects.filter(producer__enterprise=enterprise)
        .select_related("producer")
        .order_by("-paid_at", "-pk")[:100]
    )
    context = {
        "rows": rows,
        "form": form or ProducerForm(),
        "payouts": [{"payout": p, "amount": yuan(p.amount_fen)} for p in payouts],
    }
    return page(request, "producers.html", enterprise, context, status)


@login_required
def producers(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    if request.method != "POST":
        return _producers_page(request, enterprise)
    form = ProducerForm(request.POST)
    if not form.is_valid():
        return _producers_page(request, enterprise, 400, form=form)
    try:
        producer = market.add_producer(
            enterprise,
            kind=form.cleaned_data["kind"],
            name=form.cleaned_data["name"],
            share_bp=form.share_bp,
            payee=form.cleaned_data["payee"],
        )
    except EconomyError as err:
        add_service_error(form, err)
        return _producers_page(request, enterprise, err.http_status, form=form)
    messages.success(request, f"已添加生产者 {producer.name}")
    return redirect("market:producers", pk=enterprise.pk)


@require_POST
@login_required
def pay(request: HttpRequest, pk: int, producer_pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    producer = Producer.objects.filter(enterprise=enterprise, pk=producer_pk).first()
    if producer is None:
        raise Http404("没有找到这个生产者")
    form = PayForm(request.POST, auto_id=f"p{producer.pk}_%s")
    if not form.is_valid():
        return _producers_page(request, enterprise, 400, pay_form=(producer.pk, form))
    try:
        payout = market.pay_producer(
            producer,
            form.cleaned_data["up_to"],
            method=form.cleaned_data["method"],
            reference=form.cleaned_data["reference"],
            by=request.user,
        )
    except EconomyError as err:
        add_service_error(form, err)
        return _producers_page(request, enterprise, err.http_status, pay_form=(producer.pk, form))
    messages.success(
        request,
        f"已向 {producer.name} 支付分成 {yuan(payout.amount_fen)}（结算单 {payout.number}）",
    )
    return redirect("market:producers", pk=enterprise.pk)


# --- events and the livestream batch -------------------------------------------------------


def _events_page(
    request: HttpRequest,
    enterprise: SocialEnterprise,
    form: EventForm | None = None,
    status: int = 200,
) -> HttpResponse:
    events = enterprise.market_events.order_by("-starts_at")[:200]
    return page(
        request, "events.html", enterprise, {"events": events, "form": form or EventForm()}, status
    )


@login_required
def events(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    if request.method != "POST":
        return _events_page(request, enterprise)
    form = EventForm(request.POST)
    if not form.is_valid():
        return _events_page(request, enterprise, form, 400)
    try:
        event = market.add_event(enterprise, **form.cleaned_data)
    except EconomyError as err:
        add_service_error(form, err)
        return _events_page(request, enterprise, form, err.http_status)
    messages.success(request, f"已添加{event.get_kind_display()}“{event.title}”")
    return redirect("market:event", pk=enterprise.pk, event_pk=event.pk)


def _event(enterprise: SocialEnterprise, event_pk: int) -> MarketEvent:
    event = enterprise.market_events.filter(pk=event_pk).first()
    if event is None:
        raise Http404("没有找到这个场次")
    return event


def _event_page(
    request: HttpRequest,
    enterprise: SocialEnterprise,
    event: MarketEvent,
    form: UploadForm | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    sales = list(event.sales.order_by("-sold_at", "-pk").prefetch_related("lines__product")[:500])
    context = {
        "event": event,
        "starts": local(event.starts_at),
        "ends": local(event.ends_at),
        "sales": [{"sale": s, "total": yuan(s.total_fen - s.refunded_fen)} for s in sales],
        "total": yuan(sum(s.total_fen - s.refunded_fen for s in sales)),
        "form": form or UploadForm(),
        "problems": problems or [],
        "livestream": event.kind == EventKind.LIVESTREAM,
        "running": event.starts_at <= timezone.now() <= event.ends_at,
    }
    return page(request, "event.html", enterprise, context, status)


@require_safe
@login_required
def event_detail(request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    return _event_page(request, enterprise, _event(enterprise, event_pk))


@require_POST
@login_required
def event_import(request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
    enterprise = enterprise_for(request, pk)
    event = _event(enterprise, event_pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _event_page(request, enterprise, event, form, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD:
        form.add_error("file", "文件超过 5 MB，请拆分后上传")
        return _event_page(request, enterprise, event, form, status=400)
    try:
        result = import_livestream_batch(event, upload.read(), upload.name, by=request.user)
    except BatchRejected as err:
        form.add_error(None, str(err))
        problems = [str(p) for p in err.problems]
        return _event_page(request, enterprise, event, form, problems, err.http_status)
    except EconomyError as err:
        add_service_error(form, err)
        return _event_page(request, enterprise, event, form, status=err.http_status)
    messages.success(
        request,
        f"已导入 {result.orders} 个订单，共 {result.units} 件，金额 {yuan(result.total_fen)}",
    )
    return redirect("market:event", pk=enterprise.pk, event_pk=event.pk)
