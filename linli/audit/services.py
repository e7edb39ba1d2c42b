"""Writing the audit log: :func:`record` appends one hash-chained :class:`AuditEvent`.

Chain rule: ``hash = sha256(prev_hash + "\\n" + canonical_json(content))`` where content is
``seq, at (ISO 8601, UTC), kind, actor_id, actor_label, ip, object_type, object_id, summary,
detail``; the first row's ``prev_hash`` is 64 zeros. Appends are serialised (a PostgreSQL
transaction-level advisory lock; SQLite serialises writers itself), so ``seq`` is gap-free.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db import connection, transaction
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
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
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
