"""Writes of resident accounts: open an account, issue a log-in code, check it.

Rules (docs/accounts.md; limits from settings ``ACCOUNTS_*``, i.e. ``LINLI_LOGIN_*``):

* a code is 6 random digits, stored only as a keyed hash (:func:`linli.common.pii.lookup_hash`),
  valid ``ACCOUNTS_CODE_TTL_SECONDS`` (300), void after ``ACCOUNTS_CODE_MAX_TRIES`` (5) wrong
  entries, single use; a new code voids the earlier ones of the same number;
* per number at most one code per ``ACCOUNTS_CODE_INTERVAL_SECONDS`` (60) and
  ``ACCOUNTS_CODES_PER_NUMBER_HOUR`` (5) per hour; per client address
  ``ACCOUNTS_CODES_PER_IP_HOUR`` (20) per hour — counted in :class:`OneTimeCode` rows so
  every web worker sees the same counts;
* unknown numbers are treated exactly like registered ones (a row is written, limits
  apply, the answer is the same) except that no code exists and no SMS is sent.

The SMS goes straight to the backend named by ``LINLI_SMS_BACKEND``
(:mod:`linli.notify.channels`), after commit, not through ``notify()``'s delivery queue:
a log-in code is worthless after five minutes, so a retry sweep would only send stale
codes, and a :class:`~linli.notify.models.Delivery` row would keep the code in clear.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import secrets

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from linli.accounts.errors import AccountsError, CodeRejected, RateLimited
from linli.accounts.models import OneTimeCode, ResidentAccount
from linli.common.identity import IdentityError, normalize_text, parse_phone
from linli.common.pii import lookup_hash, mask_phone
from linli.notify.channels import DeliveryError
from linli.people.models import Resident

logger = logging.getLogger("linli.accounts")

CODE_DIGITS = 6
SENT_MESSAGE = "如该号码已登记，验证码已发送"
SMS_TEXT = "【邻里】您的登录验证码是 {code}，{minutes} 分钟内有效。请勿告诉他人。"


def parse_mobile(raw: object) -> str:
    """A mainland mobile number in national form (11 digits starting with 1).

    Raises:
        AccountsError: empty, not a valid CN number, or a fixed-line number.
    """
    if not str(raw or "").strip():
        raise AccountsError("请输入手机号码")
    try:
        phone = parse_phone(raw)
    except IdentityError:
        raise AccountsError("手机号码不正确，请输入 11 位手机号码") from None
    if len(phone) != 11 or not phone.startswith("1"):
        raise AccountsError("请输入手机号码（11 位，以 1 开头），固定电话不能接收验证码")
    return phone


def phone_hash(phone: str) -> str:
    """Keyed hash of a national-form phone number (namespaced apart from identity numbers)."""
    return lookup_hash(f"phone:{phone}")


def _code_hash(*, number_hash: str, code: str) -> str:
    return lookup_hash(f"login-code:{number_hash}:{code}")


# --- accounts ---------------------------------------------------------------------------


@transaction.atomic
def resident_account_create(
    *, resident: Resident, phone: str, actor: User | None
) -> ResidentAccount:
    """Open a log-in account for ``resident`` with mobile ``phone`` (any accepted spelling).

    Creates a ``User`` with ``is_staff=False``, an unusable password and a username
    derived from the phone hash (never the number itself).

    Raises:
        AccountsError: bad number, the resident already has an account, or the number
            belongs to another account. Nothing is written then.
    """
    number = resident_account_check(resident=resident, phone=phone)
    number_hash = phone_hash(number)
    user = User(username=f"r-{number_hash[:24]}", is_staff=False, first_name=resident.name)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    return ResidentAccount.objects.create(
        user=user,
        resident=resident,
        phone_hash=number_hash,
        phone_masked=mask_phone(number),
        created_by=actor,
    )


def resident_account_check(*, resident: Resident, phone: str) -> str:
    """The national-form number if ``resident`` may get an account with ``phone``.

    Raises:
        AccountsError: bad number, the resident already has an account, or the number
            belongs to another account.
    """
    number = parse_mobile(phone)
    if ResidentAccount.objects.filter(resident=resident).exists():
        raise AccountsError(f"{resident.name} 已有登录账号")
    if ResidentAccount.objects.filter(phone_hash=phone_hash(number)).exists():
        raise AccountsError("该手机号已用于另一个居民账号")
    return number


# --- codes ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CodeRequest:
    """What a code request did. ``message`` is the same whether or not the number is known."""

    message: str
    retry_after_seconds: int


def _serialise(*keys: str) -> None:
    """Serialise concurrent requests for the same number/address until commit.

    PostgreSQL: transaction-level advisory locks (taken in sorted order, no deadlock).
    SQLite: the IMMEDIATE transaction (settings) already holds the write lock.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def _check_limits(*, number_hash: str, client_ip: str, now: dt.datetime) -> None:
    hour_ago = now - dt.timedelta(hours=1)
    recent = OneTimeCode.objects.filter(created_at__gt=hour_ago)
    last = recent.filter(phone_hash=number_hash).order_by("-created_at").first()
    interval = dt.timedelta(seconds=settings.ACCOUNTS_CODE_INTERVAL_SECONDS)
    if last is not None and now - last.created_at < interval:
        wait = int((last.created_at + interval - now).total_seconds()) + 1
        raise RateLimited(f"验证码已发送，请 {wait} 秒后再重新获取")
    if recent.filter(phone_hash=number_hash).count() >= settings.ACCOUNTS_CODES_PER_NUMBER_HOUR:
        raise RateLimited("这个号码获取验证码的次数太多，请一小时后再试，或请社区工作人员帮助")
    if recent.filter(client_ip=client_ip).count() >= settings.ACCOUNTS_CODES_PER_IP_HOUR:
        raise RateLimited("这台设备获取验证码的次数太多，请一小时后再试，或请社区工作人员帮助")


def login_code_request(
    *, phone: str, client_ip: str, now: dt.datetime | None = None
) -> CodeRequest:
    """Issue a log-in code for ``phone`` and text it if the number has an active account.

    Args:
        phone: as typed (``+86``, spaces, full-width digits accepted).
        client_ip: the request's ``REMOTE_ADDR``.
        now: the current time (tests pass it to control the clock).

    Raises:
        AccountsError: malformed or fixed-line number.
        RateLimited: a per-number or per-address limit is reached (same for unknown numbers).
    """
    now = now or timezone.now()
    number = parse_mobile(phone)
    number_hash = phone_hash(number)
    with transaction.atomic():
        _serialise(f"otp:phone:{number_hash}", f"otp:ip:{client_ip}")
        _check_limits(number_hash=number_hash, client_ip=client_ip, now=now)
        account = ResidentAccount.objects.filter(
            phone_hash=number_hash, active=True, user__is_active=True
        ).first()
        OneTimeCode.objects.filter(
            phone_hash=number_hash, used_at=None, voided_at=None, expires_at__gt=now
        ).update(voided_at=now)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        OneTimeCode.objects.create(
            phone_hash=number_hash,
            account=account,
            code_hash=_code_hash(number_hash=number_hash, code=code) if account else "",
            client_ip=client_ip,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.ACCOUNTS_CODE_TTL_SECONDS),
        )
        if account is not None:
            transaction.on_commit(lambda: _send_code(phone=number, code=code))
    return CodeRequest(
        message=SENT_MESSAGE, retry_after_seconds=settings.ACCOUNTS_CODE_INTERVAL_SECONDS
    )


def _send_code(*, phone: str, code: str) -> None:
    minutes = max(1, settings.ACCOUNTS_CODE_TTL_SECONDS // 60)
    backend = import_string(settings.NOTIFY_SMS_BACKEND)()
    try:
        backend.send_text(phone=phone, text=SMS_TEXT.format(code=code, minutes=minutes))
    except DeliveryError as exc:
        # The page already offers "resend"; a stale code is never retried later.
        logger.warning("登录验证码短信发送失败 %s：%s", mask_phone(phone), exc)


def parse_code(raw: object) -> str:
    """Six ASCII digits from what was typed (full-width digits and spaces tolerated).

    Raises:
        AccountsError: empty, letters, or not 6 digits.
    """
    text = normalize_text(raw).replace(" ", "")
    if not text:
        raise AccountsError("请输入短信里的 6 位验证码")
    if not (text.isascii() and text.isdigit()):
        raise AccountsError("验证码只有数字，请检查是否输入了字母或符号")
    if len(text) != CODE_DIGITS:
        raise AccountsError("验证码是 6 位数字")
    return text


def login_code_verify(*, phone: str, code: str, now: dt.datetime | None = None) -> ResidentAccount:
    """The account whose latest code for ``phone`` is ``code``; the code is then used up.

    A wrong code counts one try; after ``ACCOUNTS_CODE_MAX_TRIES`` the code is void. The
    try is recorded even though the call raises.

    Raises:
        AccountsError: malformed number or code.
        CodeRejected: no code requested, expired, used, void, or wrong (messages never
            reveal whether the number is registered).
    """
    now = now or timezone.now()
    number_hash = phone_hash(parse_mobile(phone))
    typed = parse_code(code)
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update()
            .filter(phone_hash=number_hash)
            .order_by("-created_at", "-id")
            .first()
        )
        problem = _code_problem(row, now)
        if row is not None and problem is None:
            if row.account_id is not None and secrets.compare_digest(
                row.code_hash, _code_hash(number_hash=number_hash, code=typed)
            ):
                row.used_at = now
                row.save(update_fields=["used_at"])
                account = ResidentAccount.objects.select_related("user", "resident").get(
                    pk=row.account_id
                )
                if account.active and account.user.is_active:
                    return account
                problem = "验证码不正确或已失效，请重新获取"
            else:
                problem = _count_wrong_try(row, now)
    raise CodeRejected(problem)


def _code_problem(row: OneTimeCode | None, now: dt.datetime) -> str | None:
    if row is None:
        return "请先获取验证码"
    if row.used_at is not None:
        return "这个验证码已经用过了，请重新获取"
    if row.voided_at is not None:
        return "验证码已作废，请重新获取"
    if row.expires_at <= now:
        return "验证码已过期，请重新获取"
    return None


def _count_wrong_try(row: OneTimeCode, now: dt.datetime) -> str:
    row.attempts += 1
    left = settings.ACCOUNTS_CODE_MAX_TRIES - row.attempts
    if left <= 0:
        row.voided_at = now
    row.save(update_fields=["attempts", "voided_at"])
    if left <= 0:
        return "验证码输错次数太多，已作废，请重新获取"
    return f"验证码不正确，还可以再试 {left} 次"
