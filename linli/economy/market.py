"""The local-products market: producers, products and stock, sales, returns, payouts.

Products (handicrafts, 八宝茶, farm produce — 社区报告: a livestream team of disabled people
and left-behind children, doorstep markets) belong to a :class:`Producer` whose share of
each sale (``share_bp``, basis points) is copied onto the sale line and paid out later.

Guarantees (issue #8 "bad input"):

* stock never goes negative — products are locked in primary-key order
  (``select_for_update``; SQLite serialises writers) and checked before any write, and the
  ``economy_stock_nonnegative`` constraint backs it; an oversell writes nothing;
* a return never exceeds what was sold less what was returned, a refund never exceeds what
  is left of the sale (service check on the locked sale and a check constraint);
* a line whose share is paid out is never returned (:class:`Conflict`), so a payout never
  changes after the fact; a money-only refund (:func:`refund_amount`) stays possible and
  is borne by the enterprise (the producer's share counts kept units only);
* money is integer fen; every stock change is a :class:`StockMove`.

The livestream-batch import is in :mod:`linli.economy.market_batch`; payouts and figures in
:mod:`linli.economy.market_payouts` (re-exported here).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from linli.common.numbering import next_number
from linli.common.windows import local
from linli.economy.accounts import ensure_year_open
from linli.economy.errors import Conflict, EconomyError
from linli.economy.market_payouts import (  # noqa: F401 - re-exported
    MarketFigures,
    Owed,
    PayoutMethod,
    market_figures,
    owed,
    pay_producer,
)
from linli.economy.models import (
    FULL_STAKE_BP,
    BusinessLine,
    EventKind,
    LineKind,
    MarketChannel,
    MarketEvent,
    Producer,
    ProducerKind,
    Product,
    ProductCategory,
    ProductRefund,
    ProductSale,
    ProductSaleLine,
    SocialEnterprise,
    StockMove,
    StockMoveKind,
)
from linli.eligibility.money import yuan
from linli.people.models import Resident

#: A QR or transfer reference: the wallet's or bank's transaction number.
PAYMENT_REF = re.compile(r"^[0-9A-Za-z_-]{6,64}$")
#: The most units of one product on one receipt (a typo guard: 1000 not 10).
MAX_QUANTITY = 9999
#: Below this stock a product is marked 库存紧张 on the products page.
LOW_STOCK = 5


class MarketPayment(models.TextChoices):
    """How a market sale was paid; ``platform`` = the livestream platform settles it."""

    CASH = "cash", "现金"
    QR = "qr", "扫码"
    TRANSFER = "transfer", "转账"
    PLATFORM = "platform", "平台结算"


# --- producers and products ----------------------------------------------------------------


def add_producer(
    enterprise: SocialEnterprise,
    *,
    kind: str,
    name: str,
    resident: Resident | None = None,
    share_bp: int,
    payee: str = "",
) -> Producer:
    """Register a producer (a resident, the livestream team, a farmer…) whose share of each
    sale is ``share_bp`` basis points (7000 = 70 %).

    Raises:
        EconomyError: unknown kind, empty name, share outside 0–10000, a resident of
            another community, or a name already used at this enterprise.
    """
    name = (name or "").strip()
    if kind not in ProducerKind.values:
        raise EconomyError("请选择生产者类型", field="kind")
    if not name:
        raise EconomyError("请填写生产者名称", field="name")
    if not 0 <= share_bp <= FULL_STAKE_BP:
        raise EconomyError("分成比例须在 0% 到 100% 之间", field="share_bp")
    if resident is not None and not resident.area.path.startswith(enterprise.community.path):
        raise EconomyError("只能选择本社区的居民", field="resident")
    if Producer.objects.filter(enterprise=enterprise, name=name).exists():
        raise EconomyError(f"已有名为“{name}”的生产者", field="name")
    return Producer.objects.create(
        enterprise=enterprise,
        kind=kind,
        name=name,
        resident=resident,
        share_bp=share_bp,
        payee=(payee or "").strip()[:100],
    )


def market_line(enterprise: SocialEnterprise) -> BusinessLine:
    """The enterprise's market business line (特产集市).

    Raises:
        EconomyError: the enterprise has no market line.
    """
    line = BusinessLine.objects.filter(enterprise=enterprise, kind=LineKind.MARKET).first()
    if line is None:
        raise EconomyError("本企业还没有“特产集市”业务板块，请先在企业档案中添加", field="line")
    return line


def add_product(
    enterprise: SocialEnterprise,
    *,
    producer: Producer,
    code: str,
    name: str,
    category: str,
    unit: str,
    price_fen: int,
    line: BusinessLine | None = None,
) -> Product:
    """Add a product with no stock (receive stock with :func:`receive`); ``price_fen`` per
    ``unit``; ``line`` defaults to the enterprise's market line.

    Raises:
        EconomyError: empty code or name, unknown category, price ≤ 0, a producer or line
            of another enterprise, or a code already used (货号 are unique per enterprise).
    """
    code, name, unit = (code or "").strip(), (name or "").strip(), (unit or "").strip() or "件"
    if not code:
        raise EconomyError("请填写货号", field="code")
    if not name:
        raise EconomyError("请填写品名", field="name")
    if category not in ProductCategory.values:
        raise EconomyError("请选择类别", field="category")
    if price_fen <= 0:
        raise EconomyError("售价须大于 0", field="price_fen")
    if producer.enterprise_id != enterprise.pk:
        raise EconomyError("生产者不属于本企业", field="producer")
    line = line or market_line(enterprise)
    if line.enterprise_id != enterprise.pk:
        raise EconomyError("业务板块不属于本企业", field="line")
    if Product.objects.filter(enterprise=enterprise, code__iexact=code).exists():
        raise EconomyError(f"货号“{code}”已被使用", field="code")
    return Product.objects.create(
        enterprise=enterprise,
        line=line,
        producer=producer,
        code=code,
        name=name,
        category=category,
        unit=unit[:10],
        price_fen=price_fen,
    )


def set_price(product: Product, price_fen: int) -> None:
    """Change the list price (fen); sales already made keep their price.

    Raises:
        EconomyError: a price ≤ 0.
    """
    if price_fen <= 0:
        raise EconomyError("售价须大于 0", field="price_fen")
    Product.objects.filter(pk=product.pk).update(price_fen=price_fen, updated_at=timezone.now())
    product.price_fen = price_fen


def add_event(
    enterprise: SocialEnterprise,
    *,
    kind: str,
    title: str,
    place: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    host: str = "",
) -> MarketEvent:
    """Add a doorstep market or a livestream session (its sales are recorded against it).

    Raises:
        EconomyError: unknown kind, empty title or place, the end not after the start.
    """
    title, place = (title or "").strip(), (place or "").strip()
    if kind not in EventKind.values:
        raise EconomyError("请选择类型：家门口集市或直播带货", field="kind")
    if not title:
        raise EconomyError("请填写名称", field="title")
    if not place:
        raise EconomyError("请填写地点或直播平台", field="place")
    if ends_at <= starts_at:
        raise EconomyError("结束时间必须晚于开始时间", field="ends_at")
    return MarketEvent.objects.create(
        enterprise=enterprise,
        kind=kind,
        title=title,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        host=(host or "").strip(),
    )


# --- stock ---------------------------------------------------------------------------------


def _locked(products: Iterable[Product]) -> dict[int, Product]:
    """The products re-read under a row lock, locked in primary-key order (no deadlock
    between two tills locking the same products in different orders). Caller is inside
    ``transaction.atomic``."""
    pks = sorted({p.pk for p in products})
    return {p.pk: p for p in Product.objects.select_for_update().filter(pk__in=pks).order_by("pk")}


def _move(
    product: Product, delta: int, kind: str, *, by: Any, at: dt.datetime, ref: str
) -> StockMove:
    """Apply ``delta`` to the locked ``product`` and write its :class:`StockMove`."""
    product.stock += delta
    Product.objects.filter(pk=product.pk).update(
        stock=F("stock") + delta, updated_at=timezone.now()
    )
    return StockMove.objects.create(
        product=product,
        kind=kind,
        delta=delta,
        stock_after=product.stock,
        reference=ref[:100],
        at=at,
        by=by,
    )


def receive(
    product: Product, quantity: int, *, by: Any, reference: str = "", at: dt.datetime | None = None
) -> StockMove:
    """Receive ``quantity`` (> 0) units into stock (入库).

    Raises:
        EconomyError: a quantity ≤ 0 or over :data:`MAX_QUANTITY`.
    """
    if not 0 < quantity <= MAX_QUANTITY:
        raise EconomyError(f"入库数量须在 1 到 {MAX_QUANTITY} 之间", field="quantity")
    with transaction.atomic():
        locked = _locked([product])[product.pk]
        move = _move(
            locked, quantity, StockMoveKind.RECEIVE, by=by, at=at or timezone.now(), ref=reference
        )
    product.stock = locked.stock
    return move


def adjust(
    product: Product, counted: int, *, by: Any, reason: str, at: dt.datetime | None = None
) -> StockMove | None:
    """Stock-take: set the stock to the ``counted`` number (≥ 0); ``None`` when it already
    matches (nothing written).

    Raises:
        EconomyError: a negative count or no reason.
    """
    reason = (reason or "").strip()
    if counted < 0:
        raise EconomyError("盘点数量不能为负数", field="counted")
    if not reason:
        raise EconomyError("请填写盘点说明", field="reason")
    with transaction.atomic():
        locked = _locked([product])[product.pk]
        delta = counted - locked.stock
        move = (
            _move(locked, delta, StockMoveKind.ADJUST, by=by, at=at or timezone.now(), ref=reason)
            if delta
            else None
        )
    product.stock = locked.stock
    return move


# --- sales ---------------------------------------------------------------------------------


def _merged(items: Sequence[tuple[Product, int]]) -> list[tuple[Product, int]]:
    """The same product on several rows is one line with the quantities added."""
    quantities: dict[int, int] = defaultdict(int)
    first: dict[int, Product] = {}
    for product, quantity in items:
        if not isinstance(quantity, int) or quantity <= 0:
            raise EconomyError(f"“{product.name}”的数量须为正整数", field="items")
        quantities[product.pk] += quantity
        first.setdefault(product.pk, product)
    return [(first[pk], quantities[pk]) for pk in first]


def _check_channel(
    enterprise: SocialEnterprise, channel: str, event: MarketEvent | None, at: dt.datetime
) -> None:
    if channel not in MarketChannel.values:
        raise EconomyError("请选择销售渠道", field="channel")
    if channel == MarketChannel.COUNTER:
        if event is not None:
            raise EconomyError("门店柜台销售不属于集市或直播场次", field="event")
        return
    if event is None or event.enterprise_id != enterprise.pk or event.kind != channel:
        label = EventKind(channel).label
        raise EconomyError(f"请选择本企业的{label}场次", field="event")
    if channel == MarketChannel.DOORSTEP and not event.starts_at <= at <= event.ends_at:
        raise EconomyError(
            f"“{event.title}”的时间是 {local(event.starts_at):%m-%d %H:%M}–"
            f"{local(event.ends_at):%m-%d %H:%M}，不在这个时间内",
            field="event",
        )


def check_payment(channel: str, payment: str, payment_ref: str) -> str:
    """The reference to keep for ``payment``: QR and transfer need the transaction number
    (6–64 letters/digits); ``platform`` (平台结算) only for livestream sales.

    Raises:
        EconomyError: unknown method, a missing or malformed reference, platform off-stream.
    """
    if payment not in MarketPayment.values:
        raise EconomyError("请选择付款方式：现金、扫码、转账或平台结算", field="payment")
    ref = (payment_ref or "").strip()
    if payment in (MarketPayment.QR, MarketPayment.TRANSFER) and not PAYMENT_REF.match(ref):
        label = MarketPayment(payment).label
        raise EconomyError(f"{label}请填写支付流水号（6–64 位字母或数字）", field="payment_ref")
    if payment == MarketPayment.PLATFORM and channel != MarketChannel.LIVESTREAM:
        raise EconomyError("“平台结算”只用于直播订单", field="payment")
    return ref if payment != MarketPayment.CASH else ""


def _save_sale(at: dt.datetime, **fields: Any) -> ProductSale:
    """Create the sale with the next ``SC-YYYYMMDD-0001`` number (local day of ``at``),
    retrying when another till took the number first."""
    prefix = f"SC-{local(at):%Y%m%d}-"
    for _ in range(5):
        number = next_number(ProductSale.objects.all(), "number", prefix, 4)
        try:
            with transaction.atomic():
                return ProductSale.objects.create(number=number, sold_at=at, **fields)
        except IntegrityError:
            if not ProductSale.objects.filter(number=number).exists():
                raise
    raise Conflict("销售单号分配冲突，请重试")


def sell_products(
    enterprise: SocialEnterprise,
    items: Sequence[tuple[Product, int]],
    *,
    channel: str,
    payment: str,
    payment_ref: str = "",
    event: MarketEvent | None = None,
    external_ref: str = "",
    by: Any,
    at: dt.datetime | None = None,
    prices: dict[int, int] | None = None,
) -> ProductSale:
    """Sell ``items`` ((product, quantity) pairs; the same product twice is merged into one
    line) on one receipt ``SC-YYYYMMDD-0001``, taking the units out of stock.

    Args:
        channel: a :class:`MarketChannel` value; ``doorstep`` needs a doorstep ``event``
            running at ``at``, ``livestream`` a livestream ``event`` (any time: batches are
            recorded after the stream), ``counter`` no event.
        payment: a :class:`MarketPayment` value (see :func:`check_payment`).
        external_ref: the platform's order number (unique per enterprise).
        prices: product pk → unit price in fen when not the list price (livestream orders).

    Returns:
        The saved sale; each line keeps the unit price and the producer's ``share_bp``.

    Raises:
        EconomyError: no items, a quantity ≤ 0, a product of another enterprise or off sale,
            not enough stock for a line (“八宝茶礼盒”库存只有 3 盒，不能卖 5 盒) — nothing is
            written —, a bad channel, event or payment.
        Conflict: the platform order number was already recorded, or ``at`` lies in a
            closed year.
    """
    at = at or timezone.now()
    if not items:
        raise EconomyError("请至少选择一件商品", field="items")
    merged = _merged(items)
    if len(merged) > 50:
        raise EconomyError("一张销售单最多 50 种商品", field="items")
    _check_channel(enterprise, channel, event, at)
    ensure_year_open(enterprise.pk, local(at).date(), "补记这一年的销售")
    ref = check_payment(channel, payment, payment_ref)
    external_ref = (external_ref or "").strip()
    try:
        with transaction.atomic():
            locked = _locked(p for p, _ in merged)
            for product, quantity in merged:
                current = locked.get(product.pk)
                if current is None or current.enterprise_id != enterprise.pk:
                    raise EconomyError(f"“{product.name}”不是本企业的商品", field="items")
                if not current.active:
                    raise EconomyError(f"“{current.name}”已下架", field="items")
                if quantity > MAX_QUANTITY:
                    raise EconomyError(f"一种商品一次最多卖 {MAX_QUANTITY} 件", field="items")
                if quantity > current.stock:
                    raise EconomyError(
                        f"“{current.name}”库存只有 {current.stock} {current.unit}，"
                        f"不能卖 {quantity} {current.unit}",
                        field="items",
                    )
            unit_prices = {
                p.pk: (prices or {}).get(p.pk, locked[p.pk].price_fen) for p, _ in merged
            }
            sale = _save_sale(
                at,
                enterprise=enterprise,
                channel=channel,
                event=event if channel != MarketChannel.COUNTER else None,
                external_ref=external_ref,
                payment=payment,
                payment_ref=ref,
                total_fen=sum(unit_prices[p.pk] * q for p, q in merged),
                by=by,
            )
            for product, quantity in sorted(merged, key=lambda pq: pq[0].pk):
                current = locked[product.pk]
                ProductSaleLine.objects.create(
                    sale=sale,
                    product=current,
                    producer_id=current.producer_id,
                    quantity=quantity,
                    unit_price_fen=unit_prices[product.pk],
                    share_bp=current.producer.share_bp,
                )
                _move(current, -quantity, StockMoveKind.SALE, by=by, at=at, ref=sale.number)
                product.stock = current.stock
    except IntegrityError:
        if (
            external_ref
            and ProductSale.objects.filter(
                enterprise=enterprise, external_ref=external_ref
            ).exists()
        ):
            raise Conflict(f"平台订单号 {external_ref} 已经记录过", field="external_ref") from None
        raise
    return sale


# --- returns and refunds --------------------------------------------------------------------


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise EconomyError("请填写退款原因", field="reason")
    return reason


def _take_refund(
    sale: ProductSale, amount: int, *, reason: str, by: Any, at: dt.datetime, with_goods: bool
) -> None:
    """Add ``amount`` to the locked ``sale``'s refunded money, within what is left, and
    record it as a :class:`ProductRefund`.

    Raises:
        EconomyError: an amount ≤ 0 or over what is left.
        Conflict: the sale's year is closed (its figures are frozen).
    """
    ensure_year_open(sale.enterprise_id, local(sale.sold_at).date(), "退这一年的销售单")
    left = sale.total_fen - sale.refunded_fen
    if amount <= 0:
        raise EconomyError("退款金额须大于 0", field="amount")
    if amount > left:
        raise EconomyError(f"退款 {yuan(amount)}超过可退的 {yuan(left)}", field="amount")
    sale.refunded_fen += amount
    ProductSale.objects.filter(pk=sale.pk).update(
        refunded_fen=sale.refunded_fen, updated_at=timezone.now()
    )
    ProductRefund.objects.create(
        sale=sale, amount_fen=amount, with_goods=with_goods, reason=reason[:200], at=at, by=by
    )


def return_products(
    sale: ProductSale,
    returns: Sequence[tuple[ProductSaleLine, int]],
    *,
    reason: str,
    by: Any,
    at: dt.datetime | None = None,
) -> int:
    """Take back ``returns`` ((line, quantity) pairs) of ``sale``: the units go back into
    stock (a 退货 :class:`StockMove` per line, reference "<sale number> 退货：<reason>") and
    the money, quantity × the line's unit price, is added to the sale's ``refunded_fen``.

    Returns:
        The refund in fen.

    Raises:
        EconomyError: no reason, a quantity ≤ 0, more than sold less already returned,
            a line of another sale, a refund over what is left of the sale.
        Conflict: the line's producer share is already paid out (该商品的分成已结算，不能
            退货，可做部分退款) — a payout never changes after it is made.
    """
    reason = _check_reason(reason)
    at = at or timezone.now()
    if not returns:
        raise EconomyError("请选择要退的商品和数量", field="returns")
    with transaction.atomic():
        locked_sale = ProductSale.objects.select_for_update().get(pk=sale.pk)
        wanted: dict[int, int] = defaultdict(int)
        for line, quantity in returns:
            if line.sale_id != locked_sale.pk:
                raise EconomyError("只能退这张销售单上的商品", field="returns")
            if not isinstance(quantity, int) or quantity <= 0:
                raise EconomyError("退货数量须为正整数", field="returns")
            wanted[line.pk] += quantity
        lines = {
            line.pk: line
            for line in ProductSaleLine.objects.select_for_update()
            .select_related("product")
            .filter(pk__in=wanted)
            .order_by("pk")
        }
        amount = 0
        for pk, quantity in wanted.items():
            line = lines[pk]
            left = line.quantity - line.returned
            if line.payout_id is not None:
                raise Conflict(
                    f"“{line.product.name}”的分成已结算，不能退货，可做部分退款", field="returns"
                )
            if quantity > left:
                raise EconomyError(
                    f"“{line.product.name}”卖出 {line.quantity} {line.product.unit}，"
                    f"已退 {line.returned}，最多还能退 {left} {line.product.unit}",
                    field="returns",
                )
            amount += quantity * line.unit_price_fen
        _take_refund(locked_sale, amount, reason=reason, by=by, at=at, with_goods=True)
        products = _locked(line.product for line in lines.values())
        for pk, quantity in sorted(wanted.items()):
            line = lines[pk]
            ProductSaleLine.objects.filter(pk=pk).update(returned=F("returned") + quantity)
            _move(
                products[line.product_id],
                quantity,
                StockMoveKind.REFUND,
                by=by,
                at=at,
                ref=f"{locked_sale.number} 退货：{reason}",
            )
    sale.refunded_fen = locked_sale.refunded_fen
    return amount


def refund_amount(sale: ProductSale, amount_fen: int, *, reason: str, by: Any) -> None:
    """A money refund without goods (e.g. a damaged box kept at a discount): added to the
    sale's ``refunded_fen``; the stock and the producers' shares do not change (the
    enterprise bears it). Recorded as a :class:`ProductRefund` with the reason.

    Raises:
        EconomyError: no reason, an amount ≤ 0 or over what is left of the sale
            (退款 … 元超过可退的 … 元).
    """
    reason = _check_reason(reason)
    with transaction.atomic():
        locked = ProductSale.objects.select_for_update().get(pk=sale.pk)
        _take_refund(locked, amount_fen, reason=reason, by=by, at=timezone.now(), with_goods=False)
    sale.refunded_fen = locked.refunded_fen
