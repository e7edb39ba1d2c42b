"""django-q2 tasks of parking sharing: they only call a service."""

from __future__ import annotations

from linli.sharing import services

SWEEP_TASK = "linli.sharing.tasks.sweep"
SWEEP_SCHEDULE = "sharing.bookings_sweep"


def sweep() -> str:
    """Every 5 minutes: :func:`linli.sharing.services.bookings_sweep` marks bookings with
    no arrival past the lot's grace as no-shows; returns a summary line."""
    report = services.bookings_sweep()
    return f"no_shows={report.no_shows}"


def schedules() -> list[object]:
    """Create or repair the 5-minute schedule (idempotent: one row by name)."""
    from linli.common.schedules import schedule_every

    return [schedule_every(name=SWEEP_SCHEDULE, func=SWEEP_TASK, minutes=5)]
