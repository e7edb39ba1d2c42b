"""Open311 API keys: created once (only a keyed hash is stored), checked, revoked."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from linli.cases.models import Open311Key
from linli.common.pii import lookup_hash

#: Characters of the key kept in clear to tell keys apart (``Open311Key.key_prefix``).
PREFIX_LENGTH = 8


@transaction.atomic
def open311_key_create(*, name: str) -> tuple[Open311Key, str]:
    """A new active key for ``name``; returns the row and the key (shown once, never stored).

    The key is 43 URL-safe characters (32 random bytes), never starting with "-" (its
    prefix is typed as a command-line argument: ``linli open311-key revoke PREFIX``, where
    a leading dash would read as an option); ``key_hash`` is its HMAC with the PII key
    (:func:`linli.common.pii.lookup_hash`).

    Raises:
        ValueError: empty name.
    """
    name = name.strip()
    if not name:
        raise ValueError("请提供密钥名称")
    key = secrets.token_urlsafe(32)
    while key.startswith("-"):
        key = secrets.token_urlsafe(32)
    row = Open311Key.objects.create(
        name=name[:100], key_hash=lookup_hash(key), key_prefix=key[:PREFIX_LENGTH]
    )
    return row, key


def open311_key_check(key: str) -> Open311Key | None:
    """The active key matching ``key`` (and stamp ``last_used_at``), else None."""
    key = (key or "").strip()
    if not key:
        return None
    row = Open311Key.objects.filter(key_hash=lookup_hash(key), active=True).first()
    if row is not None:
        row.last_used_at = timezone.now()
        Open311Key.objects.filter(pk=row.pk).update(last_used_at=row.last_used_at)
    return row


def open311_key_revoke(*, prefix: str, dry_run: bool = False) -> list[Open311Key]:
    """Deactivate the active keys whose prefix starts with ``prefix`` (≥ 4 characters).

    Raises:
        ValueError: prefix shorter than 4 characters, or matching no active key.
    """
    prefix = prefix.strip()
    if len(prefix) < 4:
        raise ValueError("前缀至少 4 个字符")
    rows = list(Open311Key.objects.filter(key_prefix__startswith=prefix, active=True))
    if not rows:
        raise ValueError(f"没有以 {prefix} 开头的有效密钥")
    if not dry_run:
        Open311Key.objects.filter(pk__in=[r.pk for r in rows]).update(active=False)
    return rows
