"""Roster import pages: upload → preview → confirm → progress → result; export download.

Staff only: the user must be logged in and hold an assignment in (or above) the
community; uploads of other communities answer 404.
"""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from linli.people.models import RosterImport, RosterImportStatus
from linli.people.roster.forms import UploadForm
from linli.people.roster.reading import RosterFileError
from linli.people.roster.selectors import roster_communities, roster_uploads
from linli.people.roster.services import RosterImportError, roster_export
from linli.people.roster.uploads import roster_upload_confirm, roster_upload_create
from linli.people.roster.workbook import export_filename

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _job(request: HttpRequest, pk: int) -> RosterImport:
    return get_object_or_404(roster_uploads(request.user), pk=pk)


def _communities_or_403(request: HttpRequest):  # type: ignore[no-untyped-def]
    communities = roster_communities(request.user)
    if not communities.exists():
        raise PermissionDenied("您没有负责的社区，不能导入台账")
    return communities


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """The upload form (GET) and the upload with its preview (POST)."""
    communities = _communities_or_403(request)
    form = UploadForm(request.POST or None, request.FILES or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        try:
            job = roster_upload_create(
                community=form.cleaned_data["community"],
                upload=form.cleaned_data["file"],
                create_missing=form.cleaned_data["create_missing"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except (RosterFileError, RosterImportError) as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("roster:detail", pk=job.pk)
    recent = roster_uploads(request.user)[:10]
    status = 400 if request.method == "POST" else 200
    return render(
        request, "people/roster/upload.html", {"form": form, "recent": recent}, status=status
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Preview (with the confirm button), progress bar, or result, by the job's status."""
    job = _job(request, pk)
    return render(request, "people/roster/detail.html", {"job": job, "report": job.report})


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        roster_upload_confirm(job=job, actor=request.user)  # type: ignore[arg-type]
    except RosterImportError as exc:
        messages.error(request, str(exc))
    return redirect("roster:detail", pk=job.pk)


@login_required
@require_GET
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment polled by htmx every second; reloads the page when finished."""
    job = _job(request, pk)
    response = render(request, "people/roster/_progress.html", {"job": job})
    if job.status in (RosterImportStatus.DONE, RosterImportStatus.FAILED):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def errors(request: HttpRequest, pk: int) -> FileResponse:
    job = _job(request, pk)
    if not job.error_file:
        raise Http404("没有错误报告")
    name = f"错误报告-{job.original_name.rsplit('.', 1)[0]}.xlsx"
    return FileResponse(job.error_file.open("rb"), as_attachment=True, filename=name)


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The community's registry as .xlsx; full identity numbers, so PII right + logged."""
    chosen = request.GET.get("community", "")
    if not chosen.isdigit():
        raise Http404("请选择社区")
    community = get_object_or_404(_communities_or_403(request), pk=int(chosen))
    data, _count = roster_export(community=community, actor=request.user)  # type: ignore[arg-type]
    response = HttpResponse(data, content_type=XLSX)
    filename = export_filename(community)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
