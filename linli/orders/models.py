"""The service catalogue, providers and their workers (issue 4, "Catalog, providers, prices").

* :class:`Skill` and :class:`ServiceType` (助餐、助浴…): what a service needs and what it costs.
  A price is a fixed list price in fen, an eligibility scheme (``linli.eligibility``) whose
  tiers and subsidies apply, or both (the list price then replaces the scheme's base price).
* :class:`ProviderProfile`: an :class:`~linli.orgs.models.Organization` that delivers services,
  with the communities it serves and its daily capacity.
* :class:`Worker` with :class:`WorkerSkill` (certificate and its expiry), :class:`Shift`
  (a date or a weekday; local time, no overnight shifts), live status and last location.

Write through :mod:`linli.orders.services`; read through :mod:`linli.orders.selectors`.
Money is integer fen, durations seconds, coordinates WGS-84 degrees, accuracy metres.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from linli.common.models import TimeStamped
from linli.eligibility.models import Scheme
from linli.orgs.models import Organization
from linli.places.models import Area


class Skill(TimeStamped):
    """A skill a service needs; ``needs_certificate`` skills count only with a valid certificate."""

    code = models.SlugField("代码", max_length=50, unique=True)
    name = models.CharField("名称", max_length=50)
    needs_certificate = models.BooleanField(
        "需要证书", default=False, help_text="勾选后，只有证书在有效期内的人员才算具备该技能"
    )

    class Meta:
        verbose_name = "技能"
        verbose_name_plural = "技能"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ServiceMode(models.TextChoices):
    ON_DEMAND = "on_demand", "即时服务"
    SCHEDULED = "scheduled", "预约服务"
    BOTH = "both", "即时或预约"


class ServiceType(TimeStamped):
    """A service residents can order (``meal_assist``, ``bath_assist``…, or admin-defined).

    ``variants`` lists the forms it takes, ``[{"code": "delivery", "name": "送餐上门"}]``.
    ``workers_needed`` is the usual crew; an order may ask for up to ``workers_max`` (a
    bath for a bedridden resident needs two caregivers).
    """

    code = models.SlugField("代码", max_length=50, unique=True)
    name = models.CharField("名称", max_length=50)
    description = models.TextField("说明", blank=True)
    variants = models.JSONField(
        "服务形式",
        default=list,
        blank=True,
        help_text='JSON 列表，例如 [{"code": "delivery", "name": "送餐上门"}]',
    )
    skills = models.ManyToManyField(
        Skill, blank=True, related_name="service_types", verbose_name="所需技能"
    )
    workers_needed = models.PositiveSmallIntegerField("通常所需人数", default=1)
    workers_max = models.PositiveSmallIntegerField("最多所需人数", default=1)
    default_duration_s = models.PositiveIntegerField(
        "默认时长（秒）", help_text="单位：秒，例如 45 分钟填 2700"
    )
    mode = models.CharField(
        "服务方式", max_length=20, choices=ServiceMode.choices, default=ServiceMode.BOTH
    )
    list_price_fen = models.PositiveIntegerField(
        "标价（分）", null=True, blank=True, help_text="固定价格；单位：分（1 元 = 100 分）"
    )
    scheme = models.ForeignKey(
        Scheme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_types",
        verbose_name="资格方案",
        help_text="选定后按方案的档位和补贴报价；同时填写标价时，标价作为方案的基础价",
    )
    active = models.BooleanField("启用", default=True)
    history = HistoricalRecords(verbose_name="变更记录", m2m_fields=[skills])

    class Meta:
        verbose_name = "服务类型"
        verbose_name_plural = "服务类型"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(list_price_fen__isnull=False) | models.Q(scheme__isnull=False),
                name="service_type_has_price",
                violation_error_message="请填写标价或选择资格方案（至少一项）",
            ),
            models.CheckConstraint(
                condition=models.Q(workers_needed__gte=1)
                & models.Q(workers_max__gte=models.F("workers_needed"))
                & models.Q(workers_max__lte=2),
                name="service_type_workers_1_2",
                violation_error_message="所需人数为 1 或 2，且最多人数不少于通常人数",
            ),
            models.CheckConstraint(
                condition=models.Q(default_duration_s__gt=0),
                name="service_type_duration",
                violation_error_message="默认时长必须大于 0 秒",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class ProviderProfile(TimeStamped):
    """An organisation as a service provider: what it offers, where, and how much per day."""

    organization = models.OneToOneField(
        Organization,
        on_delete=models.PROTECT,
        related_name="provider_profile",
        verbose_name="单位",
    )
    service_types = models.ManyToManyField(
        ServiceType, blank=True, related_name="providers", verbose_name="提供的服务"
    )
    areas = models.ManyToManyField(
        Area,
        blank=True,
        related_name="providers",
        verbose_name="服务区域",
        help_text="服务的社区（或网格）；包含其下所有区域",
    )
    capacity_per_day = models.PositiveIntegerField("每日接单上限", default=50)
    active = models.BooleanField("启用", default=True)
    history = HistoricalRecords(verbose_name="变更记录", m2m_fields=[service_types, areas])

    class Meta:
        verbose_name = "服务商"
        verbose_name_plural = "服务商"
        ordering = ["organization__name"]

    def __str__(self) -> str:
        return self.organization.name


class TravelMode(models.TextChoices):
    WALK = "walk", "步行"
    EBIKE = "ebike", "电动车"


class WorkerStatus(models.TextChoices):
    OFF = "off", "下线"
    AVAILABLE = "available", "空闲"
    BUSY = "busy", "服务中"
    ON_BREAK = "on_break", "休息"


class Worker(TimeStamped):
    """A caregiver, courier, doctor or repairer of a provider.

    ``last_lat``/``last_lng`` are WGS-84 degrees from the worker's phone, written only by
    :func:`linli.orders.services.worker_ping` (never older than what is stored).
    """

    provider = models.ForeignKey(
        ProviderProfile, on_delete=models.PROTECT, related_name="workers", verbose_name="服务商"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="worker",
        verbose_name="登录账号",
    )
    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("手机号", max_length=20, blank=True)
    skills = models.ManyToManyField(
        Skill, through="WorkerSkill", related_name="workers", verbose_name="技能"
    )
    travel_mode = models.CharField(
        "出行方式", max_length=10, choices=TravelMode.choices, default=TravelMode.WALK
    )
    status = models.CharField(
        "状态", max_length=20, choices=WorkerStatus.choices, default=WorkerStatus.OFF
    )
    last_lat = models.FloatField("最近纬度", null=True, blank=True, editable=False)
    last_lng = models.FloatField("最近经度", null=True, blank=True, editable=False)
    last_accuracy_m = models.FloatField("定位精度（米）", null=True, blank=True, editable=False)
    last_ping_at = models.DateTimeField("最近定位时间", null=True, blank=True, editable=False)
    active = models.BooleanField("在职", default=True)

    class Meta:
        verbose_name = "服务人员"
        verbose_name_plural = "服务人员"
        ordering = ["provider", "name"]

    def __str__(self) -> str:
        return self.name


class WorkerSkill(TimeStamped):
    """A worker's skill; a skill needing a certificate requires ``valid_until`` (inclusive)."""

    worker = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="worker_skills", verbose_name="服务人员"
    )
    skill = models.ForeignKey(
        Skill, on_delete=models.PROTECT, related_name="worker_skills", verbose_name="技能"
    )
    certificate_no = models.CharField("证书编号", max_length=60, blank=True)
    issuer = models.CharField("发证机构", max_length=100, blank=True)
    valid_until = models.DateField("有效期至", null=True, blank=True, help_text="含当日")
    history = HistoricalRecords(verbose_name="变更记录")

    class Meta:
        verbose_name = "人员技能"
        verbose_name_plural = "人员技能"
        ordering = ["worker", "skill"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "skill"],
                name="worker_skill_unique",
                violation_error_message="该人员已登记此技能",
            )
        ]

    def __str__(self) -> str:
        return f"{self.worker} · {self.skill}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "周一"
    TUESDAY = 1, "周二"
    WEDNESDAY = 2, "周三"
    THURSDAY = 3, "周四"
    FRIDAY = 4, "周五"
    SATURDAY = 5, "周六"
    SUNDAY = 6, "周日"


class Shift(TimeStamped):
    """A working period: on ``date``, or every ``weekday`` (exactly one), ``start`` ≤ t < ``end``.

    Local time (``settings.TIME_ZONE``); a shift ends on the day it starts. A dated shift
    and a weekly shift falling on the same day are both worked, so they must not overlap.
    """

    worker = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="shifts", verbose_name="服务人员"
    )
    date = models.DateField("日期", null=True, blank=True)
    weekday = models.PositiveSmallIntegerField(
        "每周", choices=Weekday.choices, null=True, blank=True
    )
    start = models.TimeField("开始时间")
    end = models.TimeField("结束时间")

    class Meta:
        verbose_name = "排班"
        verbose_name_plural = "排班"
        ordering = ["worker", "date", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date__isnull=True, weekday__isnull=False)
                | models.Q(date__isnull=False, weekday__isnull=True),
                name="shift_date_or_weekday",
                violation_error_message="请填写日期或每周几（只填一项）",
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")),
                name="shift_end",
                violation_error_message="结束时间必须晚于开始时间（不支持跨夜班次，请拆成两段）",
            ),
        ]

    def __str__(self) -> str:
        day = self.date.isoformat() if self.date else Weekday(self.weekday or 0).label
        return f"{self.worker} {day} {self.start:%H:%M}–{self.end:%H:%M}"
