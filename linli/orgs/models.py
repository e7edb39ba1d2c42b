"""Actual organisations (实有单位): enterprises, property companies, providers, partners."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from linli.common.models import TimeStamped
from linli.places.models import Area, Building


class OrgKind(models.TextChoices):
    ENTERPRISE = "enterprise", "企业"
    PROPERTY_COMPANY = "property_company", "物业公司"
    SERVICE_PROVIDER = "service_provider", "服务商"
    CLINIC = "clinic", "医疗机构"
    SOCIAL_ENTERPRISE = "social_enterprise", "社区社会企业"
    PARTNER = "partner", "共建单位"


class OrgSize(models.TextChoices):
    """Enterprise size classes of 统计上大中小微型企业划分办法（2017）."""

    MICRO = "micro", "微型"
    SMALL = "small", "小型"
    MEDIUM = "medium", "中型"
    LARGE = "large", "大型"


class Organization(TimeStamped):
    """An organisation registered in an area; ``uscc`` is checked per GB 32100-2015.

    ``area`` is the lowest area known (micro-grid of its building, else a community);
    selectors scope on it.
    """

    name = models.CharField("名称", max_length=200)
    kind = models.CharField("类型", max_length=20, choices=OrgKind.choices)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True, null=True, blank=True)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="organizations", verbose_name="所属区域"
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="organizations",
        verbose_name="所在楼栋",
    )
    room = models.CharField("房号", max_length=30, blank=True)
    industry = models.CharField("行业", max_length=60, blank=True)
    employee_count = models.PositiveIntegerField("从业人数", null=True, blank=True)
    size = models.CharField("企业规模", max_length=10, choices=OrgSize.choices, blank=True)
    internship_base = models.BooleanField(
        "青年见习基地", default=False, help_text="经人社部门认定的就业见习基地"
    )
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    history = HistoricalRecords(verbose_name="变更记录")

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
