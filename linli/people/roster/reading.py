"""Reading a ledger file into rows of cells, and finding its header row.

Pure functions (no database): :func:`read_table` turns the bytes of an .xlsx, .xls or
.csv file into a :class:`Table` — the header row found below any merged title rows and
"填报单位：…" rows, the recognised columns, and the data rows with the row numbers the
spreadsheet shows. Anything that makes the whole file unusable raises
:class:`RosterFileError` with a message in Chinese.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from charset_normalizer import from_bytes
from python_calamine import CalamineWorkbook

from linli.common.identity import normalize_text

#: Field → accepted header texts (compared after removing spaces, "*" and brackets).
#: The first spelling is the one the export writes.
COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "居民姓名", "人员姓名"),
    "id_number": (
        "公民身份号码",
        "身份证号",
        "身份证号码",
        "证件号码",
        "身份证",
        "证件号",
        "居民身份证号码",
    ),
    "sex": ("性别",),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "生日"),
    "phone": ("联系电话", "手机号码", "电话", "手机", "手机号", "联系方式", "电话号码"),
    "micro_grid": ("微网格", "网格", "所属网格", "所属微网格", "微网格名称"),
    "building": ("楼栋", "楼号", "楼栋号", "楼栋名称", "楼"),
    "unit": ("单元", "单元号"),
    "room": ("房号", "门牌号", "室", "房间号", "户号", "门牌"),
    "relation": ("与户主关系", "关系", "与户主的关系"),
    "residence_type": ("居住类型", "人户状态", "人口类型", "户籍类型", "居住状态"),
    "tags": ("特殊人群", "人员标签", "标签", "人群类别", "重点人群"),
    "disability_level": ("残疾等级", "残疾级别"),
    "note": ("备注", "说明"),
}

#: Chinese column heading the export and error report use for each field.
COLUMN_LABELS: dict[str, str] = {key: names[0] for key, names in COLUMN_SYNONYMS.items()}

_HEADER_LOOKUP = {
    re.sub(r"\s", "", syn): key for key, names in COLUMN_SYNONYMS.items() for syn in names
}
_HEADER_NOISE = re.compile(r"[\s*＊:：()（）\[\]【】]|[（(]必填[)）]")
HEADER_SCAN_ROWS = 30

MAX_ROWS = 100_000

logger = logging.getLogger(__name__)


class RosterFileError(Exception):
    """The file cannot be processed at all (type, corruption, no header); Chinese message."""


@dataclass
class Table:
    """A ledger sheet after header detection.

    Attributes:
        headers: the header row's texts as shown (empty string for unnamed columns).
        columns: field name → 0-based column index, for recognised columns only.
        rows: (row number as the spreadsheet shows it, cells) for every row below the
            header; cells are padded to ``len(headers)``.
        header_row: the header's row number (1-based).
        sheet: the sheet name (``""`` for csv).
    """

    headers: list[str]
    columns: dict[str, int]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    header_row: int = 1
    sheet: str = ""


def column_letter(index: int) -> str:
    """0 → ``A``, 26 → ``AA`` (spreadsheet column names)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def header_field(text: object) -> str | None:
    """The field a header cell names, or ``None``: ``"身份证号码（必填）"`` → ``"id_number"``."""
    cleaned = _HEADER_NOISE.sub("", normalize_text(text))
    return _HEADER_LOOKUP.get(cleaned)


def detect_kind(data: bytes, filename: str = "") -> str:
    """``"xlsx"``, ``"xls"`` or ``"csv"`` from the file's first bytes (the name is a hint only).

    Raises:
        RosterFileError: empty file or a binary type that is not a spreadsheet.
    """
    if not data:
        raise RosterFileError("文件是空的")
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix in ("xlsx", "xlsm", "xls"):
        raise RosterFileError(
            f"文件“{filename}”的扩展名是 .{suffix}，但内容不是有效的 Excel 文件"
            "（可能已损坏或被改了扩展名），请用 Excel/WPS 打开后重新另存为 .xlsx"
        )
    head = data[:4096]
    binary = b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if binary or head.startswith(b"%PDF") or suffix not in ("", "csv", "txt"):
        raise RosterFileError(
            f"不支持的文件类型（{filename or '未知'}）：请上传 .xlsx、.xls 或 .csv 文件"
        )
    return "csv"


def decode_csv(data: bytes) -> str:
    """Text of a csv file: UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode
    text"), else GB18030 (a superset of GBK), else whatever charset-normalizer detects.

    Raises:
        RosterFileError: no encoding decodes the file.
    """
    boms = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
    for bom, encoding in boms:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise RosterFileError(
                    f"CSV 文件声明为 {encoding.upper()} 编码，但内容有误"
                ) from None
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is None:
        raise RosterFileError("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK 编码")
    return str(best)


def _sheet_rows(data: bytes, kind: str) -> tuple[str, list[list[Any]]]:
    if kind == "csv":
        return "", _csv_rows(decode_csv(data))
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
        if not names:
            raise RosterFileError("工作簿中没有工作表")
        # The first sheet that has a header wins; most ledgers have one sheet.
        for name in names:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            if find_header(rows) is not None:
                return name, rows
        return names[0], workbook.get_sheet_by_name(names[0]).to_python(skip_empty_area=False)
    except RosterFileError:
        raise
    except Exception as exc:  # calamine raises its own zip/xml errors per format
        logger.info("unreadable workbook: %s", exc)
        raise RosterFileError(
            "文件已损坏或不是有效的 Excel 文件，请用 Excel/WPS 打开后重新另存为 .xlsx"
        ) from None


def _csv_rows(text: str) -> list[list[Any]]:
    """Rows of csv text; the delimiter (comma, tab or semicolon) is the one with which a
    header row can be found (csv.Sniffer guesses badly on Chinese title rows)."""
    for delimiter in (",", "\t", ";"):
        rows = [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
        if find_header(rows) is not None:
            return rows
    return [list(row) for row in csv.reader(io.StringIO(text))]


def find_header(rows: list[list[Any]]) -> int | None:
    """0-based index of the header row among the first rows, or ``None``.

    The header is the first row naming both a name and an identity-number column; title
    rows (merged across the sheet) and "填报单位：…" rows above it are skipped.
    """
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found = {header_field(cell) for cell in row if cell not in ("", None)}
        if {"name", "id_number"} <= found:
            return index
    return None


def read_table(data: bytes, filename: str = "") -> Table:
    """The ledger in ``data`` (bytes of an .xlsx, .xls or .csv file).

    Raises:
        RosterFileError: wrong type, corrupt, no header row with 姓名 and 身份证号 columns,
            or more than :data:`MAX_ROWS` rows.
    """
    kind = detect_kind(data, filename)
    sheet, rows = _sheet_rows(data, kind)
    header_index = find_header(rows)
    if header_index is None:
        raise RosterFileError(
            f"在前 {HEADER_SCAN_ROWS} 行中没有找到表头：表头行须同时包含“姓名”和"
            "“公民身份号码/身份证号”列"
        )
    headers = [
        normalize_text(cell) if cell not in (None, "") else "" for cell in rows[header_index]
    ]
    columns: dict[str, int] = {}
    for index, text in enumerate(headers):
        key = header_field(text)
        if key and key not in columns:
            columns[key] = index
    body = rows[header_index + 1 :]
    if len(body) > MAX_ROWS:
        raise RosterFileError(f"文件超过 {MAX_ROWS} 行，请拆分后分批导入")
    width = len(headers)
    table = Table(headers=headers, columns=columns, header_row=header_index + 1, sheet=sheet)
    for offset, row in enumerate(body):
        cells = list(row[:width]) + [""] * (width - len(row))
        table.rows.append((header_index + 2 + offset, cells))
    return table


def iter_cells(table: Table, cells: list[Any]) -> Iterator[tuple[str, Any]]:
    """(field, raw value) for the recognised columns of one row."""
    for key, index in table.columns.items():
        yield key, cells[index]
