"""Cockpit KPI panels (linli.cockpit.kpis) on a hand-built week with known answers.

TODAY is Sunday 2026-06-14, NOW 15:00 Asia/Shanghai; "the last 7 days" are 06-08 … 06-14.
The scene, all in the test community's micro-grid (plus one row of each kind in another
street, which no figure may count):

* cases: A walked to closed from Mon 06-08 09:00, 5 minutes a step, rated 5; E reported
  Mon 09:00 and registered 14:30 (3.5 working hours: late), never dispatched (overdue now);
* orders (immediate, placed today): arrived after 10, 20 and 40 min; one en route (placed
  10 min ago), one cancelled, one placed yesterday and arrived after 50 min;
* care alerts: raised 06-13 10:00 acknowledged 10:05 (still open), 06-14 09:00
  acknowledged 09:15 and resolved, 06-14 14:00 waiting; an old resolved one (06-01);
* canteen (its facility in the community): today two registered diners at lunch, one of
  them again at dinner, 3 walk-ins (one refunded); yesterday 1 walk-in;
* activities: one with a session on 06-10 (3 confirmed registrations, one cancelled;
  two checked in), a cancelled session and a future one; another activity whose only
  session was in May;
* needs: enterprise needs raised, in progress, done 06-10, done in April, declined, and a
  resident's need (not an enterprise need).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from linli.activities.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Attendance,
    Registration,
    RegistrationStatus,
    Session,
    Venue,
)
from linli.care.models import AlertStatus, CareAlert
from linli.care.views import may_use_care
from linli.cases import services
from linli.cases.kpis import case_kpis
from linli.cases.models import CaseStatus
from linli.cases.tests.lifecycle import Actors, report, walk_to
from linli.cases.tests.lifecycle import fast_passwords as fast_passwords
from linli.cockpit import kpis, views_kpis
from linli.cockpit.panels import Panel
from linli.common.models import PiiAccessLog
from linli.economy.daily import daily_figures
from linli.economy.models import IdentifiedBy, Meal, MealLine, PaymentMethod, Sale
from linli.economy.tests.conftest import Shop, menu_for
from linli.economy.tests.conftest import shop as shop  # the fixture
from linli.engagement.models import Need, NeedCategory, NeedStatus
from linli.orders.models import Order, OrderChannel, OrderStatus, ServiceType
from linli.orders.views_staff import arrival_stats, may_handle_orders
from linli.orgs.models import OrgKind
from linli.people.models import Resident, Role
from linli.people.scoping import can_view_pii
from linli.places.models import Area, Facility, FacilityKind
from linli.testing.factories import (
    OrganizationFactory,
    ResidentFactory,
    UserFactory,
    WatchFactory,
    staff_user,
)

TZ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 6, 14)


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


NOW = at(6, 14, 15)
MON = at(6, 8, 9)
_numbers = itertools.count(1)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


# --- builders -------------------------------------------------------------------------------


def make_order(
    resident: Resident,
    *,
    placed: dt.datetime,
    arrived_after: float | None = None,
    status: str = OrderStatus.COMPLETED,
) -> Order:
    household = resident.household
    assert household is not None
    return Order.objects.create(
        number=f"FWKPI{next(_numbers):05d}",
        service_type=ServiceType.objects.order_by("code").first(),
        resident=resident,
        household=household,
        building=household.building,
        area=resident.area,
        address="测试地址",
        lat=38.48,
        lng=106.22,
        channel=OrderChannel.STAFF,
        duration_s=3600,
        price_fen=3000,
        status=status,
        placed_at=placed,
        arrived_at=None if arrived_after is None else placed + dt.timedelta(minutes=arrived_after),
    )


def make_alert(
    resident: Resident,
    *,
    raised: dt.datetime,
    acked_after: float | None = None,
    status: str = AlertStatus.OPEN,
) -> CareAlert:
    assert resident.household is not None
    return CareAlert.objects.create(
        household=resident.household,
        area=resident.area,
        resident=resident,
        kind="silence",
        status=status,
        raised_at=raised,
        acknowledged_at=None if acked_after is None else raised + dt.timedelta(minutes=acked_after),
    )


def sale(
    shop: Shop, menu: Any, *, diners: list[Resident], walk_ins: int = 0, refunded: int = 0
) -> None:
    record = Sale.objects.create(
        canteen=shop.canteen,
        number=f"SKPI{next(_numbers):05d}",
        menu=menu,
        identified_by=IdentifiedBy.NAME if diners else IdentifiedBy.WALK_IN,
        payment=PaymentMethod.CASH,
        total_fen=800 * (len(diners) + walk_ins),
        sold_at=dt.datetime.combine(menu.date, dt.time(12), tzinfo=TZ),
        cashier=shop.cashier,
    )
    for diner in diners:
        MealLine.objects.create(
            sale=record, menu=menu, diner=diner, list_price_fen=1200, price_fen=800, reason="优惠价"
        )
    if walk_ins:
        MealLine.objects.create(
            sale=record,
            menu=menu,
            quantity=walk_ins,
            refunded_quantity=refunded,
            list_price_fen=1200,
            price_fen=1200,
            reason="散客",
        )


def make_activity(area: Area, *, title: str) -> Activity:
    venue = Venue.objects.create(area=area, name=f"{title}活动室", capacity=30)
    return Activity.objects.create(
        area=area,
        title=title,
        kind=ActivityKind.CLASS,
        venue=venue,
        capacity=30,
        status=ActivityStatus.PUBLISHED,
    )


def register(
    activity: Activity, name: str, status: str = RegistrationStatus.CONFIRMED
) -> Registration:
    return Registration.objects.create(
        activity=activity,
        name=name,
        phone=f"1390000{next(_numbers):04d}",
        person_key=f"p:{next(_numbers)}",
        status=status,
    )


def make_need(
    area: Area, org: Any, status: str, done: dt.datetime | None = None, **kw: Any
) -> Need:
    return Need.objects.create(
        number=f"XQKPI{next(_numbers):04d}",
        area=area,
        organization=org,
        category=NeedCategory.choices[0][0],
        title="消防培训",
        status=status,
        done_at=done,
        **kw,
    )


def build_cases(areas: dict[str, Area], actors: Actors) -> None:
    micro = areas["micro_grid"]
    case_a = walk_to(report(micro, now=MON), CaseStatus.CLOSED, actors, now=MON)
    services.case_rate(case=case_a, actor=actors.grid_worker, satisfaction=5, now=at(6, 8, 10))
    case_e = report(micro, now=MON)
    services.case_register(case=case_e, actor=actors.dispatcher, now=at(6, 8, 14, 30))


def build_scene(areas: dict[str, Area], other: dict[str, Area], shop: Shop) -> dict[str, Any]:
    """Everything but the cases (see the module docstring)."""
    micro, community = areas["micro_grid"], areas["community"]
    old = ResidentFactory(area=micro, birth_date=dt.date(1950, 1, 10), living_alone=True)
    disabled = ResidentFactory(
        area=micro, birth_date=dt.date(1958, 2, 1), disabled=True, dibao=True
    )
    young = ResidentFactory(area=micro, birth_date=dt.date(1990, 3, 3))
    foreigner = ResidentFactory(
        area=other["micro_grid"], birth_date=dt.date(1940, 1, 1), dibao=True
    )
    # orders
    today9 = at(6, 14, 9)
    for minutes in (10, 20, 40):
        make_order(young, placed=today9, arrived_after=minutes)
    make_order(old, placed=NOW - dt.timedelta(minutes=10), status=OrderStatus.EN_ROUTE)
    make_order(old, placed=today9, status=OrderStatus.CANCELLED)
    make_order(old, placed=at(6, 13, 9), arrived_after=50)
    make_order(foreigner, placed=today9, status=OrderStatus.PLACED)
    # care
    WatchFactory(resident=old)
    make_alert(old, raised=at(6, 13, 10), acked_after=5, status=AlertStatus.ACKNOWLEDGED)
    make_alert(old, raised=at(6, 14, 9), acked_after=15, status=AlertStatus.RESOLVED)
    late = make_alert(old, raised=at(6, 14, 14))
    CareAlert.objects.filter(pk=late.pk).update(ack_due_at=at(6, 14, 14, 10))
    make_alert(old, raised=at(6, 1, 9), acked_after=3, status=AlertStatus.RESOLVED)
    make_alert(foreigner, raised=at(6, 14, 9))
    # canteen
    shop.canteen.facility = Facility.objects.create(
        area=community, kind=FacilityKind.CANTEEN, name="测试共享食堂"
    )
    shop.canteen.save()
    lunch = menu_for(shop.canteen, TODAY, Meal.LUNCH)
    dinner = menu_for(shop.canteen, TODAY, Meal.DINNER)
    yesterday = menu_for(shop.canteen, TODAY - dt.timedelta(days=1), Meal.LUNCH)
    sale(shop, lunch, diners=[old, disabled], walk_ins=3, refunded=1)
    sale(shop, dinner, diners=[old])
    sale(shop, yesterday, diners=[], walk_ins=1)
    # activities
    art = make_activity(community, title="书法班")
    s1 = Session.objects.create(activity=art, starts_at=at(6, 10, 9), ends_at=at(6, 10, 11))
    Session.objects.create(
        activity=art, starts_at=at(6, 12, 9), ends_at=at(6, 12, 11), cancelled=True
    )
    Session.objects.create(activity=art, starts_at=at(6, 20, 9), ends_at=at(6, 20, 11))
    regs = [register(art, name) for name in ("张三丰", "李四", "王五")]
    register(art, "赵六", RegistrationStatus.CANCELLED)
    for reg in regs[:2]:
        Attendance.objects.create(registration=reg, session=s1, checked_in_at=at(6, 10, 9, 5))
    may = make_activity(community, title="五月讲座")
    s_may = Session.objects.create(activity=may, starts_at=at(5, 1, 9), ends_at=at(5, 1, 11))
    Attendance.objects.create(
        registration=register(may, "孙七"), session=s_may, checked_in_at=at(5, 1, 9)
    )
    # needs
    firm = OrganizationFactory(area=community, kind=OrgKind.ENTERPRISE)
    make_need(community, firm, NeedStatus.RAISED)
    make_need(micro, firm, NeedStatus.IN_PROGRESS)
    make_need(community, firm, NeedStatus.DONE, done=at(6, 10, 16))
    make_need(community, firm, NeedStatus.DONE, done=at(4, 1, 16))
    make_need(community, firm, NeedStatus.DECLINED)
    make_need(community, None, NeedStatus.RAISED, resident=young)
    make_need(other["community"], OrganizationFactory(area=other["community"]), NeedStatus.RAISED)
    return {"old": old, "young": young, "shop": shop, "art": art}


@pytest.fixture(autouse=True)
def _no_cached_tallies() -> None:
    """Each test computes its own case tallies (they are cached per area and day)."""
    cache.clear()


@pytest.fixture
def actors(areas: dict[str, Area]) -> Actors:
    return Actors(areas)


@pytest.fixture
def scene(
    areas: dict[str, Area], other_areas: dict[str, Area], shop: Shop, actors: Actors
) -> dict[str, Any]:
    build_cases(areas, actors)
    report(other_areas["micro_grid"], now=MON)
    return build_scene(areas, other_areas, shop)


@pytest.fixture
def superuser() -> Any:
    return UserFactory.create(is_superuser=True)


def by_key(items: list[Panel]) -> dict[str, Panel]:
    return {panel.key: panel for panel in items}


def values(panel: Panel) -> dict[str, Any]:
    return {figure.label: figure.value for figure in panel.figures}


def figure(panel: Panel, label: str) -> Any:
    return next(f for f in panel.figures if f.label == label)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The views compute at NOW."""
    monkeypatch.setattr(views_kpis, "_now", lambda: NOW)


# --- figures ----------------------------------------------------------------------------------


def test_panels_match_the_hand_built_week(
    scene: dict[str, Any], areas: dict[str, Area], community_admin: Any
) -> None:
    panels = by_key(kpis.panels(community_admin, areas["community"], today=TODAY, now=NOW))
    assert list(panels) == ["cases", "orders", "care", "canteen", "activities", "needs", "registry"]
    assert not any(panel.missing for panel in panels.values())

    cases = values(panels["cases"])
    assert cases["当前超期事件"] == 1 and cases["未结案事件"] == 1
    assert cases["立案按时率"] == 50.0
    assert (cases["派遣按时率"], cases["处置按时率"], cases["核查按时率"]) == (100.0, 100.0, 100.0)
    assert cases["满意率"] == 100.0
    register_trend = figure(panels["cases"], "立案按时率").trend
    assert len(register_trend) == 8 and register_trend[-1] == ("6/8", 50.0)
    assert all(value is None for _, value in register_trend[:-1])

    orders = values(panels["orders"])
    assert orders["到达用时中位数"] == 30.0  # 10, 20, 40 today and 50 yesterday
    assert orders["到达用时 P90"] == pytest.approx(47.0)
    assert orders["进行中订单"] == 1
    p90 = figure(panels["orders"], "到达用时 P90")
    assert p90.good is False
    assert p90.trend[-1] == ("6/14", 36.0) and p90.trend[-2] == ("6/13", 50.0)
    assert p90.trend[0] == ("6/8", None)

    care = values(panels["care"])
    assert care["待处理告警"] == 2 and care["近 7 天告警"] == 3 and care["超时未确认"] == 1
    assert care["确认用时中位数"] == 10.0 and care["确认用时 P90"] == 14.0
    assert figure(panels["care"], "近 7 天告警").trend[-2:] == (("6/13", 1.0), ("6/14", 2.0))

    canteen = values(panels["canteen"])
    # Today: old and disabled registered (old twice: counted once), 3 − 1 walk-ins.
    assert canteen["今日就餐人次"] == 4 and canteen["近 7 天就餐人次"] == 5

    activities = values(panels["activities"])
    assert (activities["近 30 天报名"], activities["近 30 天到场"], activities["到场率"]) == (
        3,
        2,
        66.7,
    )

    needs = values(panels["needs"])
    assert (needs["待办企业需求"], needs["近 30 天办结"]) == (2, 1)

    registry = values(panels["registry"])
    # old (1950), disabled (1958), young (1990), the watch's resident and A/E reporters' none.
    residents = Resident.objects.filter(area__path__startswith=areas["community"].path)
    assert registry["登记居民"] == residents.count()
    assert registry["60岁以上"] == residents.filter(birth_date__lte=dt.date(1966, 6, 14)).count()
    assert registry["独居"] == residents.filter(living_alone=True).count()
    assert (registry["残疾"], registry["低保"]) == (1, 1)


def test_order_figures_are_the_order_lists_week(
    scene: dict[str, Any], areas: dict[str, Area], superuser: Any
) -> None:
    panel = kpis.orders_panel(superuser, areas["community"], today=TODAY, now=NOW)
    week = arrival_stats(
        Order.objects.filter(area__path__startswith=areas["community"].path),
        since=at(6, 8, 0),
        now=NOW,
    )
    assert figure(panel, "到达用时中位数").value == round(week.p50_min or 0, 1)
    assert figure(panel, "到达用时 P90").value == round(week.p90_min or 0, 1)
    assert figure(panel, "按时上门率").value == round((week.on_time or 0) * 100, 1)


def test_case_figures_agree_with_the_case_kpis(
    scene: dict[str, Any], areas: dict[str, Area], superuser: Any
) -> None:
    table = case_kpis(
        user=superuser,
        by="community",
        since=TODAY - dt.timedelta(days=6),
        until=TODAY,
        now=NOW,
        area=areas["community"],
    )
    panel = kpis.cases_panel(superuser, areas["community"], today=TODAY, now=NOW)
    for stage, label in (
        ("register", "立案"),
        ("dispatch", "派遣"),
        ("handle", "处置"),
        ("verify", "核查"),
    ):
        rate = table.total.stages[stage].rate
        assert figure(panel, f"{label}按时率").value == (
            None if rate is None else round(rate * 100, 1)
        )
    assert figure(panel, "当前超期事件").value == table.total.overdue_now
    assert figure(panel, "满意率").value == round(
        (table.total.satisfaction_good_share or 0) * 100, 1
    )


def test_canteen_diners_are_the_canteen_days_figures(
    scene: dict[str, Any], areas: dict[str, Area], superuser: Any
) -> None:
    shop = scene["shop"]
    panel = kpis.canteen_panel(areas["community"], today=TODAY)
    days = [daily_figures(shop.canteen, TODAY - dt.timedelta(days=n)).diners for n in range(7)]
    assert figure(panel, "今日就餐人次").value == days[0] == 4
    assert figure(panel, "近 7 天就餐人次").value == sum(days) == 5


# --- scoping, sensitive counts, missing modules -------------------------------------------------


def test_grid_worker_counts_only_their_micro_grid(
    scene: dict[str, Any], areas: dict[str, Area], other_areas: dict[str, Area]
) -> None:
    worker = staff_user(other_areas["micro_grid"], Role.MICRO_GRID_WORKER)
    panels = by_key(kpis.panels(worker, other_areas["community"], today=TODAY, now=NOW))
    assert values(panels["orders"])["进行中订单"] == 1
    assert values(panels["care"])["待处理告警"] == 1
    assert panels["needs"].missing  # the other community's need is above their micro-grid
    assert values(panels["registry"])["低保"] == 1
    # Rows of our community are not theirs, even when asked for our community directly.
    ours = by_key(kpis.panels(worker, areas["community"], today=TODAY, now=NOW))
    assert ours["cases"].missing and ours["orders"].missing and ours["registry"].missing


@pytest.mark.usefixtures("frozen")
def test_a_community_admin_sees_only_their_community(
    scene: dict[str, Any],
    areas: dict[str, Area],
    other_areas: dict[str, Area],
    community_admin: Any,
    client: Any,
) -> None:
    client.force_login(community_admin)
    url = reverse("cockpit_kpis:panels_json")
    own = client.get(url, {"area": areas["community"].code})
    assert own.status_code == 200
    assert own.json()["area"]["code"] == areas["community"].code
    default = client.get(url)  # no area: the user's top area
    assert default.json()["area"]["code"] == areas["community"].code
    for code in (
        other_areas["community"].code,
        areas["street"].code,
        "9" * 12,
        "abc",
        "64010600100",
    ):
        assert client.get(url, {"area": code}).status_code == 404, code
        assert client.get(reverse("cockpit_kpis:panels"), {"area": code}).status_code == 404
        drill = reverse("cockpit_kpis:drill", args=["alerts_open"])
        assert client.get(drill, {"area": code}).status_code == 404


def test_anonymous_and_caregivers_are_kept_out(areas: dict[str, Area], client: Any) -> None:
    url = reverse("cockpit_kpis:panels")
    response = client.get(url, {"area": areas["community"].code})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    caregiver = staff_user(areas["community"], Role.PROVIDER_STAFF)
    client.force_login(caregiver)
    assert client.get(url, {"area": areas["community"].code}).status_code == 403
    assert client.post(url, {"area": areas["community"].code}).status_code in (403, 405)


def test_sensitive_counts_need_the_right(
    scene: dict[str, Any], areas: dict[str, Area], frozen: None, client: Any
) -> None:
    police = staff_user(areas["community"], Role.POLICE)
    panel = kpis.registry_panel(police, areas["community"], today=TODAY)
    for label in ("残疾", "低保"):
        hidden = figure(panel, label)
        assert hidden.value == kpis.NO_RIGHT and hidden.drill_url is None
    assert isinstance(figure(panel, "独居").value, int)
    client.force_login(police)
    html = client.get(reverse("cockpit_kpis:panels"), {"area": areas["community"].code})
    assert html.status_code == 200
    # the two sensitive figures, and the orders and care panels (not a police officer's apps)
    assert html.content.decode().count("无权查看") == 4
    admin = staff_user(areas["community"], Role.COMMUNITY_ADMIN)
    shown = kpis.registry_panel(admin, areas["community"], today=TODAY)
    assert (figure(shown, "残疾").value, figure(shown, "低保").value) == (1, 1)
    assert "tag=dibao" in (figure(shown, "低保").drill_url or "")


def test_modules_without_data_say_so(areas: dict[str, Area], superuser: Any) -> None:
    panels = by_key(kpis.panels(superuser, areas["community"], today=TODAY, now=NOW))
    assert {key: panel.missing for key, panel in panels.items()} == {
        "cases": "本区域还没有事件记录",
        "orders": "本区域还没有服务订单",
        "care": "本区域没有开通关怀守护（没有关注对象和告警）",
        "canteen": "本区域没有社区食堂",
        "activities": "本区域还没有活动",
        "needs": "本区域还没有企业需求记录",
        "registry": "本区域还没有居民登记",
    }
    assert all(not panel.figures for panel in panels.values())
    grid = by_key(kpis.panels(superuser, areas["grid"], today=TODAY, now=NOW))
    assert grid["activities"].missing == "活动按社区登记，请选择社区或街道查看"


def test_a_quiet_week_shows_no_data_rather_than_zero_minutes(
    areas: dict[str, Area], superuser: Any
) -> None:
    resident = ResidentFactory(area=areas["micro_grid"])
    make_order(resident, placed=at(5, 1, 9), arrived_after=12)
    panel = kpis.orders_panel(superuser, areas["community"], today=TODAY, now=NOW)
    assert not panel.missing
    assert figure(panel, "到达用时中位数").value is None
    assert figure(panel, "到达用时中位数").good is None


# --- drill-downs --------------------------------------------------------------------------------


def _listed(client: Any, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


@pytest.mark.usefixtures("frozen")
def test_every_count_drills_to_exactly_its_rows(
    scene: dict[str, Any], areas: dict[str, Area], community_admin: Any, client: Any
) -> None:
    client.force_login(community_admin)
    panels = kpis.panels(community_admin, areas["community"], today=TODAY, now=NOW)
    checked = 0
    for panel in panels:
        for item in panel.figures:
            if isinstance(item.value, int) and not isinstance(item.value, bool):
                assert item.drill_url, f"{panel.title} {item.label} has no drill-down"
            if not item.drill_url:
                continue
            if "/drill/canteen_" in item.drill_url:
                rows = client.get(item.drill_url).context["rows"]
                assert sum(row.cells[-1] for row in rows) == item.value
            else:
                assert _listed(client, item.drill_url) == item.value, item.label
            checked += 1
    assert checked >= 12


@pytest.mark.usefixtures("frozen")
def test_drill_list_exports_the_same_rows_to_excel(
    scene: dict[str, Any], areas: dict[str, Area], community_admin: Any, client: Any
) -> None:
    client.force_login(community_admin)
    url = reverse("cockpit_kpis:drill", args=["activity_registered"])
    page = client.get(url, {"area": areas["community"].code})
    assert "导出 Excel" in page.content.decode()
    response = client.get(url, {"area": areas["community"].code, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(cells) if row[0] == "活动")
    data = [row for row in cells[header + 1 :] if any(row)]
    assert len(data) == 3
    # Masked even for an admin: the cockpit logs no PII view (the activity's export does).
    assert {row[1] for row in data} == {"张*丰", "李*", "王*"}


@pytest.mark.usefixtures("frozen")
def test_drill_masks_names_and_phones_without_the_pii_right(
    scene: dict[str, Any], areas: dict[str, Area], client: Any
) -> None:
    worker = staff_user(areas["community"], Role.GRID_WORKER)
    client.force_login(worker)
    url = reverse("cockpit_kpis:drill", args=["activity_registered"])
    response = client.get(url, {"area": areas["community"].code})
    names = {row.cells[1] for row in response.context["rows"]}
    assert names == {"张*丰", "李*", "王*"}
    assert all("****" in row.cells[2] for row in response.context["rows"])
    assert "张三丰" not in response.content.decode()


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize("key", ["activity_registered", "activity_attended"])
def test_registrant_drills_are_masked_even_with_the_pii_right_and_log_nothing(
    scene: dict[str, Any], areas: dict[str, Area], community_admin: Any, client: Any, key: str
) -> None:
    """Review finding: an admin (``can_view_pii``) saw full names and phones with no
    ``PiiAccessLog``. The drill now always masks, page and workbook alike."""
    assert can_view_pii(community_admin)
    client.force_login(community_admin)
    url = reverse("cockpit_kpis:drill", args=[key])
    response = client.get(url, {"area": areas["community"].code})
    html = response.content.decode()
    rows = response.context["rows"]
    assert rows and all("*" in row.cells[1] for row in rows)
    assert all("****" in row.cells[2] for row in rows)
    assert "张三丰" not in html and "1390000" not in html
    assert "姓名和电话已脱敏" in html and "完整名单请在活动页面导出" in html
    book = client.get(url, {"area": areas["community"].code, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(book.streaming_content))).active
    flat = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
    assert "张三丰" not in flat and "张*丰" in flat
    assert not PiiAccessLog.objects.exists()


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize("role", [Role.POLICE, Role.EMERGENCY_TEAM])
def test_care_and_order_panels_and_drills_follow_the_owning_apps_rights(
    scene: dict[str, Any], areas: dict[str, Area], client: Any, role: str
) -> None:
    """Review finding: police and the emergency team (registry roles) saw care alerts and
    service orders through the cockpit, which the care and orders pages refuse them."""
    user = staff_user(areas["community"], role)
    care, orders = may_use_care(user), may_handle_orders(user)
    assert (care, orders) == ((False, False) if role == Role.POLICE else (True, False))
    panels = by_key(kpis.panels(user, areas["community"], today=TODAY, now=NOW))
    for key, allowed in (("care", care), ("orders", orders)):
        if allowed:
            assert not panels[key].missing and panels[key].figures
        else:
            assert panels[key].missing == "无权查看" and panels[key].figures == ()
    assert not panels["cases"].missing  # a registry role still sees the cases
    client.force_login(user)
    code = areas["community"].code
    data = client.get(reverse("cockpit_kpis:panels_json"), {"area": code}).json()
    shown = {panel["key"]: panel for panel in data["panels"]}
    assert shown["orders"] == {
        "key": "orders",
        "title": "服务订单",
        "missing": "无权查看",
        "figures": [],
    }
    html = client.get(reverse("cockpit_kpis:panels"), {"area": code}).content.decode()
    orders_html = html.split('id="kpi-orders"')[1].split("</section>")[0]
    assert "无权查看" in orders_html and "drill/orders_active" not in orders_html
    for key in ("alerts_open", "alerts_late", "alerts_week", "orders_active"):
        allowed = care if key.startswith("alerts") else orders
        response = client.get(reverse("cockpit_kpis:drill", args=[key]), {"area": code})
        assert response.status_code == (200 if allowed else 404), key
        xlsx = client.get(
            reverse("cockpit_kpis:drill", args=[key]), {"area": code, "format": "xlsx"}
        )
        assert xlsx.status_code == (200 if allowed else 404), key
    cases = client.get(reverse("cockpit_kpis:drill", args=["cases_overdue"]), {"area": code})
    assert cases.status_code == 200


@pytest.mark.usefixtures("frozen")
def test_unknown_drill_is_404(areas: dict[str, Area], community_admin: Any, client: Any) -> None:
    client.force_login(community_admin)
    url = reverse("cockpit_kpis:drill", args=["everything"])
    assert client.get(url, {"area": areas["community"].code}).status_code == 404


@pytest.mark.usefixtures("frozen")
def test_partial_renders_figures_trends_and_missing(
    scene: dict[str, Any], areas: dict[str, Area], community_admin: Any, client: Any
) -> None:
    client.force_login(community_admin)
    html = client.get(reverse("cockpit_kpis:panels"), {"area": areas["community"].code})
    text = html.content.decode()
    assert html.status_code == 200
    assert 'id="kpi-cases"' in text and "趋势数据" in text and "<polyline" in text
    assert "未达标" in text  # orders p90 over the promise, in words as well as colour
    grid = client.get(reverse("cockpit_kpis:panels"), {"area": areas["grid"].code})
    assert "活动按社区登记" in grid.content.decode()
    data = client.get(reverse("cockpit_kpis:panels_json"), {"area": areas["community"].code}).json()
    panels = kpis.panels(community_admin, areas["community"], today=TODAY, now=NOW)
    assert [panel["key"] for panel in data["panels"]] == list(by_key(panels))
    assert data["panels"][1]["figures"][1]["trend"][-1] == ["6/14", 36.0]


# --- cost -----------------------------------------------------------------------------------


def _more_data(
    areas: dict[str, Area], other: dict[str, Area], actors: Actors, scene: dict[str, Any]
) -> None:
    """Roughly double every kind of row."""
    micro = areas["micro_grid"]
    for _ in range(2):
        walk_to(report(micro, now=at(6, 9, 9)), CaseStatus.CLOSED, actors, now=at(6, 9, 9))
    report(micro, now=at(6, 10, 9))
    for n in range(5):
        resident = ResidentFactory(area=micro, birth_date=dt.date(1945 + n, 1, 5), dibao=n % 2 == 0)
        make_order(resident, placed=at(6, 12, 9), arrived_after=15 + n)
        make_alert(resident, raised=at(6, 12, 9), acked_after=n + 1)
        register(scene["art"], f"新人{n}")
    sale(
        scene["shop"],
        menu_for(scene["shop"].canteen, TODAY - dt.timedelta(days=2)),
        diners=[],
        walk_ins=4,
    )
    firm = OrganizationFactory(area=areas["community"])
    make_need(areas["community"], firm, NeedStatus.ACCEPTED)


@pytest.mark.usefixtures("frozen")
def test_panels_cost_the_same_queries_at_two_sizes(
    scene: dict[str, Any],
    areas: dict[str, Area],
    other_areas: dict[str, Area],
    actors: Actors,
    community_admin: Any,
    client: Any,
    django_assert_max_num_queries: Any,
) -> None:
    client.force_login(community_admin)
    url = reverse("cockpit_kpis:panels")
    params = {"area": areas["community"].code}
    client.get(url, params)  # session, calendar and content types cached
    cache.clear()  # measure the full cost: the case tallies computed, not reused
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, params).status_code == 200
    with CaptureQueriesContext(connection) as reused:
        client.get(url, params)
    assert len(reused.captured_queries) < len(small.captured_queries)
    _more_data(areas, other_areas, actors, scene)
    cache.clear()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url, params)
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        client.get(url, params)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(small.captured_queries) <= 35


@pytest.mark.usefixtures("frozen")
def test_drill_costs_the_same_queries_at_two_sizes(
    scene: dict[str, Any],
    areas: dict[str, Area],
    other_areas: dict[str, Area],
    actors: Actors,
    community_admin: Any,
    client: Any,
) -> None:
    client.force_login(community_admin)
    params = {"area": areas["community"].code}
    counts: dict[str, list[int]] = {}
    for size in range(2):
        for key in (
            "alerts_open",
            "orders_active",
            "activity_registered",
            "cases_overdue",
            "needs_open",
            "canteen_week",
        ):
            url = reverse("cockpit_kpis:drill", args=[key])
            client.get(url, params)
            with CaptureQueriesContext(connection) as queries:
                client.get(url, params)
            counts.setdefault(key, []).append(len(queries.captured_queries))
        if size == 0:
            _more_data(areas, other_areas, actors, scene)
    assert all(small == large for small, large in counts.values()), counts
