"""Writes of staff log-in safeguards: TOTP second factor, forced password change, demo flags.

Rules (docs/accounts.md):

* TOTP per RFC 6238 (30-second steps, 6 digits, SHA-1: what authenticator apps read from
  an ``otpauth://`` QR code); a code is accepted for the current step and one step either
  side (clock drift), and only for a step later than ``StaffSecurity.totp_last_step``, so a
  code cannot be used twice. The seed is stored encrypted (:mod:`linli.common.pii`).
* Staff whose password was set by someone else (created or reset in the back office) must
  choose their own at the next log-in; demo accounts (``demo=True``) are exempt.
* Each change is written to the audit log (:func:`linli.audit.services.record`).

Session flags are the views' business; these functions only touch the database.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

import pyotp
import segno
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from linli.accounts.errors import AccountsError, CodeRejected
from linli.accounts.models import StaffSecurity
from linli.audit.models import AuditKind
from linli.audit.services import record
from linli.common.identity import normalize_text
from linli.common.pii import decrypt, encrypt

TOTP_ISSUER = "邻里"
TOTP_DIGITS = 6
TOTP_STEP_SECONDS = 30
#: Steps accepted either side of the current one (RFC 6238 §5.2 recommends at most one).
TOTP_WINDOW = 1


def security_of(user: User) -> StaffSecurity:
    """The :class:`StaffSecurity` row of ``user``, created (all safeguards off) if missing."""
    row, _ = StaffSecurity.objects.get_or_create(user=user)
    return row


def parse_totp_code(raw: object) -> str:
    """Six ASCII digits from what was typed (full-width digits and spaces tolerated).

    Raises:
        AccountsError: empty, not digits, or not 6 of them.
    """
    text = normalize_text(raw).replace(" ", "")
    if not text:
        raise AccountsError("请输入手机动态口令 App 上显示的 6 位数字")
    if not (text.isascii() and text.isdigit()):
        raise AccountsError("动态口令只有数字，请检查是否输入了字母或符号")
    if len(text) != TOTP_DIGITS:
        raise AccountsError("动态口令是 6 位数字")
    return text


def _step(now: dt.datetime) -> int:
    return int(now.timestamp()) // TOTP_STEP_SECONDS


def totp_code_at(secret: str, step: int) -> str:
    """The 6-digit code of Base32 ``secret`` for 30-second ``step`` (Unix time // 30)."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS).generate_otp(step)


def _matching_step(secret: str, code: str, *, now: dt.datetime, after: int) -> int | None:
    """The step within ±:data:`TOTP_WINDOW` of ``now`` whose code is ``code``, if later than
    ``after``; ``None`` otherwise. Compares in constant time."""
    current = _step(now)
    found = None
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if secrets.compare_digest(totp_code_at(secret, step), code) and step > after:
            found = step
    return found


# --- set-up ------------------------------------------------------------------------------


def totp_begin(*, user: User) -> str:
    """The Base32 seed to show for set-up: the pending one if any, else a new one (saved
    encrypted, not yet active).

    Raises:
        AccountsError: the second factor is already on.
    """
    with transaction.atomic():
        sec = security_of(user)
        sec = StaffSecurity.objects.select_for_update().get(pk=sec.pk)
        if sec.totp_enabled:
            raise AccountsError("动态口令已经启用；如需更换，请先停用再重新设置")
        if sec.totp_secret:
            return decrypt(sec.totp_secret)
        secret = pyotp.random_base32()
        sec.totp_secret = encrypt(secret)
        sec.totp_last_step = 0
        sec.save(update_fields=["totp_secret", "totp_last_step"])
        return secret


def totp_uri(*, user: User, secret: str) -> str:
    """The ``otpauth://totp/…`` URI authenticator apps read (Key Uri Format)."""
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS)
    return totp.provisioning_uri(name=user.get_username(), issuer_name=TOTP_ISSUER)


def totp_qr_svg(uri: str) -> str:
    """An inline ``<svg>`` QR code of ``uri`` (no script, no external image: CSP-safe)."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000"))


def totp_confirm(
    *, user: User, code: str, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> StaffSecurity:
    """Turn the second factor on once the user typed a valid code of the pending seed.

    Raises:
        AccountsError: malformed code, no pending seed, already on.
        CodeRejected: the code does not match (or was already used).
    """
    typed = parse_totp_code(code)
    now = now or timezone.now()
    with transaction.atomic():
        sec = StaffSecurity.objects.select_for_update().filter(user=user).first()
        if sec is None or not sec.totp_secret:
            raise AccountsError("请先打开动态口令设置页面，扫描二维码")
        if sec.totp_enabled:
            raise AccountsError("动态口令已经启用")
        step = _matching_step(decrypt(sec.totp_secret), typed, now=now, after=sec.totp_last_step)
        if step is None:
            raise CodeRejected("动态口令不正确：请确认手机时间准确，并输入 App 上当前显示的数字")
        sec.totp_confirmed_at = now
        sec.totp_last_step = step
        sec.save(update_fields=["totp_confirmed_at", "totp_last_step"])
        record(AuditKind.TOTP, "启用动态口令（二次验证）", request=request, actor=user, obj=user)
    return sec


def totp_disable(
    *,
    user: User,
    password: str,
    code: str,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Turn the second factor off; needs the current password and a current code.

    Raises:
        AccountsError: not on, wrong password, required for the user's role, malformed code.
        CodeRejected: wrong or replayed code.
    """
    if not user.check_password(password or ""):
        raise AccountsError("当前密码不正确")
    if totp_required(user):
        raise AccountsError("你的岗位要求使用动态口令，不能停用；换手机请联系系统管理员")
    typed = parse_totp_code(code)
    now = now or timezone.now()
    with transaction.atomic():
        sec = StaffSecurity.objects.select_for_update().filter(user=user).first()
        if sec is None or not sec.totp_enabled:
            raise AccountsError("动态口令没有启用")
        step = _matching_step(decrypt(sec.totp_secret), typed, now=now, after=sec.totp_last_step)
        if step is None:
            raise CodeRejected("动态口令不正确或已用过，请输入 App 上当前显示的数字")
        sec.totp_secret = ""
        sec.totp_confirmed_at = None
        sec.totp_last_step = 0
        sec.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
        record(AuditKind.TOTP, "停用动态口令（二次验证）", request=request, actor=user, obj=user)


def totp_verify_login(*, user: User, code: str, now: dt.datetime | None = None) -> None:
    """Accept ``code`` as the second log-in step of ``user`` and use up its step.

    Raises:
        AccountsError: malformed code, or the second factor is not on.
        CodeRejected: wrong code, or one already used (replay).
    """
    typed = parse_totp_code(code)
    now = now or timezone.now()
    with transaction.atomic():
        sec = StaffSecurity.objects.select_for_update().filter(user=user).first()
        if sec is None or not sec.totp_enabled:
            raise AccountsError("这个账号没有启用动态口令，请重新登录")
        step = _matching_step(decrypt(sec.totp_secret), typed, now=now, after=sec.totp_last_step)
        if step is None:
            raise CodeRejected("动态口令不正确或已用过，请输入 App 上当前显示的数字")
        sec.totp_last_step = step
        sec.save(update_fields=["totp_last_step"])


def totp_required(user: User) -> bool:
    """True when one of ``user``'s roles is in ``settings.STAFF_TOTP_REQUIRED_ROLES``."""
    roles = list(settings.STAFF_TOTP_REQUIRED_ROLES)
    return bool(roles) and user.assignments.filter(role__in=roles).exists()  # type: ignore[attr-defined]


# --- passwords ---------------------------------------------------------------------------


def must_change_password(user: User) -> bool:
    """True when ``user`` must choose a new password before anything else (not demo)."""
    return StaffSecurity.objects.filter(user=user, must_change_password=True, demo=False).exists()


def password_set_by_admin(*, user: User, actor: Any, request: HttpRequest | None = None) -> None:
    """Someone else set ``user``'s password (back office): they must change it at log-in.

    Demo accounts stay exempt. No-op when ``actor`` is ``user`` themself.
    """
    if actor is not None and getattr(actor, "pk", None) == user.pk:
        return
    with transaction.atomic():
        sec = security_of(user)
        if sec.demo:
            return
        sec.must_change_password = True
        sec.save(update_fields=["must_change_password"])
        record(
            AuditKind.PASSWORD,
            f"管理员为 {user.get_username()} 设置了初始密码，首次登录须修改",
            request=request,
            actor=actor,
            obj=user,
        )


def password_changed(*, user: User, request: HttpRequest | None = None) -> StaffSecurity:
    """Record that ``user`` chose a new password: clears the forced-change flag."""
    with transaction.atomic():
        sec = security_of(user)
        sec.must_change_password = False
        sec.password_changed_at = timezone.now()
        sec.save(update_fields=["must_change_password", "password_changed_at"])
        record(AuditKind.PASSWORD, "修改登录密码", request=request, actor=user, obj=user)
    return sec


def mark_demo(users: Iterable[User]) -> int:
    """Flag ``users`` as demo accounts (exempt from the forced change); returns how many."""
    users = list(users)
    StaffSecurity.objects.filter(user__in=users).update(demo=True, must_change_password=False)
    have = set(StaffSecurity.objects.filter(user__in=users).values_list("user_id", flat=True))
    rows = [StaffSecurity(user=u, demo=True) for u in users if u.pk not in have]
    StaffSecurity.objects.bulk_create(rows)
    return len(users)
