"""django-q2 tasks of activities: they only call a service."""

from __future__ import annotations

from linli.activities import services

SWEEP_TASK = "linli.activities.tasks.sweep_task"
SWEEP_SCHEDULE = "活动：截止报名、结束活动、开课提醒"


def sweep_task() -> str:
    """Hourly: :func:`linli.activities.services.activities_sweep`; a summary line."""
    report = services.activities_sweep()
    return f"closed={report.closed} finished={report.finished} reminded={report.reminded}"


def ensure_schedules() -> list[object]:
    """Create or repair the hourly schedule (idempotent: one row by name)."""
    from linli.common.schedules import schedule_every

    return [schedule_every(name=SWEEP_SCHEDULE, func=SWEEP_TASK, minutes=60)]
