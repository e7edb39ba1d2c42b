"""What the operations centre keeps: info screens and their notices, generated reports,
and walking networks for the 15-minute service circle.

KPIs, map layers and coverage are computed from the other apps' rows when asked; nothing
here copies their figures.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from linli.common.models import TimeStamped
from linli.places.models import Area


def _screen_token() -> str:
    return secrets.token_urlsafe(12)


class InfoScreen(TimeStamped):
    """A public info screen (智慧屏) in a lobby, at the service station or by the canteen.

    The kiosk opens ``/screen/<token>/`` full screen; the token is the screen's only key
    (nothing on the page is personal data). ``rotate_seconds`` is how long each slide shows.
    """

    community = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="info_screens", verbose_name="社区"
    )
    name = models.CharField("名称", max_length=60)
    place = models.CharField("安装位置", max_length=100, blank=True)
    token = models.CharField("访问码", max_length=32, unique=True, default=_screen_token)
    hotline = models.CharField("服务热线", max_length=40, blank=True)
    rotate_seconds = models.PositiveSmallIntegerField(
        "每页停留（秒）",
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
    )
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "智慧屏"
        verbose_name_plural = "智慧屏"
        ordering = ["community", "name"]

    def __str__(self) -> str:
        return self.name


class ScreenNotice(TimeStamped):
    """A notice (通知公告) shown on the community's screens between two dates (inclusive)."""

    community = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="screen_notices", verbose_name="社区"
    )
    title = models.CharField("标题", max_length=60)
    body = models.TextField("正文", max_length=400)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="发布人",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = "公告"
        verbose_name_plural = "公告"
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="screen_notice_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.title


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", "社区月度工作报告"
    WEEKLY_CASES = "weekly_cases", "网格事件周报（12345）"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已生成"
    FAILED = "failed", "生成失败"


class ReportRun(TimeStamped):
    """One generated report: what area and period, made by the task queue, both files kept.

    ``period_start``–``period_end`` are Asia/Shanghai dates, inclusive. The files are small
    (tens of kB), so they live in the database with the row: a report is there in full or
    not at all. One row per (kind, area, period): asking again re-generates into it.
    """

    kind = models.CharField("报告类型", max_length=16, choices=ReportKind.choices)
    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="report_runs", verbose_name="区域"
    )
    period_start = models.DateField("起始日期")
    period_end = models.DateField("截止日期")
    status = models.CharField(
        "状态", max_length=8, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="申请人",
        null=True,
        blank=True,
    )
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    error = models.TextField("失败原因", blank=True)
    pdf = models.BinaryField("PDF", null=True, blank=True)
    xlsx = models.BinaryField("Excel", null=True, blank=True)

    class Meta:
        verbose_name = "报告"
        verbose_name_plural = "报告"
        ordering = ["-period_start", "kind", "area__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "area", "period_start", "period_end"],
                name="report_run_once_per_period",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="report_run_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start}–{self.period_end}"


class WalkNetwork(TimeStamped):
    """A walking network loaded for an area (footpaths as GeoJSON LineStrings, WGS-84).

    When the area (or one above it) has a network, the 15-minute service circle measures
    walking distance along it; otherwise great-circle distance × the detour factor.
    ``geojson`` is a FeatureCollection of LineString/MultiLineString features.
    """

    area = models.OneToOneField(
        Area, on_delete=models.CASCADE, related_name="walk_network", verbose_name="区域"
    )
    name = models.CharField("名称", max_length=60)
    geojson = models.JSONField("路网（GeoJSON）")
    nodes = models.PositiveIntegerField("节点数", default=0)
    edges = models.PositiveIntegerField("路段数", default=0)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="导入人",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = "步行路网"
        verbose_name_plural = "步行路网"

    def __str__(self) -> str:
        return self.name
