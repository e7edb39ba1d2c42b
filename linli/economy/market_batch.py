"""A livestream batch: the platform's order export (.xlsx or .csv) recorded as market sales.

Columns (header row within the first 10 rows; spaces, ``*`` and a ``（元）`` suffix are
ignored; common platform spellings accepted): 平台订单号, 货号, 数量, 单价（元）, 下单时间
(optional). One row is one platform order of one product.

Every row is checked before anything is written — unknown or off-sale 货号, quantity,
price, time, an order number repeated in the file or already recorded, and the total
quantity per product against the stock — and every bad row is reported with the row
number the spreadsheet shows. One bad row → nothing is written. Otherwise each order
becomes one :class:`~linli.economy.models.ProductSale` (channel 直播, payment 平台结算,
``external_ref`` = the order number, sold at 下单时间 or at the end of the stream), all in
one transaction.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.forms import ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from linli.economy.errors import EconomyError
from linli.economy.forms_money import parse_yuan
from linli.economy.market import MAX_QUANTITY, MarketPayment, sell_products
from linli.economy.models import EventKind, MarketChannel, MarketEvent, Product, ProductSale
from linli.people.roster.reading import RosterFileError, decode_csv, detect_kind

#: Field → accepted header texts (after removing spaces, ``*`` and ``（元）``).
COLUMNS: dict[str, tuple[str, ...]] = {
    "order": ("平台订单号", "订单号", "订单编号", "子订单编号", "主订单编号", "订单ID"),
    "code": ("货号", "商品货号", "商家编码", "商品编码", "商家货号", "SKU编码", "商品编号"),
    "quantity": ("数量", "购买数量", "商品数量", "件数"),
    "price": ("单价", "商品单价", "成交单价", "售价", "单价元"),
    "time": ("下单时间", "订单创建时间", "创建时间", "付款时间", "支付时间", "成交时间"),
}
REQUIRED = ("order", "code", "quantity", "price")
LABELS = {key: names[0] for key, names in COLUMNS.items()} | {"price": "单价（元）"}
_LOOKUP = {name.upper(): key for key, names in COLUMNS.items() for name in names}
_NOISE = re.compile(r"[\s*＊:：]|[（(](元|必填)[)）]")
HEADER_ROWS = 10
MAX_ROWS = 5000
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")


@dataclasses.dataclass(frozen=True)
class RowProblem:
    """What is wrong with row ``row`` (as the spreadsheet numbers it), in Chinese."""

    row: int
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行：{self.message}"


class BatchRejected(EconomyError):
    """The file has bad rows; ``problems`` lists every one; nothing was written."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"有 {len(problems)} 处错误，没有导入任何订单，请改正后重新上传")
        self.problems = problems


@dataclasses.dataclass(frozen=True)
class BatchResult:
    """What an import recorded: ``orders`` sales, ``units`` sold, ``total_fen`` money."""

    orders: int
    units: int
    total_fen: int
    sales: list[ProductSale]


@dataclasses.dataclass(frozen=True)
class _Order:
    row: int
    ref: str
    product: Product
    quantity: int
    price_fen: int
    at: dt.datetime


def _header_key(cell: Any) -> str | None:
    text = _NOISE.sub("", str(cell or "")).upper()
    return _LOOKUP.get(text)


def _rows(data: bytes, filename: str) -> list[tuple[int, list[Any]]]:
    """(row number, cells) of the first sheet of an .xlsx or of a .csv file."""
    try:
        kind = detect_kind(data, filename)
        if kind == "xls":
            raise EconomyError("请把 .xls 文件另存为 .xlsx 或 .csv 后上传", field="file")
        if kind == "csv":
            text = decode_csv(data)
            delimiter = "\t" if text.split("\n", 1)[0].count("\t") > 0 else ","
            return list(enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1))
    except RosterFileError as err:
        raise EconomyError(str(err), field="file") from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        return [(n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True), 1)]
    except Exception:  # openpyxl raises zip, xml and key errors for broken files
        raise EconomyError(
            "文件已损坏或不是有效的 Excel 文件，请用 Excel/WPS 打开后另存为 .xlsx", field="file"
        ) from None


def _columns(rows: list[tuple[int, list[Any]]]) -> tuple[int, dict[str, int]]:
    for index, (_, cells) in enumerate(rows[:HEADER_ROWS]):
        columns: dict[str, int] = {}
        for position, cell in enumerate(cells):
            key = _header_key(cell)
            if key and key not in columns:
                columns[key] = position
        if "order" in columns and "code" in columns:
            missing = [LABELS[k] for k in REQUIRED if k not in columns]
            if missing:
                raise EconomyError(f"表头缺少“{'”“'.join(missing)}”列", field="file")
            return index, columns
    raise EconomyError(
        f"前 {HEADER_ROWS} 行没有找到表头：须有“平台订单号”“货号”“数量”“单价（元）”列",
        field="file",
    )


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip().lstrip("'")


def _quantity(value: Any) -> int:
    text = _text(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"数量“{text}”不是整数") from None
    if number != number.to_integral_value() or not 0 < number <= MAX_QUANTITY:
        raise ValueError(f"数量“{text}”须为 1 到 {MAX_QUANTITY} 的整数")
    return int(number)


def _price(value: Any) -> int:
    if isinstance(value, float):
        value = format(Decimal(repr(value)).normalize(), "f")
    try:
        fen = parse_yuan(_text(value))
    except ValidationError as err:
        raise ValueError(f"单价：{err.messages[0]}") from None
    if fen <= 0:
        raise ValueError("单价须大于 0")
    return fen


def _time(value: Any, default: dt.datetime) -> dt.datetime:
    if value in (None, ""):
        return default
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = _text(value)
        for fmt in _TIME_FORMATS:
            try:
                moment = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"下单时间“{text}”格式应为 2026-11-29 20:15")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def read_batch(event: MarketEvent, data: bytes, filename: str) -> list[_Order]:
    """The orders of the file, all checked (nothing written).

    Raises:
        EconomyError: the file itself is unusable (type, no header, too many rows).
        BatchRejected: one or more bad rows, each with its row number.
    """
    rows = _rows(data, filename)
    header, columns = _columns(rows)
    body = [(n, cells) for n, cells in rows[header + 1 :] if any(_text(c) for c in cells)]
    if not body:
        raise EconomyError("文件里没有订单行", field="file")
    if len(body) > MAX_ROWS:
        raise EconomyError(f"一次最多导入 {MAX_ROWS} 行，请拆分文件", field="file")
    products = {p.code.upper(): p for p in event.enterprise.products.select_related("producer")}
    problems: list[RowProblem] = []
    orders: list[_Order] = []
    seen: dict[str, int] = {}

    def cell(cells: list[Any], key: str) -> Any:
        index = columns.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    for number, cells in body:
        ref, code = _text(cell(cells, "order")), _text(cell(cells, "code"))
        bad = len(problems)
        if not ref:
            problems.append(RowProblem(number, "缺少平台订单号"))
        elif ref in seen:
            problems.append(RowProblem(number, f"平台订单号 {ref} 与第 {seen[ref]} 行重复"))
        elif len(ref) > 64:
            problems.append(RowProblem(number, "平台订单号超过 64 个字符"))
        else:
            seen[ref] = number
        product = products.get(code.upper())
        if product is None:
            problems.append(
                RowProblem(number, f"货号“{code}”不是本企业的商品" if code else "缺少货号")
            )
        elif not product.active:
            problems.append(RowProblem(number, f"“{product.name}”已下架"))
        try:
            quantity = _quantity(cell(cells, "quantity"))
            price = _price(cell(cells, "price"))
            at = _time(cell(cells, "time"), event.ends_at)
        except ValueError as err:
            problems.append(RowProblem(number, str(err)))
        if len(problems) == bad and product is not None:
            orders.append(_Order(number, ref, product, quantity, price, at))
    known = set(
        ProductSale.objects.filter(
            enterprise=event.enterprise, external_ref__in=list(seen)
        ).values_list("external_ref", "number")
    )
    for ref, sale_number in sorted(known):
        problems.append(RowProblem(seen[ref], f"平台订单号 {ref} 已导入过（{sale_number}）"))
    wanted: dict[int, list[_Order]] = defaultdict(list)
    for order in orders:
        wanted[order.product.pk].append(order)
    for group in wanted.values():
        product, total = group[0].product, sum(o.quantity for o in group)
        if total > product.stock:
            rows_text = "、".join(str(o.row) for o in group[:10])
            problems.append(
                RowProblem(
                    group[0].row,
                    f"“{product.name}”共 {total} {product.unit}（第 {rows_text} 行），"
                    f"库存只有 {product.stock} {product.unit}",
                )
            )
    if problems:
        raise BatchRejected(sorted(problems, key=lambda p: p.row))
    return orders


def import_livestream_batch(
    event: MarketEvent, file_bytes: bytes, filename: str, *, by: Any
) -> BatchResult:
    """Record the platform's order export of livestream ``event`` (see the module doc).

    Returns:
        The counts and the total of the orders recorded.

    Raises:
        EconomyError: not a livestream event, an unusable file, or a sale refused while
            writing (e.g. stock sold meanwhile at the counter) — nothing written.
        BatchRejected: bad rows, each listed with its row number — nothing written.
    """
    if event.kind != EventKind.LIVESTREAM:
        raise EconomyError("只有直播场次可以导入平台订单", field="file")
    orders = read_batch(event, file_bytes, filename)
    sales: list[ProductSale] = []
    with transaction.atomic():
        for order in orders:
            try:
                sale = sell_products(
                    event.enterprise,
                    [(order.product, order.quantity)],
                    channel=MarketChannel.LIVESTREAM,
                    payment=MarketPayment.PLATFORM,
                    event=event,
                    external_ref=order.ref,
                    by=by,
                    at=order.at,
                    prices={order.product.pk: order.price_fen},
                )
            except EconomyError as err:
                raise EconomyError(
                    f"第 {order.row} 行：{err}；没有导入任何订单", field="file"
                ) from None
            sales.append(sale)
    return BatchResult(
        orders=len(sales),
        units=sum(o.quantity for o in orders),
        total_fen=sum(s.total_fen for s in sales),
        sales=sales,
    )
