"""Demo grid cases (网格事件) of the last eight weeks, for the cockpit, the reports and the board.

``linli demo`` calls :func:`build_cases` after the street and its staff exist. Every case goes
through the real case services with a back-dated ``now`` — report, register, dispatch, accept,
handle, verify, close, rate — so the timeline, the time limits (working or clock time per
category) and the KPIs are the ones real cases would give: some stages late, some cases
still open and past their deadline, most closed and rated. Steps that would fall after the
present are not taken, so recent cases are naturally still open.

Idempotent: nothing is added when the street already has cases.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from linli.cases import services
from linli.cases.models import Case, CaseCategory, CaseChannel
from linli.people.models import Assignment, Role
from linli.places.demo import DEFAULT_SEED
from linli.places.models import Area, AreaKind, Building

#: Cases per community over :data:`DAYS` days at every ``--scale`` (the street's scale is
#: in its residents; a board of 240 cases is what a street office sees in two months).
PER_COMMUNITY = 60
DAYS = 56

DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "消防隐患": ("楼道堆放纸箱和旧家具，堵住消防通道", "电动车在楼道里充电，飞线拉到窗外"),
    "停车": ("小区门口车辆乱停，消防车道被占", "有车长期占用共享车位不挪"),
    "噪音扰民": ("楼上深夜装修，噪音很大", "广场舞音响声音太大，影响休息"),
    "电梯故障": ("电梯停在两层之间，门打不开", "电梯运行时异响、抖动"),
    "邻里纠纷": ("楼上漏水到楼下，两户协商不成", "邻居在公共走廊堆放杂物引发争执"),
    "企业诉求": ("企业员工通勤班车停靠点需要协调", "园区路灯不亮，夜班员工出行不便"),
    "环境卫生": ("垃圾桶满溢，周边有异味", "绿化带里有建筑垃圾"),
    "设施报修": ("单元门禁坏了，刷卡打不开", "楼道灯不亮，老人上下楼不便"),
}
FALLBACK = ("居民反映问题，请尽快核实处理",)
CHANNELS = (
    CaseChannel.GRID_PATROL,
    CaseChannel.GRID_PATROL,
    CaseChannel.HOTLINE,
    CaseChannel.HOTLINE,
    CaseChannel.RESIDENT,
)
#: How far along a case gets before the demo leaves it (weights).
OUTCOMES = (
    ("closed", 70),
    ("handled", 6),
    ("in_progress", 8),
    ("dispatched", 5),
    ("registered", 4),
    ("reported", 3),
    ("rejected", 4),
)


def _first(community: Area, roles: tuple[str, ...]) -> Assignment | None:
    return (
        Assignment.objects.filter(area__path__startswith=community.path, role__in=roles)
        .select_related("user", "organization")
        .order_by("area__path", "pk")
        .first()
    )


def _office_time(moment: dt.datetime, rng: random.Random) -> dt.datetime:
    local = timezone.localtime(moment)
    return local.replace(hour=rng.randint(8, 17), minute=rng.randint(0, 59), second=0)


def build_cases(
    *,
    log: Callable[[str], object] = lambda _: None,
    seed: int = DEFAULT_SEED,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """File and walk :data:`PER_COMMUNITY` cases per community of every street.

    Returns ``{"cases": n}``, the number of cases in the database afterwards. Communities
    without a community administrator or buildings with coordinates are skipped.
    """
    if Case.objects.exists():
        return {"cases": Case.objects.count()}
    now = now or timezone.now()
    rng = random.Random(seed)
    categories = list(CaseCategory.objects.filter(kind="community", active=True).order_by("code"))
    if not categories:
        return {"cases": 0}
    dispatcher_row = Assignment.objects.filter(role=Role.DISPATCHER).select_related("user").first()
    made = 0
    with transaction.atomic():
        for community in Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path"):
            admin = _first(community, (Role.COMMUNITY_ADMIN,))
            buildings = list(
                Building.objects.filter(
                    micro_grid__path__startswith=community.path, lat__isnull=False
                ).order_by("pk")
            )
            if admin is None or not buildings:
                continue
            dispatcher = dispatcher_row.user if dispatcher_row else admin.user
            handler = _first(community, (Role.PROPERTY_STAFF,))
            # 核查 by the micro-grid's own worker where it has one, else the community admin.
            checkers = dict(
                Assignment.objects.filter(
                    area__path__startswith=community.path, role=Role.MICRO_GRID_WORKER
                ).values_list("area_id", "user")
            )
            users = {u.pk: u for u in User.objects.filter(pk__in=checkers.values())}
            for _ in range(PER_COMMUNITY):
                building = rng.choice(buildings)
                checker = users.get(checkers.get(building.micro_grid_id, 0), admin.user)
                made += _one_case(
                    rng,
                    now=now,
                    category=rng.choice(categories),
                    building=building,
                    admin=admin.user,
                    dispatcher=dispatcher,
                    handler=handler,
                    checker=checker,
                )
    log(f"网格事件：{made} 件（近 {DAYS} 天）")
    return {"cases": Case.objects.count()}


def _one_case(
    rng: random.Random,
    *,
    now: dt.datetime,
    category: CaseCategory,
    building: Building,
    admin: User,
    dispatcher: User,
    handler: Assignment | None,
    checker: User,
) -> int:
    """One case taken as far as its drawn outcome and the present allow; returns 1."""
    t = _office_time(now - dt.timedelta(days=rng.uniform(0, DAYS)), rng)
    if t > now:
        t = now - dt.timedelta(minutes=rng.randint(5, 120))
    outcome = rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
    if now - t > dt.timedelta(days=7) and outcome not in ("closed", "rejected"):
        # Older cases are mostly done; a few stay stuck (the board's overdue list).
        outcome = outcome if rng.random() < 0.15 else "closed"
    case = services.case_report(
        category=category,
        description=rng.choice(DESCRIPTIONS.get(category.name, FALLBACK)),
        channel=rng.choice(CHANNELS),
        building=building,
        now=t,
    )
    Case.objects.filter(pk=case.pk).update(created_at=t)  # the board sorts by filing time

    def later(low_h: float, high_h: float) -> dt.datetime | None:
        nonlocal t
        t = t + dt.timedelta(hours=rng.uniform(low_h, high_h))
        return t if t < now else None

    if outcome == "reported" or later(0.2, 5) is None:
        return 1
    if outcome == "rejected":
        services.case_reject(case=case, actor=dispatcher, reason="重复上报，已合并处理", now=t)
        return 1
    case = services.case_register(case=case, actor=dispatcher, now=t)
    if outcome == "registered" or later(0.2, 6) is None:
        return 1
    org = handler.organization if handler else None
    handler_user = handler.user if handler else admin
    case = services.case_dispatch(
        case=case, actor=dispatcher, handler=handler_user, handler_org=org, now=t
    )
    if outcome == "dispatched" or later(0.1, 4) is None:
        return 1
    case = services.case_accept(case=case, actor=handler_user, now=t)
    if outcome == "in_progress" or later(1, 60) is None:
        return 1
    case = services.case_handle(case=case, actor=handler_user, note="已到现场处理完毕", now=t)
    if checker == handler_user:  # who handled may not verify their own work
        checker = dispatcher
    if outcome == "handled" or checker == handler_user or later(0.5, 20) is None:
        return 1
    case = services.case_verify(case=case, actor=checker, now=t)
    if later(0.2, 6) is None:
        return 1
    case = services.case_close(case=case, actor=dispatcher, now=t)
    if rng.random() < 0.7 and later(2, 48) is not None:
        score = rng.choices([5, 4, 3, 2, 1], [55, 25, 10, 6, 4])[0]
        services.case_rate(case=case, actor=admin, satisfaction=score, now=t)
    return 1
