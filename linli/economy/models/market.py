"""The local-products market: producers, products and stock, sales, producers' payouts.

Stock is an integer count per product (``stock >= 0`` a check constraint); every change
is a :class:`StockMove`. A :class:`ProductSale` is sold at the counter, at a doorstep
market event or in a livestream batch (:class:`MarketEvent`); each line remembers the
producer's share at the time of sale, and a :class:`ProducerPayout` settles the unpaid
shares of one producer.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from linli.common.models import TimeStamped
from linli.economy.models.company import FULL_STAKE_BP, BusinessLine, SocialEnterprise
from linli.people.models import Resident


class ProducerKind(models.TextChoices):
    RESIDENT = "resident", "居民"
    LIVESTREAM_TEAM = "livestream_team", "直播团队"
    FARMER = "farmer", "农户"
    COOPERATIVE = "cooperative", "合作社"
    OTHER = "other", "其他"


class Producer(TimeStamped):
    """Who made or grew a product; ``share_bp`` of each sale is theirs (7000 = 70 %)."""

    enterprise = models.ForeignKey(
        SocialEnterprise, on_delete=models.CASCADE, related_name="producers"
    )
    kind = models.CharField("类型", max_length=20, choices=ProducerKind.choices)
    name = models.CharField("名称", max_length=100)
    resident = models.ForeignKey(
        Resident, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="对应居民"
    )
    share_bp = models.PositiveIntegerField(
        "分成比例（基点）", validators=[MaxValueValidator(FULL_STAKE_BP)], default=7000
    )
    payee = models.CharField("收款方式", max_length=100, blank=True, help_text="如：微信转账")
    active = models.BooleanField("合作中", default=True)

    class Meta:
        verbose_name = "生产者"
        verbose_name_plural = "生产者"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "name"], name="economy_producer_once"),
            models.CheckConstraint(
                condition=models.Q(share_bp__lte=FULL_STAKE_BP), name="economy_share_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProductCategory(models.TextChoices):
    HANDICRAFT = "handicraft", "手工艺品"
    TEA = "tea", "八宝茶"
    PRODUCE = "produce", "农产品"
    FOOD = "food", "特色食品"
    OTHER = "other", "其他"


class Product(TimeStamped):
    """A product for sale; ``price_fen`` per ``unit``; ``stock`` in units."""

    enterprise = models.ForeignKey(
        SocialEnterprise, on_delete=models.CASCADE, related_name="products"
    )
    line = models.ForeignKey(
        BusinessLine, on_delete=models.PROTECT, related_name="products", verbose_name="业务板块"
    )
    producer = models.ForeignKey(
        Producer, on_delete=models.PROTECT, related_name="products", verbose_name="生产者"
    )
    code = models.CharField("货号", max_length=30)
    name = models.CharField("品名", max_length=100)
    category = models.CharField("类别", max_length=20, choices=ProductCategory.choices)
    unit = models.CharField("单位", max_length=10, default="件")
    price_fen = models.PositiveIntegerField("售价（分）")
    stock = models.IntegerField("库存", default=0)
    active = models.BooleanField("在售", default=True)
    history_note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "商品"
        verbose_name_plural = "商品"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "code"], name="economy_product_code_once"
            ),
            models.CheckConstraint(
                condition=models.Q(stock__gte=0), name="economy_stock_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StockMoveKind(models.TextChoices):
    RECEIVE = "receive", "入库"
    SALE = "sale", "销售"
    REFUND = "refund", "退货"
    ADJUST = "adjust", "盘点调整"


class StockMove(models.Model):
    """One change of a product's stock; ``delta`` signed; ``stock_after`` for the ledger."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="moves")
    kind = models.CharField("类型", max_length=10, choices=StockMoveKind.choices)
    delta = models.IntegerField("数量变化")
    stock_after = models.IntegerField("变动后库存")
    reference = models.CharField("单号/说明", max_length=100, blank=True)
    at = models.DateTimeField("时间")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "库存流水"
        verbose_name_plural = "库存流水"
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.product_id} {self.delta:+d}"


class EventKind(models.TextChoices):
    DOORSTEP = "doorstep", "家门口集市"
    LIVESTREAM = "livestream", "直播带货"


class MarketEvent(TimeStamped):
    """A doorstep market or a livestream session whose sales are recorded together."""

    enterprise = models.ForeignKey(
        SocialEnterprise, on_delete=models.CASCADE, related_name="market_events"
    )
    kind = models.CharField("类型", max_length=20, choices=EventKind.choices)
    title = models.CharField("名称", max_length=100)
    place = models.CharField("地点/平台", max_length=100)
    starts_at = models.DateTimeField("开始")
    ends_at = models.DateTimeField("结束")
    host = models.CharField("主持/主播", max_length=100, blank=True)

    class Meta:
        verbose_name = "集市/直播场次"
        verbose_name_plural = "集市/直播场次"
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="economy_event_order"
            )
        ]

    def __str__(self) -> str:
        return self.title


class MarketChannel(models.TextChoices):
    COUNTER = "counter", "门店柜台"
    DOORSTEP = "doorstep", "家门口集市"
    LIVESTREAM = "livestream", "直播"


class ProductSale(TimeStamped):
    """A market receipt; ``external_ref`` is the livestream platform's order number."""

    enterprise = models.ForeignKey(
        SocialEnterprise, on_delete=models.PROTECT, related_name="product_sales"
    )
    number = models.CharField("单号", max_length=30, unique=True)
    channel = models.CharField("渠道", max_length=20, choices=MarketChannel.choices)
    event = models.ForeignKey(
        MarketEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="sales"
    )
    external_ref = models.CharField("平台订单号", max_length=64, blank=True)
    payment = models.CharField("付款方式", max_length=10)
    payment_ref = models.CharField("支付流水号", max_length=64, blank=True)
    total_fen = models.PositiveIntegerField("实收（分）")
    refunded_fen = models.PositiveIntegerField("已退（分）", default=0)
    sold_at = models.DateTimeField("时间", db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "商品销售单"
        verbose_name_plural = "商品销售单"
        ordering = ["-sold_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refunded_fen__lte=models.F("total_fen")),
                name="economy_product_refund_le_total",
            ),
            models.UniqueConstraint(
                fields=["enterprise", "external_ref"],
                condition=~models.Q(external_ref=""),
                name="economy_platform_order_once",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ProductRefund(models.Model):
    """Money given back on a market receipt, with goods returned (``with_goods``) or
    without (a partial refund the enterprise bears); the reason and who gave it."""

    sale = models.ForeignKey(ProductSale, on_delete=models.PROTECT, related_name="refunds")
    amount_fen = models.PositiveIntegerField("退款（分）")
    with_goods = models.BooleanField("退货", default=False)
    reason = models.CharField("原因", max_length=200)
    at = models.DateTimeField("时间")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "商品退款"
        verbose_name_plural = "商品退款"
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__gt=0), name="economy_product_refund_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sale_id} -{self.amount_fen}"


class ProducerPayout(TimeStamped):
    """A payment of producer shares; settles the lines that point at it."""

    producer = models.ForeignKey(Producer, on_delete=models.PROTECT, related_name="payouts")
    number = models.CharField("结算单号", max_length=30, unique=True)
    up_to = models.DateField("结算截至（含）")
    amount_fen = models.PositiveIntegerField("金额（分）")
    method = models.CharField("方式", max_length=50)
    reference = models.CharField("转账流水号", max_length=64, blank=True)
    paid_at = models.DateTimeField("支付时间")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "生产者分成结算"
        verbose_name_plural = "生产者分成结算"
        ordering = ["-paid_at"]


class ProductSaleLine(models.Model):
    """One product on a market receipt; ``producer_share_fen`` fixed at sale time;
    ``returned`` units were refunded (their share is not paid out)."""

    sale = models.ForeignKey(ProductSale, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="sale_lines")
    producer = models.ForeignKey(Producer, on_delete=models.PROTECT, related_name="sale_lines")
    quantity = models.PositiveIntegerField("数量")
    returned = models.PositiveIntegerField("退货数量", default=0)
    unit_price_fen = models.PositiveIntegerField("单价（分）")
    share_bp = models.PositiveIntegerField("分成比例（基点）")
    payout = models.ForeignKey(
        ProducerPayout, on_delete=models.PROTECT, null=True, blank=True, related_name="lines"
    )

    class Meta:
        verbose_name = "销售明细"
        verbose_name_plural = "销售明细"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0) & models.Q(returned__lte=models.F("quantity")),
                name="economy_line_quantity",
            ),
            models.UniqueConstraint(
                fields=["sale", "product"], name="economy_product_once_per_sale"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id}:{self.product_id}×{self.quantity}"

    @property
    def amount_fen(self) -> int:
        return self.unit_price_fen * (self.quantity - self.returned)

    @property
    def producer_share_fen(self) -> int:
        """The producer's share of the kept units, rounded down to the fen."""
        return self.amount_fen * self.share_bp // FULL_STAKE_BP
