"""Report pages at ``/cockpit/reports/`` (namespace ``cockpit_reports``).

* ``/cockpit/reports/`` — the runs of the user's areas (newest period first) with their
  status and download links, and the form to ask for one (POST to the same URL →
  :func:`~linli.cockpit.reports.report_request`, then back to the list);
  ``?format=xlsx`` exports the list itself;
* ``/cockpit/reports/<pk>.pdf`` and ``<pk>.xlsx`` — the files of a finished run, with a
  Chinese file name (``金凤社区-2026年11月-社区月度工作报告.pdf``).

Who: users who may view the registry (:func:`~linli.people.scoping.can_view_registry`:
community and street staff, superusers); others get 403. A run outside the user's areas is
404, exactly like a missing one; a run without files (queued, failed) is 404 too.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from linli.cockpit.models import ReportRun, ReportStatus
from linli.cockpit.reports import (
    ReportInputError,
    ReportNotAllowed,
    file_name,
    period_label,
    report_request,
    reportable_areas,
)
from linli.cockpit.reports_forms import ReportRequestForm
from linli.common.exports import XLSX, wants_xlsx, xlsx_response
from linli.people.scoping import can_view_registry, scope

#: Rows shown on the page (the export holds them all).
PAGE_ROWS = 200


def reports_staff_required(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Logged in (else to the login page) and allowed to view the registry (else 403)."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_view_registry(request.user):
            raise PermissionDenied("您没有查看报告的权限")
        return view(request, *args, **kwargs)

    return wrapped


def runs_visible_to(request: HttpRequest) -> QuerySet[ReportRun]:
    """Runs whose area lies under the user's areas, without the file bytes."""
    return (
        scope(ReportRun.objects.all(), request.user)
        .select_related("area", "requested_by")
        .defer("pdf", "xlsx")
    )


def _row(run: ReportRun) -> list[str]:
    return [
        run.get_kind_display(),
        run.area.name,
        period_label(run.kind, run.period_start, run.period_end),
        run.get_status_display(),
        f"{timezone.localtime(run.finished_at):%Y-%m-%d %H:%M}" if run.finished_at else "",
        run.error,
    ]


@require_http_methods(["GET", "HEAD", "POST"])
@reports_staff_required
def report_list(request: HttpRequest) -> HttpResponseBase:
    """The list and the request form (POST asks for a report)."""
    runs = runs_visible_to(request)
    if wants_xlsx(request):
        return xlsx_response(
            title="报告生成记录",
            header=["报告类型", "区域", "期间", "状态", "完成时间", "失败原因"],
            rows=(_row(run) for run in runs),
        )
    areas = reportable_areas(request.user)
    form = ReportRequestForm(
        request.POST or None,
        areas=areas,
        initial={"period": ReportRequestForm.default_period(timezone.localdate())},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = report_request(
                kind=data["kind"],
                area=data["area"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                user=request.user,
            )
        except ReportInputError as err:
            form.add_error(None, str(err))
        except ReportNotAllowed as err:
            raise PermissionDenied(str(err)) from err
        else:
            label = period_label(run.kind, run.period_start, run.period_end)
            messages.success(
                request, f"已提交：{run.area.name} {label} {run.get_kind_display()}，生成后可下载。"
            )
            return redirect("cockpit_reports:list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "cockpit/reports.html",
        {
            "form": form,
            "areas": areas,
            "runs": [
                (run, period_label(run.kind, run.period_start, run.period_end))
                for run in runs[:PAGE_ROWS]
            ],
            "done": ReportStatus.DONE,
            "failed": ReportStatus.FAILED,
            "pending": (ReportStatus.QUEUED, ReportStatus.RUNNING),
        },
        status=status,
    )


def _download(request: HttpRequest, pk: int, ext: str) -> FileResponse:
    run = scope(ReportRun.objects.select_related("area"), request.user).filter(pk=pk).first()
    data = getattr(run, ext, None) if run is not None else None
    if run is None or run.status != ReportStatus.DONE or not data:
        raise Http404("没有找到这份报告，或它还没有生成、不在您负责的区域内")
    return FileResponse(
        io.BytesIO(bytes(data)),
        as_attachment=True,
        filename=f"{file_name(run)}.{ext}",
        content_type="application/pdf" if ext == "pdf" else XLSX,
    )


@require_safe
@reports_staff_required
def report_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The run's PDF as a download (404 when missing, elsewhere or not finished)."""
    return _download(request, pk, "pdf")


@require_safe
@reports_staff_required
def report_xlsx(request: HttpRequest, pk: int) -> FileResponse:
    """The run's workbook as a download (404 as for the PDF)."""
    return _download(request, pk, "xlsx")
