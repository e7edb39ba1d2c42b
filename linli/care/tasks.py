"""django-q2 tasks of proactive care: they only call a service.

:func:`ensure_schedules` creates the every-minute sweep (silence alerts, away expiry,
missed SOS/smoke events, escalation) and the hourly routine learning (new watches for
residents living alone, then today's routine of each watch not yet learnt today).
"""

from __future__ import annotations

from linli.care import services

SWEEP_TASK = "linli.care.tasks.sweep_task"
SWEEP_SCHEDULE = "主动关怀：静默告警与超时升级"
LEARN_TASK = "linli.care.tasks.learn_task"
LEARN_SCHEDULE = "主动关怀：学习作息"


def sweep_task() -> str:
    """Every minute: :func:`linli.care.services.care_sweep`; returns a summary line."""
    opened = services.care_sweep()
    return f"opened={len(opened)}"


def learn_task() -> str:
    """Hourly: :func:`~linli.care.services.watches_sync` then
    :func:`~linli.care.services.routines_learn`."""
    added, stopped = services.watches_sync()
    learnt = services.routines_learn()
    return f"watches_added={added} watches_stopped={stopped} routines_learnt={learnt}"


def ensure_schedules() -> list[object]:
    """Create or repair both schedules (idempotent: one row by name)."""
    from linli.common.schedules import schedule_every

    return [
        schedule_every(name=SWEEP_SCHEDULE, func=SWEEP_TASK, minutes=1),
        schedule_every(name=LEARN_SCHEDULE, func=LEARN_TASK, minutes=60),
    ]
