"""Uploads through the back-office page (RosterImport jobs): preview, confirm, run.

Each job keeps the uploaded file and a JSON report; the import itself is
:func:`linli.people.roster.services.roster_import`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from linli.common import pii
from linli.people.models import RosterImport, RosterImportStatus
from linli.people.roster.reading import RosterFileError, Table, read_table
from linli.people.roster.services import RosterImportError, RosterResult, roster_import
from linli.people.roster.validation import cell_text
from linli.places.models import Area

logger = logging.getLogger(__name__)

#: Files with more data rows than this are imported by the task worker, not in the request.
INLINE_MAX_ROWS = 2000
PREVIEW_ROWS = 20
#: Rejected rows shown on the page (all of them are always in the error report).
PAGE_ISSUES = 1000


def _report(result: RosterResult, table: Table | None = None) -> dict[str, Any]:
    """The JSON kept on :class:`RosterImport` for the preview and result pages."""
    report: dict[str, Any] = {
        "rows": result.rows,
        "imported": result.imported,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": result.rejected,
        "skipped": [[row, reason] for row, reason in result.skipped],
        "new_buildings": result.new_buildings,
        "new_households": result.new_households,
        "seconds": round(result.seconds, 2),
        "issues": [
            [issue.row, issue.column, issue.value, issue.reason]
            for issues in list(result.issues.values())[:PAGE_ISSUES]
            for issue in issues
        ],
    }
    if table is not None:
        report["headers"] = table.headers
        report["preview"] = [
            [row, _masked_cells(table, cells)] for row, cells in table.rows[:PREVIEW_ROWS]
        ]
    return report


def _save_error_file(job: RosterImport, result: RosterResult) -> None:
    from linli.people.roster.workbook import error_report_xlsx

    if job.error_file:
        job.error_file.delete(save=False)
    if result.rejected:
        data = error_report_xlsx(result, unit=job.community.name)
        job.error_file.save(f"roster-errors-{job.pk}.xlsx", ContentFile(data), save=False)


def roster_upload_create(
    *, community: Area, upload: UploadedFile, create_missing: bool, actor: User
) -> RosterImport:
    """Store an uploaded ledger and its preview (a dry run: what would be imported).

    The dry run reads only, outside any transaction, so a big preview does not hold
    SQLite's write lock; the job row is written at the end.

    Raises:
        RosterFileError: the file cannot be read (nothing stored).
        RosterImportError: ``community`` is not a community.
    """
    data = upload.read()
    table = read_table(data, upload.name or "")
    result = roster_import(
        community=community, table=table, create_missing=create_missing, dry_run=True
    )
    job = RosterImport(
        community=community,
        created_by=actor,
        original_name=(upload.name or "台账")[:200],
        create_missing=create_missing,
        rows=result.rows,
        imported=result.imported,
        updated=result.updated,
        rejected=result.rejected,
        report=_report(result, table),
        stage="预览",
    )
    # One transaction for the row and both files: a full disk while writing the error report
    # leaves no job behind (linli.common.security removes the files saved before).
    with transaction.atomic():
        job.file.save(Path(upload.name or "roster.xlsx").name, ContentFile(data), save=False)
        job.save()
        _save_error_file(job, result)
        job.save(update_fields=["error_file"])
    return job


def _masked_cells(table: Table, cells: list[Any]) -> list[str]:
    """A preview row as text with the identity number and phone masked."""
    texts = [cell_text(cell) for cell in cells]
    for key, mask in (("id_number", pii.mask_id_number), ("phone", pii.mask_phone)):
        index = table.columns.get(key)
        if index is not None and texts[index]:
            texts[index] = mask(texts[index].replace(" ", ""))
    return texts


def roster_upload_confirm(*, job: RosterImport, actor: User) -> RosterImport:
    """Start the import previewed in ``job``: inline for small files, else as a task.

    Raises:
        RosterImportError: the job was already confirmed.
    """
    with transaction.atomic():
        locked = RosterImport.objects.select_for_update().get(pk=job.pk)
        if locked.status != RosterImportStatus.PREVIEWED:
            raise RosterImportError("该文件已经确认导入过了")
        locked.status = RosterImportStatus.QUEUED
        locked.progress, locked.stage = 0, "排队等待导入"
        locked.save(update_fields=["status", "progress", "stage", "updated_at"])
    if locked.rows <= INLINE_MAX_ROWS:
        return roster_upload_run(job_id=locked.pk, actor_id=actor.pk)
    from django_q.tasks import async_task

    async_task(
        "linli.people.roster.tasks.roster_upload_run_task", locked.pk, actor.pk, group="roster"
    )
    return locked


def _fail(job: RosterImport, message: str) -> RosterImport:
    job.status, job.stage = RosterImportStatus.FAILED, message[:100]
    job.report = {**job.report, "message": message}
    job.save(update_fields=["status", "stage", "report", "updated_at"])
    return job


def roster_upload_run(*, job_id: int, actor_id: int | None) -> RosterImport:
    """Run the confirmed import of job ``job_id`` (called inline or by the task worker).

    Progress goes to the job row outside the import transaction so a polling page sees
    it; failures are recorded on the job (status ``failed``, stage = the reason).
    """
    job = RosterImport.objects.select_related("community").get(pk=job_id)
    if job.status not in (RosterImportStatus.QUEUED, RosterImportStatus.RUNNING):
        return job
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None

    def progress(percent: int, stage: str) -> None:
        RosterImport.objects.filter(pk=job.pk).update(progress=percent, stage=stage)

    RosterImport.objects.filter(pk=job.pk).update(status=RosterImportStatus.RUNNING)
    try:
        with job.file.open("rb") as handle:
            table = read_table(handle.read(), job.original_name)
        result = roster_import(
            community=job.community,
            table=table,
            create_missing=job.create_missing,
            actor=actor,
            progress=progress,
        )
    except (RosterFileError, RosterImportError, OSError) as exc:
        return _fail(job, str(exc))
    except Exception:
        # A bug, not bad input: the transaction rolled back, so say so and keep the trace.
        # Not re-raised: a deterministic error would fail the same way on every retry.
        logger.exception("roster import job %s failed", job.pk)
        return _fail(job, "导入时发生内部错误，没有写入任何数据；请联系管理员查看日志")
    job.status, job.progress, job.stage = RosterImportStatus.DONE, 100, "完成"
    job.rows, job.imported, job.updated = result.rows, result.imported, result.updated
    job.rejected = result.rejected
    job.report = {**_report(result), "headers": job.report.get("headers", [])}
    _save_error_file(job, result)
    job.save()
    return job
