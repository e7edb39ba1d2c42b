"""Small ledger files for tests, demos and the documentation, laid out the messy way real
ledgers are: a merged title row, a "填报单位：…" row, then the header.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

DEFAULT_HEADERS = ["序号", "姓名", "身份证号码", "性别", "出生日期", "联系电话", "楼栋", "单元",
                   "房号", "与户主关系", "居住类型", "特殊人群", "残疾等级", "备注"]  # fmt: skip


def ledger_xlsx(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str] = DEFAULT_HEADERS,
    *,
    title: str = "金凤区测试社区实有人口登记台账",
    unit: str = "填报单位：测试社区居委会",
    footer: Sequence[Sequence[Any]] = (),
) -> bytes:
    """An .xlsx ledger: title merged across the header width, unit row, header, ``rows``,
    then ``footer`` rows (e.g. ``[["合计", "3人"]]``)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "实有人口"
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append([unit, None, None, None, "填报日期：2026年11月"])
    sheet.append(list(headers))
    for row in [*rows, *footer]:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ledger_csv(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str] = DEFAULT_HEADERS,
    *,
    encoding: str = "utf-8",
    unit: str = "填报单位：测试社区居委会",
) -> bytes:
    """A csv ledger (``encoding`` e.g. ``"utf-8-sig"`` for a BOM, ``"gbk"``)."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([unit])
    writer.writerow(list(headers))
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return text.getvalue().encode(encoding)
