"""Registrations and attendance of one activity as an .xlsx workbook (openpyxl).

Two sheets: ``报名`` (one row per registration: status, waitlist position, name, phone,
employer, guardian, price in yuan, registered at, sessions attended) and ``签到`` (the
attendance grid: confirmed registrations × sessions, check-in time ``HH:MM`` or empty).
Times are Asia/Shanghai. Phones are masked unless the user may see PII
(:func:`linli.people.scoping.can_view_pii`); an unmasked export is logged in the PII
access log (who, when, which activity).
"""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from linli.activities.models import Activity
from linli.activities.selectors import attendance_grid, contact_phone, registration_rows
from linli.common.models import PiiAccessLog
from linli.common.pii import mask_phone
from linli.eligibility.money import yuan
from linli.people.scoping import can_view_pii

REGISTRATION_HEADER = [
    "状态",
    "候补位次",
    "姓名",
    "联系电话",
    "出生日期",
    "工作单位",
    "监护人",
    "费用",
    "报名时间",
    "经办人",
    "签到场次数",
    "取消原因",
]


def registrations_export(*, activity: Activity, user: Any) -> bytes:
    """The workbook of ``activity`` as .xlsx bytes (see the module docstring).

    ``user`` decides whether phones are shown in full (and logged) or masked.
    """
    reveal = can_view_pii(user)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "报名"
    sheet.append(REGISTRATION_HEADER)
    for row in registration_rows(activity):
        r = row.registration
        phone = contact_phone(r)
        registered_by = r.registered_by.get_username() if r.registered_by else ""
        sheet.append(
            [
                r.get_status_display(),
                row.position or "",
                r.name,
                phone if reveal else mask_phone(phone),
                r.birth_date.isoformat() if r.birth_date else "",
                r.organization.name if r.organization else "",
                r.guardian_name,
                yuan(r.price_fen),
                timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
                registered_by,
                row.attended,
                r.cancel_reason,
            ]
        )
    _style(sheet, len(REGISTRATION_HEADER))
    grid = attendance_grid(activity)
    attendance = book.create_sheet("签到")
    header = ["姓名"] + [
        timezone.localtime(s.starts_at).strftime("%m-%d %H:%M") for s in grid.sessions
    ]
    attendance.append([*header, "合计"])
    for grid_row in grid.rows:
        cells = [
            timezone.localtime(c.attendance.checked_in_at).strftime("%H:%M") if c.attendance else ""
            for c in grid_row.cells
        ]
        attendance.append([grid_row.registration.name, *cells, grid_row.attended])
    attendance.append(["已签到人数", *grid.per_session, ""])
    _style(attendance, len(header) + 1)
    if reveal and getattr(user, "is_authenticated", False):
        PiiAccessLog.objects.create(
            user=user,
            subject_type="activity",
            subject_id=activity.pk,
            subject_label=activity.title[:100],
            fields="phone",
            purpose="导出活动报名名单",
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _style(sheet: Any, columns: int) -> None:
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index in range(1, columns + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 14
