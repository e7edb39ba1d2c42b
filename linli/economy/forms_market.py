"""Forms of the market pages. Money is typed in 元 (:class:`~linli.economy.forms_money.YuanField`,
integer fen once cleaned); the domain rules stay in :mod:`linli.economy.market` and its
errors are put on the field they name (:func:`add_service_error`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone

from linli.common.windows import local
from linli.economy.errors import EconomyError
from linli.economy.forms_money import YuanField
from linli.economy.market import MAX_QUANTITY, MarketPayment, PayoutMethod
from linli.economy.models import (
    EventKind,
    MarketChannel,
    MarketEvent,
    Producer,
    ProducerKind,
    Product,
    ProductCategory,
    ProductSale,
    SocialEnterprise,
)
from linli.eligibility.money import yuan

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
#: Product rows on the sale form.
SALE_ROWS = 6
#: The longest sales export (days).
MAX_EXPORT_DAYS = 366
#: The blank choice of every select on the market pages (instead of Django's "---------").
EMPTY_LABEL = "请选择"
#: Words in a producer's ``payee`` text that name a payout method (see :func:`payout_method_for`).
PAYEE_WORDS = {
    "微信": PayoutMethod.WECHAT,
    "支付宝": PayoutMethod.ALIPAY,
    "银行": PayoutMethod.BANK,
    "现金": PayoutMethod.CASH,
}


def add_service_error(form: forms.Form, err: EconomyError) -> None:
    """Show a service error by its field when the form has it, else above the form."""
    form.add_error(err.field if err.field in form.fields else None, str(err))


def _required(label: str) -> dict[str, str]:
    return {"required": f"请填写{label}", "invalid": f"{label}格式不对"}


def _count(label: str, *, minimum: int = 1) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=minimum,
        max_value=MAX_QUANTITY,
        error_messages=_required(label)
        | {
            "invalid": f"{label}须为整数",
            "min_value": f"{label}不能小于 {minimum}",
            "max_value": f"{label}不能超过 {MAX_QUANTITY}",
        },
    )


class ProductChoiceField(forms.ModelChoiceField):
    """A product as the cashier picks it: code, name, price per unit and stock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", EMPTY_LABEL)
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name} · {yuan(obj.price_fen)}/{obj.unit} · 库存 {obj.stock}"


class _EnterpriseForm(forms.Form):
    """A form whose choices are limited to one enterprise's records."""

    def __init__(self, enterprise: SocialEnterprise, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise


def _products(enterprise: SocialEnterprise) -> Any:
    return Product.objects.filter(enterprise=enterprise, active=True).order_by("code")


class ProductForm(_EnterpriseForm):
    code = forms.CharField(label="货号", max_length=30, error_messages=_required("货号"))
    name = forms.CharField(label="品名", max_length=100, error_messages=_required("品名"))
    category = forms.ChoiceField(label="类别", choices=ProductCategory.choices)
    unit = forms.CharField(label="单位", max_length=10, initial="件")
    price = YuanField(label="售价（元）", min_fen=1, error_messages={"required": "请填写售价"})
    producer = forms.ModelChoiceField(
        label="生产者",
        queryset=Producer.objects.none(),
        empty_label=EMPTY_LABEL,
        error_messages={"required": "请选择生产者", "invalid_choice": "请选择本企业的生产者"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["producer"].queryset = Producer.objects.filter(  # type: ignore[attr-defined]
            enterprise=self.enterprise, active=True
        )


class _ProductChoice(_EnterpriseForm):
    product = ProductChoiceField(
        label="商品",
        queryset=Product.objects.none(),
        error_messages={"required": "请选择商品", "invalid_choice": "请选择本企业在售的商品"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = _products(self.enterprise)  # type: ignore[attr-defined]


class ReceiveForm(_ProductChoice):
    quantity = _count("入库数量")
    reference = forms.CharField(label="来源/单号", max_length=100, required=False)


class CountForm(_ProductChoice):
    counted = _count("盘点数量", minimum=0)
    reason = forms.CharField(label="盘点说明", max_length=100, error_messages=_required("盘点说明"))


class ProducerForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=ProducerKind.choices)
    name = forms.CharField(label="名称", max_length=100, error_messages=_required("名称"))
    share = forms.DecimalField(
        label="分成比例（%）",
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        initial=70,
        error_messages={
            "required": "请填写分成比例",
            "invalid": "分成比例须为数字，如 70",
            "min_value": "分成比例不能小于 0%",
            "max_value": "分成比例不能超过 100%",
            "max_decimal_places": "分成比例最多两位小数",
        },
    )
    payee = forms.CharField(label="收款方式", max_length=100, required=False)

    @property
    def share_bp(self) -> int:
        """The share in basis points (70 % → 7000)."""
        return int(self.cleaned_data["share"] * 100)


def payout_method_for(payee: str) -> str | None:
    """The :class:`PayoutMethod` value that a producer's ``payee`` text names, or None.

    ``"微信转账"``, ``"微信 138…"`` → 微信转账; ``"支付宝 a@b.cn"`` → 支付宝转账; ``"银行卡 工行…"``
    → 银行转账; ``"现金"`` → 现金; the word that comes first in the text wins; text naming no
    method (``""``, ``"找马大叔"``) → None (the pay form then starts at 现金).
    """
    found = [(payee.find(word), method) for word, method in PAYEE_WORDS.items() if word in payee]
    return str(min(found)[1]) if found else None


class PayForm(forms.Form):
    up_to = forms.DateField(
        label="结算截至（含）", widget=DATE_INPUT, error_messages=_required("日期")
    )
    method = forms.ChoiceField(label="支付方式", choices=PayoutMethod.choices)
    reference = forms.CharField(label="转账流水号", max_length=64, required=False)


class EventForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=EventKind.choices)
    title = forms.CharField(label="名称", max_length=100, error_messages=_required("名称"))
    place = forms.CharField(label="地点/平台", max_length=100, error_messages=_required("地点"))
    starts_at = forms.DateTimeField(
        label="开始", widget=DATETIME_INPUT, error_messages=_required("开始时间")
    )
    ends_at = forms.DateTimeField(
        label="结束", widget=DATETIME_INPUT, error_messages=_required("结束时间")
    )
    host = forms.CharField(label="主持/主播", max_length=100, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", "结束时间必须晚于开始时间")
        return data


class EventChoiceField(forms.ModelChoiceField):
    """A market event labelled with its kind, title and local date/time."""

    def label_from_instance(self, obj: Any) -> str:
        start, end = local(obj.starts_at), local(obj.ends_at)
        until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
        return f"{obj.get_kind_display()} · {obj.title} · {start:%Y-%m-%d %H:%M}–{until}"


def sale_events(enterprise: SocialEnterprise, at: dt.datetime | None = None) -> Any:
    """The events a sale at ``at`` (default now) may belong to: doorstep markets running
    at that moment and livestreams at any time (their orders are recorded after the
    stream) — the same rule as ``market.sell_products``; newest first."""
    at = at or timezone.now()
    running = Q(kind=EventKind.DOORSTEP, starts_at__lte=at, ends_at__gte=at)
    return MarketEvent.objects.filter(
        running | Q(kind=EventKind.LIVESTREAM), enterprise=enterprise
    ).order_by("-starts_at", "-pk")


class SaleForm(_EnterpriseForm):
    """Up to :data:`SALE_ROWS` rows of product + quantity, the channel and the payment.

    The event choice offers only :func:`sale_events`; ``market_running`` says whether a
    doorstep market is running now (the page warns before the cashier picks 家门口集市)."""

    channel = forms.ChoiceField(label="渠道", choices=MarketChannel.choices)
    event = EventChoiceField(
        label="集市/直播场次",
        queryset=MarketEvent.objects.none(),
        required=False,
        empty_label=f"{EMPTY_LABEL}（门店柜台不选）",
        error_messages={
            "invalid_choice": "这个场次已结束或不属于本企业，请选正在进行的集市或直播场次"
        },
    )
    payment = forms.ChoiceField(label="付款方式", choices=MarketPayment.choices)
    payment_ref = forms.CharField(label="支付流水号", max_length=64, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products = _products(self.enterprise)
        events = sale_events(self.enterprise)
        self.fields["event"].queryset = events  # type: ignore[attr-defined]
        self.market_running = any(e.kind == EventKind.DOORSTEP for e in events)
        for n in range(SALE_ROWS):
            self.fields[f"product_{n}"] = ProductChoiceField(
                label=f"商品 {n + 1}",
                queryset=products,
                required=False,
                error_messages={"invalid_choice": "请选择本企业在售的商品"},
            )
            self.fields[f"quantity_{n}"] = forms.IntegerField(
                label=f"数量 {n + 1}",
                required=False,
                min_value=1,
                max_value=MAX_QUANTITY,
                error_messages={
                    "invalid": "数量须为整数",
                    "min_value": "数量至少为 1",
                    "max_value": f"数量不能超过 {MAX_QUANTITY}",
                },
            )

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"product_{n}"], self[f"quantity_{n}"]) for n in range(SALE_ROWS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        items = []
        for n in range(SALE_ROWS):
            product, quantity = data.get(f"product_{n}"), data.get(f"quantity_{n}")
            if product is not None and quantity is None and f"quantity_{n}" not in self.errors:
                self.add_error(f"quantity_{n}", "请填写数量")
            elif product is None and quantity is not None:
                self.add_error(f"product_{n}", "请选择商品")
            elif product is not None and quantity is not None:
                items.append((product, quantity))
        if not items and not self.errors:
            raise forms.ValidationError("请至少选择一件商品并填写数量")
        data["items"] = items
        return data


class UploadForm(forms.Form):
    file = forms.FileField(
        label="平台订单导出文件（.xlsx 或 .csv）",
        error_messages={"required": "请选择文件", "empty": "文件是空的"},
    )


class ReturnForm(forms.Form):
    """A quantity to return per line of ``sale`` (``line_<pk>``), and the reason."""

    reason = forms.CharField(label="退货原因", max_length=80, error_messages=_required("退货原因"))

    def __init__(self, sale: ProductSale, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(sale.lines.select_related("product").order_by("pk"))
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{line.product.name}（最多 {line.quantity - line.returned}）",
                required=False,
                min_value=0,
                error_messages={"invalid": "数量须为整数", "min_value": "数量不能为负数"},
            )

    def returns(self) -> list[tuple[Any, int]]:
        return [
            (line, self.cleaned_data[f"line_{line.pk}"])
            for line in self.lines
            if self.cleaned_data.get(f"line_{line.pk}")
        ]


class RefundForm(forms.Form):
    amount = YuanField(
        label="退款金额（元）", min_fen=1, error_messages={"required": "请填写退款金额"}
    )
    reason = forms.CharField(label="退款原因", max_length=80, error_messages=_required("退款原因"))


class RangeForm(forms.Form):
    start = forms.DateField(
        label="开始日期", widget=DATE_INPUT, error_messages=_required("开始日期")
    )
    end = forms.DateField(label="结束日期", widget=DATE_INPUT, error_messages=_required("结束日期"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "结束日期不能早于开始日期")
            elif (end - start).days >= MAX_EXPORT_DAYS:
                self.add_error("end", f"一次最多 {MAX_EXPORT_DAYS} 天")
        return data
