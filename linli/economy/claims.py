"""Monthly subsidy claims of a canteen to one funding source (补贴申报).

Each discounted meal sold at the counter carries one :class:`~linli.economy.models.MealSubsidy`
row per funding source (e.g. ``民政部门老年助餐补贴`` 4 yuan per meal of a resident 60+).
A claim gathers, for one canteen, one source and one local calendar month (by the
*menu's* date), every such row that is not yet claimed and whose meal is not refunded
(``MealLine.voided``). Making the claim freezes those rows (``MealSubsidy.claim`` is set;
:func:`linli.economy.counter.refund` then refuses to void the meal) and numbers the claim
``BZ-YYYYMM-0001``. The funder's form (:func:`claim_document`) lists the meals per person
per day, per person and per day with totals and sign-off boxes (issue #8).

Money is integer fen throughout; yuan text only in the document.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from linli.common.documents import Document, Section
from linli.common.identity import age_on
from linli.common.numbering import next_number
from linli.common.windows import local
from linli.economy.errors import Conflict, EconomyError
from linli.economy.models import Canteen, ClaimStatus, MealSubsidy, SubsidyClaim
from linli.eligibility.money import yuan


@dataclasses.dataclass(frozen=True)
class ClaimRow:
    """One subsidised meal of one person: ``amount_fen`` is what the source owes for it."""

    subsidy_id: int
    resident_id: int
    name: str
    masked_id: str
    age: int
    reason: str
    date: dt.date
    meal: str
    receipt: str
    amount_fen: int


@dataclasses.dataclass(frozen=True)
class PersonTotal:
    """One person's meals and amount (fen) in the month."""

    resident_id: int
    name: str
    masked_id: str
    meals: int
    amount_fen: int


@dataclasses.dataclass(frozen=True)
class DayTotal:
    """One day: distinct people, meals and amount (fen)."""

    date: dt.date
    people: int
    meals: int
    amount_fen: int


@dataclasses.dataclass(frozen=True)
class ClaimPreview:
    """What a claim of ``source`` for ``month`` (the 1st) holds or would hold.

    ``rows`` sorted by person (name, then resident id) then date and meal (lunch first);
    ``per_person`` in the same person order; ``per_day`` by date; ``people``, ``meals``
    and ``total_fen`` are the grand totals. ``claim`` is set when built from a claim.
    """

    canteen: Canteen
    source: str
    month: dt.date
    rows: list[ClaimRow]
    per_person: list[PersonTotal]
    per_day: list[DayTotal]
    claim: SubsidyClaim | None = None

    @property
    def total_fen(self) -> int:
        return sum(r.amount_fen for r in self.rows)

    @property
    def meals(self) -> int:
        return len(self.rows)

    @property
    def people(self) -> int:
        return len(self.per_person)


def month_start(day: dt.date) -> dt.date:
    """The 1st of ``day``'s month."""
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    """The last day of ``month``'s month."""
    first = month_start(month)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return following - dt.timedelta(days=1)


def _month_rows(canteen: Canteen, month: dt.date) -> QuerySet[MealSubsidy]:
    first = month_start(month)
    return MealSubsidy.objects.filter(
        line__sale__canteen=canteen,
        line__voided=False,
        line__menu__date__gte=first,
        line__menu__date__lte=month_end(first),
    )


_MEAL_ORDER = {"lunch": 0, "dinner": 1}


def _build(
    canteen: Canteen,
    source: str,
    month: dt.date,
    queryset: QuerySet[MealSubsidy],
    claim: SubsidyClaim | None = None,
) -> ClaimPreview:
    items = list(queryset.select_related("line__menu", "line__diner", "line__sale").order_by("pk"))
    rows: list[ClaimRow] = []
    for item in items:
        line = item.line
        diner = line.diner
        if diner is None:  # walk-ins are never subsidised; guard anyway
            continue
        rows.append(
            ClaimRow(
                subsidy_id=item.pk,
                resident_id=diner.pk,
                name=diner.name,
                masked_id=diner.id_number_masked,
                age=age_on(diner.birth_date, line.menu.date),
                reason=item.reason,
                date=line.menu.date,
                meal=line.menu.get_meal_display(),
                receipt=line.sale.number,
                amount_fen=item.amount_fen,
            )
        )
    meal_key = {item.pk: _MEAL_ORDER.get(item.line.menu.meal, 9) for item in items}
    rows.sort(key=lambda r: (r.name, r.resident_id, r.date, meal_key[r.subsidy_id]))
    people: dict[int, list[ClaimRow]] = {}
    for row in rows:
        people.setdefault(row.resident_id, []).append(row)
    per_person = [
        PersonTotal(
            resident_id=pk,
            name=group[0].name,
            masked_id=group[0].masked_id,
            meals=len(group),
            amount_fen=sum(r.amount_fen for r in group),
        )
        for pk, group in people.items()
    ]
    days: dict[dt.date, list[ClaimRow]] = defaultdict(list)
    for row in rows:
        days[row.date].append(row)
    per_day = [
        DayTotal(
            date=day,
            people=len({r.resident_id for r in group}),
            meals=len(group),
            amount_fen=sum(r.amount_fen for r in group),
        )
        for day, group in sorted(days.items())
    ]
    return ClaimPreview(canteen, source, month_start(month), rows, per_person, per_day, claim)


def claim_preview(canteen: Canteen, source: str, month: dt.date) -> ClaimPreview:
    """The unclaimed subsidies of ``source`` for meals (live, not refunded) whose menu date
    falls in ``month``'s local calendar month. One query."""
    queryset = _month_rows(canteen, month).filter(source=source, claim__isnull=True)
    return _build(canteen, source, month, queryset)


def claim_rows(claim: SubsidyClaim) -> ClaimPreview:
    """The frozen content of a made claim, in the same shape as :func:`claim_preview`."""
    return _build(claim.canteen, claim.source, claim.month, claim.items.all(), claim)


def sources(canteen: Canteen, month: dt.date) -> list[tuple[str, int, int]]:
    """``(source, unclaimed_fen, claimed_fen)`` of ``month`` for each funding source with
    live subsidised meals, by source name. One query."""
    rows = (
        _month_rows(canteen, month)
        .values("source")
        .annotate(
            unclaimed=Sum("amount_fen", filter=Q(claim__isnull=True)),
            claimed=Sum("amount_fen", filter=Q(claim__isnull=False)),
        )
        .order_by("source")
    )
    return [(r["source"], r["unclaimed"] or 0, r["claimed"] or 0) for r in rows]


def months_with_subsidies(canteen: Canteen) -> list[dt.date]:
    """The months (1st of each) with live subsidised meals at ``canteen``, newest first."""
    dates = (
        MealSubsidy.objects.filter(line__sale__canteen=canteen, line__voided=False)
        .values_list("line__menu__date", flat=True)
        .distinct()
    )
    return sorted({month_start(d) for d in dates}, reverse=True)


def make_claim(
    canteen: Canteen, source: str, month: dt.date, *, by: Any, at: dt.datetime | None = None
) -> SubsidyClaim:
    """Claim every unclaimed live subsidy of ``source`` in ``month`` from the funder.

    Returns the saved claim (number ``BZ-YYYYMM-0001``, meals, people, total fen, status
    submitted); its rows are frozen (``MealSubsidy.claim`` set). Atomic.

    Raises:
        EconomyError: the month is not over yet (local date of ``at`` must be after its
            last day), or there is nothing to claim.
        Conflict: this canteen already claimed this source for this month (also the
            unique constraint ``economy_claim_once`` under a race).
    """
    at = at or timezone.now()
    first = month_start(month)
    if local(at).date() <= month_end(first):
        raise EconomyError(
            f"{first.year}年{first.month}月还没有结束，月末之后才能申报", field="month"
        )
    source = (source or "").strip()
    if not source:
        raise EconomyError("请选择资金来源", field="source")
    if SubsidyClaim.objects.filter(canteen=canteen, source=source, month=first).exists():
        raise Conflict(f"{first.year}年{first.month}月的“{source}”已经申报过了")
    try:
        with transaction.atomic():
            ids = list(
                _month_rows(canteen, first)
                .filter(source=source, claim__isnull=True)
                .select_for_update(of=("self",))
                .values_list("pk", flat=True)
            )
            if not ids:
                raise EconomyError(f"{first.year}年{first.month}月没有可申报的“{source}”补贴")
            preview = _build(canteen, source, first, MealSubsidy.objects.filter(pk__in=ids))
            claim = _save_claim(
                canteen,
                first,
                source=source,
                meals=preview.meals,
                people=preview.people,
                total_fen=preview.total_fen,
                created_by=by,
            )
            MealSubsidy.objects.filter(pk__in=ids).update(claim=claim)
    except IntegrityError:
        if SubsidyClaim.objects.filter(canteen=canteen, source=source, month=first).exists():
            raise Conflict(f"{first.year}年{first.month}月的“{source}”已经申报过了") from None
        raise
    return claim


def _save_claim(canteen: Canteen, first: dt.date, **fields: Any) -> SubsidyClaim:
    prefix = f"BZ-{first:%Y%m}-"
    for _ in range(5):
        number = next_number(SubsidyClaim.objects.all(), "number", prefix, 4)
        try:
            with transaction.atomic():
                return SubsidyClaim.objects.create(
                    canteen=canteen, month=first, number=number, **fields
                )
        except IntegrityError:
            if not SubsidyClaim.objects.filter(number=number).exists():
                raise
    raise Conflict("申报单号分配冲突，请重试")


def mark_paid(claim: SubsidyClaim, *, paid_fen: int, paid_on: dt.date, by: Any) -> SubsidyClaim:
    """Record the funder's payment of ``claim``: ``paid_fen`` (0 < paid ≤ total) on
    ``paid_on`` (not in the future); ``by`` is kept as ``paid_recorded_by``.

    Raises:
        EconomyError: amount ≤ 0 or above the claimed total, a date in the future or
            before the claimed month.
        Conflict: already marked paid.
    """
    with transaction.atomic():
        locked = SubsidyClaim.objects.select_for_update().get(pk=claim.pk)
        if locked.status == ClaimStatus.PAID:
            raise Conflict(f"申报单 {locked.number} 已登记到账")
        if paid_fen <= 0:
            raise EconomyError("到账金额须大于 0", field="paid")
        if paid_fen > locked.total_fen:
            raise EconomyError(
                f"到账 {yuan(paid_fen)} 超过申报金额 {yuan(locked.total_fen)}",
                field="paid",
            )
        if paid_on > timezone.localdate():
            raise EconomyError("到账日期不能晚于今天", field="paid_on")
        if paid_on < locked.month:
            raise EconomyError("到账日期不能早于申报月份", field="paid_on")
        locked.status = ClaimStatus.PAID
        locked.paid_fen = paid_fen
        locked.paid_on = paid_on
        locked.paid_recorded_by = by
        locked.save(
            update_fields=["status", "paid_fen", "paid_on", "paid_recorded_by", "updated_at"]
        )
    claim.status, claim.paid_fen, claim.paid_on = locked.status, paid_fen, paid_on
    return claim


def _yuan_text(fen: int) -> str:
    """``2000`` → ``"20.00"`` (the column header carries the unit)."""
    return yuan(fen).removesuffix(" 元")


def claim_document(subject: SubsidyClaim | ClaimPreview) -> Document:
    """The funder's form (申报表) of a made claim or of a preview (then 申报单号 says
    ``（未生成）``): header lines, the meals per person per day, per person, per day, and
    the sign-off boxes; landscape A4 for the PDF."""
    preview = claim_rows(subject) if isinstance(subject, SubsidyClaim) else subject
    claim = preview.claim
    canteen = preview.canteen
    org = canteen.enterprise.organization
    first = preview.month
    last = month_end(first)
    made = local(claim.created_at) if claim is not None else local(timezone.now())
    lines = [
        f"申报单位：{org.name}（统一社会信用代码：{org.uscc or '未登记'}）",
        f"食堂：{canteen.name}",
        f"申报期间：{first:%Y年%m月%d日} 至 {last:%Y年%m月%d日}",
        f"申报单号：{claim.number if claim is not None else '（未生成）'}",
        f"制表时间：{made:%Y-%m-%d %H:%M}",
    ]
    detail = Section(
        "明细（按人按日）",
        [
            "序号",
            "姓名",
            "身份证号（脱敏）",
            "年龄",
            "补贴条件",
            "日期",
            "餐次",
            "小票号",
            "补贴金额（元）",
        ],
        [
            [
                n,
                r.name,
                r.masked_id,
                r.age,
                r.reason,
                f"{r.date:%Y-%m-%d}",
                r.meal,
                r.receipt,
                _yuan_text(r.amount_fen),
            ]
            for n, r in enumerate(preview.rows, start=1)
        ],
        footer=[
            "合计",
            f"{preview.people} 人",
            "",
            "",
            "",
            "",
            f"{preview.meals} 餐",
            "",
            _yuan_text(preview.total_fen),
        ],
        widths=[0.6, 1.2, 2.2, 0.6, 3, 1.3, 0.8, 2, 1.2],
    )
    per_person = Section(
        "按人汇总",
        ["序号", "姓名", "身份证号（脱敏）", "就餐次数", "补贴金额（元）"],
        [
            [n, p.name, p.masked_id, p.meals, _yuan_text(p.amount_fen)]
            for n, p in enumerate(preview.per_person, start=1)
        ],
        footer=["合计", f"{preview.people} 人", "", preview.meals, _yuan_text(preview.total_fen)],
        widths=[0.6, 1.5, 2.5, 1, 1.5],
    )
    per_day = Section(
        "按日汇总",
        ["日期", "人数", "餐次", "金额（元）"],
        [
            [f"{d.date:%Y-%m-%d}", d.people, d.meals, _yuan_text(d.amount_fen)]
            for d in preview.per_day
        ],
        footer=["合计", preview.people, preview.meals, _yuan_text(preview.total_fen)],
        note="合计人数为本月不重复的就餐人数。",
    )
    return Document(
        title=f"{first.year}年{first.month}月 {preview.source} 助餐补贴申报表",
        lines=lines,
        sections=[detail, per_person, per_day],
        signatures=["经办人", "食堂负责人", "社区审核", "单位盖章"],
        landscape=True,
    )
