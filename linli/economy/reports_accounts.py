"""Exports of the accounts: the month statement and the year-end report as
:class:`~linli.common.documents.Document` (→ .xlsx and PDF with the same figures).

Money cells are yuan text from integer fen (``yuan()`` without the unit, the column says
元), so the sheet and the PDF agree to the fen.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from linli.common.documents import Document, Section
from linli.economy.accounts import Statement, month_span, year_figures
from linli.economy.forms_money import grouped
from linli.economy.models import FundMove, SocialEnterprise, WelfareFund, YearClose


def money(fen: int) -> str:
    """``123456`` → ``"1,234.56"`` (yuan, two decimals, thousands separators, no unit)."""
    return grouped(fen)


def _made() -> str:
    return f"制表时间：{timezone.localtime():%Y-%m-%d %H:%M}"


def statement_document(statement: Statement) -> Document:
    """The month statement: one section per business line (收入, 成本费用, 利润 rows) and a
    summary section with each line's revenue, cost and profit and the total."""
    enterprise = statement.enterprise
    month = statement.month
    sections: list[Section] = []
    for line in statement.lines:
        rows: list[list[str | int | None]] = []
        rows += [["收入", label, money(amount)] for label, amount in line.revenue]
        rows += [["成本费用", label, money(amount)] for label, amount in line.costs]
        sections.append(
            Section(
                title=line.line.name,
                header=["类别", "项目", "金额（元）"],
                rows=rows or [["", "本月无收支", money(0)]],
                footer=[
                    "利润",
                    f"收入 {money(line.revenue_fen)} − 成本费用 {money(line.cost_fen)}",
                    money(line.profit_fen),
                ],
                widths=[1, 3, 1.5],
            )
        )
    summary = Section(
        title="汇总",
        header=["业务板块", "收入（元）", "成本费用（元）", "利润（元）"],
        rows=[
            [s.line.name, money(s.revenue_fen), money(s.cost_fen), money(s.profit_fen)]
            for s in statement.lines
        ],
        footer=[
            "合计",
            money(statement.revenue_fen),
            money(statement.cost_fen),
            money(statement.profit_fen),
        ],
    )
    return Document(
        title=f"{enterprise} {month.year}年{month.month}月 收支月报",
        lines=[
            f"单位：{enterprise}",
            f"期间：{month:%Y-%m-%d} 至 {month_span(month)[1] - dt.timedelta(days=1):%Y-%m-%d}",
            f"本月利润：{money(statement.profit_fen)} 元",
            _made(),
        ],
        sections=[summary, *sections],
        signatures=("制表人", "财务负责人", "单位盖章"),
    )


def year_document(enterprise: SocialEnterprise, year: int) -> Document:
    """The year-end report: per line and month profit table, per-line totals, the year's
    revenue, cost and profit, the allocation when the year is closed, and the fund's
    moves dated in the year."""
    figures = year_figures(enterprise, year)
    close = YearClose.objects.filter(enterprise=enterprise, year=year).first()
    header = ["业务板块", *[f"{m}月" for m in range(1, 13)], "全年利润"]
    monthly = Section(
        title="分月利润",
        header=header,
        rows=[
            [line.line.name, *[money(p) for p in line.monthly_profit_fen], money(line.profit_fen)]
            for line in figures.lines
        ],
        footer=["合计", *[money(m.profit_fen) for m in figures.months], money(figures.profit_fen)],
        widths=[2.2, *[1.0] * 12, 1.4],
    )
    totals = Section(
        title="全年汇总",
        header=["业务板块", "收入（元）", "成本费用（元）", "利润（元）"],
        rows=[
            [line.line.name, money(line.revenue_fen), money(line.cost_fen), money(line.profit_fen)]
            for line in figures.lines
        ],
        footer=[
            "合计",
            money(figures.revenue_fen),
            money(figures.cost_fen),
            money(figures.profit_fen),
        ],
    )
    if close is not None:
        allocation_rows = [
            ["结账时间", f"{timezone.localtime(close.closed_at):%Y-%m-%d %H:%M}"],
            ["结账利润（元）", money(close.profit_fen)],
            ["公益提取比例", f"{close.rate_bp / 100:g}%"],
            ["公益提取（元）", money(close.allocation_fen)],
        ]
    else:
        allocation_rows = [["状态", "本年度尚未结账"]]
    allocation = Section(title="公益金提取", header=["项目", "内容"], rows=allocation_rows)
    fund = WelfareFund.objects.filter(enterprise=enterprise).first()
    moves = (
        FundMove.objects.filter(fund=fund, date__year=year)
        .select_related("project")
        .order_by("date", "pk")
        if fund is not None
        else FundMove.objects.none()
    )
    fund_section = Section(
        title="公益金收支",
        header=["日期", "类型", "项目", "金额（元）", "余额（元）", "摘要", "凭证号"],
        rows=[
            [
                f"{m.date:%Y-%m-%d}",
                m.get_kind_display(),
                m.project.name if m.project else "",
                money(m.amount_fen),
                money(m.balance_after_fen),
                m.description,
                m.voucher,
            ]
            for m in moves
        ]
        or [["", "本年度无收支", "", "", "", "", ""]],
        widths=[1.3, 1.2, 1.6, 1.2, 1.2, 3, 1.2],
    )
    return Document(
        title=f"{enterprise} {year} 年度经营与公益金报告",
        lines=[
            f"单位：{enterprise}",
            f"年度：{year}",
            f"全年收入 {money(figures.revenue_fen)} 元，成本费用 {money(figures.cost_fen)} 元，"
            f"利润 {money(figures.profit_fen)} 元",
            _made(),
        ],
        sections=[totals, monthly, allocation, fund_section],
        signatures=("制表人", "财务负责人", "董事长", "单位盖章"),
        landscape=True,
    )
