"""Shared model pieces: timestamps, the log of unmasked personal-data views, calendar overrides."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class TimeStamped(models.Model):
    """Abstract base: ``created_at`` / ``updated_at`` (UTC, timezone-aware)."""

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class PiiAccessLog(models.Model):
    """One unmasked view of a person's identity number or phone (PIPL art. 51 accountability).

    Written by :func:`linli.people.services.pii_reveal`; never edited or deleted from the
    back office.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="查看人"
    )
    subject_type = models.CharField("对象类型", max_length=40)
    subject_id = models.BigIntegerField("对象 ID")
    subject_label = models.CharField("对象", max_length=100)
    fields = models.CharField("查看字段", max_length=100)
    purpose = models.CharField("用途/入口", max_length=200, blank=True)
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "个人信息查看记录"
        verbose_name_plural = "个人信息查看记录"
        ordering = ["-at"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.user} 查看 {self.subject_label} 的 {self.fields}"


class CalendarOverride(TimeStamped):
    """An administrator's ruling on one date that beats the ``chinesecalendar`` package.

    ``is_workday=True`` makes a date a working day (a make-up Saturday, 调休上班);
    ``False`` makes it a day off (a holiday the package does not know yet). Read by
    :mod:`linli.common.workcalendar`, which caches all rows per process and notices
    changes (see ``docs/calendar.md``). History is kept because SLA deadlines depend on it.
    """

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField(
        "上班", help_text="勾选：这一天上班（如调休补班）；不勾选：这一天放假。"
    )
    note = models.CharField("说明", max_length=200, help_text="例如：2027 国庆调休（手工录入）")
    history = HistoricalRecords(verbose_name="变更记录")

    class Meta:
        verbose_name = "工作日历调整"
        verbose_name_plural = "工作日历调整"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {'上班' if self.is_workday else '放假'}（{self.note}）"
