"""Resident accounts: a mobile number and one-time codes instead of a password.

A :class:`ResidentAccount` ties a Django ``User`` (the session; ``is_staff`` False, no
usable password, username derived from the phone hash) to one registry
:class:`~linli.people.models.Resident`. The phone is stored only as a keyed hash (for
lookup) and a mask (for display): the login form supplies the number whenever a code is
sent, so Linli never needs it in clear here.

A :class:`OneTimeCode` row is written for every code request, for registered and unknown
numbers alike, so rate limits count in the database (several gunicorn workers agree) and
the two cases look the same from outside. Only a keyed hash of the code is stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from linli.people.models import Resident


class ResidentAccount(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="resident_account",
        verbose_name="登录用户",
    )
    resident = models.OneToOneField(
        Resident, on_delete=models.PROTECT, related_name="account", verbose_name="居民"
    )
    phone_hash = models.CharField(max_length=64, unique=True, editable=False)
    phone_masked = models.CharField("手机号", max_length=20, editable=False)
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("开通时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="开通人",
    )

    class Meta:
        verbose_name = "居民账号"
        verbose_name_plural = "居民账号"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.resident.name}（{self.phone_masked}）"


class OneTimeCode(models.Model):
    """One code request. ``account`` is null (and ``code_hash`` empty) for unknown numbers."""

    phone_hash = models.CharField(max_length=64, db_index=True)
    account = models.ForeignKey(
        ResidentAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="codes"
    )
    code_hash = models.CharField(max_length=64, blank=True)
    client_ip = models.CharField("来源地址", max_length=45, db_index=True)
    created_at = models.DateTimeField("发送时间", db_index=True)
    expires_at = models.DateTimeField("过期时间")
    attempts = models.PositiveSmallIntegerField("错误次数", default=0)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)
    voided_at = models.DateTimeField("作废时间", null=True, blank=True)

    class Meta:
        verbose_name = "验证码记录"
        verbose_name_plural = "验证码记录"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["phone_hash", "created_at"], name="otp_phone_time")]

    def __str__(self) -> str:
        return f"验证码 {self.created_at:%Y-%m-%d %H:%M}"


class StaffSecurity(models.Model):
    """Log-in safeguards of one staff (password) user (docs/security.md).

    ``must_change_password``: set for accounts created by seeding or by an administrator;
    the user is sent to the change-password page until they choose their own (demo accounts
    flagged ``demo`` are exempt). ``totp_secret`` is the Base32 TOTP seed (RFC 6238),
    encrypted with :mod:`linli.common.pii`; the second factor is on once ``totp_confirmed_at``
    is set. ``totp_last_step`` is the last accepted 30-second step, so one code cannot be
    replayed.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="security",
        verbose_name="用户",
    )
    must_change_password = models.BooleanField("首次登录须改密码", default=False)
    demo = models.BooleanField("演示账号（免改密码）", default=False)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    totp_secret = models.TextField("动态口令种子（加密）", blank=True)
    totp_confirmed_at = models.DateTimeField("动态口令启用时间", null=True, blank=True)
    totp_last_step = models.BigIntegerField("最后使用的口令时段", default=0)

    class Meta:
        verbose_name = "登录安全设置"
        verbose_name_plural = "登录安全设置"

    def __str__(self) -> str:
        return f"{self.user} 登录安全"

    @property
    def totp_enabled(self) -> bool:
        return bool(self.totp_secret) and self.totp_confirmed_at is not None
