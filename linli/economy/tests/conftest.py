"""Shared fixtures of the social-enterprise tests.

The scene (:func:`shop`): a social enterprise in the test community (community 40 %, four
partners 15 % each), its canteen with today's lunch and dinner (one meat, one vegetable,
rice, soup), a cashier (``social_enterprise_staff`` of the enterprise) and a community
administrator. ``today`` is the local date; sales are made at 12:00 local time today
(:func:`noon`), so no test depends on the time of day it runs at.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.utils import timezone

from linli.economy.company import StakeRow, register, set_shareholders
from linli.economy.models import (
    BusinessLine,
    Canteen,
    Dish,
    DishKind,
    LineKind,
    Meal,
    Menu,
    ShareholderKind,
    SocialEnterprise,
)
from linli.eligibility.models import Scheme
from linli.orgs.models import OrgKind
from linli.people.models import Assignment, Resident, Role
from linli.places.models import Area
from linli.testing.factories import OrganizationFactory, ResidentFactory, area_chain, staff_user


def at_local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """An aware datetime at ``hour:minute`` local time on ``day``."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def noon() -> dt.datetime:
    """12:00 local time today: lunch is being served."""
    return at_local(timezone.localdate(), 12)


def years_ago(years: int, day: dt.date | None = None) -> dt.date:
    """The date ``years`` before ``day`` (today); 29 Feb → 28 Feb in a common year."""
    day = day or timezone.localdate()
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def menu_for(canteen: Canteen, day: dt.date, meal: str = Meal.LUNCH) -> Menu:
    """A published menu with one meat, one vegetable, rice and soup."""
    menu = Menu.objects.create(canteen=canteen, date=day, meal=meal)
    for order, (kind, name, portion) in enumerate(
        [
            (DishKind.MEAT, "土豆烧牛肉", "150 克"),
            (DishKind.VEGETABLE, "清炒油麦菜", "150 克"),
            (DishKind.STAPLE, "米饭", "1 碗"),
            (DishKind.SOUP, "紫菜蛋花汤", "1 碗"),
        ]
    ):
        Dish.objects.create(menu=menu, kind=kind, name=name, portion=portion, order=order)
    return menu


@dataclass
class Shop:
    areas: dict[str, Area]
    enterprise: SocialEnterprise
    canteen: Canteen
    lunch: Menu
    dinner: Menu
    cashier: User
    admin: User

    @property
    def community(self) -> Area:
        return self.areas["community"]

    def resident(self, **kwargs: object) -> Resident:
        """A resident of the community (micro-grid 1)."""
        return ResidentFactory(area=self.areas["micro_grid"], **kwargs)


def ensure_canteen_scheme() -> None:
    """The seeded canteen price list (8/12 yuan); a ``transaction=True`` test flushes the
    rows migrations seeded, so it is seeded again through its own migration."""
    if not Scheme.objects.filter(code="canteen_meal").exists():
        seed = importlib.import_module("linli.eligibility.migrations.0002_seed_canteen_meal")
        seed.seed(apps, None)


@pytest.fixture
def shop(db: None) -> Shop:
    ensure_canteen_scheme()
    areas = area_chain()
    org = OrganizationFactory(
        name="银川测试社区服务有限公司", kind=OrgKind.SOCIAL_ENTERPRISE, area=areas["community"]
    )
    enterprise = register(org, community=areas["community"])
    partners = [
        OrganizationFactory(name=f"合作单位{n}", kind=OrgKind.PARTNER, area=areas["community"])
        for n in range(1, 5)
    ]
    set_shareholders(
        enterprise,
        [StakeRow("测试社区股份经济合作社", ShareholderKind.COMMUNITY, 4000)]
        + [StakeRow(p.name, ShareholderKind.PARTNER, 1500, p) for p in partners],
    )
    line = BusinessLine.objects.get(enterprise=enterprise, kind=LineKind.CANTEEN)
    canteen = Canteen.objects.create(enterprise=enterprise, line=line, name="测试共享食堂")
    today = timezone.localdate()
    cashier = staff_user(areas["community"], role=Role.SOCIAL_ENTERPRISE_STAFF, first_name="收银员")
    Assignment.objects.filter(user=cashier).update(organization=org)
    admin = staff_user(areas["community"], role=Role.COMMUNITY_ADMIN, first_name="社区管理员")
    return Shop(
        areas=areas,
        enterprise=enterprise,
        canteen=canteen,
        lunch=menu_for(canteen, today, Meal.LUNCH),
        dinner=menu_for(canteen, today, Meal.DINNER),
        cashier=cashier,
        admin=admin,
    )
