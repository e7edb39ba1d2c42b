"""Tabular documents as .xlsx (openpyxl) and PDF (ReportLab), from one description.

A :class:`Document` is a title, a few lines under it (who, which period, when made) and
:class:`Section` tables. :func:`xlsx_bytes` puts each section on its own sheet, amounts
(texts such as ``"1276.00"``) as exact numbers formatted ``#,##0.00`` so they add up;
:func:`pdf_bytes` lays them out on A4 pages with the header row repeated and page numbers.

A section may carry a :class:`Chart` (bar or line, categories × series of numbers): the
PDF draws it under the table with ReportLab's own graphics (``reportlab.graphics.charts``),
the workbook writes its data cells under the table and an openpyxl chart that refers to
those cells, so the figures in the chart are the figures in the sheet.

Every text reaches the workbook as text: control characters a workbook cannot hold are
dropped (:func:`clean_text`), and a text starting with ``= + - @``, tab or CR (a resident's
name, a case title) is never stored as a formula (:func:`guard_text_cell`, the quote
prefix); only the amount texts become numbers.

Chinese text in the PDF uses a TrueType CJK font **embedded** (subset) in the file when
one is installed — WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``, see
:data:`TTF_CANDIDATES`), so the PDF looks the same on every reader and can be rendered
to an image anywhere. Without it, ReportLab's built-in CID font ``STSong-Light``
(Adobe-GB1, not embedded: the reader supplies a Song face). Noto CJK is not a candidate:
its OpenType files hold CFF outlines, which ReportLab cannot embed. Cells are strings or
integers; money is formatted by the caller (yuan text from integer fen) so the PDF and the
sheet show the same figures.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

Cell = str | int | float | None

#: The CID font for Chinese (GB) text when no TrueType CJK font is installed (not embedded).
CJK_FONT = "STSong-Light"
#: Name under which the embedded TrueType CJK font is registered with ReportLab.
TTF_FONT = "LinliCJK"
#: TrueType CJK fonts tried in order: ``(path, subfont index of a .ttc collection)``.
#: ``LINLI_PDF_FONT`` (a .ttf, or a .ttc whose first face is used) comes first when set.
TTF_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
#: Sheet names may not hold these characters (Excel's rule) and are at most 31 long.
_SHEET_FORBIDDEN = str.maketrans({c: "-" for c in "[]:*?/\\"})


@dataclasses.dataclass(frozen=True)
class Chart:
    """A bar or line chart: one value per category in each series.

    ``categories`` label the x axis (``["11-01", "11-02", …]`` or ``["环境卫生", …]``);
    ``series`` are ``(name, values)`` pairs, each with one number per category (``None``
    for no value; drawn as 0 in a bar and as a gap in the sheet). ``unit`` is shown with the
    title (``件``, ``分钟``). Numbers only: the caller turns fen into yuan first.

    Raises:
        ValueError: no category, no series, or a series whose length differs.
    """

    kind: Literal["bar", "line"]
    title: str
    categories: Sequence[str]
    series: Sequence[tuple[str, Sequence[float | int | None]]]
    unit: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("bar", "line"):
            raise ValueError(f"未知的图表类型：{self.kind}")
        if not self.categories or not self.series:
            raise ValueError("图表至少要有一个类别和一个数据系列")
        for name, values in self.series:
            if len(values) != len(self.categories):
                raise ValueError(
                    f"数据系列“{name}”有 {len(values)} 个值，类别有 {len(self.categories)} 个"
                )

    @property
    def caption(self) -> str:
        return f"{self.title}（{self.unit}）" if self.unit else self.title


@dataclasses.dataclass(frozen=True)
class Section:
    """One table: ``header`` names the columns, ``rows`` the body, ``footer`` a totals row.

    ``widths`` are relative column widths for the PDF (default: equal). ``chart`` is drawn
    under the table (PDF) and under the table's cells (workbook). A section with no
    columns (``header=[]``) is a heading with its note and chart only.
    """

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    footer: Sequence[Cell] | None = None
    note: str = ""
    widths: Sequence[float] | None = None
    chart: Chart | None = None


@dataclasses.dataclass(frozen=True)
class Document:
    """A report: ``title`` (e.g. ``2026年11月 民政部门老年助餐补贴申报表``), ``lines`` under
    it (unit, period, made at), the sections, and ``signatures`` (labels of the sign-off
    boxes at the end, e.g. ``经办人``, ``负责人``, ``单位盖章``)."""

    title: str
    lines: Sequence[str]
    sections: Sequence[Section]
    signatures: Sequence[str] = ()
    landscape: bool = False


#: A money or decimal text as callers format it (``"1276.00"``, ``"-8.50"``, ``"1,276.00"``).
_AMOUNT = re.compile(r"^-?\d{1,3}(,\d{3})*\.\d{1,2}$|^-?\d+\.\d{1,2}$")


#: A text starting with one of these is a formula (``=``) or may be taken for one when the
#: cell is edited or the sheet saved as CSV (OWASP "CSV injection"); such texts are kept as
#: text with Excel's quote prefix (shown as typed, never evaluated).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def clean_text(text: str) -> str:
    """``text`` without the control characters a workbook may not hold
    (openpyxl's ``ILLEGAL_CHARACTERS_RE``: U+0000–U+0008, U+000B, U+000C, U+000E–U+001F;
    tab, line feed and carriage return stay)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _sheet_value(cell: Cell) -> Cell | Decimal:
    """Amount texts become exact numbers in the workbook (so a funder can SUM them); other
    texts lose the control characters a workbook cannot hold (:func:`clean_text`);
    numbers and None are written as they are."""
    if isinstance(cell, str):
        if _AMOUNT.match(cell.strip()):
            return Decimal(cell.strip().replace(",", ""))
        return clean_text(cell)
    return cell


def guard_text_cell(cell: Any) -> None:
    """Keep an openpyxl cell holding a text as plain text: openpyxl stores a text starting
    with ``=`` as a formula and ``#N/A`` etc. as an error value; this sets the type back to
    a string, and marks texts starting with one of :data:`FORMULA_STARTS` with the quote
    prefix so Excel never evaluates them. Numbers (amounts included) are left alone."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if cell.value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True


def _append(sheet: Any, row: Sequence[Cell]) -> None:
    """Append ``row`` to a (normal) worksheet: amounts as numbers formatted ``#,##0.00``,
    texts cleaned and kept as text (:func:`guard_text_cell`)."""
    sheet.append([_sheet_value(c) for c in row])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, Decimal):
            cell.number_format = "#,##0.00"
        guard_text_cell(cell)


def _append_texts(sheet: Any, row: Sequence[Cell]) -> None:
    """Append title, line, header or label cells: texts cleaned and kept as text, amount-like
    texts too (a heading ``"2026.11"`` stays a heading)."""
    sheet.append([clean_text(c) if isinstance(c, str) else c for c in row])
    for cell in sheet[sheet.max_row]:
        guard_text_cell(cell)


def sheet_name(title: str, index: int) -> str:
    """A valid sheet name from a section title: no control characters nor ``[]:*?/\\``,
    at most 28 characters (room for a ``-n`` suffix), ``表<index>`` when nothing is left."""
    return clean_text(title or "").translate(_SHEET_FORBIDDEN).strip()[:28] or f"表{index}"


def _text(cell: Cell) -> str:
    return "" if cell is None else str(cell)


def xlsx_bytes(document: Document) -> bytes:
    """The document as an .xlsx workbook: one sheet per section, the title and lines
    above each table, the header bold, the footer bold."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    used: set[str] = set()
    for index, section in enumerate(document.sections, start=1):
        name = sheet_name(section.title, index)
        while name in used:
            name = f"{name[:25]}-{index}"
        used.add(name)
        sheet = book.create_sheet(name)
        _append_texts(sheet, [document.title])
        sheet["A1"].font = Font(bold=True, size=14)
        for line in document.lines:
            _append_texts(sheet, [line])
        _append_texts(sheet, [section.title])
        _append_texts(sheet, list(section.header))
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center")
        for row in section.rows:
            _append(sheet, row)
        if section.footer is not None:
            _append(sheet, section.footer)
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        if section.note:
            _append_texts(sheet, [section.note])
        for column, title in enumerate(section.header, start=1):
            longest = max(
                [len(_text(title))] + [len(_text(r[column - 1])) for r in section.rows if r],
                default=4,
            )
            sheet.column_dimensions[get_column_letter(column)].width = min(
                max(8, longest * 2 + 2), 60
            )
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
        if section.chart is not None:
            _sheet_chart(sheet, section.chart)
    if not document.sections:
        sheet = book.create_sheet("说明")
        _append_texts(sheet, [document.title])
        sheet.append(["（无数据）"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_chart(sheet: Any, chart: Chart) -> None:
    """Write the chart's numbers under the table (categories down, one column per series)
    and an openpyxl chart that refers to those cells, placed to the right of them."""
    from openpyxl.chart import BarChart, LineChart, Reference

    sheet.append([])
    _append_texts(sheet, [f"图表数据：{chart.caption}"])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    first = sheet.max_row + 1
    _append_texts(sheet, ["", *(name for name, _ in chart.series)])
    for index, category in enumerate(chart.categories):
        sheet.append([clean_text(str(category)), *(values[index] for _, values in chart.series)])
        guard_text_cell(sheet.cell(row=sheet.max_row, column=1))
    last = sheet.max_row
    plot: Any = BarChart() if chart.kind == "bar" else LineChart()
    if chart.kind == "bar":
        plot.type = "col"
    plot.title = clean_text(chart.caption)
    plot.y_axis.title = clean_text(chart.unit) or None
    plot.height, plot.width = 7.5, 18
    data = Reference(sheet, min_col=2, max_col=1 + len(chart.series), min_row=first, max_row=last)
    plot.add_data(data, titles_from_data=True)
    plot.set_categories(Reference(sheet, min_col=1, min_row=first + 1, max_row=last))
    sheet.add_chart(plot, f"{get_column_letter(len(chart.series) + 3)}{first}")


_registered_font: str | None = None


def cjk_font() -> str:
    """The ReportLab font name for Chinese text, registered on first call.

    The first readable TrueType font of ``LINLI_PDF_FONT`` and :data:`TTF_CANDIDATES` is
    registered as :data:`TTF_FONT` and embedded (subset) in every PDF; when none is
    installed, the non-embedded CID font :data:`CJK_FONT`.
    """
    global _registered_font
    if _registered_font is not None:
        return _registered_font
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    configured = os.environ.get("LINLI_PDF_FONT", "").strip()
    candidates = ((configured, 0),) if configured else ()
    for path, index in (*candidates, *TTF_CANDIDATES):
        if not os.path.isfile(path):
            continue
        try:
            pdfmetrics.registerFont(TTFont(TTF_FONT, path, subfontIndex=index))
        except (TTFError, OSError):
            continue
        _registered_font = TTF_FONT
        return _registered_font
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    _registered_font = CJK_FONT
    return _registered_font


#: Series colours of PDF charts (Okabe–Ito, told apart also in grey print by the legend order).
_SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")


def chart_drawing(chart: Chart, *, width: float, font: str) -> Any:
    """The chart as a ReportLab ``Drawing`` ``width`` points wide (about 200 pt high):
    a ``VerticalBarChart`` or ``HorizontalLineChart`` with the title above, value axis from
    0, the categories below (turned 30° when there are many) and a legend of the series.
    ``None`` values are drawn as 0."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    height = 200.0
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 12, chart.caption, fontName=font, fontSize=10))
    plot: Any = VerticalBarChart() if chart.kind == "bar" else HorizontalLineChart()
    plot.x, plot.y = 36, 42
    plot.width, plot.height = width - 46, height - 80
    plot.data = [[float(v or 0) for v in values] for _, values in chart.series]
    top = max((max(row) for row in plot.data), default=0)
    plot.valueAxis.valueMin = 0
    plot.valueAxis.valueMax = top * 1.15 if top > 0 else 1
    counts = all(isinstance(v, int) for _, values in chart.series for v in values if v is not None)
    if counts and top <= 8:
        plot.valueAxis.valueMax = max(top, 1) + 1
        plot.valueAxis.valueStep = 1  # whole counts: no 0.5 ticks
    plot.valueAxis.labels.fontName = font
    plot.valueAxis.labels.fontSize = 7
    plot.valueAxis.visibleGrid = True
    plot.valueAxis.gridStrokeColor = colors.Color(0.85, 0.85, 0.85)
    axis = plot.categoryAxis
    axis.categoryNames = [str(c) for c in chart.categories]
    axis.labels.fontName = font
    axis.labels.fontSize = 7
    if len(chart.categories) > 12 or max(len(str(c)) for c in chart.categories) > 4:
        axis.labels.angle = 30
        axis.labels.boxAnchor = "ne"
    for index in range(len(chart.series)):
        colour = colors.HexColor(_SERIES_COLOURS[index % len(_SERIES_COLOURS)])
        if chart.kind == "bar":
            plot.bars[index].fillColor = colour
            plot.bars[index].strokeColor = None
        else:
            plot.lines[index].strokeColor = colour
            plot.lines[index].strokeWidth = 1.5
    drawing.add(plot)
    legend = Legend()
    legend.x, legend.y = width - 10, height - 6
    legend.alignment = "right"
    legend.boxAnchor = "ne"
    legend.columnMaximum = 1
    legend.deltax = 70
    legend.fontName = font
    legend.fontSize = 8
    legend.dxTextSpace = 4
    legend.colorNamePairs = [
        (colors.HexColor(_SERIES_COLOURS[i % len(_SERIES_COLOURS)]), name)
        for i, (name, _) in enumerate(chart.series)
    ]
    drawing.add(legend)
    return drawing


def pdf_bytes(document: Document) -> bytes:
    """The document as an A4 PDF (portrait unless ``landscape``), page numbers at the foot."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font = cjk_font()
    size = landscape(A4) if document.landscape else A4
    title_style = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
    line_style = ParagraphStyle("line", fontName=font, fontSize=9.5, leading=14)
    head_style = ParagraphStyle("head", fontName=font, fontSize=12, leading=18)
    cell_style = ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11)

    def para(text: Cell, style: ParagraphStyle = cell_style) -> Paragraph:
        escaped = _text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, style)

    out = io.BytesIO()
    frame_width = size[0] - 30 * mm
    story: list[object] = [para(document.title, title_style)]
    story += [para(line, line_style) for line in document.lines]
    for section in document.sections:
        story.append(Spacer(1, 5 * mm))
        if not section.header:
            # A heading with only a note or a chart stays on one page with them.
            block: list[Any] = [para(section.title, head_style)]
            if section.note:
                block.append(para(section.note, line_style))
            if section.chart is not None:
                block.append(chart_drawing(section.chart, width=frame_width, font=font))
            story.append(KeepTogether(block))
            continue
        story.append(para(section.title, head_style))
        data = [[para(h) for h in section.header]]
        data += [[para(c) for c in row] for row in section.rows]
        if section.footer is not None:
            data.append([para(c) for c in section.footer])
        weights = list(section.widths or [1.0] * len(section.header))
        widths = [frame_width * w / sum(weights) for w in weights]
        table = Table(data, colWidths=widths, repeatRows=1)
        style = [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
            ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        if section.footer is not None:
            style.append(("BACKGROUND", (0, -1), (-1, -1), colors.Color(0.95, 0.95, 0.95)))
        table.setStyle(TableStyle(style))
        story.append(table)
        if section.note:
            story.append(para(section.note, line_style))
        if section.chart is not None:
            story.append(Spacer(1, 3 * mm))
            story.append(chart_drawing(section.chart, width=frame_width, font=font))
    if document.signatures:
        story.append(Spacer(1, 12 * mm))
        boxes = Table(
            [[para(f"{label}：", line_style) for label in document.signatures]],
            colWidths=[frame_width / len(document.signatures)] * len(document.signatures),
            rowHeights=[18 * mm],
        )
        story.append(boxes)

    def footer(canvas, doc):  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawCentredString(size[0] / 2, 10 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    SimpleDocTemplate(
        out,
        pagesize=size,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=document.title,
        author="邻里社区治理与服务平台",
    ).build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
