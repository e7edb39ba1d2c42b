"""django-q2 tasks of the cases module: they only call a service.

:func:`ensure_schedules` creates the one-minute escalation schedule; ``linli up`` (or a
deployment script) calls it at start-up. Cron-style deployments without a task worker run
``linli escalate-cases`` every minute instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from linli.cases.escalation import cases_escalate

if TYPE_CHECKING:
    from django_q.models import Schedule

ESCALATE_TASK = "linli.cases.tasks.escalate_cases_task"
ESCALATE_SCHEDULE = "事件：临期提醒与超时督办"


def escalate_cases_task() -> str:
    """Every minute: one escalation pass at the current time; returns its summary line."""
    return cases_escalate(now=timezone.now()).summary()


def ensure_schedules() -> Schedule:
    """Create or repair the one-minute escalation schedule (idempotent: one row by name)."""
    from linli.common.schedules import schedule_every

    return schedule_every(name=ESCALATE_SCHEDULE, func=ESCALATE_TASK)
