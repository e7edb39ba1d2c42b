"""Writing the audit log: :func:`record` appends one hash-chained :class:`AuditEvent`.

Chain rule: ``hash = sha256(prev_hash + "\\n" + canonical_json(content))`` where content is
``seq, at (ISO 8601, UTC), kind, actor_id, actor_label, ip, object_type, object_id, summary,
detail``; the first row's ``prev_hash`` is 64 zeros. Appends are serialised (a PostgreSQL
transaction-level advisory lock; SQLite serialises writers itself), so ``seq`` is gap-free.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.http import HttpRequest
from django.utils import timezone

from linli.audit.models import AuditEvent, AuditKind

GENESIS = "0" * 64
_LOCK_KEY = 0x4C494E4C  # "LINL": the advisory-lock key of the audit chain


def canonical(event: AuditEvent) -> str:
    """The hashed content of ``event`` as canonical JSON (sorted keys, no spaces, UTF-8)."""
    at = event.at.astimezone(dt.UTC).isoformat()
    content = {
        "seq": event.seq,
        "at": at,
        "kind": event.kind,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "ip": event.ip,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "summary": event.summary,
        "detail": event.detail,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    """SHA-256 hex of ``prev_hash`` + newline + :func:`canonical` of ``event``."""
    return hashlib.sha256(f"{prev_hash}\n{canonical(event)}".encode()).hexdigest()


def client_ip(request: HttpRequest | None) -> str:
    """``REMOTE_ADDR`` of ``request`` ("" without one); see docs/accounts.md on proxies."""
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR") or "")[:45]


def _lock_chain() -> None:
    """Serialise chain writers until the current transaction ends (PostgreSQL advisory
    lock; re-entrant within one transaction; SQLite serialises writers itself)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def record(
    kind: AuditKind | str,
    summary: str,
    *,
    actor: Any = None,
    actor_label: str = "",
    request: HttpRequest | None = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Append one audit event and return it.

    ``actor`` defaults to ``request.user`` when authenticated; ``obj`` (a model instance)
    fills ``object_type`` ("app_label.model") and ``object_id``. ``detail`` must be
    JSON-serialisable and hold no unmasked personal data. ``summary`` is cut to 300
    characters. Runs in its own atomic block (joins an outer transaction: an event whose
    action rolls back is rolled back with it). Raises ``ValueError`` for an unknown ``kind``.
    """
    if kind not in AuditKind.values:
        raise ValueError(f"unknown audit kind {kind!r}")
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if actor is not None and not actor_label:
        actor_label = str(actor.get_username())[:150]
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        event = AuditEvent(
            seq=seq,
            at=at or timezone.now(),
            kind=str(kind),
            actor=actor,
            actor_label=actor_label,
            ip=client_ip(request),
            object_type=object_type[:60],
            object_id=str(object_id)[:64],
            summary=summary[:300],
            detail=detail or {},
            prev_hash=prev,
        )
        event.hash = chain_hash(prev, event)
        event.save(force_insert=True)
    return event


# --- retention (purge with an anchor) ------------------------------------------------------

#: The shortest retention the law allows: GB/T 22239-2019 8.1.4.3 c) and the Cybersecurity
#: Law art. 21 (3) keep network logs at least six months; 180 days is the floor.
MIN_KEEP_DAYS = 180


def check_keep_days(days: int) -> int:
    """``days`` if it is a lawful retention (≥ :data:`MIN_KEEP_DAYS`), else
    ``ImproperlyConfigured`` (called at start-up by the app config and again by the purge)."""
    if days < MIN_KEEP_DAYS:
        raise ImproperlyConfigured(
            f"LINLI_AUDIT_KEEP_DAYS 为 {days} 天，少于法定最短保存期限 {MIN_KEEP_DAYS} 天"
            "（GB/T 22239-2019 8.1.4.3、《网络安全法》第二十一条：网络日志留存不少于六个月）"
        )
    return days


@dataclasses.dataclass(frozen=True)
class PurgeResult:
    """What :func:`audit_purge` removed: ``count`` rows ``first_seq``–``last_seq`` older
    than ``cutoff``; ``anchor`` is the ANCHOR event written (None on a dry run or when
    nothing was old enough)."""

    cutoff: dt.datetime
    count: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    anchor: AuditEvent | None = None

    def summary(self) -> str:
        """One Chinese line for the command and the task result."""
        if not self.count:
            cutoff = timezone.localtime(self.cutoff)
            return f"没有早于 {cutoff:%Y-%m-%d %H:%M} 的审计记录，无需删除。"
        done = "已删除" if self.anchor else "将删除"
        return f"{done}第 {self.first_seq}–{self.last_seq} 条审计记录，共 {self.count} 条。"


def audit_purge(
    *, now: dt.datetime | None = None, keep_days: int | None = None, dry_run: bool = False
) -> PurgeResult:
    """Delete the chain's oldest rows older than ``keep_days`` (default
    ``settings.AUDIT_KEEP_DAYS``) and keep the rest verifiable.

    Only a prefix of the chain goes: the rows before the first one at or after the cutoff.
    Before deleting, the prefix is verified (tampering is never purged away) and an ANCHOR
    event is appended whose ``detail`` holds ``purged_through_seq`` and
    ``purged_through_hash``; :func:`linli.audit.verification.verify_chain` accepts the
    oldest remaining row when its ``prev_hash`` is that hash. All in one transaction.

    Raises:
        ImproperlyConfigured: ``keep_days`` < :data:`MIN_KEEP_DAYS`.
        ChainBroken: the rows to delete do not verify (nothing is deleted).
    """
    from linli.audit.verification import ChainBroken, verify_chain

    keep = check_keep_days(settings.AUDIT_KEEP_DAYS if keep_days is None else keep_days)
    cutoff = (now or timezone.now()) - dt.timedelta(days=keep)
    with transaction.atomic():
        _lock_chain()
        first_young = (
            AuditEvent.objects.filter(at__gte=cutoff)
            .order_by("seq")
            .values_list("seq", flat=True)
            .first()
        )
        old = AuditEvent.objects.all()
        if first_young is not None:
            old = old.filter(seq__lt=first_young)
        bounds = old.aggregate(first=Min("seq"), last=Max("seq"), count=Count("pk"))
        if not bounds["count"]:
            return PurgeResult(cutoff=cutoff)
        result = PurgeResult(
            cutoff=cutoff, count=bounds["count"], first_seq=bounds["first"], last_seq=bounds["last"]
        )
        report = verify_chain(until_seq=bounds["last"])
        if not report.ok:
            raise ChainBroken(report)
        if dry_run:
            return result
        last_hash = AuditEvent.objects.values_list("hash", flat=True).get(seq=bounds["last"])
        anchor = record(
            AuditKind.ANCHOR,
            f"按保存期限（{keep} 天）删除第 {bounds['first']}–{bounds['last']} 条审计记录",
            actor_label="系统（到期删除）",
            detail={
                "purged_from_seq": bounds["first"],
                "purged_through_seq": bounds["last"],
                "purged_through_hash": last_hash,
                "purged_count": bounds["count"],
                "cutoff": cutoff.astimezone(dt.UTC).isoformat(),
                "keep_days": keep,
            },
        )
        AuditEvent.objects.filter(seq__lte=bounds["last"]).delete()
    return dataclasses.replace(result, anchor=anchor)
