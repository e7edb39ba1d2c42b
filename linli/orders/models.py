"""The service catalogue, providers and their workers (issue 4, "Catalog, providers, prices").

* :class:`Skill` and :class:`ServiceType` (助餐、助浴…): what a service needs and what it costs.
  A price is a fixed list price in fen, an eligibility scheme (``linli.eligibility``) whose
  tiers and subsidies apply, or both (the list price then replaces the scheme's base price).
* :class:`ProviderProfile`: an :class:`~linli.orgs.models.Organization` that delivers services,
  with the communities it serves and its daily capacity.
* :class:`Worker` with :class:`WorkerSkill` (certificate and its expiry), :class:`Shift`
  (a date or a weekday; local time, no overnight shifts), live status and last location.
* :class:`Order` (a resident's booking) with its :class:`OrderEvent` trail and the
  :class:`Offer` rows that put it to workers (accept within a time limit, or it moves on).

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
from linli.people.models import Resident
from linli.places.models import Area, Building, FacilityKind, Household


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
    pickup_kind = models.CharField(
        "取货地点类型",
        max_length=20,
        choices=FacilityKind.choices,
        blank=True,
        help_text="送餐、送药等需先到食堂或药店取货的服务：选择设施类型（取最近的一处）",
    )
    pickup_ready_s = models.PositiveIntegerField(
        "备货时间（秒）", default=0, help_text="下单后多久可以取货，例如送餐 300 秒"
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


# --- orders -------------------------------------------------------------------------------


class OrderStatus(models.TextChoices):
    """The order lifecycle (issue 4): placed → assigned → accepted → en_route → arrived →
    in_service → completed; or cancelled; or unfulfilled (nobody could take it)."""

    PLACED = "placed", "已下单"
    ASSIGNED = "assigned", "已派单"
    ACCEPTED = "accepted", "已接单"
    EN_ROUTE = "en_route", "在路上"
    ARRIVED = "arrived", "已到达"
    IN_SERVICE = "in_service", "服务中"
    COMPLETED = "completed", "已完成"
    CANCELLED = "cancelled", "已取消"
    UNFULFILLED = "unfulfilled", "无人接单"


#: States in which the order is over; nothing but a rating changes afterwards.
FINAL_STATUSES = frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.UNFULFILLED})


class OrderChannel(models.TextChoices):
    SELF = "self", "本人下单"
    FAMILY = "family", "家属代下单"
    STAFF = "staff", "工作人员代下单"


class Order(TimeStamped):
    """One booking of a service for a resident, at their household or another address.

    ``slot_start``/``slot_end`` (tz-aware) are set for a time-slot booking and empty for
    an immediate one. ``lat``/``lng`` (WGS-84) are where the service happens; ``area`` is
    that building's micro-grid (the scope for staff). The ``*_at`` timestamps mirror the
    :class:`OrderEvent` rows; ``arrived_at - placed_at`` is the headline measure.
    Money in fen: ``price_fen`` is what the resident pays, ``subsidy_fen`` what funders owe;
    ``quote`` keeps the quote's reason, tier and rules as shown at confirmation.
    """

    number = models.CharField("订单号", max_length=30, unique=True)
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="orders", verbose_name="服务"
    )
    variant = models.CharField("服务形式", max_length=30, blank=True)
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="service_orders", verbose_name="服务对象"
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_orders",
        verbose_name="服务地址（住户）",
    )
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="service_orders", verbose_name="楼栋"
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="service_orders", verbose_name="所属区域"
    )
    address = models.CharField("地址", max_length=200)
    lat = models.FloatField("纬度")
    lng = models.FloatField("经度")
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="placed_service_orders",
        verbose_name="下单人",
    )
    channel = models.CharField("下单方式", max_length=10, choices=OrderChannel.choices)
    slot_start = models.DateTimeField("预约开始", null=True, blank=True)
    slot_end = models.DateTimeField("预约结束", null=True, blank=True)
    workers_needed = models.PositiveSmallIntegerField("所需人数", default=1)
    duration_s = models.PositiveIntegerField("预计时长（秒）")
    status = models.CharField(
        "状态", max_length=20, choices=OrderStatus.choices, default=OrderStatus.PLACED
    )
    price_fen = models.PositiveIntegerField("价格（分）")
    subsidy_fen = models.PositiveIntegerField("补贴（分）", default=0)
    quote = models.JSONField("报价依据", default=dict, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    placed_at = models.DateTimeField("下单时间")
    assigned_at = models.DateTimeField("派单时间", null=True, blank=True)
    accepted_at = models.DateTimeField("接单时间", null=True, blank=True)
    en_route_at = models.DateTimeField("出发时间", null=True, blank=True)
    arrived_at = models.DateTimeField("到达时间", null=True, blank=True)
    started_at = models.DateTimeField("开始服务时间", null=True, blank=True)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    unfulfilled_at = models.DateTimeField("无人接单时间", null=True, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)
    completion_note = models.TextField("服务记录", blank=True)
    rating = models.PositiveSmallIntegerField("评分", null=True, blank=True)
    rating_comment = models.CharField("评价", max_length=500, blank=True)
    rated_at = models.DateTimeField("评价时间", null=True, blank=True)
    complaint_case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_orders",
        verbose_name="投诉案件",
    )

    class Meta:
        verbose_name = "服务订单"
        verbose_name_plural = "服务订单"
        ordering = ["-placed_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "placed_at"], name="order_status_placed"),
            models.Index(fields=["slot_start"], name="order_slot_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="order_rating_1_5",
                violation_error_message="评分为 1 到 5 星",
            ),
            models.CheckConstraint(
                condition=models.Q(slot_start__isnull=True, slot_end__isnull=True)
                | models.Q(slot_start__isnull=False, slot_end__gt=models.F("slot_start")),
                name="order_slot_order",
                violation_error_message="预约结束时间必须晚于开始时间",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.service_type.name}"

    @property
    def immediate(self) -> bool:
        return self.slot_start is None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def arrival_seconds(self) -> float | None:
        """Seconds from placing to the (first) worker's arrival, ``None`` before arrival."""
        if self.arrived_at is None:
            return None
        return (self.arrived_at - self.placed_at).total_seconds()


class OrderNumberSequence(models.Model):
    """The last order number issued per day (``FW20261129``); locked while numbering."""

    prefix = models.CharField(max_length=20, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}-{self.last:04d}"


class OrderAction(models.TextChoices):
    PLACE = "place", "下单"
    OFFER = "offer", "派单"
    ACCEPT = "accept", "接单"
    DECLINE = "decline", "拒单"
    EXPIRE = "expire", "超时未接"
    WITHDRAW = "withdraw", "改派"
    EN_ROUTE = "en_route", "出发"
    ARRIVE = "arrive", "到达"
    START = "start", "开始服务"
    COMPLETE = "complete", "完成"
    CANCEL = "cancel", "取消"
    UNFULFIL = "unfulfil", "无人接单"
    RATE = "rate", "评价"
    COMPLAIN = "complain", "投诉"


class OrderEvent(models.Model):
    """One step of an order's history, in order of ``at`` then ``pk``."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="events", verbose_name="订单"
    )
    action = models.CharField("动作", max_length=20, choices=OrderAction.choices)
    from_status = models.CharField("原状态", max_length=20, blank=True)
    to_status = models.CharField("新状态", max_length=20, blank=True)
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    worker = models.ForeignKey(
        Worker,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="order_events",
        verbose_name="服务人员",
    )
    note = models.TextField("说明", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)

    class Meta:
        verbose_name = "订单记录"
        verbose_name_plural = "订单记录"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.order.number} {self.get_action_display()}"


class OfferStatus(models.TextChoices):
    PENDING = "pending", "待接单"
    ACCEPTED = "accepted", "已接单"
    DECLINED = "declined", "已拒绝"
    EXPIRED = "expired", "超时"
    WITHDRAWN = "withdrawn", "已改派"


class Offer(models.Model):
    """An order put to one worker: pending until accepted, declined or expired.

    ``expires_at`` is empty for visits from the day plan (no time limit). ``eta`` is the
    dispatcher's expected arrival when it chose this worker; ``sequence`` orders the
    worker's held work (lower first). A worker has at most one pending offer at a time,
    and holds an order at most once (database constraints: the guard against
    double-booking when two dispatches race).
    """

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="offers", verbose_name="订单"
    )
    worker = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="offers", verbose_name="服务人员"
    )
    status = models.CharField(
        "状态", max_length=20, choices=OfferStatus.choices, default=OfferStatus.PENDING
    )
    offered_at = models.DateTimeField("派单时间")
    expires_at = models.DateTimeField("接单时限", null=True, blank=True)
    responded_at = models.DateTimeField("响应时间", null=True, blank=True)
    eta = models.DateTimeField("预计到达", null=True, blank=True)
    sequence = models.FloatField("顺序", default=0)
    planned = models.BooleanField("来自日计划", default=False)

    class Meta:
        verbose_name = "派单"
        verbose_name_plural = "派单"
        ordering = ["offered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker"],
                condition=models.Q(status="pending", planned=False),
                name="offer_one_pending_per_worker",
                violation_error_message="该人员有待确认的派单",
            ),
            models.UniqueConstraint(
                fields=["order", "worker"],
                condition=models.Q(status__in=["pending", "accepted"]),
                name="offer_once_per_order_worker",
                violation_error_message="该人员已持有此订单",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="offer_status_expiry")]

    def __str__(self) -> str:
        return f"{self.order.number} → {self.worker}"


class OrderPhoto(models.Model):
    """A photo the worker took at completion: the re-encoded copy without EXIF only (no
    position or device data is kept; checks in :func:`linli.cases.photos.photo_check`)."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="photos", verbose_name="订单"
    )
    image = models.ImageField("照片", upload_to="orders/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="上传人",
    )
    uploaded_at = models.DateTimeField("上传时间")

    class Meta:
        verbose_name = "服务照片"
        verbose_name_plural = "服务照片"
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order.number} 照片"
