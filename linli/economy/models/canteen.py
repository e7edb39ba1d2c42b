"""The shared canteen: menus, counter sales (receipts and meal lines), subsidies, 留样.

A :class:`Sale` is one receipt; each :class:`MealLine` on it is one standard combination
(一荤一素) for one diner, priced by the eligibility scheme ``canteen_meal`` on the day of
the meal, with the funding sources' shares in :class:`MealSubsidy`. A registered diner
gets at most one live meal per menu (lunch or dinner of one day) — a partial unique
index, so a meal sold twice, on one receipt or two, fails in the database as well as in
the service. Walk-ins (no registered diner) pay the list price and may buy several.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from linli.common.models import TimeStamped
from linli.economy.models.company import BusinessLine, DinerCard, SocialEnterprise
from linli.people.models import Resident
from linli.places.models import Facility


class Canteen(TimeStamped):
    """A canteen run by the enterprise; meal times are local wall-clock times."""

    enterprise = models.ForeignKey(
        SocialEnterprise, on_delete=models.CASCADE, related_name="canteens"
    )
    line = models.ForeignKey(
        BusinessLine, on_delete=models.PROTECT, related_name="canteens", verbose_name="业务板块"
    )
    facility = models.ForeignKey(
        Facility, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="设施"
    )
    name = models.CharField("名称", max_length=100)
    scheme_code = models.CharField(
        "价格方案", max_length=50, default="canteen_meal", help_text="资格与价格方案代码"
    )
    lunch_start = models.TimeField("午餐开始", default=dt.time(11))
    lunch_end = models.TimeField("午餐结束", default=dt.time(13, 30))
    dinner_start = models.TimeField("晚餐开始", default=dt.time(17))
    dinner_end = models.TimeField("晚餐结束", default=dt.time(19))

    class Meta:
        verbose_name = "共享食堂"
        verbose_name_plural = "共享食堂"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Meal(models.TextChoices):
    LUNCH = "lunch", "午餐"
    DINNER = "dinner", "晚餐"


class Menu(TimeStamped):
    """One meal's menu (a day's lunch or dinner) with its dishes."""

    canteen = models.ForeignKey(Canteen, on_delete=models.CASCADE, related_name="menus")
    date = models.DateField("日期")
    meal = models.CharField("餐次", max_length=10, choices=Meal.choices)
    note = models.CharField("备注", max_length=200, blank=True)
    published = models.BooleanField("已公布", default=True)

    class Meta:
        verbose_name = "菜单"
        verbose_name_plural = "菜单"
        ordering = ["-date", "meal"]
        constraints = [
            models.UniqueConstraint(fields=["canteen", "date", "meal"], name="economy_menu_once")
        ]

    def __str__(self) -> str:
        return f"{self.date:%m-%d} {self.get_meal_display()}"


class DishKind(models.TextChoices):
    MEAT = "meat", "荤菜"
    VEGETABLE = "vegetable", "素菜"
    STAPLE = "staple", "主食"
    SOUP = "soup", "汤"


class Dish(models.Model):
    """A dish on a menu; ``portion`` in words (``150 克``, ``1 碗``)."""

    menu = models.ForeignKey(Menu, on_delete=models.CASCADE, related_name="dishes")
    kind = models.CharField("类别", max_length=10, choices=DishKind.choices)
    name = models.CharField("菜名", max_length=50)
    portion = models.CharField("份量", max_length=30, blank=True)
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "菜品"
        verbose_name_plural = "菜品"
        ordering = ["menu", "order", "pk"]

    def __str__(self) -> str:
        return self.name


class SaleChannel(models.TextChoices):
    COUNTER = "counter", "窗口"
    DELIVERY = "delivery", "送餐"


class IdentifiedBy(models.TextChoices):
    CARD = "card", "居民卡扫码"
    PHONE = "phone", "手机号"
    NAME = "name", "姓名查找"
    ORDER = "order", "助餐订单"
    WALK_IN = "walk_in", "散客"


class PaymentMethod(models.TextChoices):
    CASH = "cash", "现金"
    QR = "qr", "扫码支付"
    CARD = "card", "居民卡余额"
    ORDER = "order", "随订单结算"


class Sale(TimeStamped):
    """A canteen receipt (小票): one or more meals, one payment.

    ``total_fen`` is what was paid; ``refunded_fen`` what has been given back (never more
    than the total, a check constraint). ``payment_ref`` is the QR payment's transaction
    reference (required for QR payments). ``receipt_token`` is the counter form's one-time
    token: unique when set, so a receipt submitted twice — even to two web processes at
    once — is sold once.
    """

    canteen = models.ForeignKey(Canteen, on_delete=models.PROTECT, related_name="sales")
    number = models.CharField("小票号", max_length=30, unique=True)
    menu = models.ForeignKey(Menu, on_delete=models.PROTECT, related_name="sales")
    channel = models.CharField(
        "渠道", max_length=10, choices=SaleChannel.choices, default=SaleChannel.COUNTER
    )
    identified_by = models.CharField("识别方式", max_length=10, choices=IdentifiedBy.choices)
    payer = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="canteen_sales",
        verbose_name="付款居民",
    )
    payment = models.CharField("付款方式", max_length=10, choices=PaymentMethod.choices)
    payment_ref = models.CharField("支付流水号", max_length=64, blank=True)
    card = models.ForeignKey(
        DinerCard, on_delete=models.PROTECT, null=True, blank=True, verbose_name="居民卡"
    )
    order = models.OneToOneField(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="canteen_sale",
        verbose_name="助餐订单",
    )
    total_fen = models.PositiveIntegerField("实收（分）")
    refunded_fen = models.PositiveIntegerField("已退（分）", default=0)
    sold_at = models.DateTimeField("时间", db_index=True)
    receipt_token = models.CharField(
        "提交令牌", max_length=64, blank=True, default="", editable=False
    )
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="收银员"
    )

    class Meta:
        verbose_name = "食堂小票"
        verbose_name_plural = "食堂小票"
        ordering = ["-sold_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refunded_fen__lte=models.F("total_fen")),
                name="economy_sale_refund_le_total",
            ),
            models.UniqueConstraint(
                fields=["receipt_token"],
                condition=~models.Q(receipt_token=""),
                name="economy_sale_token_once",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class MealLine(models.Model):
    """One standard combination on a receipt.

    ``diner`` is ``None`` for walk-ins (then ``quantity`` may exceed 1); ``price_fen`` is
    per meal; ``tier`` and ``reason`` are the engine's words at the time of sale;
    ``voided`` is set by a refund of this meal (its subsidies are then not claimed);
    ``refunded_quantity`` counts walk-in meals refunded one by one.
    """

    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="meals")
    menu = models.ForeignKey(Menu, on_delete=models.PROTECT, related_name="meal_lines")
    diner = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="canteen_meals",
        verbose_name="就餐人",
    )
    quantity = models.PositiveSmallIntegerField("份数", default=1)
    refunded_quantity = models.PositiveSmallIntegerField("已退份数", default=0)
    list_price_fen = models.PositiveIntegerField("标价（分）")
    price_fen = models.PositiveIntegerField("单价（分）")
    tier = models.CharField("价格档位", max_length=50, blank=True)
    reason = models.CharField("定价依据", max_length=200)
    voided = models.BooleanField("已退", default=False)

    class Meta:
        verbose_name = "餐品"
        verbose_name_plural = "餐品"
        ordering = ["sale", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["menu", "diner"],
                condition=models.Q(diner__isnull=False, voided=False),
                name="economy_one_meal_per_diner_per_menu",
            ),
            models.CheckConstraint(
                condition=models.Q(diner__isnull=True) | models.Q(quantity=1),
                name="economy_registered_meal_single",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_quantity__lte=models.F("quantity")),
                name="economy_refunded_le_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id}:{self.diner_id or '散客'}"

    @property
    def amount_fen(self) -> int:
        return self.price_fen * self.quantity


class MealSubsidy(models.Model):
    """What one funding source owes for one meal (the claim's unit row)."""

    line = models.ForeignKey(MealLine, on_delete=models.CASCADE, related_name="subsidies")
    source = models.CharField("资金来源", max_length=100, db_index=True)
    amount_fen = models.PositiveIntegerField("补贴（分）")
    reason = models.CharField("补贴依据", max_length=200, blank=True)
    claim = models.ForeignKey(
        "economy.SubsidyClaim",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        verbose_name="申报单",
    )

    class Meta:
        verbose_name = "餐补明细"
        verbose_name_plural = "餐补明细"

    def __str__(self) -> str:
        return f"{self.source} {self.amount_fen}"


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", "已申报"
    PAID = "paid", "已拨付"


class SubsidyClaim(TimeStamped):
    """A monthly subsidy claim to one funding source; its items are frozen at creation."""

    canteen = models.ForeignKey(Canteen, on_delete=models.PROTECT, related_name="claims")
    source = models.CharField("资金来源", max_length=100)
    month = models.DateField("月份", help_text="该月 1 日")
    number = models.CharField("申报单号", max_length=30, unique=True)
    meals = models.PositiveIntegerField("餐次数")
    people = models.PositiveIntegerField("人数")
    total_fen = models.PositiveIntegerField("申报金额（分）")
    status = models.CharField(
        "状态", max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED
    )
    paid_fen = models.PositiveIntegerField("到账金额（分）", null=True, blank=True)
    paid_on = models.DateField("到账日期", null=True, blank=True)
    paid_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="到账登记人",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "补贴申报"
        verbose_name_plural = "补贴申报"
        ordering = ["-month", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["canteen", "source", "month"], name="economy_claim_once"
            )
        ]

    def __str__(self) -> str:
        return self.number


class Refund(models.Model):
    """Money given back on a receipt; ``lines`` are the meals voided by it (may be none)."""

    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="refunds")
    amount_fen = models.PositiveIntegerField("退款（分）")
    reason = models.CharField("原因", max_length=200)
    lines = models.ManyToManyField(MealLine, blank=True, related_name="refunds")
    at = models.DateTimeField("时间")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "退款"
        verbose_name_plural = "退款"
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__gt=0), name="economy_refund_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sale_id} -{self.amount_fen}"


class FoodSample(models.Model):
    """A retained food sample (留样) of one dish.

    Rule (《餐饮服务食品安全操作规范》2018, 6.6): each dish at least 125 g, kept
    refrigerated for at least 48 hours, recorded with who took it and when;
    ``keep_until`` = ``taken_at`` + 48 h. ``discarded_at`` is set when thrown away.
    """

    dish = models.ForeignKey(Dish, on_delete=models.PROTECT, related_name="samples")
    weight_g = models.PositiveSmallIntegerField("留样量（克）")
    taken_at = models.DateTimeField("留样时间")
    taken_by = models.CharField("留样人", max_length=50)
    fridge = models.CharField("存放冰箱", max_length=50, blank=True)
    keep_until = models.DateTimeField("保存至")
    discarded_at = models.DateTimeField("销毁时间", null=True, blank=True)
    discarded_by = models.CharField("销毁人", max_length=50, blank=True)

    class Meta:
        verbose_name = "留样记录"
        verbose_name_plural = "留样记录"
        ordering = ["-taken_at"]
        constraints = [models.UniqueConstraint(fields=["dish"], name="economy_one_sample_per_dish")]

    def __str__(self) -> str:
        return f"{self.dish_id} {self.weight_g}g"
