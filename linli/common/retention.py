"""Retention rules: personal information past its time is deleted or anonymised.

One function per rule, each ``rule(now, *, dry_run) -> int`` returning how many rows it
deleted or anonymised (with ``dry_run``: how many it would). Limits come from settings
(``LINLI_RETAIN_*``, floors checked at start-up in ``linli/settings.py``); the data map
in ``docs/privacy.md`` says why each limit is what it is. :func:`retention_run` applies every
rule, records one ``AuditKind.RETENTION`` event with the counts and is what the daily
django-q2 schedule and ``linli retention`` call.

Anonymising never breaks a foreign key: rows that other records point at (residents,
cases) are kept with their identifying fields cleared; only rows nothing points at
(one-time codes, PII view logs, expired sessions, dead letters, old device events) are
deleted. A rule is idempotent: a second run on the same ``now`` finds nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

#: The name a resident keeps after anonymisation (PIPL art. 73(4): 匿名化).
ANON_NAME = "已匿名"
#: Prefix of the placeholder written into unique hash columns of anonymised rows.
ANON_HASH_PREFIX = "anonymised:"

RETENTION_TASK = "linli.common.retention.retention_task"
RETENTION_SCHEDULE = "个人信息：到期删除与匿名化"
DAY_MINUTES = 24 * 60


@dataclasses.dataclass(frozen=True)
class RuleResult:
    """What one rule did: ``code`` (English, for the audit detail), ``label`` (Chinese),
    ``count`` (rows deleted or anonymised; for dry runs, rows that would be) and a
    Chinese ``note`` on the limit applied."""

    code: str
    label: str
    count: int
    note: str


def otp_codes_delete(now: dt.datetime, *, dry_run: bool = False) -> int:
    """Delete one-time log-in codes sent more than ``RETAIN_OTP_DAYS`` days ago.

    A code lives 5 minutes and rate limits look back one hour (``ACCOUNTS_CODES_PER_*_HOUR``),
    so a day is ample; the rows hold a keyed phone hash and the client IP.
    """
    from linli.accounts.models import OneTimeCode

    rows = OneTimeCode.objects.filter(
        created_at__lt=now - dt.timedelta(days=settings.RETAIN_OTP_DAYS)
    )
    return _delete(rows, dry_run)


def pii_logs_delete(now: dt.datetime, *, dry_run: bool = False) -> int:
    """Delete logs of unmasked PII views older than ``RETAIN_PII_LOG_DAYS`` (≥ 180) days."""
    from linli.common.models import PiiAccessLog

    rows = PiiAccessLog.objects.filter(at__lt=now - dt.timedelta(days=settings.RETAIN_PII_LOG_DAYS))
    return _delete(rows, dry_run)


def sessions_delete(now: dt.datetime, *, dry_run: bool = False) -> int:
    """Delete expired sessions (what ``clearsessions`` does for the database backend).

    Other session engines expire by themselves (cache) or are asked to clear; their count
    is reported as 0.
    """
    from importlib import import_module

    if settings.SESSION_ENGINE.endswith(".db") or settings.SESSION_ENGINE.endswith("cached_db"):
        from django.contrib.sessions.models import Session

        return _delete(Session.objects.filter(expire_date__lt=now), dry_run)
    if not dry_run:
        import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return 0


def device_events_delete(now: dt.datetime, *, dry_run: bool = False) -> int:
    """Remove device events older than ``DEVICES_RETENTION_MONTHS`` whole months.

    Door events tell when someone is home, so they go as soon as the routine model no
    longer needs them. Delegates to :func:`linli.devices.partitions.retention_apply`:
    PostgreSQL drops monthly partitions (counted as partitions, not rows), SQLite deletes rows.
    """
    from linli.devices.partitions import retention_apply

    dropped, rows = retention_apply(now, dry_run=dry_run)
    return len(dropped) + rows


def dead_letters_delete(now: dt.datetime, *, dry_run: bool = False) -> int:
    """Delete unstored device messages older than ``RETAIN_DEAD_LETTER_DAYS`` days
    (raw payloads may name a household's device and its times)."""
    from linli.devices.models import DeadLetter

    rows = DeadLetter.objects.filter(
        received_at__lt=now - dt.timedelta(days=settings.RETAIN_DEAD_LETTER_DAYS)
    )
    return _delete(rows, dry_run)


def case_contacts_clear(now: dt.datetime, *, dry_run: bool = False) -> int:
    """Clear reporters' name, phone and e-mail, and participants' phones, on cases closed
    more than ``RETAIN_CASE_CONTACT_DAYS`` days ago; returns the number of cases cleared.

    The case itself (what, where, how it was handled) stays for statistics and audit.
    """
    from linli.cases.models import Case, CaseParticipant

    cutoff = now - dt.timedelta(days=settings.RETAIN_CASE_CONTACT_DAYS)
    closed = Case.objects.filter(closed_at__lt=cutoff)
    with_contacts = closed.filter(
        ~Q(reporter_name="")
        | ~Q(reporter_phone="")
        | ~Q(reporter_email="")
        | Q(pk__in=CaseParticipant.objects.exclude(phone="").values("case_id"))
    )
    ids = list(with_contacts.values_list("pk", flat=True))
    if dry_run or not ids:
        return len(ids)
    with transaction.atomic():
        Case.objects.filter(pk__in=ids).update(
            reporter_name="", reporter_phone="", reporter_email=""
        )
        CaseParticipant.objects.filter(case_id__in=ids).exclude(phone="").update(phone="")
    return len(ids)


def moved_out_cutoff(now: dt.datetime) -> dt.datetime:
    """``now`` minus ``RETAIN_MOVED_OUT_YEARS`` years of 365.25 days."""
    return now - dt.timedelta(days=round(365.25 * settings.RETAIN_MOVED_OUT_YEARS))


def moved_out_residents(now: dt.datetime) -> Any:
    """Residents taken to have left: no household and their record untouched since
    :func:`moved_out_cutoff`, not already anonymised, and no log-in since the cut-off.

    The registry has no moved-out date (``Resident`` lacks a ``moved_out_at`` field; see
    docs/privacy.md): leaving is recorded by detaching the person from their household,
    which also stamps ``updated_at``.
    """
    from linli.people.models import Resident

    cutoff = moved_out_cutoff(now)
    return (
        Resident.objects.filter(household__isnull=True, updated_at__lt=cutoff)
        .exclude(name=ANON_NAME, id_number_hash__startswith=ANON_HASH_PREFIX)
        .exclude(account__user__last_login__gte=cutoff)
    )


def resident_anonymise(*, resident_id: int) -> None:
    """Anonymise one resident in place, keeping every foreign key pointing at them.

    Cleared: name (→ 「已匿名」), identity number (ciphertext, hash, mask), phone, note,
    employer, emergency contacts, family links, change history, log-in account (disabled,
    phone hash replaced). Kept for statistics: sex, birth year (date set to 1 January),
    area, residence type and care tags. Atomic.
    """
    from linli.accounts.models import ResidentAccount
    from linli.people.models import EmergencyContact, FamilyLink, Resident

    with transaction.atomic():
        resident = Resident.objects.select_for_update().get(pk=resident_id)
        Resident.objects.filter(pk=resident_id).update(
            name=ANON_NAME,
            id_number_encrypted="",
            id_number_hash=f"{ANON_HASH_PREFIX}{resident_id}",
            id_number_masked="",
            phone="",
            note="",
            employer=None,
            birth_date=resident.birth_date.replace(month=1, day=1),
            updated_at=timezone.now(),
        )
        Resident.history.filter(id=resident_id).delete()  # type: ignore[attr-defined]
        EmergencyContact.objects.filter(resident_id=resident_id).delete()
        FamilyLink.objects.filter(Q(resident_id=resident_id) | Q(relative_id=resident_id)).delete()
        account = ResidentAccount.objects.filter(resident_id=resident_id).first()
        if account is not None:
            ResidentAccount.objects.filter(pk=account.pk).update(
                active=False, phone_hash=f"{ANON_HASH_PREFIX}{resident_id}", phone_masked=""
            )
            user = account.user
            user.is_active = False
            user.set_unusable_password()
            user.save(update_fields=["is_active", "password"])


def moved_out_anonymise(now: dt.datetime, *, dry_run: bool = False) -> int:
    """Anonymise residents who left more than ``RETAIN_MOVED_OUT_YEARS`` years ago
    (see :func:`moved_out_residents` for how leaving is recognised)."""
    ids = list(moved_out_residents(now).values_list("pk", flat=True))
    if not dry_run:
        for resident_id in ids:
            resident_anonymise(resident_id=resident_id)
    return len(ids)


def _delete(rows: Any, dry_run: bool) -> int:
    if dry_run:
        return int(rows.count())
    deleted, _ = rows.delete()
    return int(deleted)


Rule = Callable[..., int]


def rules() -> list[tuple[str, str, Rule, str]]:
    """(code, Chinese label, function, Chinese limit note) of every rule, in run order."""
    return [
        (
            "otp_codes",
            "登录验证码记录",
            otp_codes_delete,
            f"超过 {settings.RETAIN_OTP_DAYS} 天删除",
        ),
        ("sessions", "已过期的登录会话", sessions_delete, "过期即删除"),
        (
            "pii_logs",
            "个人信息查看记录",
            pii_logs_delete,
            f"超过 {settings.RETAIN_PII_LOG_DAYS} 天删除",
        ),
        (
            "device_events",
            "设备事件（门磁、水电表等）",
            device_events_delete,
            f"保留当月及前 {settings.DEVICES_RETENTION_MONTHS} 个月，更早的删除"
            "（PostgreSQL 按月分区整体删除，计数为分区数）",
        ),
        (
            "dead_letters",
            "无法入库的设备消息",
            dead_letters_delete,
            f"超过 {settings.RETAIN_DEAD_LETTER_DAYS} 天删除",
        ),
        (
            "case_contacts",
            "已结案事件的上报人联系方式",
            case_contacts_clear,
            f"结案超过 {settings.RETAIN_CASE_CONTACT_DAYS} 天清除",
        ),
        (
            "moved_out",
            "已迁出居民",
            moved_out_anonymise,
            f"迁出（无户、记录未更新）超过 {settings.RETAIN_MOVED_OUT_YEARS} 年匿名化",
        ),
    ]


def retention_apply_all(now: dt.datetime, *, dry_run: bool = False) -> list[RuleResult]:
    """Run every rule once at ``now``; returns one :class:`RuleResult` per rule."""
    return [
        RuleResult(code=code, label=label, count=rule(now, dry_run=dry_run), note=note)
        for code, label, rule, note in rules()
    ]


def retention_run(
    *, now: dt.datetime | None = None, dry_run: bool = False, actor: Any = None
) -> list[RuleResult]:
    """Apply every rule and, unless ``dry_run``, record one ``RETENTION`` audit event whose
    ``detail`` maps rule codes to counts. Returns the results."""
    from linli.audit.models import AuditKind
    from linli.audit.services import record

    moment = now or timezone.now()
    results = retention_apply_all(moment, dry_run=dry_run)
    if not dry_run:
        total = sum(r.count for r in results)
        record(
            AuditKind.RETENTION,
            f"到期删除/匿名化：共 {total} 项",
            actor=actor,
            actor_label="" if actor else "系统定时任务",
            detail={"counts": {r.code: r.count for r in results}, "at": moment.isoformat()},
        )
    return results


def retention_task() -> str:
    """Daily django-q2 task: :func:`retention_run`; returns ``code=count`` pairs."""
    return " ".join(f"{r.code}={r.count}" for r in retention_run())


def ensure_schedules() -> Any:
    """Create or repair the daily retention schedule (idempotent: one row by name)."""
    from linli.common.schedules import schedule_every

    return schedule_every(name=RETENTION_SCHEDULE, func=RETENTION_TASK, minutes=DAY_MINUTES)
