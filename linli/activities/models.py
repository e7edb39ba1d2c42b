"""Activities and classes: venues with available hours, activities with sessions,
registration with a waitlist, check-in by QR code, attendance and feedback.

Write through :mod:`linli.activities.services`: registration locks the activity row, so
concurrent last-seat registrations never overbook (tested on PostgreSQL). Times are
stored in UTC and shown in Asia/Shanghai; a venue's windows are local wall-clock times.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from linli.common.models import TimeStamped
from linli.eligibility.models import Scheme
from linli.orgs.models import Organization
from linli.people.models import Resident
from linli.places.models import Area, Building, Facility


class Venue(TimeStamped):
    """A place activities (and, from issue 7, bookings) happen in.

    Either a community facility (``facility``: an activity room, the canteen hall) or a
    space an organisation lends (``organization``: a factory's public area outside
    production hours). ``windows`` (:class:`VenueWindow`) say when it may be used; a
    venue without windows is available at any time. ``capacity`` is people at once.
    """

    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="venues", verbose_name="所属社区"
    )
    name = models.CharField("场地名称", max_length=100)
    facility = models.ForeignKey(
        Facility,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="venues",
        verbose_name="社区设施",
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="venues",
        verbose_name="提供单位",
    )
    building = models.ForeignKey(
        Building, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="所在楼栋"
    )
    address = models.CharField("地址", max_length=200, blank=True)
    capacity = models.PositiveIntegerField("容纳人数")
    note = models.CharField("使用说明", max_length=200, blank=True)
    active = models.BooleanField("可用", default=True)
    history = HistoricalRecords(verbose_name="变更记录")

    class Meta:
        verbose_name = "活动场地"
        verbose_name_plural = "活动场地"
        ordering = ["area__path", "name"]

    def __str__(self) -> str:
        return self.name


class VenueWindow(models.Model):
    """A weekly window when a venue may be used: ``weekday`` 0 = Monday, local times.

    ``end`` after ``start`` on the same day (a window over midnight is two rows).
    """

    venue = models.ForeignKey(
        Venue, on_delete=models.CASCADE, related_name="windows", verbose_name="场地"
    )
    weekday = models.PositiveSmallIntegerField(
        "星期",
        choices=[
            (0, "周一"),
            (1, "周二"),
            (2, "周三"),
            (3, "周四"),
            (4, "周五"),
            (5, "周六"),
            (6, "周日"),
        ],
    )
    start = models.TimeField("开始")
    end = models.TimeField("结束")

    class Meta:
        verbose_name = "开放时段"
        verbose_name_plural = "开放时段"
        ordering = ["venue", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="window_order"
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="window_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class ActivityKind(models.TextChoices):
    TRAINING = "training", "培训"
    CLASS = "class", "课堂"
    CAMP = "camp", "营地/托管班"
    OPEN_DAY = "open_day", "开放日"
    MARKET = "market", "集市"
    MEETING = "meeting", "会议/沙龙"
    POPUP = "popup", "便民服务"
    DRILL = "drill", "应急演练"
    CULTURE = "culture", "文体活动"


class OrganiserKind(models.TextChoices):
    COMMUNITY = "community", "社区"
    ENTERPRISE = "enterprise", "企业"
    PARTNER = "partner", "共建单位"


class Audience(models.TextChoices):
    PUBLIC = "public", "所有人"
    RESIDENTS = "residents", "本社区居民"
    EMPLOYEES = "employees", "辖区企业职工"
    EMPLOYEES_CHILDREN = "employees_children", "辖区企业职工子女"
    INVITED = "invited", "指定单位职工"


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "报名中"
    CLOSED = "closed", "报名截止"
    CANCELLED = "cancelled", "已取消"
    FINISHED = "finished", "已结束"


class Activity(TimeStamped):
    """An activity or class: one or many :class:`Session` rows on a timetable.

    ``capacity`` is places for the whole activity (a summer class registers children for
    all its sessions). ``audience`` with ``min_age`` / ``max_age`` (whole years on the
    first session's date, inclusive) says who may register: ``employees`` are employees
    of organisations in ``area``; ``employees_children`` children of such employees
    (registered by the parent); ``invited`` employees of ``invited_orgs`` only. Fees:
    ``fee_scheme`` prices each participant by the eligibility engine; otherwise
    ``fee_fen`` for everyone (0 = free).
    """

    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="activities", verbose_name="所属社区"
    )
    title = models.CharField("活动名称", max_length=100)
    kind = models.CharField("类型", max_length=12, choices=ActivityKind.choices)
    summary = models.TextField("活动介绍", blank=True)
    organiser_kind = models.CharField(
        "主办方类型",
        max_length=12,
        choices=OrganiserKind.choices,
        default=OrganiserKind.COMMUNITY,
    )
    organiser = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities_organised",
        verbose_name="主办单位",
        help_text="留空：社区主办",
    )
    venue = models.ForeignKey(
        Venue, on_delete=models.PROTECT, related_name="activities", verbose_name="场地"
    )
    capacity = models.PositiveIntegerField("名额")
    waitlist_limit = models.PositiveIntegerField("候补上限", default=50)
    audience = models.CharField(
        "参加对象", max_length=20, choices=Audience.choices, default=Audience.PUBLIC
    )
    invited_orgs = models.ManyToManyField(
        Organization, blank=True, related_name="activities_invited", verbose_name="受邀单位"
    )
    min_age = models.PositiveSmallIntegerField("最小年龄", null=True, blank=True)
    max_age = models.PositiveSmallIntegerField("最大年龄", null=True, blank=True)
    fee_fen = models.PositiveIntegerField("费用（分）", default=0)
    fee_scheme = models.ForeignKey(
        Scheme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name="按资格定价方案",
    )
    registration_opens = models.DateTimeField("报名开始", null=True, blank=True)
    registration_closes = models.DateTimeField("报名截止", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.DRAFT
    )
    contact = models.CharField("联系人及电话", max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="创建人",
    )
    history = HistoricalRecords(verbose_name="变更记录")

    class Meta:
        verbose_name = "活动"
        verbose_name_plural = "活动与课程"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["area", "status"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="activity_capacity"),
            models.CheckConstraint(
                condition=models.Q(min_age__isnull=True)
                | models.Q(max_age__isnull=True)
                | models.Q(max_age__gte=models.F("min_age")),
                name="activity_age_band",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def organiser_name(self) -> str:
        return self.organiser.name if self.organiser is not None else "社区"


class Session(models.Model):
    """One meeting of an activity on its timetable (``starts_at`` < ``ends_at``, UTC)."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="sessions", verbose_name="活动"
    )
    title = models.CharField("内容", max_length=100, blank=True)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    cancelled = models.BooleanField("已取消", default=False)
    reminded_at = models.DateTimeField("提醒发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "场次"
        verbose_name_plural = "场次"
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="session_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.activity} {self.starts_at:%Y-%m-%d %H:%M}"


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", "已报名"
    WAITLISTED = "waitlisted", "候补"
    CANCELLED = "cancelled", "已取消"


#: Statuses that hold a place or a waitlist position (one per person and activity).
LIVE_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class Registration(TimeStamped):
    """One person registered for an activity (a place or a waitlist position).

    The participant is a registry ``resident`` or, for people outside the registry (an
    office worker who lives elsewhere), ``name`` + ``phone`` (+ ``birth_date`` for age
    bands). ``person_key`` (``r:<resident id>`` or ``p:<phone>``; for a guest child
    ``c:<guardian phone>:<name>:<birth date>``) makes a person register once per
    activity: a partial unique constraint over live registrations. ``guardian`` is the
    parent who registered a child. ``token`` is the check-in QR code's secret.
    """

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="registrations", verbose_name="活动"
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name="居民",
    )
    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name="工作单位",
    )
    guardian = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registrations_as_guardian",
        verbose_name="监护人",
    )
    guardian_name = models.CharField("监护人姓名", max_length=50, blank=True)
    guardian_phone = models.CharField("监护人电话", max_length=20, blank=True)
    person_key = models.CharField(max_length=120, editable=False)
    status = models.CharField("状态", max_length=10, choices=RegistrationStatus.choices)
    price_fen = models.PositiveIntegerField("费用（分）", default=0)
    price_reason = models.CharField("定价理由", max_length=200, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="经办人",
    )
    token = models.UUIDField("签到码", default=uuid.uuid4, unique=True, editable=False)
    promoted_at = models.DateTimeField("候补转正时间", null=True, blank=True)
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)
    rating = models.PositiveSmallIntegerField("评分", null=True, blank=True)
    feedback = models.CharField("反馈", max_length=500, blank=True)

    class Meta:
        verbose_name = "报名"
        verbose_name_plural = "报名"
        ordering = ["activity", "created_at", "pk"]
        indexes = [models.Index(fields=["activity", "status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "person_key"],
                condition=models.Q(status__in=["confirmed", "waitlisted"]),
                name="registration_once",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="registration_rating_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.activity}"


class Attendance(models.Model):
    """A registration checked in at one session (QR code at the door, or by hand)."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="attendance", verbose_name="报名"
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="attendance", verbose_name="场次"
    )
    checked_in_at = models.DateTimeField("签到时间")
    method = models.CharField(
        "方式", max_length=10, choices=[("qr", "扫码"), ("manual", "人工")], default="qr"
    )
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="签到人",
    )

    class Meta:
        verbose_name = "签到"
        verbose_name_plural = "签到"
        ordering = ["session", "checked_in_at"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "session"], name="attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.registration.name} @ {self.session}"
