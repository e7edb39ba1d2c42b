"""Lists as Excel downloads: one helper every list page uses for its 「导出 Excel」 link.

A list view answers ``?format=xlsx`` with :func:`xlsx_response` over the same filtered
queryset it shows, so the file holds exactly the rows on screen (all pages, not only the
current one) with the page's masking (identity numbers, phones, sensitive tags). The link
is the template snippet ``linli/_export_link.html``: the current query string without
``page``, plus ``format=xlsx``. The file name may be Chinese: ``FileResponse`` writes it
as RFC 6266 ``filename*=utf-8''…``.

Up to :data:`WRITE_ONLY_ROWS` rows the workbook is made by
:func:`linli.common.documents.xlsx_bytes` (bold header, column widths, frozen header);
above, openpyxl's write-only mode streams the rows to the file without keeping a cell
object per value (same layout, no widths), so a 100 000-row roster stays within memory.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.http import FileResponse, HttpRequest
from django.utils import timezone

from linli.common.documents import (
    Cell,
    Document,
    Section,
    _sheet_value,
    clean_text,
    guard_text_cell,
    sheet_name,
    xlsx_bytes,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Above this many rows the workbook is written in openpyxl's write-only mode.
WRITE_ONLY_ROWS = 10_000


def wants_xlsx(request: HttpRequest) -> bool:
    """The request asks for the list as a workbook (``?format=xlsx``)."""
    return request.GET.get("format") == "xlsx"


def _write_only_bytes(
    title: str, lines: Sequence[str], header: Sequence[str], rows: list[list[Cell]]
) -> bytes:
    """The same sheet layout as :func:`xlsx_bytes` (title, lines, section title, header,
    rows; amount texts as numbers, other texts cleaned of control characters and kept as
    text, never formulas) in write-only mode; no column widths or fonts."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name(title, 1))

    def text_row(values: Sequence[str]) -> list[Any]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=clean_text(value))
            guard_text_cell(cell)
            cells.append(cell)
        return cells

    sheet.append(text_row([title]))
    for line in lines:
        sheet.append(text_row([line]))
    sheet.append(text_row([title]))
    sheet.append(text_row(list(header)))
    for row in rows:
        cells = []
        for value in row:
            converted = _sheet_value(value)
            cell = WriteOnlyCell(sheet, value=converted)
            if isinstance(converted, Decimal):
                cell.number_format = "#,##0.00"
            guard_text_cell(cell)
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(
    *,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    lines: Sequence[str] = (),
    filename: str | None = None,
) -> FileResponse:
    """A one-sheet workbook of ``rows`` under ``header`` as an attachment.

    The sheet holds the title, ``lines``, 「导出时间：YYYY-MM-DD HH:MM」 (Asia/Shanghai),
    the section title, the header, then the rows.

    Args:
        title: sheet and document title (Chinese), also the default file name.
        header: column names; every row has as many cells.
        rows: strings or numbers; amounts as yuan text (``"8.00"``) become numbers.
        lines: lines above the table (filters applied, who exported, when).
        filename: without extension; defaults to ``title`` and today's date.

    Raises:
        ValueError: a row's length differs from the header's (nothing is written).
    """
    materialised = [list(row) for row in rows]
    for number, row in enumerate(materialised, start=1):
        if len(row) != len(header):
            raise ValueError(f"第 {number} 行有 {len(row)} 列，表头有 {len(header)} 列")
    stamp = timezone.localdate().strftime("%Y%m%d")
    all_lines = [*lines, f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}"]
    if len(materialised) > WRITE_ONLY_ROWS:
        content = _write_only_bytes(title, all_lines, header, materialised)
    else:
        document = Document(
            title=title,
            lines=all_lines,
            sections=[Section(title=title, header=list(header), rows=materialised)],
        )
        content = xlsx_bytes(document)
    response = FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=f"{filename or f'{title}-{stamp}'}.xlsx",
        content_type=XLSX,
    )
    response.audit_rows = len(materialised)  # type: ignore[attr-defined]  # linli.audit.middleware
    return response


def _shown(field: forms.Field, value: Any) -> str:
    """A cleaned filter value as the form shows it: a choice's label, 是 for a ticked box,
    a model instance's text, a date as ``YYYY-MM-DD``."""
    if value is True:
        return "是"
    if isinstance(value, (list, tuple)):
        return "、".join(_shown(field, v) for v in value)
    choices = getattr(field, "choices", None)
    if choices is not None and not hasattr(field, "queryset"):
        labels = {str(k): str(v) for k, v in choices if not isinstance(v, (list, tuple))}
        return labels.get(str(value), str(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def filter_lines(form: forms.Form | None, **extra: str) -> list[str]:
    """``["筛选条件：区域 一社区；状态 待派遣"]`` from a valid filter form's non-empty
    fields (labels as the form names them) and ``extra`` (label → shown text); ``[]`` when
    nothing is filtered. An unbound or invalid form adds nothing."""
    parts: list[str] = []
    if form is not None and form.is_bound and form.is_valid():
        for name, field in form.fields.items():
            value = form.cleaned_data.get(name)
            if value in (None, "", False, [], ()):
                continue
            parts.append(f"{field.label or name} {_shown(field, value)}")
    parts += [f"{label} {text}" for label, text in extra.items() if text]
    return [f"筛选条件：{'；'.join(parts)}"] if parts else []


def local_time(moment: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware datetime as Asia/Shanghai text for a cell; ``""`` for None."""
    return "" if moment is None else timezone.localtime(moment).strftime(fmt)


def amount(fen: int) -> str:
    """Integer fen as yuan text without the unit (``800`` → ``"8.00"``, ``-50`` →
    ``"-0.50"``), which :func:`xlsx_response` writes as an exact number; put 「（元）」 in
    the column name."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
