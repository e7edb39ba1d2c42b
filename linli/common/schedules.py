"""Periodic django-q2 schedules, created or repaired idempotently by ``linli up``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_q.models import Schedule


def schedule_every(*, name: str, func: str, minutes: int = 1) -> Schedule:
    """The schedule called ``name`` running the dotted ``func`` every ``minutes`` minutes.

    One row per name: running this again repairs an edited or half-deleted schedule instead
    of adding a second one.
    """
    from django_q.models import Schedule

    schedule, _ = Schedule.objects.update_or_create(
        name=name,
        defaults={
            "func": func,
            "schedule_type": Schedule.MINUTES,
            "minutes": minutes,
            "repeats": -1,
        },
    )
    return schedule
