"""django-q2 tasks of the cockpit's reports: they only call :mod:`linli.cockpit.reports`.

* :func:`report_generate_task` renders one queued :class:`~linli.cockpit.models.ReportRun`;
* :func:`monthly_reports_task` (1st of each month, 02:00) queues last month's work report
  of every street and community;
* :func:`weekly_reports_task` (Mondays, 03:00) queues last week's grid case report of every
  community.

:func:`ensure_schedules` creates or repairs both schedules; ``linli up`` calls it.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from linli.cockpit import reports
from linli.cockpit.models import ReportKind
from linli.places.models import Area, AreaKind

MONTHLY_TASK = "linli.cockpit.tasks.monthly_reports_task"
WEEKLY_TASK = "linli.cockpit.tasks.weekly_reports_task"
MONTHLY_SCHEDULE = "报告：社区月度工作报告（每月1日）"
WEEKLY_SCHEDULE = "报告：网格事件周报（每周一）"
#: Local times the schedules run at: after midnight, once the period's last day is over.
MONTHLY_AT = dt.time(2, 0)
WEEKLY_AT = dt.time(3, 0)


def report_generate_task(run_id: int) -> str:
    """Render run ``run_id``; returns ``"<pk> <status>"`` (failures are on the row)."""
    run = reports.report_generate(run_id=run_id)
    return f"{run.pk} {run.status}"


def monthly_reports_task(today: dt.date | None = None) -> int:
    """Queue the previous month's report of every street and community; the count."""
    today = today or timezone.localdate()
    end = today.replace(day=1) - dt.timedelta(days=1)
    start = end.replace(day=1)
    areas = Area.objects.filter(kind__in=[AreaKind.STREET, AreaKind.COMMUNITY])
    for area in areas:
        reports.report_request(
            kind=ReportKind.MONTHLY, area=area, period_start=start, period_end=end
        )
    return len(areas)


def weekly_reports_task(today: dt.date | None = None) -> int:
    """Queue the previous week's (Monday–Sunday) grid case report of every community."""
    today = today or timezone.localdate()
    start = today - dt.timedelta(days=today.weekday() + 7)
    areas = Area.objects.filter(kind=AreaKind.COMMUNITY)
    for area in areas:
        reports.report_request(
            kind=ReportKind.WEEKLY_CASES,
            area=area,
            period_start=start,
            period_end=start + dt.timedelta(days=6),
        )
    return len(areas)


def next_monthly_run(now: dt.datetime | None = None) -> dt.datetime:
    """The next 1st of a month at :data:`MONTHLY_AT` (Asia/Shanghai), aware."""
    local = timezone.localtime(now or timezone.now())
    candidate = timezone.make_aware(dt.datetime.combine(local.date().replace(day=1), MONTHLY_AT))
    if candidate <= local:
        first = local.date().replace(day=1)
        following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        candidate = timezone.make_aware(dt.datetime.combine(following, MONTHLY_AT))
    return candidate


def next_weekly_run(now: dt.datetime | None = None) -> dt.datetime:
    """The next Monday at :data:`WEEKLY_AT` (Asia/Shanghai), aware."""
    local = timezone.localtime(now or timezone.now())
    monday = local.date() - dt.timedelta(days=local.weekday())
    candidate = timezone.make_aware(dt.datetime.combine(monday, WEEKLY_AT))
    if candidate <= local:
        candidate = timezone.make_aware(
            dt.datetime.combine(monday + dt.timedelta(days=7), WEEKLY_AT)
        )
    return candidate


def ensure_schedules() -> list[object]:
    """Create or repair the monthly and weekly schedules (idempotent: one row per name).

    django-q2's ``MONTHLY``/``WEEKLY`` types repeat from ``next_run``; an upcoming
    ``next_run`` already at the right weekday/day and time is kept so a restart neither
    skips nor repeats a report.
    """
    from django_q.models import Schedule

    made = []
    for name, func, kind, run, ok in (
        (MONTHLY_SCHEDULE, MONTHLY_TASK, Schedule.MONTHLY, next_monthly_run(), _is_monthly),
        (WEEKLY_SCHEDULE, WEEKLY_TASK, Schedule.WEEKLY, next_weekly_run(), _is_weekly),
    ):
        existing = Schedule.objects.filter(name=name).first()
        keep = (
            existing is not None
            and existing.next_run is not None
            and existing.next_run > timezone.now()
            and ok(timezone.localtime(existing.next_run))
        )
        schedule, _ = Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": kind,
                "repeats": -1,
                "next_run": existing.next_run if keep and existing is not None else run,
            },
        )
        made.append(schedule)
    return made


def _is_monthly(moment: dt.datetime) -> bool:
    return moment.day == 1 and moment.time() == MONTHLY_AT


def _is_weekly(moment: dt.datetime) -> bool:
    return moment.weekday() == 0 and moment.time() == WEEKLY_AT
