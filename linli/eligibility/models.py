"""Eligibility schemes: price tiers and subsidies decided by rules over a subject's facts.

A :class:`Scheme` (社区食堂助餐价格, code ``canteen_meal``) has :class:`Tier` rows tried in
``priority`` order (1 first); the first tier valid on the quote date whose condition holds
sets the price. Each tier may carry :class:`Subsidy` lines (who owes how much, on which
condition). Rows are versioned by validity dates, never edited in place for a new price:
end the old tier (``valid_to``) and add a new one. Money is integer fen throughout.

Write through :mod:`linli.eligibility.services` (which rejects overlapping tiers as a
whole); quote through :func:`linli.eligibility.engine.quote`.
"""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from linli.common.models import TimeStamped
from linli.eligibility.conditions import ALWAYS
from linli.eligibility.facts import SubjectKind
from linli.eligibility.money import yuan


def _always() -> dict[str, list[object]]:
    return dict(ALWAYS)


class Scheme(TimeStamped):
    """A price list or benefit decided by eligibility rules.

    ``list_price_fen`` is the price without any tier: what a walk-in (no registry record)
    pays, and the base a tier without its own price discounts from.
    """

    code = models.SlugField("代码", max_length=50, unique=True)
    name = models.CharField("名称", max_length=100)
    subject_kind = models.CharField(
        "适用对象", max_length=20, choices=SubjectKind.choices, default=SubjectKind.RESIDENT
    )
    unit = models.CharField("计价单位", max_length=20, default="份", blank=True)
    list_price_fen = models.PositiveIntegerField(
        "标价（分）",
        null=True,
        blank=True,
        help_text="散客/非登记居民的价格；单位：分（1 元 = 100 分）",
    )
    description = models.TextField("说明", blank=True, help_text="规则依据，例如文件名或报告出处")
    active = models.BooleanField("启用", default=True)
    history = HistoricalRecords(verbose_name="变更记录")

    class Meta:
        verbose_name = "资格方案"
        verbose_name_plural = "资格方案"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Tier(TimeStamped):
    """One rule of a scheme: if ``condition`` holds on a date within validity, this tier applies.

    ``condition`` follows :mod:`linli.eligibility.conditions`; ``reason`` is a Chinese
    template with ``{held}`` (the labels of the comparisons that held) and fact
    placeholders (``{age}``). ``price_fen`` ``None`` means base price minus subsidies.
    ``valid_to`` is inclusive; ``None`` means open-ended.
    """

    scheme = models.ForeignKey(
        Scheme, on_delete=models.CASCADE, related_name="tiers", verbose_name="方案"
    )
    priority = models.PositiveSmallIntegerField("优先级", help_text="数字小的先判断；1 最先")
    name = models.CharField("档位名称", max_length=50)
    condition = models.JSONField(
        "条件", default=_always, help_text='JSON，例如 {"fact": "age", "op": ">=", "value": 60}'
    )
    price_fen = models.PositiveIntegerField(
        "价格（分）", null=True, blank=True, help_text="留空：标价减去补贴"
    )
    reason = models.CharField(
        "理由模板",
        max_length=200,
        blank=True,
        help_text="例如：优惠价：{held}。{held} 为成立的条件，{age} 等为事实",
    )
    valid_from = models.DateField("生效日期")
    valid_to = models.DateField("失效日期", null=True, blank=True, help_text="含当日；留空为长期")
    history = HistoricalRecords(verbose_name="变更记录")

    class Meta:
        verbose_name = "价格档位"
        verbose_name_plural = "价格档位"
        ordering = ["scheme", "priority", "valid_from"]
        constraints = [
            # Backstop only: the full overlap check (any overlapping validity) is in services.
            models.UniqueConstraint(
                fields=["scheme", "priority", "valid_from"], name="tier_unique_start"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="tier_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.name} · {self.priority} · {self.name}"


class Subsidy(TimeStamped):
    """What a funding source owes per unit when its tier applies and ``condition`` holds.

    Every matching line of the applied tier is owed; make lines mutually exclusive with
    conditions when only one source should pay (the canteen seed does).
    """

    tier = models.ForeignKey(
        Tier, on_delete=models.CASCADE, related_name="subsidies", verbose_name="档位"
    )
    source = models.CharField("资金来源", max_length=100, help_text="例如：民政部门老年助餐补贴")
    amount_fen = models.PositiveIntegerField("补贴金额（分）")
    condition = models.JSONField("条件", default=_always)
    order = models.PositiveSmallIntegerField("顺序", default=1)
    history = HistoricalRecords(verbose_name="变更记录")

    class Meta:
        verbose_name = "补贴"
        verbose_name_plural = "补贴"
        ordering = ["tier", "order", "id"]

    def __str__(self) -> str:
        return f"{self.source} {yuan(self.amount_fen)}"
