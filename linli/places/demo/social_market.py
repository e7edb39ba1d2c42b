"""Demo market, accounts and welfare fund of the social enterprise (issue 8); called by
:func:`linli.places.demo.social.build_social`, through the real services:

* producers — the livestream team of disabled people and left-behind children (60 % of
  each sale), a family farm (80 %), a resident embroiderer (70 %); six products (八宝茶,
  枸杞, 香包, 剪纸, 土豆, 小米) received into stock;
* sales — at the counter over the last ten days, a doorstep market (家门口集市) last
  weekend, and a livestream session three days ago whose platform orders are recorded as
  one batch; the farm's share paid out up to a week ago;
* accounts — last year's monthly totals (kept before Linli, entered as ledger entries) closed
  with the 20 % allocation into the community public-welfare fund, which paid for two
  projects decided by the residents' deliberation meeting; this year's costs in
  the months with sales (ingredients, wages, rent, platform fees).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from linli.economy.accounts import add_project, close_year, record_entry, spend
from linli.economy.market import (
    MarketPayment,
    add_event,
    add_producer,
    add_product,
    receive,
    sell_products,
)
from linli.economy.market_payouts import pay_producer
from linli.economy.models import (
    BusinessLine,
    EntryCategory,
    EntryKind,
    EventKind,
    LineKind,
    MarketChannel,
    ProducerKind,
    Product,
    ProductCategory,
    SocialEnterprise,
    WelfareFund,
)
from linli.people.models import Resident

#: (code, name, category, unit, price in fen, stock received, producer key)
PRODUCTS = [
    ("BBC-01", "八宝茶礼盒", ProductCategory.TEA, "盒", 6800, 80, "team"),
    ("GQ-01", "中宁枸杞 500 克", ProductCategory.PRODUCE, "袋", 4500, 120, "farm"),
    ("XB-01", "手工刺绣香包", ProductCategory.HANDICRAFT, "个", 3500, 40, "embroidery"),
    ("JZ-01", "剪纸装饰画", ProductCategory.HANDICRAFT, "幅", 2500, 30, "team"),
    ("TD-01", "西吉土豆 5 斤", ProductCategory.PRODUCE, "袋", 1500, 100, "farm"),
    ("XM-01", "黄小米 2 斤", ProductCategory.PRODUCE, "袋", 1800, 90, "farm"),
]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def build_market(
    enterprise: SocialEnterprise, today: dt.date, rng: random.Random, admin: Any
) -> dict[str, int]:
    """The market, last year's close and this year's costs (module docstring)."""
    embroiderer = (
        Resident.objects.filter(
            area__path__startswith=enterprise.community.path, sex="F", disabled=True
        )
        .order_by("pk")
        .first()
    )
    producers = {
        "team": add_producer(
            enterprise,
            kind=ProducerKind.LIVESTREAM_TEAM,
            name="丰登助残直播团队",
            share_bp=6000,
            payee="对公转账（团队账户）",
        ),
        "farm": add_producer(
            enterprise,
            kind=ProducerKind.FARMER,
            name="马大伯家庭农场",
            share_bp=8000,
            payee="微信转账",
        ),
        "embroidery": add_producer(
            enterprise,
            kind=ProducerKind.RESIDENT,
            name=f"{embroiderer.name}（刺绣）" if embroiderer else "社区刺绣小组",
            resident=embroiderer,
            share_bp=7000,
            payee="微信转账",
        ),
    }
    start = today - dt.timedelta(days=12)
    products: list[Product] = []
    for code, name, category, unit, price, stock, key in PRODUCTS:
        product = add_product(
            enterprise,
            producer=producers[key],
            code=code,
            name=name,
            category=category,
            unit=unit,
            price_fen=price,
        )
        receive(product, stock, by=admin, reference="首批入库", at=_at(start, 9))
        products.append(product)
    sales = 0
    for n in range(10):  # the counter, one or two sales a day
        day = today - dt.timedelta(days=10 - n)
        items = [(rng.choice(products), rng.randint(1, 2))]
        sell_products(
            enterprise,
            items,
            channel=MarketChannel.COUNTER,
            payment=MarketPayment.CASH,
            by=admin,
            at=_at(day, 12, 40),
        )
        sales += 1
    saturday = today - dt.timedelta(days=(today.weekday() - 5) % 7 or 7)
    doorstep = add_event(
        enterprise,
        kind=EventKind.DOORSTEP,
        title="家门口集市（安置小区广场）",
        place="安置4号楼前广场",
        starts_at=_at(saturday, 9),
        ends_at=_at(saturday, 12),
        host="丁海燕",
    )
    for n in range(12):
        chosen = rng.sample(products, k=2)
        sell_products(
            enterprise,
            [(chosen[0], 1), (chosen[1], rng.randint(1, 3))],
            channel=MarketChannel.DOORSTEP,
            payment=MarketPayment.QR if n % 2 else MarketPayment.CASH,
            payment_ref=f"WX{rng.getrandbits(40):012d}" if n % 2 else "",
            event=doorstep,
            by=admin,
            at=_at(saturday, 9) + dt.timedelta(minutes=10 + n * 4),
        )
        sales += 1
    live_day = today - dt.timedelta(days=3)
    live = add_event(
        enterprise,
        kind=EventKind.LIVESTREAM,
        title="丰登好物直播间：八宝茶与手工香包",
        place="抖音 @丰登好物",
        starts_at=_at(live_day, 19),
        ends_at=_at(live_day, 21),
        host="丰登助残直播团队",
    )
    for n in range(20):
        product = products[0] if n % 3 else products[2]
        sell_products(
            enterprise,
            [(product, rng.randint(1, 2))],
            channel=MarketChannel.LIVESTREAM,
            payment=MarketPayment.PLATFORM,
            event=live,
            external_ref=f"DY{live_day:%Y%m%d}{n + 1:05d}",
            by=admin,
            at=_at(live_day, 19) + dt.timedelta(minutes=5 + n * 5),
        )
        sales += 1
    pay_producer(
        producers["farm"],
        today - dt.timedelta(days=7),
        method="微信转账",
        reference=f"WXPAY{rng.getrandbits(32):010d}",
        by=admin,
        at=_at(today - dt.timedelta(days=6), 10),
    )
    build_accounts(enterprise, today, admin)
    return {"products": len(products), "product_sales": sales}


def build_accounts(enterprise: SocialEnterprise, today: dt.date, admin: Any) -> None:
    """Last year's totals closed with the allocation, the fund's spending, this year's costs."""
    lines = {line.kind: line for line in BusinessLine.objects.filter(enterprise=enterprise)}
    canteen, market = lines[LineKind.CANTEEN], lines[LineKind.MARKET]
    last_year = today.year - 1
    for line, kind, category, amount, text in [
        (canteen, EntryKind.REVENUE, EntryCategory.SERVICE, 58_600_000, "助餐收入（上线前汇总）"),
        (canteen, EntryKind.REVENUE, EntryCategory.GRANT, 21_900_000, "助餐补贴到账"),
        (market, EntryKind.REVENUE, EntryCategory.SERVICE, 16_800_000, "特产销售（上线前汇总）"),
        (canteen, EntryKind.COST, EntryCategory.INGREDIENTS, 41_200_000, "食材采购"),
        (canteen, EntryKind.COST, EntryCategory.WAGES, 27_600_000, "厨师与帮厨工资"),
        (canteen, EntryKind.COST, EntryCategory.RENT, 3_600_000, "水电燃气"),
        (market, EntryKind.COST, EntryCategory.GOODS, 11_300_000, "生产者分成与包装"),
        (market, EntryKind.COST, EntryCategory.PLATFORM, 900_000, "直播平台服务费"),
    ]:
        monthly = amount // 12
        for month in range(1, 13):  # the last month takes the remainder
            share = monthly if month < 12 else amount - 11 * monthly
            record_entry(
                enterprise,
                line=line,
                date=dt.date(last_year, month, 28),
                kind=kind,
                category=category,
                amount_fen=share,
                description=f"{month}月{text}",
                voucher=f"{last_year}-{month:02d}-汇总",
                by=admin,
            )
    close_year(enterprise, last_year, by=admin, at=_at(dt.date(today.year, 1, 15), 10))
    fund = WelfareFund.objects.get(enterprise=enterprise)
    for name, description, budget, spent, text in [
        (
            "高龄老人助餐加餐",
            "80 周岁以上老人每周一次免费加餐（鸡蛋、牛奶）",
            1_500_000,
            820_000,
            "第一、二季度加餐食材",
        ),
        (
            "四点半课堂图书角",
            "为留守儿童添置图书和书架",
            800_000,
            645_000,
            "图书 320 册、书架 4 个",
        ),
    ]:
        project = add_project(fund, name, description, budget, f"{today.year}年第1次居民议事会决议")
        spend(
            fund,
            project=project,
            amount_fen=spent,
            date=dt.date(today.year, 4, 20),
            description=text,
            voucher=f"GY-{today.year}-{project.pk:03d}",
            by=admin,
        )
    # This year's costs in the months with sales in the demo (last month and this one),
    # in proportion to the demo's few hundred meals a month.
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    for day in (last_month.replace(day=28), today - dt.timedelta(days=1)):
        for line, category, amount, text in [
            (canteen, EntryCategory.INGREDIENTS, 180_000, "食材采购"),
            (canteen, EntryCategory.WAGES, 120_000, "帮厨工资"),
            (canteen, EntryCategory.RENT, 20_000, "水电燃气"),
            (market, EntryCategory.PLATFORM, 8_000, "直播平台服务费"),
        ]:
            record_entry(
                enterprise,
                line=line,
                date=day,
                kind=EntryKind.COST,
                category=category,
                amount_fen=amount,
                description=f"{day.month}月{text}",
                by=admin,
            )
