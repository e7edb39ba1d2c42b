"""The scene of the info-screen tests (no tests here; imported by ``test_screens*.py`` and
``test_browser_kiosk.py``).

:func:`build_scene` makes, in the test community (``area_chain()``): the seeded canteen
price list (8.00 / 12.00 元), a social enterprise with its canteen and today's published
lunch (土豆烧牛肉, 清炒油麦菜, 米饭, 紫菜蛋花汤), an activity room, a community admin
and an info screen with hotline ``0951-5012345``. Activities and notices are added by each
test (:func:`add_activity`, :func:`add_notice`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from linli.activities.models import Activity, Venue
from linli.activities.services import activity_create
from linli.cockpit.models import InfoScreen, ScreenNotice
from linli.economy.company import register
from linli.economy.models import BusinessLine, Canteen, LineKind, Meal
from linli.economy.tests.conftest import ensure_canteen_scheme, menu_for
from linli.orgs.models import OrgKind
from linli.people.models import Role
from linli.places.models import Area, Facility, FacilityKind
from linli.testing.factories import OrganizationFactory, area_chain, staff_user

HOTLINE = "0951-5012345"


@dataclass
class Scene:
    areas: dict[str, Area]
    canteen: Canteen
    hall: Venue
    admin: User
    screen: InfoScreen

    @property
    def community(self) -> Area:
        return self.areas["community"]


def local_at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """Aware datetime ``days`` from today at ``hour:minute`` Asia/Shanghai."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def build_scene(prefix: str = "640106001", name: str = "测试") -> Scene:
    """The scene described in the module docstring (under street ``prefix``)."""
    ensure_canteen_scheme()
    areas = area_chain(prefix, name)
    community = areas["community"]
    org = OrganizationFactory(
        name=f"{name}社区服务有限公司", kind=OrgKind.SOCIAL_ENTERPRISE, area=community
    )
    enterprise = register(org, community=community)
    line = BusinessLine.objects.get(enterprise=enterprise, kind=LineKind.CANTEEN)
    canteen = Canteen.objects.create(enterprise=enterprise, line=line, name=f"{name}共享食堂")
    menu_for(canteen, timezone.localdate(), Meal.LUNCH)
    facility = Facility.objects.create(
        area=community, kind=FacilityKind.ACTIVITY_ROOM, name=f"{name}活动室"
    )
    hall = Venue.objects.create(
        area=community, name=f"{name}活动室", facility=facility, capacity=40
    )
    admin = staff_user(community, role=Role.COMMUNITY_ADMIN)
    screen = InfoScreen.objects.create(
        community=community, name="大厅屏", place="党群服务中心一楼大厅", hotline=HOTLINE
    )
    return Scene(areas=areas, canteen=canteen, hall=hall, admin=admin, screen=screen)


def add_activity(scene: Scene, title: str, days: int, **overrides: Any) -> Activity:
    """A published activity in the scene's hall, one session ``days`` ahead 10:00–12:00."""
    options: dict[str, Any] = {
        "actor": None,
        "area": scene.community,
        "venue": scene.hall,
        "title": title,
        "kind": "training",
        "capacity": 10,
        "sessions": [(local_at(days, 10), local_at(days, 12), "")],
        "publish": True,
    }
    options.update(overrides)
    return activity_create(**options)


def add_notice(scene: Scene, title: str, start: int, end: int) -> ScreenNotice:
    """A notice of the scene's community from ``start`` to ``end`` days from today."""
    today = timezone.localdate()
    return ScreenNotice.objects.create(
        community=scene.community,
        title=title,
        body=f"{title}的正文。",
        starts_on=today + dt.timedelta(days=start),
        ends_on=today + dt.timedelta(days=end),
    )
