"""Accounts of the social enterprise: month statements, year figures, the year-end close,
hand-kept entries and the public-welfare fund (issue 8).

Money is integer fen throughout. A month is the *local* (Asia/Shanghai) calendar month.

Where revenue and costs come from (per business line, :class:`~linli.economy.models.BusinessLine`):

* canteen lines — receipts of the canteens on that line (``Sale.total_fen - refunded_fen``
  by the local month of ``sold_at``) and 助餐补贴收入: the subsidies of meals not voided
  (``MealSubsidy.amount_fen``) by the month of the meal's menu date;
* market — every ``ProductSale`` of the enterprise (``total_fen - refunded_fen``) goes to
  the enterprise's first 特产集市 (``LineKind.MARKET``) line, and so does the cost
  生产者分成 (the sum of ``ProductSaleLine.producer_share_fen`` of the month's sales, the
  model property computed in Python so it is the same figure). One market line is how the
  enterprises are organised; an enterprise *without* a market line has its market figures
  shown on each sold product's own line instead;
* every :class:`~linli.economy.models.LedgerEntry` of the month, by kind and category.

The year-end close (:func:`close_year`) allocates ``welfare_rate_bp`` of a positive profit
to the fund, rounded **up** to the fen, so the allocation is never below the rate
(社区报告：每年利润的 20% 用于社区公益 — a floor).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from linli.economy.errors import Conflict, EconomyError
from linli.economy.forms_money import yuan_grouped
from linli.economy.models import (
    FULL_STAKE_BP,
    BusinessLine,
    EntryCategory,
    EntryKind,
    FundMove,
    FundMoveKind,
    LedgerEntry,
    LineKind,
    MealSubsidy,
    ProductSale,
    ProductSaleLine,
    Sale,
    SocialEnterprise,
    WelfareFund,
    WelfareProject,
    YearClose,
)

#: Labels of the computed revenue and cost lines.
CANTEEN_RECEIPTS = "食堂营业收入"
MEAL_SUBSIDY = "助餐补贴收入"
MARKET_SALES = "商品销售收入"
PRODUCER_SHARE = "生产者分成"

Amounts = list[tuple[str, int]]


@dataclasses.dataclass(frozen=True)
class LineStatement:
    """One business line's month: ``revenue`` and ``costs`` as ``(label, fen)`` rows."""

    line: BusinessLine
    revenue: Amounts
    costs: Amounts

    @property
    def revenue_fen(self) -> int:
        return sum(amount for _, amount in self.revenue)

    @property
    def cost_fen(self) -> int:
        return sum(amount for _, amount in self.costs)

    @property
    def profit_fen(self) -> int:
        return self.revenue_fen - self.cost_fen


@dataclasses.dataclass(frozen=True)
class Statement:
    """A month statement: ``month`` is the first day of the local month; one
    :class:`LineStatement` per business line of the enterprise (kind, name order)."""

    enterprise: SocialEnterprise
    month: dt.date
    lines: list[LineStatement]

    @property
    def revenue_fen(self) -> int:
        return sum(line.revenue_fen for line in self.lines)

    @property
    def cost_fen(self) -> int:
        return sum(line.cost_fen for line in self.lines)

    @property
    def profit_fen(self) -> int:
        return self.revenue_fen - self.cost_fen


@dataclasses.dataclass(frozen=True)
class LineYear:
    """A line's year: revenue, cost and profit in fen, and its 12 monthly profits."""

    line: BusinessLine
    revenue_fen: int
    cost_fen: int
    monthly_profit_fen: list[int]

    @property
    def profit_fen(self) -> int:
        return self.revenue_fen - self.cost_fen


@dataclasses.dataclass(frozen=True)
class YearFigures:
    """A year: the 12 month statements, per-line sums, totals in fen."""

    enterprise: SocialEnterprise
    year: int
    months: list[Statement]
    lines: list[LineYear]

    @property
    def revenue_fen(self) -> int:
        return sum(m.revenue_fen for m in self.months)

    @property
    def cost_fen(self) -> int:
        return sum(m.cost_fen for m in self.months)

    @property
    def profit_fen(self) -> int:
        return self.revenue_fen - self.cost_fen


def month_span(month: dt.date) -> tuple[dt.date, dt.date]:
    """First day of ``month``'s month and first day of the next month."""
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _lines(enterprise: SocialEnterprise) -> list[BusinessLine]:
    return list(BusinessLine.objects.filter(enterprise=enterprise).order_by("kind", "name", "pk"))


def _market_line(lines: Iterable[BusinessLine]) -> BusinessLine | None:
    market = [line for line in lines if line.kind == LineKind.MARKET]
    return min(market, key=lambda line: line.pk) if market else None


def month_statement(enterprise: SocialEnterprise, month: dt.date) -> Statement:
    """The statement of the local calendar month containing ``month`` (any day in it).

    Sources of each figure: see the module docstring. Five queries whatever the volume.
    """
    first, following = month_span(month)
    start, end = _aware(first), _aware(following)
    lines = _lines(enterprise)
    revenue: dict[int, Amounts] = defaultdict(list)
    costs: dict[int, Amounts] = defaultdict(list)

    receipts = (
        Sale.objects.filter(canteen__enterprise=enterprise, sold_at__gte=start, sold_at__lt=end)
        .values("canteen__line")
        .annotate(total=Sum(F("total_fen") - F("refunded_fen")))
    )
    for receipt in receipts:
        revenue[receipt["canteen__line"]].append((CANTEEN_RECEIPTS, int(receipt["total"] or 0)))
    subsidies = (
        MealSubsidy.objects.filter(
            line__sale__canteen__enterprise=enterprise,
            line__voided=False,
            line__menu__date__gte=first,
            line__menu__date__lt=following,
        )
        .values("line__sale__canteen__line")
        .annotate(total=Sum("amount_fen"))
    )
    for subsidy in subsidies:
        revenue[subsidy["line__sale__canteen__line"]].append(
            (MEAL_SUBSIDY, int(subsidy["total"] or 0))
        )

    _market(enterprise, lines, start, end, revenue, costs)

    entries = (
        LedgerEntry.objects.filter(enterprise=enterprise, date__gte=first, date__lt=following)
        .values("line", "kind", "category")
        .annotate(total=Sum("amount_fen"))
        .order_by("line", "kind", "category")
    )
    for row in entries:
        label = EntryCategory(row["category"]).label
        target = revenue if row["kind"] == EntryKind.REVENUE else costs
        target[row["line"]].append((str(label), int(row["total"] or 0)))

    return Statement(
        enterprise=enterprise,
        month=first,
        lines=[
            LineStatement(line=line, revenue=revenue[line.pk], costs=costs[line.pk])
            for line in lines
        ],
    )


def _market(
    enterprise: SocialEnterprise,
    lines: list[BusinessLine],
    start: dt.datetime,
    end: dt.datetime,
    revenue: dict[int, Amounts],
    costs: dict[int, Amounts],
) -> None:
    """Add market revenue and producers' shares (see the module docstring)."""
    market = _market_line(lines)
    sold = ProductSaleLine.objects.filter(
        sale__enterprise=enterprise, sale__sold_at__gte=start, sale__sold_at__lt=end
    ).values_list("product__line", "unit_price_fen", "quantity", "returned", "share_bp")
    shares: dict[int, int] = defaultdict(int)
    kept: dict[int, int] = defaultdict(int)
    for line_id, unit, quantity, returned, share_bp in sold:
        amount = unit * (quantity - returned)
        target = market.pk if market is not None else line_id
        # Same arithmetic as ProductSaleLine.producer_share_fen (floor per sale line).
        shares[target] += amount * share_bp // FULL_STAKE_BP
        kept[line_id] += amount
    if market is not None:
        total = ProductSale.objects.filter(
            enterprise=enterprise, sold_at__gte=start, sold_at__lt=end
        ).aggregate(total=Sum(F("total_fen") - F("refunded_fen")))["total"]
        if total:
            revenue[market.pk].append((MARKET_SALES, int(total)))
    else:
        for line_id, amount in kept.items():
            if amount:
                revenue[line_id].append((MARKET_SALES, amount))
    for line_id, share in shares.items():
        if share:
            costs[line_id].append((PRODUCER_SHARE, share))


def year_figures(enterprise: SocialEnterprise, year: int) -> YearFigures:
    """The 12 month statements of ``year`` summed per line and in total (fen)."""
    months = [month_statement(enterprise, dt.date(year, m, 1)) for m in range(1, 13)]
    lines: list[LineYear] = []
    for index, line in enumerate(months[0].lines):
        per_month = [m.lines[index] for m in months]
        lines.append(
            LineYear(
                line=line.line,
                revenue_fen=sum(s.revenue_fen for s in per_month),
                cost_fen=sum(s.cost_fen for s in per_month),
                monthly_profit_fen=[s.profit_fen for s in per_month],
            )
        )
    return YearFigures(enterprise=enterprise, year=year, months=months, lines=lines)


def allocation_for(profit_fen: int, rate_bp: int) -> int:
    """The welfare allocation of a year's profit: ``profit × rate / 10 000`` rounded **up**
    to the fen (never below the rate — the 20 % floor of 社区报告), 0 for a loss or zero."""
    if profit_fen <= 0:
        return 0
    return -(-profit_fen * rate_bp // FULL_STAKE_BP)


def closed_years(enterprise: SocialEnterprise) -> set[int]:
    """The years of ``enterprise`` already closed."""
    return set(YearClose.objects.filter(enterprise=enterprise).values_list("year", flat=True))


def ensure_year_open(enterprise_id: int, day: dt.date, what: str) -> None:
    """Refuse a change to the figures of a closed year (a refund, a back-dated sale).

    Raises:
        Conflict: ``day``'s year is closed for the enterprise; ``what`` names the change.
    """
    if YearClose.objects.filter(enterprise_id=enterprise_id, year=day.year).exists():
        raise Conflict(f"{day.year} 年度已结账，不能再{what}")


def _closed_message(close: YearClose) -> str:
    when = timezone.localtime(close.closed_at)
    return f"{close.year} 年度已于 {when:%Y-%m-%d %H:%M} 结账，不能重复结账"


def close_refusal(enterprise: SocialEnterprise, year: int) -> EconomyError | None:
    """Why ``year`` may not be closed, as the error to raise (``str()`` is the Chinese
    message shown on the year page), or ``None``.

    Refused: a year before the enterprise's founding year (``founded_on``), and a year
    earlier than a year already closed — closing out of order would book an allocation
    after a later year's close (the fund's moves and balances must follow the years).
    Whether the year is over or already closed is checked by :func:`close_year`.
    """
    founded = enterprise.founded_on
    if founded is not None and year < founded.year:
        return EconomyError(f"企业 {founded.year} 年成立，不能结 {year} 年度", field="year")
    later = (
        YearClose.objects.filter(enterprise_id=enterprise.pk, year__gt=year)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    if later is not None:
        return Conflict(f"{later} 年度已结账，不能再结更早的年度", field="year")
    return None


def close_year(
    enterprise: SocialEnterprise, year: int, *, by: Any, at: dt.datetime | None = None
) -> YearClose:
    """Close ``year``: freeze revenue, cost and profit (:func:`year_figures`), allocate
    :func:`allocation_for` of the profit at the enterprise's ``welfare_rate_bp`` to the
    welfare fund (a :class:`FundMove` of kind allocation, also for 0) — all in one
    transaction with the enterprise row locked.

    Raises:
        EconomyError: the year is not over yet (local date at ``at`` ≤ 31 Dec of ``year``).
        Conflict: the year is closed already (also under a race, by the unique constraint);
            a later year is closed already (:func:`close_refusal`).
        EconomyError: ``year`` is before the founding year (:func:`close_refusal`).
    """
    at = at or timezone.now()
    if timezone.localdate(at).year <= year:
        raise EconomyError(f"{year} 年度尚未结束，{year + 1} 年 1 月 1 日起才能结账", field="year")
    existing = YearClose.objects.filter(enterprise=enterprise, year=year).first()
    if existing is not None:
        raise Conflict(_closed_message(existing))
    refusal = close_refusal(enterprise, year)
    if refusal is not None:
        raise refusal
    try:
        with transaction.atomic():
            locked = SocialEnterprise.objects.select_for_update().get(pk=enterprise.pk)
            existing = YearClose.objects.filter(enterprise=locked, year=year).first()
            if existing is not None:
                raise Conflict(_closed_message(existing))
            refusal = close_refusal(locked, year)
            if refusal is not None:
                raise refusal
            figures = year_figures(locked, year)
            rate = locked.welfare_rate_bp
            allocation = allocation_for(figures.profit_fen, rate)
            close = YearClose.objects.create(
                enterprise=locked,
                year=year,
                revenue_fen=figures.revenue_fen,
                cost_fen=figures.cost_fen,
                profit_fen=figures.profit_fen,
                rate_bp=rate,
                allocation_fen=allocation,
                closed_at=at,
                closed_by=by,
            )
            fund = _locked_fund(locked)
            fund.balance_fen += allocation
            fund.save(update_fields=["balance_fen", "updated_at"])
            FundMove.objects.create(
                fund=fund,
                kind=FundMoveKind.ALLOCATION,
                amount_fen=allocation,
                balance_after_fen=fund.balance_fen,
                year_close=close,
                date=timezone.localdate(at),
                description=f"{year} 年度利润提取（利润 {yuan_grouped(figures.profit_fen)} × "
                f"{rate / 100:g}%）",
                by=by,
            )
    except IntegrityError as err:
        raced = YearClose.objects.filter(enterprise=enterprise, year=year).first()
        if raced is not None:
            raise Conflict(_closed_message(raced)) from err
        raise
    return close


def _locked_fund(enterprise: SocialEnterprise) -> WelfareFund:
    fund = WelfareFund.objects.select_for_update().filter(enterprise=enterprise).first()
    if fund is None:
        fund = WelfareFund.objects.create(enterprise=enterprise)
    return fund


def _check_fen(amount_fen: Any, field: str = "amount_fen") -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise EconomyError("金额须为大于 0 的整数（分）", field=field)
    return amount_fen


def record_entry(
    enterprise: SocialEnterprise,
    *,
    line: BusinessLine,
    date: dt.date,
    kind: str,
    category: str,
    amount_fen: int,
    description: str,
    voucher: str = "",
    by: Any,
) -> LedgerEntry:
    """Record a hand-kept revenue or cost (``amount_fen`` > 0; ``kind`` gives the sign).

    Raises:
        EconomyError: amount not a positive integer, a line of another enterprise, an
            unknown kind or category, no description, or texts too long.
        Conflict: ``date`` falls in a closed year (该年度已结账).
    """
    _check_fen(amount_fen)
    if line.enterprise_id != enterprise.pk:
        raise EconomyError("业务板块不属于本企业", field="line")
    if kind not in EntryKind.values:
        raise EconomyError("收支类型无效", field="kind")
    if category not in EntryCategory.values:
        raise EconomyError("科目无效", field="category")
    description = (description or "").strip()
    if not description:
        raise EconomyError("请填写摘要", field="description")
    if len(description) > 200:
        raise EconomyError("摘要不能超过 200 字", field="description")
    voucher = (voucher or "").strip()
    if len(voucher) > 40:
        raise EconomyError("凭证号不能超过 40 字", field="voucher")
    with transaction.atomic():
        SocialEnterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
        if YearClose.objects.filter(enterprise=enterprise, year=date.year).exists():
            raise Conflict(f"该年度已结账（{date.year} 年度），不能再记账", field="date")
        return LedgerEntry.objects.create(
            enterprise=enterprise,
            line=line,
            date=date,
            kind=kind,
            category=category,
            amount_fen=amount_fen,
            description=description,
            voucher=voucher,
            by=by,
        )


# --- the welfare fund -----------------------------------------------------------------------


def add_project(
    fund: WelfareFund, name: str, description: str, budget_fen: int, decided_by: str
) -> WelfareProject:
    """A community project the fund will pay for; ``budget_fen`` ≥ 0.

    Raises:
        EconomyError: no name, a negative or non-integer budget.
        Conflict: the fund has a project of that name already.
    """
    name = (name or "").strip()
    if not name:
        raise EconomyError("请填写项目名称", field="name")
    if len(name) > 100:
        raise EconomyError("项目名称不能超过 100 字", field="name")
    if isinstance(budget_fen, bool) or not isinstance(budget_fen, int) or budget_fen < 0:
        raise EconomyError("预算须为不小于 0 的整数（分）", field="budget_fen")
    if WelfareProject.objects.filter(fund=fund, name=name).exists():
        raise Conflict(f"已有名为“{name}”的公益项目", field="name")
    try:
        with transaction.atomic():
            return WelfareProject.objects.create(
                fund=fund,
                name=name,
                description=(description or "").strip(),
                budget_fen=budget_fen,
                decided_by=(decided_by or "").strip()[:200],
            )
    except IntegrityError as err:
        raise Conflict(f"已有名为“{name}”的公益项目", field="name") from err


def spend(
    fund: WelfareFund,
    *,
    project: WelfareProject,
    amount_fen: int,
    date: dt.date,
    description: str,
    voucher: str,
    by: Any,
) -> FundMove:
    """Pay ``amount_fen`` (> 0) from the fund for ``project`` (locked fund row).

    Raises:
        EconomyError: a non-positive amount, a project of another fund, no description,
            or more than the balance (the message names the balance).
    """
    _check_fen(amount_fen)
    if project.fund_id != fund.pk:
        raise EconomyError("公益项目不属于这个公益金", field="project")
    description = (description or "").strip()
    if not description:
        raise EconomyError("请填写支出摘要", field="description")
    if len(description) > 200 or len((voucher or "").strip()) > 40:
        raise EconomyError("摘要不能超过 200 字，凭证号不能超过 40 字", field="description")
    with transaction.atomic():
        locked = WelfareFund.objects.select_for_update().get(pk=fund.pk)
        if amount_fen > locked.balance_fen:
            raise EconomyError(
                f"公益金余额不足：当前余额 {yuan_grouped(locked.balance_fen)}，"
                f"本次支出 {yuan_grouped(amount_fen)}",
                field="amount_fen",
            )
        locked.balance_fen -= amount_fen
        locked.save(update_fields=["balance_fen", "updated_at"])
        fund.balance_fen = locked.balance_fen
        return FundMove.objects.create(
            fund=locked,
            kind=FundMoveKind.SPENDING,
            amount_fen=-amount_fen,
            balance_after_fen=locked.balance_fen,
            project=project,
            date=date,
            description=description,
            voucher=(voucher or "").strip(),
            by=by,
        )


@dataclasses.dataclass(frozen=True)
class ProjectLine:
    """A project with its budget and what was spent on it (fen)."""

    project: WelfareProject
    spent_fen: int

    @property
    def left_fen(self) -> int:
        return self.project.budget_fen - self.spent_fen


@dataclasses.dataclass(frozen=True)
class FundReport:
    """What the community page publishes: the fund and balance (fen), closed years,
    projects with spending, all spending moves (newest first). No personal data."""

    enterprise: SocialEnterprise
    fund: WelfareFund | None
    closes: list[YearClose]
    projects: list[ProjectLine]
    spending: list[FundMove]

    @property
    def balance_fen(self) -> int:
        return self.fund.balance_fen if self.fund is not None else 0


def fund_report(enterprise: SocialEnterprise) -> FundReport:
    """The fund of ``enterprise`` as published (see :class:`FundReport`)."""
    fund = WelfareFund.objects.filter(enterprise=enterprise).first()
    closes = list(YearClose.objects.filter(enterprise=enterprise).order_by("-year"))
    if fund is None:
        return FundReport(enterprise, None, closes, [], [])
    spent = dict(
        FundMove.objects.filter(fund=fund, kind=FundMoveKind.SPENDING)
        .values("project")
        .annotate(total=Sum("amount_fen"))
        .order_by()
        .values_list("project", "total")
    )
    projects = [
        ProjectLine(project=p, spent_fen=-int(spent.get(p.pk) or 0))
        for p in WelfareProject.objects.filter(fund=fund).order_by("-created_at", "-pk")
    ]
    spending = list(
        FundMove.objects.filter(fund=fund, kind=FundMoveKind.SPENDING)
        .select_related("project")
        .order_by("-date", "-pk")
    )
    return FundReport(enterprise, fund, closes, projects, spending)
