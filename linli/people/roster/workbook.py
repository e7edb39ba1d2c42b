"""Writing .xlsx files: the error report of an import and the export of a community.

Both are laid out like the ledgers staff receive (a title row, a "填报单位：…" row, then
the header), so either can be corrected in Excel and imported again.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from linli.common import pii
from linli.people.models import CARE_TAGS, Relation, ResidenceType, Resident
from linli.people.roster.reading import COLUMN_LABELS
from linli.people.roster.services import RosterResult
from linli.people.roster.validation import SEX_LABELS
from linli.places.models import Area

#: Export column order (fields of ``COLUMN_LABELS``).
EXPORT_FIELDS = [
    "name",
    "id_number",
    "sex",
    "birth_date",
    "phone",
    "micro_grid",
    "building",
    "unit",
    "room",
    "relation",
    "residence_type",
    "tags",
    "disability_level",
    "note",
]
REPORT_COLUMNS = ["行号", "列", "值", "原因"]


def _title(sheet: WriteOnlyWorksheet, title: str, width: int, unit: str) -> None:
    cell = WriteOnlyCell(sheet, value=title)
    cell.font = Font(bold=True, size=14)
    cell.alignment = Alignment(horizontal="center")
    sheet.merged_cells.ranges.add(f"A1:{_letter(width)}1")  # type: ignore[attr-defined]
    sheet.append([cell])
    sheet.append(
        [f"填报单位：{unit}", None, None, f"生成时间：{timezone.localtime():%Y-%m-%d %H:%M}"]
    )


def _letter(width: int) -> str:
    from linli.people.roster.reading import column_letter

    return column_letter(max(width - 1, 0))


def _header(sheet: WriteOnlyWorksheet, headers: Iterable[str]) -> None:
    cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def error_report_xlsx(result: RosterResult, *, unit: str = "") -> bytes:
    """The rejected rows with their original cells plus 行号/列/值/原因 (several reasons of
    one row joined by "；"). The extra columns are ignored when the file is imported again.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("未导入的行")
    width = len(result.headers) + len(REPORT_COLUMNS)
    _title(sheet, "台账导入错误报告（改正后可直接重新导入）", width, unit)
    _header(sheet, [*result.headers, *REPORT_COLUMNS])
    for row, issues in result.issues.items():
        cells = [_plain(value) for value in result.cells.get(row, [])]
        cells += [None] * (len(result.headers) - len(cells))
        sheet.append(
            [
                *cells,
                row,
                _plain("；".join(issue.column for issue in issues)),
                _plain("；".join(issue.value for issue in issues)),
                _plain("；".join(issue.reason for issue in issues)),
            ]
        )
    return _save(workbook)


def _plain(value: Any) -> Any:
    """A cell for openpyxl: control characters (possible in csv input) removed; identity
    numbers and phones stay text so Excel does not round them."""
    if value == "":
        return None
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def export_rows(community: Area) -> Iterable[list[Any]]:
    """One list of cells per resident of ``community`` in :data:`EXPORT_FIELDS` order.

    Decrypts every identity number: callers must check the right to see PII and log it.
    """
    relation = dict(Relation.choices)
    residence = dict(ResidenceType.choices)
    queryset = (
        Resident.objects.filter(area__path__startswith=community.path)
        .select_related("household__building__micro_grid")
        .order_by("household__building__name", "household__unit", "household__room", "pk")
    )
    for person in queryset.iterator(chunk_size=2000):
        household = person.household
        building = household.building if household else None
        tags = "、".join(label for name, label in CARE_TAGS if getattr(person, name))
        yield [
            person.name,
            pii.decrypt(person.id_number_encrypted),
            SEX_LABELS[person.sex],
            person.birth_date,
            person.phone,
            building.micro_grid.name if building else "",
            building.name if building else "",
            household.unit if household else "",
            household.room if household else "",
            relation.get(person.relation_to_head, ""),
            residence.get(person.residence_type, ""),
            tags or "无",
            f"{person.disability_level}级" if person.disability_level else "",
            person.note,
        ]


def roster_export_xlsx(community: Area) -> tuple[bytes, int]:
    """The community's registry as an importable ledger; (file bytes, number of residents)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("实有人口")
    for width, letter in ((10, "A"), (21, "B"), (12, "D"), (14, "E"), (16, "F"), (24, "L")):
        sheet.column_dimensions[letter].width = width
    _title(sheet, f"{community.name}实有人口台账", len(EXPORT_FIELDS), community.name)
    _header(sheet, [COLUMN_LABELS[key] for key in EXPORT_FIELDS])
    count = 0
    for cells in export_rows(community):
        date_cell = WriteOnlyCell(sheet, value=cells[3])
        date_cell.number_format = "yyyy-mm-dd"
        sheet.append([*cells[:3], date_cell, *cells[4:]])
        count += 1
    return _save(workbook), count


def export_filename(community: Area, day: dt.date | None = None) -> str:
    """``金凤社区实有人口台账-20261129.xlsx``."""
    day = day or timezone.localdate()
    return f"{community.name}实有人口台账-{day:%Y%m%d}.xlsx"
