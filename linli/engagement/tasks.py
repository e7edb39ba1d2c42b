"""django-q2 tasks of the policy library: they only call a service.

:func:`ensure_schedules` creates the nightly re-match of every current policy (validity
dates pass; bulk registry imports change facts without sending signals). ``linli up``
should call it with the other schedules.
"""

from __future__ import annotations

from linli.engagement import policies

REMATCH_TASK = "linli.engagement.tasks.policies_rematch_task"
REMATCH_SCHEDULE = "政策库：每日重新匹配"
ORG_TASK = "linli.engagement.tasks.organization_changed_task"


def policies_rematch_task() -> str:
    """Nightly: :func:`~linli.engagement.policies.policies_rematch`; a summary line."""
    reports = policies.policies_rematch()
    return (
        f"policies={len(reports)} created={sum(r.created + r.revived for r in reports)} "
        f"lapsed={sum(r.lapsed for r in reports)} notified={sum(r.notified for r in reports)}"
    )


def organization_changed_task(organization_id: int) -> int:
    """Re-match one organisation (for callers that prefer the queue to the inline hook)."""
    return policies.organization_changed(organization_id)


def ensure_schedules() -> list[object]:
    """Create or repair the daily schedule (idempotent: one row by name)."""
    from linli.common.schedules import schedule_every

    return [schedule_every(name=REMATCH_SCHEDULE, func=REMATCH_TASK, minutes=24 * 60)]
