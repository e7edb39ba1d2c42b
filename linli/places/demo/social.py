"""Demo community social enterprise (issue 8), in the village-to-residence community 丰登新村社区.

The report's story, as data: 银川丰登社区服务有限公司 is held 40 % by the community's
joint-stock economic cooperative and 15 % by each of four partner organisations; it runs
the shared canteen 丰登共享食堂 (lunch and dinner; 8 yuan for residents 60+, disabled or
on dibao, 12 yuan for others), a local-products market with a livestream team, and gives
20 % of each year's profit to community public welfare. Built after the registry
(``linli demo`` calls :func:`build_social`) through the real services, so the rules
(one meal per diner per menu, the eligibility tiers, stakes totalling 100 %) hold:

* the company record: shareholders, board (chair from the cooperative, directors from the
  partners, a supervisor, the manager), business lines, partners;
* the canteen: menus from the same day last month to six days ahead; counter sales on
  every past day of the last ten days and on eight days of last month (so last month's
  subsidy claim can be made) — about 30 lunches and 10 dinners a day across the tiers,
  a few walk-ins, paid by cash, QR and card; a refund; food samples (留样) for past days;
  resident cards with balances for 40 regular diners;
* the market, the accounts and the welfare fund: :mod:`linli.places.demo.social_market`.

Log in as ``sq3_social`` (the enterprise's staff) or the community administrator; the
oldest card holder logs in at ``/me/login/`` with 13800000004 (``/me/canteen/``).
Deterministic: ``random.Random(SEED)``; dates count from the day of the build.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from linli.accounts.models import ResidentAccount
from linli.accounts.services import phone_hash, resident_account_create
from linli.economy.company import StakeRow, register, set_shareholders
from linli.economy.counter import refund, sell
from linli.economy.models import (
    BoardMember,
    BoardRole,
    BusinessLine,
    Canteen,
    CardMove,
    CardMoveKind,
    DinerCard,
    Dish,
    DishKind,
    FoodSample,
    IdentifiedBy,
    LineKind,
    Meal,
    Menu,
    Partner,
    PaymentMethod,
    ShareholderKind,
    SocialEnterprise,
)
from linli.orgs.models import Organization, OrgKind
from linli.people.models import Assignment, Resident, Role
from linli.places.demo.services import CANTEEN_RESIDENT_PHONE
from linli.places.demo.staff import DEMO_EMAIL_DOMAIN
from linli.places.models import Area, AreaKind, Facility, FacilityKind

SEED = 8
COMMUNITY = "丰登新村社区"
ENTERPRISE = "银川丰登社区服务有限公司"
COOPERATIVE = "丰登新村股份经济合作社"
#: Partner organisations (demo orgs of 丰登新村社区) and what each brings.
PARTNERS = [
    ("宁夏启智教育咨询有限公司", "四点半课堂与直播团队培训"),
    ("宁夏塞上行旅游服务有限公司", "研学游客就餐与特产销售渠道"),
    ("金凤区丰登手工艺协会", "手工艺品设计与残疾人手工培训"),
    ("银川丰登物业服务有限公司", "食堂场地与设施维护"),
]
MEATS = ["手抓羊肉", "土豆烧牛肉", "黄焖鸡", "红烧肉", "清炖羊肉", "鱼香肉丝", "宫保鸡丁"]
VEGETABLES = ["清炒油麦菜", "醋溜土豆丝", "蒜蓉西兰花", "家常豆腐", "西红柿炒鸡蛋", "素炒白菜"]
STAPLES = ["米饭", "馒头", "花卷"]
SOUPS = ["紫菜蛋花汤", "小米粥", "酸辣汤", "绿豆汤"]
#: Meals a past day: lunch, dinner (registered diners), walk-ins per meal.
LUNCHES, DINNERS, WALK_INS = 30, 10, 2
CARD_HOLDERS = 40


def build_social(
    *, today: dt.date | None = None, log: Callable[[str], object] = print
) -> dict[str, int]:
    """Seed the demo of issue 8 (see the module docstring); returns counts for the summary.

    Does nothing when the community, the enterprise's organisation or the community
    administrator is missing (a partial demo), or when it was built already.
    """
    today = today or timezone.localdate()
    counts = {"canteen_meals": 0, "diner_cards": 0}
    community = Area.objects.filter(kind=AreaKind.COMMUNITY, name=COMMUNITY).first()
    org = Organization.objects.filter(name=ENTERPRISE, kind=OrgKind.SOCIAL_ENTERPRISE).first()
    if community is None or org is None or SocialEnterprise.objects.filter(organization=org):
        return counts
    admin_row = Assignment.objects.filter(area=community, role=Role.COMMUNITY_ADMIN).first()
    if admin_row is None:
        return counts
    admin = admin_row.user
    rng = random.Random(SEED)
    with transaction.atomic():
        enterprise = build_company(org, community, today)
        canteen = build_canteen(enterprise, community)
        build_menus(canteen, today, rng)
        cards = build_cards(enterprise, community, rng, admin)
        counts["diner_cards"] = len(cards)
        _canteen_regular(cards[0].resident if cards else None, admin)
        counts["canteen_meals"] = build_sales(canteen, community, today, rng, admin, cards)
        from linli.places.demo.social_market import build_market  # it imports from here

        counts.update(build_market(enterprise, today, rng, admin))
    log(f"社区社会企业：{ENTERPRISE}，共享食堂售餐 {counts['canteen_meals']} 份")
    return counts


def build_company(org: Organization, community: Area, today: dt.date) -> SocialEnterprise:
    """The enterprise, its shareholders (40 % + 4 × 15 %), board and partners."""
    founded = today.replace(year=today.year - 3, month=6, day=18)
    enterprise = register(
        org,
        community=community,
        founded_on=founded,
        registered_capital_fen=100_000_000,  # 100 万元
        purpose="以社区食堂、特产集市和居民服务解决就业与养老助餐，年度利润的 20% 用于社区公益。",
    )
    partners = [
        Organization.objects.filter(name=name, area__path__startswith=community.path).first()
        for name, _ in PARTNERS
    ]
    rows = [StakeRow(COOPERATIVE, ShareholderKind.COMMUNITY, 4000, None, 40_000_000)]
    rows += [
        StakeRow(name, ShareholderKind.PARTNER, 1500, org_, 15_000_000)
        for (name, _), org_ in zip(PARTNERS, partners, strict=True)
    ]
    holders = {h.name: h for h in set_shareholders(enterprise, rows)}
    board: list[tuple[str, str, str | None]] = [
        ("马建国", BoardRole.CHAIR, COOPERATIVE),
        ("李淑芬", BoardRole.DIRECTOR, PARTNERS[0][0]),
        ("王志强", BoardRole.DIRECTOR, PARTNERS[1][0]),
        ("杨红梅", BoardRole.DIRECTOR, PARTNERS[2][0]),
        ("张立新", BoardRole.SUPERVISOR, PARTNERS[3][0]),
        ("丁海燕", BoardRole.MANAGER, None),
        ("白雪", BoardRole.FINANCE, None),
    ]
    for name, role, holder in board:
        BoardMember.objects.create(
            enterprise=enterprise,
            name=name,
            role=role,
            representing=holders.get(holder) if holder else None,
            term_start=founded,
        )
    for (_, role), partner in zip(PARTNERS, partners, strict=True):
        if partner is not None:
            Partner.objects.create(
                enterprise=enterprise, organization=partner, role=role, since=founded
            )
    return enterprise


def build_canteen(enterprise: SocialEnterprise, community: Area) -> Canteen:
    facility = Facility.objects.filter(
        area__path__startswith=community.path, kind=FacilityKind.CANTEEN
    ).first()
    line = BusinessLine.objects.get(enterprise=enterprise, kind=LineKind.CANTEEN)
    return Canteen.objects.create(
        enterprise=enterprise,
        line=line,
        facility=facility,
        name=facility.name if facility else "丰登共享食堂",
        lunch_start=dt.time(11),
        lunch_end=dt.time(13, 30),
        dinner_start=dt.time(17),
        dinner_end=dt.time(19),
    )


def _days(today: dt.date) -> tuple[list[dt.date], list[dt.date]]:
    """(days with sales, days with menus): the last ten days and eight of last month;
    menus from the first of those to six days ahead."""
    recent = [today - dt.timedelta(days=n) for n in range(10, 0, -1)]
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - dt.timedelta(days=1)
    last_month = [last_month_end.replace(day=d) for d in range(2, 29, 3)][:8]
    sale_days = sorted(set(last_month + recent))
    start = sale_days[0]
    menu_days = [start + dt.timedelta(days=n) for n in range((today - start).days + 7)]
    return sale_days, menu_days


def build_menus(canteen: Canteen, today: dt.date, rng: random.Random) -> int:
    """Lunch and dinner menus (one meat, one vegetable, a staple, a soup) for every day."""
    _, menu_days = _days(today)
    count = 0
    for day in menu_days:
        for meal in (Meal.LUNCH, Meal.DINNER):
            menu = Menu.objects.create(canteen=canteen, date=day, meal=meal)
            dishes = [
                (DishKind.MEAT, rng.choice(MEATS), "150 克"),
                (DishKind.VEGETABLE, rng.choice(VEGETABLES), "150 克"),
                (DishKind.STAPLE, rng.choice(STAPLES), "1 份"),
                (DishKind.SOUP, rng.choice(SOUPS), "1 碗"),
            ]
            Dish.objects.bulk_create(
                Dish(menu=menu, kind=kind, name=name, portion=portion, order=n)
                for n, (kind, name, portion) in enumerate(dishes)
            )
            count += 1
    return count


def _diners(community: Area) -> list[Resident]:
    """Up to 400 residents of the community, oldest first (the canteen's regulars)."""
    return list(
        Resident.objects.filter(
            area__path__startswith=community.path, household__isnull=False
        ).order_by("birth_date", "pk")[:400]
    )


def build_cards(
    enterprise: SocialEnterprise, community: Area, rng: random.Random, admin: Any
) -> list[DinerCard]:
    """Cards with 50–300 yuan on them for the oldest regular diners (deterministic codes),
    each balance recorded as a top-up at the counter before the first sale day."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    sale_days, _ = _days(timezone.localdate())
    topped_at = timezone.make_aware(
        dt.datetime.combine(sale_days[0] - dt.timedelta(days=1), dt.time(10))
    )
    cards = []
    for resident in _diners(community)[:CARD_HOLDERS]:
        code = "LL" + "".join(rng.choice(alphabet) for _ in range(10))
        cards.append(
            DinerCard(
                enterprise=enterprise,
                resident=resident,
                code=code,
                balance_fen=rng.choice([5_000, 10_000, 20_000, 30_000]),
            )
        )
    cards = DinerCard.objects.bulk_create(cards)
    CardMove.objects.bulk_create(
        CardMove(
            card=card,
            kind=CardMoveKind.TOP_UP,
            amount_fen=card.balance_fen,
            balance_after_fen=card.balance_fen,
            reference="现金充值",
            at=topped_at,
            by=admin,
        )
        for card in cards
    )
    return cards


def _canteen_regular(resident: Resident | None, admin: Any) -> None:
    """A log-in for the oldest card holder (13800000004), to see /me/canteen/ as a diner."""
    taken = ResidentAccount.objects.filter(phone_hash=phone_hash(CANTEEN_RESIDENT_PHONE))
    if resident is None or taken.exists() or ResidentAccount.objects.filter(resident=resident):
        return
    account = resident_account_create(resident=resident, phone=CANTEEN_RESIDENT_PHONE, actor=admin)
    # A demo account, so ``linli demo --reset`` removes its user with the others.
    User.objects.filter(pk=account.user_id).update(
        email=f"{account.user.username}@{DEMO_EMAIL_DOMAIN}"
    )


def build_sales(
    canteen: Canteen,
    community: Area,
    today: dt.date,
    rng: random.Random,
    cashier: Any,
    cards: list[DinerCard],
) -> int:
    """Counter sales on the sale days through :func:`linli.economy.counter.sell`."""
    sale_days, _ = _days(today)
    pool = _diners(community)
    card_of = {card.resident_id: card for card in cards}
    menus = {(m.date, m.meal): m for m in canteen.menus.all()}
    meals = 0
    first_sale = None
    for day in sale_days:
        for meal, registered, hour in ((Meal.LUNCH, LUNCHES, 11), (Meal.DINNER, DINNERS, 17)):
            menu = menus[(day, meal)]
            older, younger = pool[:120], pool[120:]
            k_old = min(len(older), registered // 2)
            eaters = rng.sample(older, k=k_old) + rng.sample(
                younger, k=min(len(younger), registered - k_old)
            )
            for n, diner in enumerate(eaters):
                at = timezone.make_aware(
                    dt.datetime.combine(day, dt.time(hour, 5 + n % 50, n % 60))
                )
                card = card_of.get(diner.pk)
                if card is not None and card.balance_fen >= 1200 and rng.random() < 0.7:
                    payment, how, ref = PaymentMethod.CARD, IdentifiedBy.CARD, ""
                elif rng.random() < 0.5:
                    payment, how, ref = (
                        PaymentMethod.QR,
                        IdentifiedBy.PHONE,
                        f"WX{rng.getrandbits(40):012d}",
                    )
                else:
                    payment, how, ref = PaymentMethod.CASH, IdentifiedBy.NAME, ""
                sale = sell(
                    canteen,
                    menu,
                    diners=[diner],
                    identified_by=how,
                    payment=payment,
                    payment_ref=ref,
                    card=card if payment == PaymentMethod.CARD else None,
                    cashier=cashier,
                    at=at,
                )
                first_sale = first_sale or sale
                meals += 1
            walk_in_at = timezone.make_aware(dt.datetime.combine(day, dt.time(hour + 1, 10)))
            sell(
                canteen,
                menu,
                walk_ins=WALK_INS,
                identified_by=IdentifiedBy.WALK_IN,
                payment=PaymentMethod.CASH,
                cashier=cashier,
                at=walk_in_at,
            )
            meals += WALK_INS
            _samples(menu, walk_in_at)
    if first_sale is not None:
        refund(
            first_sale,
            reason="家中临时有事未取餐",
            lines=list(first_sale.meals.all()),
            by=cashier,
            at=first_sale.sold_at + dt.timedelta(minutes=20),
        )
        meals -= 1
    return meals


def _samples(menu: Menu, at: dt.datetime) -> None:
    """留样 of every dish of a served meal: 125–150 g, kept 48 hours, then discarded."""
    FoodSample.objects.bulk_create(
        FoodSample(
            dish=dish,
            weight_g=150,
            taken_at=at,
            taken_by="丁海燕",
            fridge="留样冰箱 1 号",
            keep_until=at + dt.timedelta(hours=48),
            discarded_at=at + dt.timedelta(hours=49)
            if at + dt.timedelta(hours=49) < timezone.now()
            else None,
            discarded_by="丁海燕" if at + dt.timedelta(hours=49) < timezone.now() else "",
        )
        for dish in menu.dishes.all()
    )
