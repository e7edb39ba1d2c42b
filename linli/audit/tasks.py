"""django-q2 tasks of the audit log: they only call a service.

:func:`ensure_schedules` creates the daily purge schedule; ``linli up`` calls it at
start-up. Deployments without a task worker run ``linli audit purge`` from cron instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linli.audit.services import audit_purge

if TYPE_CHECKING:
    from django_q.models import Schedule

PURGE_TASK = "linli.audit.tasks.purge_task"
PURGE_SCHEDULE = "安全审计：到期删除"


def purge_task() -> str:
    """Daily: delete audit rows past ``LINLI_AUDIT_KEEP_DAYS`` (anchored); its summary line."""
    return audit_purge().summary()


def ensure_schedules() -> list[Schedule]:
    """Create or repair the daily purge schedule (idempotent: one row by name)."""
    from linli.common.schedules import schedule_every

    return [schedule_every(name=PURGE_SCHEDULE, func=PURGE_TASK, minutes=24 * 60)]
