"""Producers' payouts and the market figures (split from :mod:`linli.economy.market`).

A producer's share of each sale line is ``ProductSaleLine.producer_share_fen`` (the kept
units at the sale price × ``share_bp`` / 10000, rounded down to the fen); a payout settles
every unpaid line up to a local date in one transaction (the lines point at it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from linli.common.numbering import next_number
from linli.common.windows import local
from linli.economy.errors import Conflict, EconomyError
from linli.economy.models import (
    MarketChannel,
    Producer,
    ProducerPayout,
    ProductSale,
    ProductSaleLine,
    SocialEnterprise,
)


class PayoutMethod(models.TextChoices):
    """How a producer's share is paid; every method but cash needs a reference."""

    CASH = "现金", "现金"
    WECHAT = "微信转账", "微信转账"
    ALIPAY = "支付宝转账", "支付宝转账"
    BANK = "银行转账", "银行转账"


# --- producers' payouts ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Owed:
    """The unpaid lines of one producer's sales up to ``up_to`` (local date, inclusive)
    and the share owed on them in fen (each line's share rounded down to the fen)."""

    producer: Producer
    up_to: dt.date
    lines: list[ProductSaleLine]

    @property
    def total_fen(self) -> int:
        return sum(line.producer_share_fen for line in self.lines)


def _day_end(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


def _unpaid(producer: Producer, up_to: dt.date) -> QuerySet[ProductSaleLine]:
    return (
        ProductSaleLine.objects.filter(
            producer=producer, payout__isnull=True, sale__sold_at__lt=_day_end(up_to)
        )
        .select_related("sale", "product")
        .order_by("sale__sold_at", "pk")
    )


def owed(producer: Producer, up_to: dt.date) -> Owed:
    """What ``producer`` is owed for sales made up to the end of local day ``up_to``."""
    return Owed(producer, up_to, list(_unpaid(producer, up_to)))


def pay_producer(
    producer: Producer,
    up_to: dt.date,
    *,
    method: str,
    reference: str = "",
    by: Any,
    at: dt.datetime | None = None,
) -> ProducerPayout:
    """Pay ``producer`` everything owed up to ``up_to``: one payout ``FC-YYYYMM-0001`` (local
    month of ``at``) and every unpaid line linked to it in the same transaction, so a second
    payout for the same period finds nothing owed.

    Raises:
        EconomyError: ``up_to`` after today, unknown method, a transfer without reference,
            nothing owed.
    """
    at = at or timezone.now()
    reference = (reference or "").strip()
    if up_to > local(at).date():
        raise EconomyError("结算截至日期不能晚于今天", field="up_to")
    if method not in PayoutMethod.values:
        raise EconomyError("请选择支付方式", field="method")
    if method != PayoutMethod.CASH and not reference:
        raise EconomyError("转账请填写转账流水号", field="reference")
    with transaction.atomic():
        Producer.objects.select_for_update().filter(pk=producer.pk).first()
        lines = list(_unpaid(producer, up_to).select_for_update(of=("self",)))
        total = sum(line.producer_share_fen for line in lines)
        if total <= 0:
            raise EconomyError(f"截至 {up_to:%Y-%m-%d}，{producer.name} 没有待结算的分成")
        prefix = f"FC-{local(at):%Y%m}-"
        for _ in range(5):
            number = next_number(ProducerPayout.objects.all(), "number", prefix, 4)
            try:
                with transaction.atomic():
                    payout = ProducerPayout.objects.create(
                        producer=producer,
                        number=number,
                        up_to=up_to,
                        amount_fen=total,
                        method=method,
                        reference=reference[:64],
                        paid_at=at,
                        by=by,
                    )
                break
            except IntegrityError:
                if not ProducerPayout.objects.filter(number=number).exists():
                    raise
        else:
            raise Conflict("结算单号分配冲突，请重试")
        ProductSaleLine.objects.filter(pk__in=[line.pk for line in lines]).update(payout=payout)
    return payout


# --- figures -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FigureRow:
    """One row of :class:`MarketFigures`: ``label``, receipts or units, money in fen.

    ``sales_fen`` is what was sold, ``refunded_fen`` what went back, ``net_fen`` the
    difference; ``share_fen`` the producers' share of it (0 where not computed).
    """

    label: str
    count: int
    sales_fen: int
    refunded_fen: int
    share_fen: int = 0

    @property
    def net_fen(self) -> int:
        return self.sales_fen - self.refunded_fen


@dataclasses.dataclass(frozen=True)
class MarketFigures:
    """Market sales of local days ``start``–``end`` (inclusive).

    * ``by_channel`` — count = receipts, refunds = returns and money refunds;
    * ``by_product`` / ``by_producer`` — count = units kept (sold less returned),
      ``sales_fen`` = the kept units at their sale price, ``share_fen`` = producers' shares
      (floor per line, as paid out); money-only refunds are not spread over products;
    * ``total`` — all channels.
    """

    start: dt.date
    end: dt.date
    by_channel: list[FigureRow]
    by_product: list[FigureRow]
    by_producer: list[FigureRow]
    total: FigureRow


def market_figures(enterprise: SocialEnterprise, start: dt.date, end: dt.date) -> MarketFigures:
    """Sales by channel, product and producer for local days ``start``–``end``.

    Raises:
        EconomyError: ``end`` before ``start``.
    """
    if end < start:
        raise EconomyError("结束日期不能早于开始日期", field="end")
    window = {"sold_at__gte": _day_end(start - dt.timedelta(days=1)), "sold_at__lt": _day_end(end)}
    sales = ProductSale.objects.filter(enterprise=enterprise, **window)
    by_channel: list[FigureRow] = []
    for value, label in MarketChannel.choices:
        got = sales.filter(channel=value).aggregate(
            n=models.Count("pk"), sold=models.Sum("total_fen"), back=models.Sum("refunded_fen")
        )
        if got["n"]:
            by_channel.append(FigureRow(label, got["n"], got["sold"] or 0, got["back"] or 0))
    total = FigureRow(
        "合计",
        sum(r.count for r in by_channel),
        sum(r.sales_fen for r in by_channel),
        sum(r.refunded_fen for r in by_channel),
    )
    lines = ProductSaleLine.objects.filter(
        sale__enterprise=enterprise, **{f"sale__{k}": v for k, v in window.items()}
    ).select_related("product", "producer")
    products: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    producers: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for line in lines.order_by("product__code", "pk"):
        for bucket in (products[str(line.product)], producers[line.producer.name]):
            bucket[0] += line.quantity - line.returned
            bucket[1] += line.amount_fen
            bucket[2] += line.producer_share_fen
    return MarketFigures(
        start=start,
        end=end,
        by_channel=by_channel,
        by_product=[FigureRow(k, v[0], v[1], 0, v[2]) for k, v in products.items()],
        by_producer=[FigureRow(k, v[0], v[1], 0, v[2]) for k, v in sorted(producers.items())],
        total=total,
    )
