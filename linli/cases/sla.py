"""Stage clocks of cases: due times in working or clock time, pausing, and escalation."""

from __future__ import annotations

import datetime as dt

from linli.cases.models import Case


def stage_start(*, case: Case, now: dt.datetime) -> None:
    """Start the clock of the case's current stage (``case.stage``); caller saves.

    Sets ``stage_started_at``, ``due_at`` (working or clock time per the category, from
    ``linli.common.workcalendar.due_at``), and clears any pause.
    """
    from linli.common import workcalendar

    case.stage_started_at = now
    case.paused_at = None
    case.paused_seconds = 0
    stage = case.stage
    if stage is None:
        case.due_at = None
        return
    case.due_at = workcalendar.due_at(
        now, case.category.limit_for(stage), working_time=case.category.working_time
    )
