"""Accounts per business line and month, the year-end close and the public-welfare fund.

Revenue from canteen and market sales and the producers' shares are computed from the
sales themselves (:mod:`linli.economy.accounts`); everything else (ingredients, wages,
rent, a grant) is a :class:`LedgerEntry`. A :class:`YearClose` freezes a year's profit and
puts the welfare allocation into the :class:`WelfareFund` as a :class:`FundMove`; the
fund's spending on :class:`WelfareProject` rows is published on the community's page.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from linli.common.models import TimeStamped
from linli.economy.models.company import BusinessLine, SocialEnterprise


class EntryKind(models.TextChoices):
    REVENUE = "revenue", "收入"
    COST = "cost", "成本费用"


class EntryCategory(models.TextChoices):
    INGREDIENTS = "ingredients", "食材采购"
    WAGES = "wages", "人员工资"
    RENT = "rent", "房租水电"
    GOODS = "goods", "商品采购"
    PLATFORM = "platform", "平台费用"
    EQUIPMENT = "equipment", "设备维修"
    GRANT = "grant", "政府补助/捐赠"
    SERVICE = "service", "服务收入"
    OTHER = "other", "其他"


class LedgerEntry(TimeStamped):
    """A revenue or cost recorded by hand; ``amount_fen`` > 0, the kind gives the sign."""

    enterprise = models.ForeignKey(
        SocialEnterprise, on_delete=models.PROTECT, related_name="entries"
    )
    line = models.ForeignKey(
        BusinessLine, on_delete=models.PROTECT, related_name="entries", verbose_name="业务板块"
    )
    date = models.DateField("日期")
    kind = models.CharField("收支", max_length=10, choices=EntryKind.choices)
    category = models.CharField("科目", max_length=20, choices=EntryCategory.choices)
    amount_fen = models.PositiveBigIntegerField("金额（分）")
    description = models.CharField("摘要", max_length=200)
    voucher = models.CharField("凭证号", max_length=40, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "收支记账"
        verbose_name_plural = "收支记账"
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__gt=0), name="economy_entry_positive"
            )
        ]


class YearClose(TimeStamped):
    """A closed financial year: profit, the rate applied and the allocation (unique per year)."""

    enterprise = models.ForeignKey(
        SocialEnterprise, on_delete=models.PROTECT, related_name="year_closes"
    )
    year = models.PositiveSmallIntegerField("年度")
    revenue_fen = models.BigIntegerField("收入合计（分）")
    cost_fen = models.BigIntegerField("成本费用合计（分）")
    profit_fen = models.BigIntegerField("利润（分）")
    rate_bp = models.PositiveIntegerField("公益提取比例（基点）")
    allocation_fen = models.BigIntegerField("公益提取（分）")
    closed_at = models.DateTimeField("结账时间")
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "年度结账"
        verbose_name_plural = "年度结账"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="economy_close_once")
        ]

    def __str__(self) -> str:
        return f"{self.year} 年度"


class WelfareFund(TimeStamped):
    """The community public-welfare fund (社区公益金) fed by the year-end allocation."""

    enterprise = models.OneToOneField(
        SocialEnterprise, on_delete=models.PROTECT, related_name="welfare_fund"
    )
    name = models.CharField("名称", max_length=100, default="社区公益金")
    balance_fen = models.BigIntegerField("余额（分）", default=0)

    class Meta:
        verbose_name = "社区公益金"
        verbose_name_plural = "社区公益金"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance_fen__gte=0), name="economy_fund_nonnegative"
            )
        ]

    def __str__(self) -> str:
        return self.name


class WelfareProject(TimeStamped):
    """A community project the fund pays for (助老餐补、儿童之家、环境整治…)."""

    fund = models.ForeignKey(WelfareFund, on_delete=models.PROTECT, related_name="projects")
    name = models.CharField("项目名称", max_length=100)
    description = models.TextField("项目说明", blank=True)
    budget_fen = models.PositiveBigIntegerField("预算（分）", default=0)
    decided_by = models.CharField(
        "决策依据", max_length=200, blank=True, help_text="如：2026年第3次居民议事会决议"
    )

    class Meta:
        verbose_name = "公益项目"
        verbose_name_plural = "公益项目"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "name"], name="economy_project_once")
        ]

    def __str__(self) -> str:
        return self.name


class FundMoveKind(models.TextChoices):
    ALLOCATION = "allocation", "年度利润提取"
    SPENDING = "spending", "项目支出"


class FundMove(models.Model):
    """One move of the fund; ``amount_fen`` signed (allocations > 0, spending < 0)."""

    fund = models.ForeignKey(WelfareFund, on_delete=models.PROTECT, related_name="moves")
    kind = models.CharField("类型", max_length=20, choices=FundMoveKind.choices)
    amount_fen = models.BigIntegerField("金额（分）")
    balance_after_fen = models.BigIntegerField("变动后余额（分）")
    year_close = models.OneToOneField(
        YearClose, on_delete=models.PROTECT, null=True, blank=True, related_name="fund_move"
    )
    project = models.ForeignKey(
        WelfareProject, on_delete=models.PROTECT, null=True, blank=True, related_name="spending"
    )
    date = models.DateField("日期")
    description = models.CharField("摘要", max_length=200)
    voucher = models.CharField("凭证号", max_length=40, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "公益金收支"
        verbose_name_plural = "公益金收支"
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="allocation", amount_fen__gte=0, year_close__isnull=False))
                | (models.Q(kind="spending", amount_fen__lt=0, project__isnull=False)),
                name="economy_fund_move_shape",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"
