"""The security audit log (等保 2.0 安全审计), separate from the change history.

One row per security-relevant event: log-ins and failed log-ins, unmasked personal-data
views, exports, permission changes, backups. Rows form a hash chain: ``hash`` is
SHA-256 over the previous row's ``hash`` and this row's canonical content, so editing or
deleting a row in the database breaks the chain (``linli audit verify``). Kept at least
180 days (GB/T 22239-2019 8.1.4.3 and the Cybersecurity Law art. 21: logs kept ≥ 6 months).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditKind(models.TextChoices):
    LOGIN = "login", "登录成功"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOCKED_OUT = "locked_out", "登录锁定"
    LOGOUT = "logout", "退出登录"
    OTP_SENT = "otp_sent", "发送验证码"
    TOTP = "totp", "二次验证设置"
    PASSWORD = "password", "修改密码"
    PII_VIEW = "pii_view", "查看个人信息原文"
    EXPORT = "export", "导出数据"
    PERMISSION = "permission", "权限变更"
    DATA_REQUEST = "data_request", "个人信息查阅/更正"
    RETENTION = "retention", "到期删除/匿名化"
    BACKUP = "backup", "备份与恢复"
    ANCHOR = "anchor", "链头（早于此的记录已按保存期限删除）"


class AuditEvent(models.Model):
    """One audit event; never updated. ``seq`` orders the chain (gap-free per database).

    ``actor`` is kept as a label too, so the row survives the user's deletion. ``detail``
    holds no unmasked personal data (masked phone, record ids and labels only).
    """

    seq = models.BigIntegerField("序号", unique=True)
    at = models.DateTimeField("时间", db_index=True)
    kind = models.CharField("类型", max_length=20, choices=AuditKind.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    actor_label = models.CharField("操作人（记录时）", max_length=150, blank=True)
    ip = models.CharField("来源地址", max_length=45, blank=True)
    object_type = models.CharField("对象类型", max_length=60, blank=True)
    object_id = models.CharField("对象 ID", max_length=64, blank=True)
    summary = models.CharField("摘要", max_length=300)
    detail = models.JSONField("详情", default=dict, blank=True)
    prev_hash = models.CharField("上一条哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64, unique=True)

    class Meta:
        verbose_name = "安全审计记录"
        verbose_name_plural = "安全审计记录"
        ordering = ["-seq"]
        indexes = [models.Index(fields=["kind", "at"]), models.Index(fields=["actor", "at"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_kind_display()} {self.actor_label} {self.summary}"
