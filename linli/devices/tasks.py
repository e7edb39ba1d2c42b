"""django-q2 tasks of the devices module: they only call a service.

:func:`ensure_schedules` creates the daily partition-and-retention schedule; ``linli up``
(or a deployment script) calls it at start-up. Cron-style deployments run
``linli device-partitions`` once a day instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from linli.devices.partitions import partitions_create_ahead, retention_apply

if TYPE_CHECKING:
    from django_q.models import Schedule

PARTITIONS_TASK = "linli.devices.tasks.partitions_task"
PARTITIONS_SCHEDULE = "设备事件：按月分区与过期清理"
DAY_MINUTES = 24 * 60


def partitions_task() -> str:
    """Daily: partitions ahead, then retention; returns a summary line."""
    now = timezone.now()
    made = partitions_create_ahead(now)
    dropped, rows = retention_apply(now)
    return f"created={len(made)} dropped={len(dropped)} deleted_rows={rows}"


def ensure_schedules() -> Schedule:
    """Create or repair the daily schedule (idempotent: one row by name)."""
    from linli.common.schedules import schedule_every

    return schedule_every(name=PARTITIONS_SCHEDULE, func=PARTITIONS_TASK, minutes=DAY_MINUTES)
