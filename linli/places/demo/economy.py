"""Demo building economy and activities (issue 6): venues, activities with registrations,
the service menu, a building-council meeting with the needs raised there, and policies.

Built after the registry commit (``linli demo`` calls :func:`build_engagement`), through
the real services, so every rule (venue hours, capacity, waitlist, age bands) holds for
the demo too. Dates count forward from the day of the build:

* 阅海楼宇社区 (office): 消防安全实操培训 for the health-check centre's 60 employees
  (the report's first example; every employee registered), 七彩假期 children's class for
  employees' children aged 6–12 over three weeks (30 places, 32 children: 2 waitlisted),
  磨刀便民服务进楼宇 (a pop-up in the lobby);
* 凤城工业集中区社区 (industrial): 环保开放日 at the concrete plant, in its public area open
  only outside production hours (weekdays after 17:30, weekends);
* 金凤苑社区: 暖夕之家智能手机课堂 for residents aged 60+ (the demo mother is registered);
* 丰登新村社区: 四点半课堂书法班 for children 6–12, priced by the eligibility engine (free
  for dibao, tekun, disabled and left-behind children; 60 yuan otherwise).

The office community also gets its service menu (点菜单, with the health-check centre's
free check-ups as a partner's resource), a building-council meeting (楼事会) ten days ago
and the needs raised there: the fire-safety training (planned as the activity above),
children's care (two planned as the class, the others waiting), a legal consultation done
and rated, and a parking request declined with the reason; and the policy relay's library
(:func:`linli.engagement.policies.demo_policies` plus one 免申即享 service voucher) matched
against the community's enterprises, with the relay's explanations.

Deterministic: names and phones come from ``random.Random(SEED)``; the phones are fake
(139 0000 xxxx).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Case, When
from django.utils import timezone

from linli.accounts.models import ResidentAccount
from linli.accounts.services import phone_hash
from linli.activities.models import Audience, Venue, VenueWindow
from linli.activities.services import (
    Participant,
    activity_create,
    registration_create,
    timetable,
)
from linli.eligibility.engine import TierSpec
from linli.eligibility.models import Scheme
from linli.eligibility.services import scheme_save
from linli.orgs.models import Organization, OrgKind
from linli.people.models import Assignment, Relation, Resident, Role
from linli.places.demo.names import NameMaker
from linli.places.models import Area, AreaKind, Building, Facility

SEED = 6
#: The demo mother's log-in (linli.places.demo.services.RESIDENT_PHONES).
MOTHER_PHONE = "13800000002"
INTEREST_SCHEME = "interest_class"


def _phone(n: int) -> str:
    return f"1390000{n:04d}"


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _next(day: dt.date, weekday: int) -> dt.date:
    """The first ``weekday`` (0 = Monday) on or after ``day``."""
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def _hours(raw: str) -> tuple[dt.time, dt.time]:
    start, end = raw.split("-")
    if end == "24:00":
        end = "23:59"
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


def facility_venue(facility: Facility, *, capacity: int, community: Area) -> Venue:
    """A venue for a community facility, open every day in the facility's opening hours."""
    venue = Venue.objects.create(
        area=community,
        name=facility.name,
        facility=facility,
        building=facility.building,
        capacity=capacity,
        note=f"开放时间 {facility.opening_hours}",
    )
    if facility.opening_hours:
        start, end = _hours(facility.opening_hours)
        VenueWindow.objects.bulk_create(
            VenueWindow(venue=venue, weekday=d, start=start, end=end) for d in range(7)
        )
    return venue


def _community(name: str) -> Area | None:
    return Area.objects.filter(kind=AreaKind.COMMUNITY, name=name).first()


def _facility(community: Area, name: str) -> Facility | None:
    return Facility.objects.filter(area__path__startswith=community.path, name=name).first()


def _admin(community: Area) -> Any:
    row = (
        Assignment.objects.filter(area=community, role=Role.COMMUNITY_ADMIN)
        .select_related("user")
        .first()
    )
    return row.user if row else None


def build_engagement(
    *, today: dt.date | None = None, log: Callable[[str], object] = print
) -> dict[str, int]:
    """Seed the demo of issue 6 (see the module docstring); returns counts for the summary.

    Does nothing for a community missing from the database (a partial demo).
    """
    today = today or timezone.localdate()
    rng = random.Random(SEED)
    names = NameMaker(rng)
    counts = {"activities": 0, "registrations": 0, "needs": 0, "policy_matches": 0}
    with transaction.atomic():
        office = _community("阅海楼宇社区")
        if office is not None:
            _office(office, today, names, rng, counts)
        industrial = _community("凤城工业集中区社区")
        if industrial is not None:
            _industrial(industrial, today, counts)
        super_community = _community("金凤苑社区")
        if super_community is not None:
            _phone_class(super_community, today, counts)
        village = _community("丰登新村社区")
        if village is not None:
            _calligraphy(village, today, counts)
    log(
        f"活动与课程：{counts['activities']} 个活动，{counts['registrations']} 人次报名；"
        f"企业需求 {counts['needs']} 项；政策匹配 {counts['policy_matches']} 家次"
    )
    return counts


def _register(activity: Any, people: list[Participant], actor: Any, counts: dict[str, int]) -> int:
    waitlisted = 0
    for person in people:
        result = registration_create(activity=activity, participant=person, actor=actor)
        waitlisted += result.waitlisted
        counts["registrations"] += 1
    return waitlisted


def _office(
    community: Area, today: dt.date, names: NameMaker, rng: random.Random, counts: dict[str, int]
) -> None:
    """The office community's activities, then its menu, council and needs (:func:`_needs`)."""
    admin = _admin(community)
    station = _facility(community, "楼宇党群服务站（楼事会）")
    room = _facility(community, "七彩假期活动室")
    health = Organization.objects.filter(name="宁夏阅海健康体检中心有限公司").first()
    if station is None or room is None or health is None:
        return
    hall = facility_venue(station, capacity=80, community=community)
    VenueWindow.objects.filter(venue=hall, weekday__gte=5).delete()  # weekdays only
    class_room = facility_venue(room, capacity=40, community=community)
    day = _next(today + dt.timedelta(days=3), 2)  # a Wednesday at least 3 days ahead
    training = activity_create(
        actor=admin,
        area=community,
        venue=hall,
        title="消防安全实操培训",
        kind="training",
        summary="应宁夏阅海健康体检中心需求开展：灭火器和消火栓实操、疏散逃生演练。",
        capacity=70,
        sessions=[(_at(day, 14), _at(day, 16, 30), "理论讲解与实操演练")],
        audience=Audience.INVITED,
        invited_orgs=[health],
        contact="社区网格服务中心 0951-5012345",
        publish=True,
    )
    counts["activities"] += 1
    staff = [
        Participant(
            name=names.full(rng.choice("MF"), rng.randrange(1975, 2003)),
            phone=_phone(i),
            organization=health,
        )
        for i in range(60)
    ]
    _register(training, staff, admin, counts)

    enterprises = list(
        Organization.objects.filter(
            kind=OrgKind.ENTERPRISE, area__path__startswith=community.path
        ).order_by("pk")[:12]
    )
    first = _next(today + dt.timedelta(days=21), 0)
    camp = activity_create(
        actor=admin,
        area=community,
        venue=class_room,
        title="七彩假期·职工子女托管班",
        kind="camp",
        summary="辖区企业职工子女托管：作业辅导、美术、科学实验、体育游戏。",
        capacity=30,
        sessions=timetable(
            first_day=first,
            last_day=first + dt.timedelta(days=18),
            weekdays=range(5),
            start=dt.time(9),
            end=dt.time(11, 30),
            title="作业辅导 + 兴趣课",
        ),
        audience=Audience.EMPLOYEES_CHILDREN,
        min_age=6,
        max_age=12,
        contact="社区网格服务中心 0951-5012345",
        publish=True,
    )
    counts["activities"] += 1
    children = []
    for i in range(32):
        age = rng.randrange(6, 13)
        born = first - dt.timedelta(days=365 * age + rng.randrange(30, 300))
        parent = names.full(rng.choice("MF"), rng.randrange(1982, 1996))
        children.append(
            Participant(
                name=parent[0] + names.given(rng.choice("MF"), born.year),
                birth_date=born,
                organization=enterprises[i % len(enterprises)] if enterprises else None,
                guardian_name=parent,
                guardian_phone=_phone(100 + i),
            )
        )
    _register(camp, children, admin, counts)
    if admin is not None:
        _needs(community, admin, health, training, camp, counts)
        _policies(community, admin, counts)

    lobby = Venue.objects.create(
        area=community,
        name="阅海汇一楼大堂",
        building=Building.objects.filter(name="阅海汇商业综合体").first(),
        capacity=100,
    )
    pop = _next(today + dt.timedelta(days=2), 3)
    activity_create(
        actor=admin,
        area=community,
        venue=lobby,
        title="磨刀便民服务进楼宇",
        kind="popup",
        summary="免费磨刀、修伞、配钥匙，随到随办。",
        capacity=100,
        sessions=[(_at(pop, 11, 30), _at(pop, 13, 30), "")],
        publish=True,
    )
    counts["activities"] += 1


def _contact(org: Organization) -> Any:
    row = Assignment.objects.filter(organization=org, role=Role.ENTERPRISE_CONTACT).first()
    return row.user if row else None


MENU = [
    # (name, category, capacity, lead days, deliverer, description)
    (
        "消防安全实操培训",
        "training",
        80,
        7,
        "社区 + 阅海消防救援站",
        "灭火器、消火栓实操，疏散演练",
    ),
    (
        "惠企政策宣讲",
        "policy",
        100,
        5,
        "街道政策专员",
        "就业见习补贴、残疾人就业税收优惠等政策解读",
    ),
    (
        "企业法律咨询",
        "legal",
        20,
        3,
        "社区法律顾问（律师事务所）",
        "劳动合同、用工风险、知识产权咨询",
    ),
    ("专场招聘会", "recruitment", 300, 14, "街道劳动保障所", "辖区企业联合招聘"),
    ("职工子女托管班", "childcare", 30, 14, "社区 + 志愿者", "寒暑假作业辅导和兴趣课"),
]


def _needs(
    community: Area,
    admin: Any,
    health: Organization,
    training: Any,
    camp: Any,
    counts: dict[str, int],
) -> None:
    """The menu (点菜单), a building-council meeting (楼事会) and the needs raised there."""
    from linli.engagement.models import NeedStatus
    from linli.engagement.services import (
        council_meeting_save,
        menu_item_save,
        need_activity_link,
        need_raise,
        need_rate,
        need_transition,
    )

    items = {
        name: menu_item_save(
            actor=admin,
            area=community,
            name=name,
            category=category,
            capacity=capacity,
            lead_days=lead,
            deliverer=deliverer,
            description=description,
        )
        for name, category, capacity, lead, deliverer, description in MENU
    }
    menu_item_save(
        actor=admin,
        area=community,
        name="职工免费健康体检（基础项目）",
        category="health",
        capacity=30,
        lead_days=5,
        provider=health,
        deliverer="宁夏阅海健康体检中心",
        description="共建单位资源：为辖区企业职工提供基础项目免费体检，每月 30 人",
    )
    firms = list(
        Organization.objects.filter(kind=OrgKind.ENTERPRISE, area__path__startswith=community.path)
        .exclude(pk=health.pk)
        .order_by("pk")[:4]
    )
    meeting = council_meeting_save(
        actor=admin,
        area=community,
        title="阅海金融大厦楼事会",
        held_at=timezone.now() - dt.timedelta(days=10),
        venue="楼宇党群服务站",
        agenda="一、征集企业需求；二、通报惠企政策；三、共建资源对接",
        minutes="体检中心提出员工消防培训需求；多家企业提出寒暑假职工子女托管需求；"
        "体检中心愿为辖区企业职工提供免费体检。",
        buildings=list(Building.objects.filter(name__startswith="阅海金融大厦")),
        attendees=[(health, "王主任")] + [(f, f.contact_name or "企业联络员") for f in firms],
    )
    health_contact = _contact(health)
    if health_contact is not None:
        fire = need_raise(
            actor=health_contact,
            organization=health,
            category="",
            title="员工消防安全培训",
            description="新员工较多，希望有灭火器实操，约 60 人参加",
            headcount=60,
            council=meeting,
            menu_item=items["消防安全实操培训"],
        )
        fire = need_transition(need=fire, actor=admin, to=NeedStatus.ACCEPTED)
        need_activity_link(need=fire, actor=admin, activity=training)
        counts["needs"] += 1
    for index, firm in enumerate(firms):
        need = need_raise(
            actor=_contact(firm) or admin,
            organization=firm,
            category="childcare",
            title="寒暑假职工子女托管",
            headcount=6 + index,
            council=meeting,
        )
        counts["needs"] += 1
        if index < 2:
            need = need_transition(need=need, actor=admin, to=NeedStatus.ACCEPTED)
            need_activity_link(need=need, actor=admin, activity=camp)
    if firms:
        legal = need_raise(
            actor=_contact(firms[0]) or admin,
            organization=firms[0],
            category="legal",
            title="劳动合同条款咨询",
            headcount=3,
            menu_item=items["企业法律咨询"],
        )
        legal = need_transition(need=legal, actor=admin, to=NeedStatus.ACCEPTED)
        legal = need_transition(
            need=legal,
            actor=admin,
            to=NeedStatus.PLANNED,
            menu_item=items["企业法律咨询"],
            plan_note="社区法律顾问周三下午到企业面谈",
        )
        legal = need_transition(need=legal, actor=admin, to=NeedStatus.DONE, note="已面谈")
        if _contact(firms[0]) is not None:
            need_rate(need=legal, actor=_contact(firms[0]), rating=5, comment="解答很专业")
        parking = need_raise(
            actor=_contact(firms[-1]) or admin,
            organization=firms[-1],
            category="other",
            title="希望在大厦地下车库为员工办理包月车位",
            headcount=20,
        )
        need_transition(
            need=parking,
            actor=admin,
            to=NeedStatus.DECLINED,
            declined_reason="车库由物业公司经营，已转告物业并提交居民议事会讨论错峰共享",
        )
        counts["needs"] += 2


#: The relay's explanations (政策接力) attached to the demo policies, by title.
RELAY_NOTES = {
    "青年就业见习补贴": "见习基地每吸纳 1 名见习人员，按 1,950 元给予补贴。"
    "请在见习开始后 30 日内把见习协议和花名册交到楼宇党群服务站，社区代为报送。",
    "安置残疾人就业税收优惠": "本库只能核对“有在册残疾职工”；"
    "税务部门还要求残疾职工占 25% 以上且不少于 10 人，请企业对照职工花名册自查后再申报。",
    "人才共有产权住房": "引进的本科及以上人才可申请，企业出具引进证明即可，社区可协助准备材料。",
}


def _disabled_staff_at_the_plant() -> None:
    """Two disabled residents of working age of the street (the industrial community's
    first) work at the concrete plant, so the disabled-employment relief has an
    enterprise to match there."""
    plant = (
        Organization.objects.filter(kind=OrgKind.ENTERPRISE, industry__startswith="制造业（水泥")
        .order_by("pk")
        .first()
    )
    industrial = _community("凤城工业集中区社区")
    if plant is None or industrial is None:
        return
    today = timezone.localdate()
    street = industrial.parent or industrial
    workers = Resident.objects.filter(
        area__path__startswith=street.path,
        disabled=True,
        birth_date__gt=_years_before(today, 55),
        birth_date__lt=_years_before(today, 20),
    ).order_by(Case(When(area__path__startswith=industrial.path, then=0), default=1), "pk")[:2]
    Resident.objects.filter(pk__in=[w.pk for w in workers]).update(employer=plant)


def _policies(community: Area, admin: Any, counts: dict[str, int]) -> None:
    """The policy relay's library for the office community, with its explanations, and
    one 免申即享 benefit. Internship bases: the community's IT and research enterprises
    with at least 20 employees, at least two, and the health-check centre (a demo rule; the
    real list comes from the labour bureau). The disabled-employment relief applies to the
    whole street (the concrete plant employs two disabled residents).
    """
    from linli.engagement.models import GrantMode, PolicyMatch
    from linli.engagement.policies import (
        IT_INDUSTRIES,
        demo_policy_fields,
        policy_note_add,
        policy_save,
    )

    firms = Organization.objects.filter(
        area__path__startswith=community.path, kind=OrgKind.ENTERPRISE
    )
    bases = list(
        firms.filter(industry__in=IT_INDUSTRIES, employee_count__gte=20).values_list(
            "pk", flat=True
        )
    )
    if len(bases) < 2:  # a small demo: the largest enterprises
        bases += list(
            firms.exclude(pk__in=bases)
            .order_by("-employee_count", "pk")
            .values_list("pk", flat=True)[: 2 - len(bases)]
        )
    health = Organization.objects.filter(name="宁夏阅海健康体检中心有限公司").first()
    if health is not None:  # the health-check centre trains interns too
        bases.append(health.pk)
    Organization.objects.filter(pk__in=bases).update(internship_base=True)
    _disabled_staff_at_the_plant()
    street = community.parent or community
    policies = []
    valid_from = dt.date(timezone.localdate().year, 1, 1)
    for fields in demo_policy_fields(community, valid_from):
        if fields["title"] == "安置残疾人就业税收优惠":
            fields["area"] = street  # a national rule: every community of the street
        policies.append(policy_save(actor=None, **fields))
    policies.append(
        policy_save(
            actor=None,
            title="楼宇小微企业服务券（演示）",
            issuer="阅海楼宇社区（演示政策）",
            area=community,
            subject_kind="organization",
            summary="入驻楼宇的小微企业每年获得服务券，可在点菜单中抵扣收费服务。",
            benefit="服务券",
            benefit_fen=200_000,
            benefit_unit="家",
            condition={
                "all": [
                    {"fact": "kind", "op": "==", "value": "enterprise", "label": "企业"},
                    {
                        "fact": "size",
                        "op": "in",
                        "value": ["micro", "small"],
                        "label": "小微企业",
                    },
                ]
            },
            grant_mode=GrantMode.AUTOMATIC,
            valid_from=dt.date(timezone.localdate().year, 1, 1),
            valid_to=None,
        )
    )
    for policy in policies:
        if policy.title in RELAY_NOTES:
            policy_note_add(policy=policy, actor=admin, text=RELAY_NOTES[policy.title])
    counts["policy_matches"] = PolicyMatch.objects.filter(policy__in=policies).count()


def _industrial(community: Area, today: dt.date, counts: dict[str, int]) -> None:
    concrete = (
        Organization.objects.filter(
            kind=OrgKind.ENTERPRISE,
            area__path__startswith=community.path,
            industry__startswith="制造业（水泥",
        )
        .order_by("pk")
        .first()
    )
    if concrete is None:
        return
    yard = Venue.objects.create(
        area=community,
        name=f"{concrete.name}厂区公共区域",
        organization=concrete,
        building=concrete.building,
        capacity=60,
        note="生产时间外开放：工作日 17:30–20:30，周末 08:00–18:00",
    )
    VenueWindow.objects.bulk_create(
        [
            VenueWindow(venue=yard, weekday=d, start=dt.time(17, 30), end=dt.time(20, 30))
            for d in range(5)
        ]
        + [VenueWindow(venue=yard, weekday=d, start=dt.time(8), end=dt.time(18)) for d in (5, 6)]
    )
    day = _next(today + dt.timedelta(days=5), 5)  # a Saturday
    contact = Assignment.objects.filter(organization=concrete, role=Role.ENTERPRISE_CONTACT).first()
    activity_create(
        actor=contact.user if contact else None,
        area=community,
        venue=yard,
        title="环保开放日：走进混凝土生产线",
        kind="open_day",
        summary="参观封闭式料仓、除尘设施和废水循环系统，企业技术员讲解。",
        organiser=concrete,
        organiser_kind="enterprise",
        capacity=40,
        sessions=[(_at(day, 9), _at(day, 11, 30), "")],
        publish=True,
    )
    counts["activities"] += 1


def _phone_class(community: Area, today: dt.date, counts: dict[str, int]) -> None:
    room = _facility(community, "金凤苑居民活动室")
    if room is None:
        return
    venue = facility_venue(room, capacity=40, community=community)
    first = _next(today + dt.timedelta(days=2), 1)
    activity = activity_create(
        actor=_admin(community),
        area=community,
        venue=venue,
        title="暖夕之家·智能手机课堂",
        kind="class",
        summary="手把手教老年人用手机：视频通话、扫码支付、预约挂号、防范诈骗。",
        capacity=20,
        sessions=timetable(
            first_day=first,
            last_day=first + dt.timedelta(days=21),
            weekdays=[1],
            start=dt.time(9, 30),
            end=dt.time(11),
            skip_holidays=False,
        ),
        audience=Audience.RESIDENTS,
        min_age=60,
        publish=True,
    )
    counts["activities"] += 1
    account = ResidentAccount.objects.filter(phone_hash=phone_hash(MOTHER_PHONE)).first()
    if account is not None:
        _register(activity, [Participant(resident=account.resident)], account.user, counts)


def _calligraphy(community: Area, today: dt.date, counts: dict[str, int]) -> None:
    room = _facility(community, "四点半课堂活动室")
    if room is None:
        return
    scheme_save(
        code=INTEREST_SCHEME,
        name="四点半课堂兴趣班收费",
        list_price_fen=6000,
        unit="期",
        description="社区兴趣班每期 60 元；低保、特困、残疾家庭和留守儿童免费（社区议定）",
        tiers=[
            TierSpec(
                priority=1,
                name="困难家庭和留守儿童免费",
                condition={
                    "fact": "tags",
                    "op": "contains_any",
                    "value": ["dibao", "tekun", "disabled", "left_behind_child"],
                    "label": "符合社区减免条件",
                },
                price_fen=0,
                reason="免费：{held}",
                valid_from=dt.date(today.year, 1, 1),
            ),
            TierSpec(
                priority=2,
                name="居民",
                condition={"all": []},
                price_fen=6000,
                reason="每期 60 元",
                valid_from=dt.date(today.year, 1, 1),
            ),
        ],
    )
    venue = facility_venue(room, capacity=30, community=community)
    first = _next(today + dt.timedelta(days=2), 0)
    activity = activity_create(
        actor=_admin(community),
        area=community,
        venue=venue,
        title="四点半课堂·少儿书法班",
        kind="class",
        summary="放学后书法兴趣课，社区志愿者老师授课。",
        capacity=20,
        sessions=timetable(
            first_day=first,
            last_day=first + dt.timedelta(days=25),
            weekdays=[0, 2, 4],
            start=dt.time(16, 30),
            end=dt.time(18),
        ),
        audience=Audience.RESIDENTS,
        min_age=6,
        max_age=12,
        fee_scheme=Scheme.objects.get(code=INTEREST_SCHEME),
        publish=True,
    )
    counts["activities"] += 1
    low, high = _years_before(today, 12), _years_before(today, 7)
    kids = Resident.objects.filter(
        area__path__startswith=community.path,
        birth_date__gt=low,
        birth_date__lt=high,
        household__isnull=False,
    ).order_by("pk")[:8]
    people = []
    for kid in kids:
        parent = (
            Resident.objects.filter(
                household=kid.household, birth_date__lt=_years_before(today, 18)
            )
            .exclude(relation_to_head=Relation.GRANDPARENT)
            .order_by("pk")
            .first()
        )
        if parent is not None:
            people.append(Participant(resident=kid, guardian=parent))
    _register(activity, people, None, counts)
