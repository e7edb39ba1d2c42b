"""The list-export helper: rows read back, Chinese file name, bad rows, the link snippet."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from urllib.parse import quote

import pytest
from django import forms
from django.template.loader import render_to_string
from django.test import RequestFactory
from openpyxl import load_workbook

from linli.common import exports
from linli.common.documents import Cell


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)


def table(response, header_first: str) -> list[list[object]]:  # type: ignore[no-untyped-def]
    """The rows from the header row (found by its first cell) down, as read by openpyxl."""
    sheet = load_workbook(io.BytesIO(_body(response))).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(values) if r and r[0] == header_first)
    return values[start:]


def test_rows_read_back_with_amounts_as_numbers() -> None:
    response = exports.xlsx_response(
        title="测试名单",
        header=["姓名", "金额", "次数"],
        rows=[["张三", "8.00", 3], ["李四", "1,276.50", None]],
        lines=["筛选条件：状态 待派遣"],
    )
    assert response["Content-Type"] == exports.XLSX
    rows = table(response, "姓名")
    assert rows == [
        ["姓名", "金额", "次数"],
        ["张三", 8, 3],
        ["李四", Decimal("1276.5"), None],
    ]


def test_lines_and_export_time_above_the_table() -> None:
    response = exports.xlsx_response(title="名单", header=["甲"], rows=[], lines=["第一行"])
    sheet = load_workbook(io.BytesIO(_body(response))).worksheets[0]
    firsts = [r[0] for r in sheet.iter_rows(values_only=True)]
    assert firsts[:2] == ["名单", "第一行"]
    assert str(firsts[2]).startswith("导出时间：")


def test_chinese_file_name_header() -> None:
    response = exports.xlsx_response(title="人员名单", header=["甲"], rows=[["x"]])
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=utf-8''{quote('人员名单-')}" in disposition
    assert disposition.endswith(".xlsx")
    named = exports.xlsx_response(title="名单", header=["甲"], rows=[], filename="调度台")
    assert f"filename*=utf-8''{quote('调度台.xlsx')}" in named["Content-Disposition"]


def test_row_length_mismatch_is_refused_in_chinese() -> None:
    with pytest.raises(ValueError, match="第 2 行有 1 列，表头有 2 列"):
        exports.xlsx_response(title="名单", header=["甲", "乙"], rows=[["a", "b"], ["c"]])


def test_large_lists_are_written_in_write_only_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "WRITE_ONLY_ROWS", 2)
    rows: list[list[Cell]] = [[f"居民{i}", "3.50", i] for i in range(5)]
    response = exports.xlsx_response(title="大名单", header=["姓名", "金额", "序号"], rows=rows)
    got = table(response, "姓名")
    assert got[0] == ["姓名", "金额", "序号"]
    assert got[1:] == [[f"居民{i}", Decimal("3.5"), i] for i in range(5)]


def test_wants_xlsx() -> None:
    factory = RequestFactory()
    assert exports.wants_xlsx(factory.get("/x/?format=xlsx"))
    assert not exports.wants_xlsx(factory.get("/x/?format=csv"))
    assert not exports.wants_xlsx(factory.get("/x/"))


class _Filters(forms.Form):
    status = forms.ChoiceField(
        label="状态", choices=[("", "全部"), ("open", "未办结")], required=False
    )
    day = forms.DateField(label="日期", required=False)
    overdue = forms.BooleanField(label="只看超期", required=False)
    number = forms.CharField(label="编号", required=False)


def test_filter_lines_name_the_filters_as_the_form_shows_them() -> None:
    form = _Filters({"status": "open", "day": "2026-11-29", "overdue": "on", "number": ""})
    assert exports.filter_lines(form, 区域="一社区") == [
        "筛选条件：状态 未办结；日期 2026-11-29；只看超期 是；区域 一社区"
    ]
    assert exports.filter_lines(_Filters({})) == []
    assert exports.filter_lines(_Filters({"day": "not a day"})) == []
    assert exports.filter_lines(None) == []


def test_local_time() -> None:
    moment = dt.datetime(2026, 11, 29, 16, 5, tzinfo=dt.UTC)
    assert exports.local_time(moment) == "2026-11-30 00:05"
    assert exports.local_time(None) == ""


def test_link_keeps_the_filters_drops_the_page() -> None:
    request = RequestFactory().get("/people/", {"tag": "dibao", "q": "王 小", "page": "3"})
    html = render_to_string("linli/_export_link.html", {"request": request})
    assert 'href="?tag=dibao&amp;q=%E7%8E%8B%20%E5%B0%8F&amp;format=xlsx"' in html
    assert "导出 Excel" in html
    bare = render_to_string("linli/_export_link.html", {"request": RequestFactory().get("/x/")})
    assert 'href="?format=xlsx"' in bare


def test_amount_is_yuan_text_without_the_unit() -> None:
    assert [exports.amount(f) for f in (800, 5, -50, 0, 123456)] == [
        "8.00",
        "0.05",
        "-0.50",
        "0.00",
        "1234.56",
    ]


@pytest.mark.parametrize("write_only_rows", [10_000, 1])
def test_formula_like_and_control_character_texts_stay_plain_text(
    monkeypatch: pytest.MonkeyPatch, write_only_rows: int
) -> None:
    """Both writers: ``=…`` is not stored as a formula, ``\\x0b`` does not crash the export
    (it used to raise IllegalCharacterError → 500), amounts stay numbers."""
    monkeypatch.setattr(exports, "WRITE_ONLY_ROWS", write_only_rows)
    response = exports.xlsx_response(
        title="名单/=标题\x0b",
        header=["=姓名", "备注", "金额"],
        rows=[
            ['=HYPERLINK("http://x","click")', "@SUM(A1)", "-8.00"],
            ["张\x0b三", "+1", "8.00"],
        ],
        lines=["=筛选\x01"],
    )
    sheet = load_workbook(io.BytesIO(_body(response))).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    by_value = {c.value: c for c in cells}
    for text in ('=HYPERLINK("http://x","click")', "@SUM(A1)", "+1", "=姓名", "=筛选"):
        assert by_value[text].data_type == "s"
        assert by_value[text].quotePrefix, text
    assert "张三" in by_value and "名单/=标题" in by_value
    assert by_value[Decimal("-8")].data_type == "n"
    assert sheet.title == "名单-=标题"
