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
    case.escalation_level = 0  # the escalation ladder is per stage
    stage = case.stage
    if stage is None:
        case.due_at = None
        return
    case.due_at = workcalendar.due_at(
        now, case.category.limit_for(stage), working_time=case.category.working_time
    )


def paused_span_seconds(*, case: Case, start: dt.datetime, end: dt.datetime) -> int:
    """Seconds between ``start`` and ``end`` as the category's clock counts them.

    Working time (``linli.common.workcalendar``) for working-time categories, else clock
    seconds. Used to move a due time by exactly the time the clock was paused.
    """
    from linli.common import workcalendar

    if end <= start:
        return 0
    if case.category.working_time:
        return workcalendar.working_seconds_between(start, end)
    return int((end - start).total_seconds())


def clock_pause(*, case: Case, now: dt.datetime) -> None:
    """Stop the stage clock (awaiting the resident); caller holds the lock and saves.

    ``due_at`` stays as it was; while ``paused_at`` is set the case is not overdue
    (escalation must skip paused cases) and :func:`clock_resume` moves the due time.
    """
    case.paused_at = now


def clock_resume(*, case: Case, now: dt.datetime) -> int:
    """Restart a paused clock; returns the paused seconds added (working or clock time).

    ``paused_seconds`` accumulates every pause of the stage and ``due_at`` becomes the
    stage limit plus all paused time after ``stage_started_at`` — the same as if the clock
    had not run during the pauses. Caller holds the lock and saves.
    """
    from linli.common import workcalendar

    assert case.paused_at is not None and case.stage_started_at is not None
    added = paused_span_seconds(case=case, start=case.paused_at, end=now)
    case.paused_seconds += added
    case.paused_at = None
    stage = case.stage
    if stage is not None:
        case.due_at = workcalendar.due_at(
            case.stage_started_at,
            case.category.limit_for(stage) + case.paused_seconds,
            working_time=case.category.working_time,
        )
    return added
