"""One function writes every timeline row (saleor's events.py pattern)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User

from linli.cases.models import Case, CaseEvent


def event_record(
    *,
    case: Case,
    action: str,
    actor: User | None,
    at: dt.datetime,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    witness: User | None = None,
    witness_name: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append an immutable :class:`CaseEvent`; the caller holds the case row lock."""
    label = ""
    if actor is not None:
        label = actor.get_full_name() or actor.get_username()
    return CaseEvent.objects.create(
        case=case,
        action=action,
        actor=actor,
        actor_label=label,
        at=at,
        from_status=from_status,
        to_status=to_status,
        note=note,
        witness=witness,
        witness_name=witness_name,
        data=data or {},
    )
