"""Generated reports: the monthly community work report and the weekly grid case report.

A :class:`~linli.cockpit.models.ReportRun` is one report of one kind, area and period.
:func:`report_request` creates it (or puts an existing one back in the queue) and enqueues
:func:`report_generate` on commit; the task renders the PDF and the workbook and saves both
with status ``done`` in one transaction, or records ``failed`` with the error text and no
files. The figures come from :mod:`linli.cockpit.reports_monthly` and
:mod:`linli.cockpit.reports_weekly`.

Periods are Asia/Shanghai dates, inclusive: a calendar month (``2026-11``) or an ISO week
Monday–Sunday (``2026-W48``, or any date in it).
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from linli.cockpit.models import ReportKind, ReportRun, ReportStatus
from linli.common.documents import Document, pdf_bytes, xlsx_bytes
from linli.people.scoping import covers
from linli.places.models import Area, AreaKind

GENERATE_TASK = "linli.cockpit.tasks.report_generate_task"
#: Area kinds each report may be made for.
KIND_AREAS: dict[str, tuple[str, ...]] = {
    ReportKind.MONTHLY: (AreaKind.STREET, AreaKind.COMMUNITY),
    ReportKind.WEEKLY_CASES: (AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.GRID),
}
#: Longest error text kept on a failed run.
ERROR_MAX = 2000
#: Earliest year a report may cover (no data is older).
FIRST_YEAR = 2000
#: A run still ``running`` this long after the queue's task timeout (``Q_CLUSTER["timeout"]``,
#: when the cluster kills the task) was ended without a word (timeout, worker died, server
#: restarted): :func:`report_request` queues it again.
STALE_MARGIN = dt.timedelta(minutes=2)

_MONTH = re.compile(r"^\s*(\d{4})\s*[-/年.]\s*(\d{1,2})\s*月?\s*$")
_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


class ReportInputError(ValueError):
    """Bad input for a report (period, area, kind); the message is for the user."""


class ReportNotAllowed(PermissionError):
    """The area lies outside the user's areas."""


def _check_year(year: int) -> None:
    """Refuse a year before :data:`FIRST_YEAR` or after next year (Asia/Shanghai), so no
    date arithmetic runs past ``date.max``.

    Raises:
        ReportInputError: the year is out of that range.
    """
    if year < FIRST_YEAR:
        raise ReportInputError(f"年份不能早于 {FIRST_YEAR} 年")
    last = timezone.localdate().year + 1
    if year > last:
        raise ReportInputError(f"年份不能晚于 {last} 年")


def month_period(text: str) -> tuple[dt.date, dt.date]:
    """``"2026-11"`` (also ``2026/11``, ``2026年11月``) → first and last day of the month.

    Raises:
        ReportInputError: not a month, or a year before 2000 or after next year.
    """
    match = _MONTH.match(text or "")
    if not match:
        raise ReportInputError("月份格式不对，请填写如 2026-11")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ReportInputError("月份应在 1–12 之间")
    _check_year(year)
    try:
        first = dt.date(year, month, 1)
        following = dt.date(year + month // 12, month % 12 + 1, 1)
    except (ValueError, OverflowError):
        raise ReportInputError("月份格式不对，请填写如 2026-11") from None
    return first, following - dt.timedelta(days=1)


def week_period(text: str) -> tuple[dt.date, dt.date]:
    """``"2026-W48"`` (ISO week, as ``<input type=week>`` sends it) or a date
    ``"2026-11-25"`` → that week's Monday and Sunday.

    Raises:
        ReportInputError: neither form, a week number the year does not have, a year before
            2000 or after next year.
    """
    text = (text or "").strip()
    match = _WEEK.match(text)
    bad = "周次格式不对，请填写如 2026-W48 或该周任一天 2026-11-25"
    try:
        if match:
            _check_year(int(match[1]))
            monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        else:
            day = dt.date.fromisoformat(text)
            _check_year(day.year)
            monday = day - dt.timedelta(days=day.weekday())
        _check_year(monday.year)
        sunday = monday + dt.timedelta(days=6)
    except ReportInputError:
        raise
    except (ValueError, OverflowError):
        raise ReportInputError(bad) from None
    return monday, sunday


def period_for(kind: str, text: str) -> tuple[dt.date, dt.date]:
    """The period of a ``kind`` report from the user's text (month or week).

    Raises:
        ReportInputError: unknown kind, bad period, or a period that starts in the future.
    """
    if kind == ReportKind.MONTHLY:
        start, end = month_period(text)
    elif kind == ReportKind.WEEKLY_CASES:
        start, end = week_period(text)
    else:
        raise ReportInputError("请选择报告类型")
    if start > timezone.localdate():
        raise ReportInputError("所选时段尚未开始，不能生成报告")
    return start, end


def period_label(kind: str, start: dt.date, end: dt.date) -> str:
    """``2026年11月`` for a month, ``2026年第48周（11-23～11-29）`` for a week."""
    if kind == ReportKind.MONTHLY:
        return f"{start.year}年{start.month}月"
    year, week, _ = start.isocalendar()
    return f"{year}年第{week}周（{start:%m-%d}～{end:%m-%d}）"


def file_name(run: ReportRun) -> str:
    """The download's name without extension, e.g. ``金凤社区-2026年11月-社区月度工作报告``."""
    label = period_label(run.kind, run.period_start, run.period_end).split("（")[0]
    return f"{run.area.name}-{label}-{ReportKind(run.kind).label.split('（')[0]}"


def report_request(
    *,
    kind: str,
    area: Area,
    period_start: dt.date,
    period_end: dt.date,
    user: User | AnonymousUser | None = None,
) -> ReportRun:
    """Queue the report of ``kind`` for ``area`` and the period; the same (kind, area,
    period) asked again is re-generated into its existing row.

    A run already queued or being generated is returned as it is (not queued twice),
    unless it is a stale ``running`` run (:func:`is_stale`), which is queued again.
    ``user`` None is the scheduler (no scope check). The task is enqueued after commit.

    Raises:
        ReportInputError: the kind does not fit the area's kind (a monthly report is for a
            street or a community), or the period is reversed.
        ReportNotAllowed: ``area`` lies outside the user's areas.
    """
    if kind not in KIND_AREAS:
        raise ReportInputError("请选择报告类型")
    if area.kind not in KIND_AREAS[kind]:
        kinds = "、".join(AreaKind(k).label for k in KIND_AREAS[kind])
        raise ReportInputError(f"{ReportKind(kind).label}只能按{kinds}生成")
    if period_end < period_start:
        raise ReportInputError("截止日期不能早于起始日期")
    if user is not None and not covers(user, area):
        raise ReportNotAllowed(f"您无权生成“{area.name}”的报告")
    requester = user if isinstance(user, User) else None
    with transaction.atomic():
        run, created = ReportRun.objects.select_for_update().get_or_create(
            kind=kind,
            area=area,
            period_start=period_start,
            period_end=period_end,
            defaults={"requested_by": requester, "status": ReportStatus.QUEUED},
        )
        if not created and (
            run.status == ReportStatus.QUEUED
            or (run.status == ReportStatus.RUNNING and not is_stale(run))
        ):
            return run
        if not created:
            run.status, run.error, run.requested_by = ReportStatus.QUEUED, "", requester
            run.save(update_fields=["status", "error", "requested_by", "updated_at"])
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def stale_after() -> dt.timedelta:
    """How long a run may stay ``running``: the queue's task timeout (seconds,
    ``settings.Q_CLUSTER["timeout"]``, 300 when unset) plus :data:`STALE_MARGIN`."""
    timeout = getattr(settings, "Q_CLUSTER", {}).get("timeout") or 300
    return dt.timedelta(seconds=float(timeout)) + STALE_MARGIN


def is_stale(run: ReportRun, *, now: dt.datetime | None = None) -> bool:
    """``run`` is ``running`` but was last touched longer ago than :func:`stale_after`: the
    task was killed (queue timeout, worker or server died) and will not finish it."""
    now = now or timezone.now()
    return run.status == ReportStatus.RUNNING and run.updated_at < now - stale_after()


def _enqueue(run_id: int) -> None:
    from django_q.tasks import async_task

    async_task(GENERATE_TASK, run_id, group="reports")


def report_document(run: ReportRun, *, now: dt.datetime) -> Document:
    """The run's document (figures at ``now``, aware) — monthly or weekly by its kind."""
    from linli.cockpit.reports_monthly import monthly_document, monthly_figures
    from linli.cockpit.reports_weekly import weekly_document, weekly_figures

    if run.kind == ReportKind.MONTHLY:
        return monthly_document(
            monthly_figures(run.area, run.period_start, run.period_end, now=now)
        )
    return weekly_document(weekly_figures(run.area, run.period_start, run.period_end, now=now))


def report_generate(*, run_id: int, now: dt.datetime | None = None) -> ReportRun:
    """Render run ``run_id``: status ``running``, then both files and ``done`` in one
    transaction; on any error ``failed`` with the error text and no files.

    Errors are recorded, not raised, so the queue does not retry a report that cannot be
    made (the user sees why and can ask again).

    Raises:
        ReportRun.DoesNotExist: no such run (deleted since it was queued).
    """
    now = now or timezone.now()
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().select_related("area").get(pk=run_id)
        run.status = ReportStatus.RUNNING
        run.save(update_fields=["status", "updated_at"])
    try:
        document = report_document(run, now=now)
        pdf, xlsx = pdf_bytes(document), xlsx_bytes(document)
    except Exception as exc:  # any failure ends as a visible 'failed' run
        with transaction.atomic():
            ReportRun.objects.filter(pk=run.pk).update(
                status=ReportStatus.FAILED,
                error=f"{type(exc).__name__}: {exc}"[:ERROR_MAX],
                pdf=None,
                xlsx=None,
                finished_at=timezone.now(),
                updated_at=timezone.now(),
            )
        run.refresh_from_db()
        return run
    with transaction.atomic():
        ReportRun.objects.filter(pk=run.pk).update(
            status=ReportStatus.DONE,
            error="",
            pdf=pdf,
            xlsx=xlsx,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    run.refresh_from_db()
    return run


def reportable_areas(user: User | AnonymousUser) -> list[Area]:
    """Streets, communities and grids under the user's areas (for the request form), by
    path. One query."""
    from linli.people.scoping import scope

    kinds = {kind for kinds in KIND_AREAS.values() for kind in kinds}
    return list(scope(Area.objects.filter(kind__in=kinds), user, area_field="").order_by("path"))
