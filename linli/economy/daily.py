"""A canteen's figures of one day: diners, meals per tier, revenue, subsidy owed, samples.

Two clocks, on purpose:

* **meals, diners, subsidies, delivery meals** count the live (not refunded) meals of the
  day's menus (``menu.date == day``) — what was served that day and what the funders owe
  for it, whenever the receipt was made;
* **revenue and payments** count receipts by their local sale date: what came into the
  till that day, minus what was refunded on those receipts (a later refund lowers the
  day it was sold on).

Everything is computed by a fixed number of aggregate queries, however many sales.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from linli.common.documents import Document, Section
from linli.economy.models import (
    Canteen,
    Dish,
    Meal,
    MealLine,
    MealSubsidy,
    PaymentMethod,
    Sale,
    SaleChannel,
)
from linli.eligibility.money import yuan

#: How walk-in meals (no registered diner, list price) are named among the tiers.
WALK_IN = "散客（标价）"
#: A registered diner's meal for which no tier applied (list price).
NO_TIER = "标价"
MEALS = (Meal.LUNCH.value, Meal.DINNER.value)


@dataclasses.dataclass
class MealFigures:
    """Figures of one meal (``meal`` a :class:`Meal` value) or of the whole day (``""``).

    ``diners`` = distinct registered diners + walk-in meals; money in fen; ``payments``
    is net receipts (total − refunded) by payment method label (``现金`` …).
    """

    meal: str = ""
    diners: int = 0
    registered_diners: int = 0
    walk_in_meals: int = 0
    meals: int = 0
    meals_by_tier: dict[str, int] = dataclasses.field(default_factory=dict)
    delivery_meals: int = 0
    revenue_fen: int = 0
    receipts_fen: int = 0
    refunds_fen: int = 0
    subsidy_by_source: dict[str, int] = dataclasses.field(default_factory=dict)
    payments: dict[str, int] = dataclasses.field(default_factory=dict)
    samples_taken: int = 0
    samples_missing: int = 0

    @property
    def subsidy_fen(self) -> int:
        return sum(self.subsidy_by_source.values())

    @property
    def label(self) -> str:
        return dict(Meal.choices).get(self.meal, "全天")


@dataclasses.dataclass
class DailyFigures(MealFigures):
    """The day's figures (the fields of :class:`MealFigures` for the whole day) and
    ``by_meal``: lunch and dinner."""

    canteen: Canteen | None = None
    day: dt.date | None = None
    by_meal: dict[str, MealFigures] = dataclasses.field(default_factory=dict)


def _day_range(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
    return start, end


def _add(target: dict[str, int], key: str, amount: int) -> None:
    if amount:
        target[key] = target.get(key, 0) + amount


def _lines(canteen: Canteen, day: dt.date, figures: dict[str, MealFigures]) -> None:
    lines = MealLine.objects.filter(menu__canteen=canteen, menu__date=day, voided=False)
    rows = lines.values("menu__meal", "tier", "sale__channel").annotate(
        walk_ins=Sum(F("quantity") - F("refunded_quantity"), filter=Q(diner__isnull=True)),
        registered=Count("pk", filter=Q(diner__isnull=False)),
    )
    for row in rows:
        walk_ins, registered = row["walk_ins"] or 0, row["registered"]
        for f in (figures[row["menu__meal"]], figures[""]):
            f.walk_in_meals += walk_ins
            f.meals += walk_ins + registered
            _add(f.meals_by_tier, WALK_IN, walk_ins)
            _add(f.meals_by_tier, row["tier"] or NO_TIER, registered)
            if row["sale__channel"] == SaleChannel.DELIVERY:
                f.delivery_meals += walk_ins + registered
    registered = lines.filter(diner__isnull=False)
    per_meal = registered.values("menu__meal").annotate(n=Count("diner", distinct=True))
    for each in per_meal:
        figures[each["menu__meal"]].registered_diners = each["n"]
    figures[""].registered_diners = registered.aggregate(n=Count("diner", distinct=True))["n"]
    for f in figures.values():
        f.diners = f.registered_diners + f.walk_in_meals


def _subsidies(canteen: Canteen, day: dt.date, figures: dict[str, MealFigures]) -> None:
    rows = (
        MealSubsidy.objects.filter(
            line__menu__canteen=canteen, line__menu__date=day, line__voided=False
        )
        .values("line__menu__meal", "source")
        .annotate(fen=Sum("amount_fen"))
        .order_by("source")
    )
    for row in rows:
        for f in (figures[row["line__menu__meal"]], figures[""]):
            _add(f.subsidy_by_source, row["source"], row["fen"])


def _sales(canteen: Canteen, day: dt.date, figures: dict[str, MealFigures]) -> None:
    labels = dict(PaymentMethod.choices)
    start, end = _day_range(day)
    rows = (
        Sale.objects.filter(canteen=canteen, sold_at__gte=start, sold_at__lt=end)
        .values("menu__meal", "payment")
        .annotate(total=Sum("total_fen"), refunded=Sum("refunded_fen"))
        .order_by("payment")
    )
    for row in rows:
        for f in (figures[row["menu__meal"]], figures[""]):
            f.receipts_fen += row["total"]
            f.refunds_fen += row["refunded"]
            f.revenue_fen += row["total"] - row["refunded"]
            _add(
                f.payments,
                labels.get(row["payment"], row["payment"]),
                row["total"] - row["refunded"],
            )


def _samples(canteen: Canteen, day: dt.date, figures: dict[str, MealFigures]) -> None:
    rows = (
        Dish.objects.filter(menu__canteen=canteen, menu__date=day, menu__published=True)
        .values("menu__meal")
        .annotate(dishes=Count("pk"), taken=Count("samples"))
        .order_by("menu__meal")
    )
    for row in rows:
        for f in (figures[row["menu__meal"]], figures[""]):
            f.samples_taken += row["taken"]
            f.samples_missing += row["dishes"] - row["taken"]


def daily_figures(canteen: Canteen, day: dt.date) -> DailyFigures:
    """The figures of ``canteen`` on the local date ``day`` (see the module's two clocks):
    the day in the dataclass's own fields and lunch and dinner in ``by_meal``.

    Meals by tier use the tier name recorded at sale (``优惠价``, ``标准价``), walk-ins
    under :data:`WALK_IN`. Six queries, whatever the number of sales.
    """
    total = DailyFigures(canteen=canteen, day=day)
    figures: dict[str, MealFigures] = {meal: MealFigures(meal=meal) for meal in MEALS}
    figures[""] = total
    _lines(canteen, day, figures)
    _subsidies(canteen, day, figures)
    _sales(canteen, day, figures)
    _samples(canteen, day, figures)
    total.by_meal = {meal: figures[meal] for meal in MEALS}
    return total


def amount(fen: int) -> str:
    """Fen as a bare yuan figure for tables whose header says 元 (``800`` → ``"8.00"``)."""
    return yuan(fen).removesuffix(" 元")


def _tiers(figures: Iterable[MealFigures]) -> list[str]:
    seen: Counter[str] = Counter()
    for f in figures:
        seen.update(f.meals_by_tier)
    return sorted(seen, key=lambda name: (name == WALK_IN, name))


def daily_document(canteen: Canteen, day: dt.date) -> Document:
    """The day's figures as a :class:`~linli.common.documents.Document` (overview, meals
    by tier, subsidy by source, payments), columns lunch / dinner / day; money in yuan."""
    figures = daily_figures(canteen, day)
    columns = [*figures.by_meal.values(), figures]
    header = ["项目", *(f.label for f in columns)]

    def money(name: str, attr: str) -> list[str | int | None]:
        return [name, *(amount(getattr(f, attr)) for f in columns)]

    def count(name: str, attr: str) -> list[str | int | None]:
        return [name, *(int(getattr(f, attr)) for f in columns)]

    overview = Section(
        "概况",
        header,
        [
            count("就餐人数（登记居民 + 散客份数）", "diners"),
            count("登记居民人数", "registered_diners"),
            count("散客份数", "walk_in_meals"),
            count("餐数", "meals"),
            count("其中送餐", "delivery_meals"),
            money("收款（元，退款前）", "receipts_fen"),
            money("退款（元）", "refunds_fen"),
            money("净收入（元，收款 − 退款）", "revenue_fen"),
            money("应收补贴（元）", "subsidy_fen"),
            count("已留样菜品", "samples_taken"),
            count("未留样菜品", "samples_missing"),
        ],
        note="餐数、人数、补贴按菜单日期统计；收入、付款方式按小票日期统计。",
    )
    tiers = Section(
        "按档位餐数",
        header,
        [[t, *(f.meals_by_tier.get(t, 0) for f in columns)] for t in _tiers(columns)],
    )
    sources = sorted(figures.subsidy_by_source)
    subsidy = Section(
        "应收补贴",
        ["资金来源（元）", *header[1:]],
        [[s, *(amount(f.subsidy_by_source.get(s, 0)) for f in columns)] for s in sources],
        footer=["合计", *(amount(f.subsidy_fen) for f in columns)],
    )
    methods = sorted(figures.payments)
    payments = Section(
        "付款方式（已扣退款）",
        ["付款方式（元，净额）", *header[1:]],
        [[m, *(amount(f.payments.get(m, 0)) for f in columns)] for m in methods],
        footer=["合计（= 净收入）", *(amount(f.revenue_fen) for f in columns)],
    )
    made = timezone.localtime()
    return Document(
        title=f"{canteen.name} {day:%Y年%m月%d日} 营业日报",
        lines=[
            f"单位：{canteen.enterprise}",
            f"日期：{day:%Y-%m-%d}",
            f"制表时间：{made:%Y-%m-%d %H:%M}",
        ],
        sections=[overview, tiers, subsidy, payments],
        signatures=["制表人", "负责人"],
    )
