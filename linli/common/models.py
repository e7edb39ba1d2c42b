"""Shared model pieces: timestamps and the log of unmasked personal-data views."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
