"""Helpers of the audit tests: a chain of ``n`` events, fast password hashing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from linli.audit.models import AuditEvent, AuditKind
from linli.audit.services import record


@pytest.fixture
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    """Test users need no Argon2 work (their passwords are never attacked)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def chain(db) -> Callable[..., list[AuditEvent]]:  # type: ignore[no-untyped-def]
    """``chain(n, days_ago=0)`` appends ``n`` LOGIN events dated ``days_ago`` days back."""

    def make(n: int, days_ago: int = 0) -> list[AuditEvent]:
        at = timezone.now() - dt.timedelta(days=days_ago)
        return [
            record(AuditKind.LOGIN, f"事件 {i}", actor_label=f"user{i}", detail={"i": i}, at=at)
            for i in range(n)
        ]

    return make
