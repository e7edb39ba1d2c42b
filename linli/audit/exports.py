"""The audit log as a file (``linli audit export`` and the back office's 「导出」 action).

Every column that :func:`linli.audit.services.canonical` hashes is exported (times in UTC
ISO 8601 as hashed, plus a local time for reading), together with ``prev_hash`` and
``hash``, so an auditor can recompute the chain from the file alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.http import FileResponse

from linli.audit.models import AuditEvent
from linli.common.exports import local_time, xlsx_response

TITLE = "安全审计记录"
HEADER = [
    "序号",
    "时间（北京时间）",
    "时间（UTC，参与哈希）",
    "类型",
    "类型代码",
    "操作人 ID",
    "操作人",
    "来源地址",
    "对象类型",
    "对象 ID",
    "摘要",
    "详情（JSON）",
    "上一条哈希",
    "哈希",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def event_rows(events: Iterable[AuditEvent]) -> Iterator[list[str | int]]:
    """One row per event in :data:`HEADER` order."""
    for event in events:
        yield [
            event.seq,
            local_time(event.at, "%Y-%m-%d %H:%M:%S"),
            event.at.astimezone(dt.UTC).isoformat(),
            event.get_kind_display(),
            event.kind,
            "" if event.actor_id is None else event.actor_id,
            event.actor_label,
            event.ip,
            event.object_type,
            event.object_id,
            event.summary,
            json.dumps(event.detail, sort_keys=True, ensure_ascii=False),
            event.prev_hash,
            event.hash,
        ]


def in_period(since: dt.datetime, until: dt.datetime | None = None) -> QuerySet[AuditEvent]:
    """Events at or after ``since`` and before ``until`` (aware datetimes), by ``seq``."""
    events = AuditEvent.objects.filter(at__gte=since).order_by("seq")
    return events if until is None else events.filter(at__lt=until)


def xlsx_file(events: QuerySet[AuditEvent], lines: list[str]) -> FileResponse:
    """The events as one workbook download (:func:`linli.common.exports.xlsx_response`)."""
    return xlsx_response(
        title=TITLE, header=HEADER, rows=event_rows(events.iterator(2000)), lines=lines
    )


def _csv_cell(value: str | int) -> str | int:
    """A text cell that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_bytes(events: QuerySet[AuditEvent]) -> bytes:
    """The events as UTF-8 CSV with a byte-order mark (so Excel reads the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in event_rows(events.iterator(2000)):
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode()
