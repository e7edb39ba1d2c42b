"""Proactive care: who is watched, their learnt routine and live state, away mode, alerts.

* :class:`Watch` — one row per watched resident (living alone, or chosen by staff), holding
  the learnt routine (tolerated silence per half hour, refreshed nightly by
  :func:`linli.care.services.routines_learn`) and the live state the ingestion hook keeps
  (last sign of life, when a silence alert falls due).
* :class:`MeterState` — the last reading of each meter of a watched resident, to turn
  cumulative readings into use (litres, watt-hours) and to see water running for hours.
* :class:`AwayPeriod` — "staying with relatives until …": holds silence alerts; a detected
  return ends it.
* :class:`CareAlert` and :class:`AlertStep` — an alert and its timestamped trail:
  open → notified → acknowledged (or escalated) → resolved with an outcome, or turned into a
  case of category 独居老人异常 (SQ01).

The rules are in docs/routines.md (detector) and docs/care.md (workflow).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from linli.common.models import TimeStamped
from linli.people.models import Resident


class WatchReason(models.TextChoices):
    LIVING_ALONE = "living_alone", "独居"
    STAFF_CHOICE = "staff_choice", "工作人员指定"


class Watch(TimeStamped):
    """A resident under watch, with the learnt routine and the live silence clock.

    ``tolerance`` is the routine: a list of 2 rows × 48 half hours of tolerated silence in
    seconds — row 0 for a quiet spell that began at home, row 1 for one that began with the
    door (see :func:`linli.routines.detector.thresholds`); empty until learnt (the 12-hour
    outer limit applies meanwhile). ``profile`` is 3 × 168 shares (door, water, power by hour
    of the week) for the worker's page. ``due_at`` is when the current silence becomes an
    alert: ``last_sign_at`` + tolerance, or the end of away mode.
    """

    resident = models.OneToOneField(
        Resident, on_delete=models.CASCADE, related_name="watch", verbose_name="居民"
    )
    reason = models.CharField("关注原因", max_length=20, choices=WatchReason.choices)
    note = models.CharField("说明", max_length=200, blank=True)
    active = models.BooleanField("关注中", default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="设置人",
    )
    tolerance = models.JSONField("可容忍静默（秒）", default=list, blank=True)
    profile = models.JSONField("作息画像", default=list, blank=True)
    base_load_w = models.FloatField("基础用电（瓦）", null=True, blank=True)
    routine_days = models.PositiveSmallIntegerField("学习天数", default=0)
    routine_learnt_at = models.DateTimeField("作息学习时间", null=True, blank=True)
    last_sign_at = models.DateTimeField("最近活动时间", null=True, blank=True)
    last_sign_kind = models.CharField("最近活动类型", max_length=12, blank=True)
    last_door_at = models.DateTimeField("最近开关门时间", null=True, blank=True)
    # Door state of :func:`linli.routines.detector.door_step`: was the last door passage a
    # leaving one, has a use at home been seen since, and did the current quiet spell start
    # "from the door" (the person may have gone out).
    door_leaving = models.BooleanField(default=True)
    door_home_since = models.BooleanField(default=True)
    last_sign_from_door = models.BooleanField(default=False)
    due_at = models.DateTimeField("静默告警时间", null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "关注对象"
        verbose_name_plural = "关注对象"
        ordering = ["resident__area__path", "resident__name"]

    def __str__(self) -> str:
        return f"{self.resident}（{self.get_reason_display()}）"


class MeterState(models.Model):
    """The last reading of a watched resident's meter; ``running_since`` is when the water
    meter began showing use in every report (None when it did not)."""

    device = models.OneToOneField(
        "devices.Device", on_delete=models.CASCADE, related_name="meter_state", primary_key=True
    )
    ts = models.DateTimeField()
    value = models.FloatField()
    running_since = models.DateTimeField(null=True, blank=True)
    running_alerted = models.BooleanField(default=False)

    class Meta:
        verbose_name = "表计状态"
        verbose_name_plural = "表计状态"

    def __str__(self) -> str:
        return f"{self.device_id} {self.value:g}"


class AwayEnd(models.TextChoices):
    EXPIRED = "expired", "到期"
    RETURNED = "returned", "检测到已回家"
    CANCELLED = "cancelled", "手动结束"


class AwayPeriod(TimeStamped):
    """Away mode: silence alerts wait from ``starts_at`` until ``ends_at`` or a detected
    return (the first sign of life after at least 6 quiet hours that began no earlier than an
    hour before ``starts_at``), or until someone ends it."""

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="away_periods", verbose_name="居民"
    )
    starts_at = models.DateTimeField("开始")
    ends_at = models.DateTimeField("预计回来")
    note = models.CharField("去向说明", max_length=200, blank=True)
    announced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="登记人",
    )
    ended_at = models.DateTimeField("实际结束", null=True, blank=True)
    end_reason = models.CharField("结束方式", max_length=12, choices=AwayEnd.choices, blank=True)

    class Meta:
        verbose_name = "外出登记"
        verbose_name_plural = "外出登记"
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["resident", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.resident} {self.starts_at:%m-%d}—{self.ends_at:%m-%d}"

    def until(self) -> object:
        """When away mode stops holding alerts: the actual end, else the announced one."""
        return self.ended_at or self.ends_at


class AlertKind(models.TextChoices):
    SILENCE = "silence", "长时间无活动"
    SOS = "sos", "紧急呼叫"
    SMOKE = "smoke", "烟雾报警"
    WATER_RUNNING = "water_running", "持续用水"


class AlertStatus(models.TextChoices):
    OPEN = "open", "待确认"
    ACKNOWLEDGED = "acknowledged", "已确认处理中"
    ESCALATED = "escalated", "已升级"
    RESOLVED = "resolved", "已解除"
    CASE = "case", "已转事件"


#: Statuses in which an alert still needs someone.
OPEN_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.ESCALATED)


class AlertOutcome(models.TextChoices):
    FINE = "fine", "平安无事"
    FALSE_ALARM = "false_alarm", "误报"
    NEEDED_HELP = "needed_help", "确需帮助"


class CareAlert(TimeStamped):
    """An alert about a resident (or a household, for smoke without a resident).

    ``raised_at`` is when Linli raised it (the detection moment); ``silent_since`` the start
    of the quiet spell for a silence alert; ``source_key`` ``"<device id>:<event id>"`` for
    an alert caused by one event (SOS, smoke), unique so a resent event alerts once.
    ``ack_due_at`` is when, without acknowledgement, it escalates; ``escalation_level`` 0 =
    micro-grid worker and emergency contacts, 1 = grid leader and community, 2 = a case was
    opened automatically.
    """

    resident = models.ForeignKey(
        Resident,
        on_delete=models.CASCADE,
        related_name="care_alerts",
        verbose_name="居民",
        null=True,
        blank=True,
    )
    household = models.ForeignKey(
        "places.Household", on_delete=models.PROTECT, related_name="care_alerts", verbose_name="户"
    )
    area = models.ForeignKey(
        "places.Area", on_delete=models.PROTECT, related_name="care_alerts", verbose_name="区域"
    )
    kind = models.CharField("类型", max_length=16, choices=AlertKind.choices)
    status = models.CharField(
        "状态", max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    raised_at = models.DateTimeField("告警时间", db_index=True)
    silent_since = models.DateTimeField("静默开始", null=True, blank=True)
    source_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    detail = models.CharField("说明", max_length=300, blank=True)
    ack_due_at = models.DateTimeField("确认时限", null=True, blank=True, db_index=True)
    escalation_level = models.PositiveSmallIntegerField("升级级别", default=0)
    acknowledged_at = models.DateTimeField("确认时间", null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="确认人",
    )
    activity_at = models.DateTimeField("告警后首次活动", null=True, blank=True)
    resolved_at = models.DateTimeField("解除时间", null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="解除人",
    )
    outcome = models.CharField("结果", max_length=12, choices=AlertOutcome.choices, blank=True)
    outcome_note = models.CharField("结果说明", max_length=300, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="care_alerts",
        verbose_name="事件",
    )

    class Meta:
        verbose_name = "关怀告警"
        verbose_name_plural = "关怀告警"
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["status", "area"]),
            models.Index(fields=["resident", "status"]),
        ]

    def __str__(self) -> str:
        who = self.resident.name if self.resident else str(self.household)
        return f"{self.get_kind_display()} · {who} · {self.raised_at:%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class StepAction(models.TextChoices):
    OPENED = "opened", "告警产生"
    NOTIFIED = "notified", "已通知"
    ACKNOWLEDGED = "acknowledged", "已确认"
    CALLED = "called", "已电话联系"
    ACTIVITY = "activity", "检测到活动"
    ESCALATED = "escalated", "超时升级"
    RESOLVED = "resolved", "已解除"
    CASE = "case", "转为事件"
    NOTE = "note", "备注"


class AlertStep(models.Model):
    """One timestamped step of an alert's trail; ``actor`` is None for Linli itself."""

    alert = models.ForeignKey(
        CareAlert, on_delete=models.CASCADE, related_name="steps", verbose_name="告警"
    )
    at = models.DateTimeField("时间")
    action = models.CharField("动作", max_length=14, choices=StepAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    note = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "告警处理记录"
        verbose_name_plural = "告警处理记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%m-%d %H:%M} {self.get_action_display()}"
