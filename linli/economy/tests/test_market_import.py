"""The livestream batch import: every bad row reported, nothing half-written (issue #8)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import Workbook

from linli.economy.errors import EconomyError
from linli.economy.market_batch import BatchRejected, import_livestream_batch
from linli.economy.models import (
    EventKind,
    MarketChannel,
    MarketEvent,
    ProductSale,
    StockMove,
    StockMoveKind,
)
from linli.economy.tests.conftest import Shop, at_local
from linli.economy.tests.test_market import Stall, make_stall

HEADER = ["平台订单号", "货号", "数量", "单价（元）", "下单时间"]


@pytest.fixture
def stall(shop: Shop) -> Stall:
    return make_stall(shop)


@pytest.fixture
def stream(stall: Stall) -> MarketEvent:
    day = timezone.localdate()
    return MarketEvent.objects.create(
        enterprise=stall.shop.enterprise,
        kind=EventKind.LIVESTREAM,
        title="助农直播第 12 场",
        place="抖音",
        starts_at=at_local(day, 19),
        ends_at=at_local(day, 21),
        host="小雨",
    )


def xlsx(rows: list[list[object]], header: list[str] = HEADER, title: bool = False) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append(["抖店订单导出"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join(HEADER)] + [",".join(str(c) for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_good_batch_makes_one_sale_per_order(stall: Stall, stream: MarketEvent) -> None:
    data = xlsx(
        [
            ["DY1001", "BBC-01", 2, 35.5, "2026-11-29 19:30:00"],
            ["DY1002", "hz-02", 3, "12.5", None],
        ],
        title=True,
    )
    result = import_livestream_batch(stream, data, "orders.xlsx", by=stall.by)
    assert (result.orders, result.units, result.total_fen) == (2, 5, 2 * 3550 + 3 * 1250)
    first = ProductSale.objects.get(external_ref="DY1001")
    assert (first.channel, first.payment, first.event) == (
        MarketChannel.LIVESTREAM,
        "platform",
        stream,
    )
    assert timezone.localtime(first.sold_at).replace(tzinfo=None) == dt.datetime(
        2026, 11, 29, 19, 30
    )
    assert ProductSale.objects.get(external_ref="DY1002").sold_at == stream.ends_at
    stall.tea.refresh_from_db()
    assert stall.tea.stock == 1


def test_gb18030_csv_with_header_variants(stall: Stall, stream: MarketEvent) -> None:
    text = "订单编号,商家编码,购买数量,商品单价,支付时间\r\nKS-77,BBC-01,1,38,2026/11/29 20:01\r\n"
    result = import_livestream_batch(stream, text.encode("gb18030"), "快手.csv", by=stall.by)
    assert result.orders == 1
    assert ProductSale.objects.get().external_ref == "KS-77"


def test_one_bad_row_writes_nothing_and_names_the_row(stall: Stall, stream: MarketEvent) -> None:
    data = xlsx(
        [
            ["DY1", "BBC-01", 1, 38, None],
            ["DY2", "NOPE", 1, 38, None],
            ["DY3", "HZ-02", "两", 12.5, None],
            ["DY4", "HZ-02", 1, "12.345", None],
            ["DY5", "HZ-02", 1, "12", "昨天晚上"],
        ]
    )
    moves = StockMove.objects.count()
    with pytest.raises(BatchRejected) as caught:
        import_livestream_batch(stream, data, "orders.xlsx", by=stall.by)
    texts = [str(p) for p in caught.value.problems]
    assert texts[0] == "第 3 行：货号“NOPE”不是本企业的商品"
    assert texts[1].startswith("第 4 行：数量“两”")
    assert texts[2] == "第 5 行：单价：金额最多两位小数（精确到分）"
    assert texts[3].startswith("第 6 行：下单时间“昨天晚上”")
    assert not ProductSale.objects.exists()
    assert StockMove.objects.count() == moves


def test_duplicate_order_in_the_file_is_refused(stall: Stall, stream: MarketEvent) -> None:
    data = csv_bytes([["DY9", "HZ-02", 1, 12.5, ""], ["DY9", "BBC-01", 1, 38, ""]])
    with pytest.raises(BatchRejected) as caught:
        import_livestream_batch(stream, data, "orders.csv", by=stall.by)
    assert [str(p) for p in caught.value.problems] == ["第 3 行：平台订单号 DY9 与第 2 行重复"]
    assert not ProductSale.objects.exists()


def test_order_already_imported_is_refused(stall: Stall, stream: MarketEvent) -> None:
    import_livestream_batch(
        stream, csv_bytes([["DY1", "HZ-02", 1, 12.5, ""]]), "a.csv", by=stall.by
    )
    again = csv_bytes([["DY2", "HZ-02", 1, 12.5, ""], ["DY1", "HZ-02", 1, 12.5, ""]])
    with pytest.raises(BatchRejected) as caught:
        import_livestream_batch(stream, again, "b.csv", by=stall.by)
    (problem,) = caught.value.problems
    assert problem.row == 3 and "DY1 已导入过（SC-" in problem.message
    assert ProductSale.objects.count() == 1


def test_total_per_product_over_stock_is_refused(stall: Stall, stream: MarketEvent) -> None:
    data = csv_bytes([["A1", "BBC-01", 2, 38, ""], ["A2", "BBC-01", 2, 38, ""]])
    with pytest.raises(BatchRejected) as caught:
        import_livestream_batch(stream, data, "orders.csv", by=stall.by)
    assert [str(p) for p in caught.value.problems] == [
        "第 2 行：“八宝茶礼盒”共 4 盒（第 2、3 行），库存只有 3 盒"
    ]
    stall.tea.refresh_from_db()
    assert stall.tea.stock == 3
    assert not StockMove.objects.filter(kind=StockMoveKind.SALE).exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "a.csv", "文件是空的"),
        (b"%PDF-1.4 binary", "a.pdf", "不支持的文件类型"),
        ("姓名,电话\r\n张三,1\r\n".encode(), "a.csv", "没有找到表头"),
        ("平台订单号,货号\r\nA,B\r\n".encode(), "a.csv", "表头缺少“数量”“单价（元）”列"),
        (b"PK\x03\x04broken", "a.xlsx", "文件已损坏"),
    ],
)
def test_unusable_files_are_refused(
    stall: Stall, stream: MarketEvent, data: bytes, name: str, message: str
) -> None:
    with pytest.raises(EconomyError, match=message):
        import_livestream_batch(stream, data, name, by=stall.by)
    assert not ProductSale.objects.exists()


def test_only_livestream_events_take_a_batch(stall: Stall) -> None:
    day = timezone.localdate()
    fair = MarketEvent.objects.create(
        enterprise=stall.shop.enterprise,
        kind=EventKind.DOORSTEP,
        title="集市",
        place="广场",
        starts_at=at_local(day, 9),
        ends_at=at_local(day, 11),
    )
    with pytest.raises(EconomyError, match="只有直播场次"):
        import_livestream_batch(fair, csv_bytes([["A", "HZ-02", 1, 1, ""]]), "a.csv", by=stall.by)
