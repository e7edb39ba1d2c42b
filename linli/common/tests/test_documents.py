"""Documents as .xlsx and PDF: the same figures in both, Chinese text readable in the PDF."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook
from pypdf import PdfReader

from linli.common.documents import Chart, Document, Section, pdf_bytes, xlsx_bytes

DOC = Document(
    title="2026年11月 助餐补贴申报表",
    lines=["申报单位：测试社区服务有限公司"],
    sections=[
        Section(
            "明细",
            ["姓名", "日期", "金额（元）"],
            [["马秀兰", "2026-11-01", "4.00"]] * 60,
            footer=["合计", "", "240.00"],
        ),
        Section("汇总[月]", ["资金来源", "金额（元）"], [["民政部门老年助餐补贴", "240.00"]]),
    ],
    signatures=["经办人", "负责人"],
)


def test_xlsx_has_a_sheet_per_section_with_the_totals_row() -> None:
    book = load_workbook(io.BytesIO(xlsx_bytes(DOC)))
    assert book.sheetnames == ["明细", "汇总-月-"]
    rows = list(book["明细"].values)
    assert rows[0] == ("2026年11月 助餐补贴申报表", None, None)
    assert rows[-1] == ("合计", None, Decimal("240.00"))  # a number, so SUM works
    assert book["明细"].cell(row=len(rows), column=3).number_format == "#,##0.00"
    assert sum(r[2] for r in rows[4:-1]) == Decimal("240.00")


def test_pdf_pages_carry_the_chinese_text_and_page_numbers() -> None:
    reader = PdfReader(io.BytesIO(pdf_bytes(DOC)))
    assert len(reader.pages) >= 2  # 60 rows do not fit on one A4 page
    first = reader.pages[0].extract_text()
    assert "助餐补贴申报表" in first and "马秀兰" in first and "第 1 页" in first
    assert "240.00" in reader.pages[-1].extract_text()


# ------------------------------------------------------------------ hostile text in cells

HOSTILE = Document(
    title='=HYPERLINK("http://x","标题")',
    lines=["@SUM(1+1)", "第\x0b二行"],
    sections=[
        Section(
            "=明细\x01",
            ["=姓名", "+备注", "金额（元）"],
            [
                ['=HYPERLINK("http://x","click")', "-2+3", "-8.50"],
                ["控制\x0b字符\x1f", "@cmd", "1,276.00"],
                ["\tTAB", "\r回车", "#N/A"],
            ],
            footer=["合计", "=1+1", "1267.50"],
            note="=备注",
            chart=Chart("bar", "=图", ["=A1", "@类"], [("=系列", [1, 2])]),
        ),
    ],
)


def test_xlsx_keeps_formula_like_texts_as_text_and_drops_control_characters() -> None:
    book = load_workbook(io.BytesIO(xlsx_bytes(HOSTILE)))
    sheet = book.worksheets[0]
    assert sheet.title == "=明细"
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert {
        '=HYPERLINK("http://x","标题")',
        '=HYPERLINK("http://x","click")',
        "-2+3",
        "@SUM(1+1)",
        "第二行",
        "控制字符",
        "\tTAB",
        "=1+1",
        "=备注",
        "=A1",
        "@类",
        "=系列",
        "#N/A",
    } <= values
    by_value = {c.value: c for c in cells}
    for text in ('=HYPERLINK("http://x","click")', "-2+3", "@cmd", "=姓名", "+备注", "=A1"):
        assert by_value[text].data_type == "s"
        assert by_value[text].quotePrefix, text  # Excel shows it as typed, never evaluates
    assert any(str(v).endswith("回车") for v in values)  # XML reads \r back as \n
    assert by_value["#N/A"].data_type == "s"  # a text, not an error value
    # Amounts (negative ones included) are still numbers.
    assert Decimal("-8.50") in values and Decimal("1276.00") in values
    assert by_value[Decimal("-8.50")].data_type == "n"


def test_pdf_accepts_the_same_hostile_texts() -> None:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes(HOSTILE))).pages)
    assert "HYPERLINK" in text
