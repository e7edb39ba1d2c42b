"""Demo resident services of the super community 金凤苑社区 (issue 4): providers, workers,
weekly shifts, log-ins, and a few historic orders.

The workforce is the one ``linli bench dispatch`` simulates (issue 4, "Benchmarks"):

* home care (居家养老): 银川颐康居家养老服务有限公司, 14 caregivers on foot, 08:00–18:00;
* meal couriers (助餐配送): 金凤苑社区助餐配送服务社 (a social enterprise at the elderly
  canteen), 16 on e-bikes, 10:00–14:00 and 16:00–19:30;
* clinic (卫生服务站): 金凤区金凤苑社区卫生服务站, 3 doctors and nurses, 08:00–18:00;
* repair (物业维修): 银川金凤苑物业服务有限公司, 5 on foot, 08:00–20:00;

every shift weekly, Monday to Sunday. Caregivers keep house and may deliver meals and
medicine; 6 of them hold a bathing certificate and 2 (``hg13``, ``hg14``) cut hair (上门理发);
one repair worker (``wx05``) sharpens knives (磨刀). Each worker gets a staff log-in (``hg01``…
caregivers, ``ps01``… couriers, ``ys01``… clinic, ``wx01``… repair) sharing the demo
password, with a ``provider_staff`` assignment in the community for their organisation, so
``linli demo`` lists them with the other log-ins. Workers start the day 空闲 (available), so
orders placed in a running demo are dispatched to them.

Everything but the orders is written with ``bulk_create`` (no change history: a demo build
is not a change). The historic orders go through the real services (place, dispatch,
accept, arrive, complete, rate) so their event trails are genuine: eight completed and
rated orders over the past week, and one repair call at night nobody could take
(无人接单). Deterministic for a seed; dates count back from the day of the build.

Three residents get log-in accounts for /me/ (through
:func:`linli.accounts.services.resident_account_create`, fixed fake numbers
:data:`RESIDENT_PHONES`): a daughter who may act for her mother of 70+ living in 金凤苑社区
(an existing consenting family link of the demo, else a new one), the mother, and an elderly
resident living alone. :func:`resident_login_rows` lists them for ``linli demo``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from linli.accounts.models import ResidentAccount
from linli.accounts.selectors import residents_actable_by
from linli.accounts.services import phone_hash, resident_account_create
from linli.notify.models import Notification
from linli.orders.models import (
    Offer,
    OfferStatus,
    Order,
    OrderStatus,
    ProviderProfile,
    ServiceType,
    Shift,
    Skill,
    TravelMode,
    Worker,
    WorkerSkill,
    WorkerStatus,
)
from linli.orgs.models import Organization, OrgKind
from linli.people.models import Assignment, FamilyLink, Resident, Role
from linli.people.selectors import ELDERLY_AGE, birth_cutoff
from linli.places.demo.builder import CommunityBuild, DemoError, _org
from linli.places.demo.names import NameMaker
from linli.places.demo.orgs import OrgMaker
from linli.places.demo.people import Numbers
from linli.places.demo.staff import DEMO_EMAIL_DOMAIN

#: The courier team's organisation (a community social enterprise at the elderly canteen).
COURIER_ORG = "金凤苑社区助餐配送服务社"
COURIER_BUILDING = "11号楼"  # 金凤苑长者食堂
#: Certificates issued for the demo run to the end of the year after next.
CERTIFICATE_ISSUER = "银川市人力资源和社会保障局"


@dataclass(frozen=True)
class Team:
    """One provider's workforce: ``prefix`` of log-ins, size, travel, skills, shifts."""

    key: str  # role of the organisation in ``CommunityBuild.orgs``
    prefix: str
    size: int
    travel: str
    services: tuple[str, ...]
    skills: tuple[str, ...]
    windows: tuple[tuple[dt.time, dt.time], ...]
    certified: dict[str, int] | None = None  # certified skill → how many of the team hold it
    extra: dict[str, int] | None = None  # other skill → how many hold it (the team's last ones)


def _t(hour: int, minute: int = 0) -> dt.time:
    return dt.time(hour, minute)


TEAMS = (
    Team(
        "provider",
        "hg",
        14,
        TravelMode.WALK,
        ("bath_assist", "haircut", "housekeeping", "meal_assist", "medicine_delivery"),
        ("housekeeping", "delivery"),
        ((_t(8), _t(18)),),
        {"bathing": 6},
        {"haircut": 2},
    ),
    Team(
        "couriers",
        "ps",
        16,
        TravelMode.EBIKE,
        ("meal_assist", "medicine_delivery"),
        ("delivery",),
        ((_t(10), _t(14)), (_t(16), _t(19, 30))),
    ),
    Team(
        "clinic",
        "ys",
        3,
        TravelMode.WALK,
        ("consultation",),
        (),
        ((_t(8), _t(18)),),
        {"medical": 3},
    ),
    Team(
        "property",
        "wx",
        5,
        TravelMode.WALK,
        ("knife_sharpening", "repair"),
        ("repair",),
        ((_t(8), _t(20)),),
        extra={"knife_sharpening": 1},
    ),
)

#: Historic completed orders: (service, variant, days ago, local hour, minute, stars).
HISTORY = (
    ("bath_assist", "", 6, 9, 20, 5),
    ("meal_assist", "delivery", 5, 11, 5, 5),
    ("housekeeping", "", 4, 14, 30, 4),
    ("medicine_delivery", "", 3, 10, 40, 5),
    ("repair", "", 3, 16, 10, 4),
    ("consultation", "home_visit", 2, 9, 50, 5),
    ("meal_assist", "delivery", 1, 11, 25, 5),
    ("bath_assist", "", 1, 15, 0, 5),
)
#: The repair call at 21:00 yesterday, after the repair workers' shifts: 无人接单.
NIGHT_REPAIR = ("repair", "", 1, 21, 0)
COMMENTS = {5: "服务很好，准时上门", 4: "挺好的，谢谢"}


def build_services(
    builds: list[CommunityBuild], users: dict[str, User], rng: random.Random
) -> dict[str, int]:
    """Providers, workers with log-ins, shifts and historic orders for 金凤苑社区.

    Args:
        builds: the four communities in plan order (the first is 金凤苑社区).
        users: the demo staff by username (``sq1_admin`` places the historic orders; all
            new log-ins copy the demo password hash from it).
        rng: the seed's stream for this step.

    Returns:
        counts ``{"providers", "workers", "shifts", "service_orders", "resident_accounts"}``.

    Raises:
        DemoError: a demo resident or worker already has one of :data:`RESIDENT_PHONES`.
    """
    community = builds[0]
    community.orgs["couriers"] = _courier_org(community, rng)
    profiles = _providers(community)
    names = NameMaker(rng)
    numbers = Numbers(rng)
    workers = _workers(community, profiles, users["sq1_admin"].password, names, numbers)
    shifts = _shifts(workers)
    _skills(workers, valid_until=dt.date(timezone.localdate().year + 2, 12, 31))
    orders = _history(community, users["sq1_admin"], rng)
    accounts = _resident_accounts(community, users["sq1_admin"])
    return {
        "providers": len(profiles),
        "workers": sum(len(team) for team in workers.values()),
        "shifts": shifts,
        "service_orders": orders,
        "resident_accounts": accounts,
    }


def _courier_org(community: CommunityBuild, rng: random.Random) -> Organization:
    """The meal couriers' social enterprise, at the elderly canteen, with a valid USCC."""
    maker = OrgMaker(rng, NameMaker(rng), Numbers(rng))
    taken = set(Organization.objects.values_list("uscc", flat=True))
    spec = maker.org(
        COURIER_ORG,
        OrgKind.SOCIAL_ENTERPRISE,
        industry="居民服务业",
        employee_count=18,
        building=COURIER_BUILDING,
    )
    while spec.uscc in taken:  # another seed's codes never collide with ours silently
        spec.uscc = maker.uscc()
    org = _org(community, spec)
    org.save()
    return org


def _providers(community: CommunityBuild) -> dict[str, ProviderProfile]:
    profiles = {
        team.key: ProviderProfile(
            organization=community.orgs[team.key], capacity_per_day=team.size * 12
        )
        for team in TEAMS
    }
    ProviderProfile.objects.bulk_create(profiles.values())
    services = {s.code: s for s in ServiceType.objects.all()}
    ProviderProfile.service_types.through.objects.bulk_create(
        [
            ProviderProfile.service_types.through(
                providerprofile_id=profiles[team.key].pk, servicetype_id=services[code].pk
            )
            for team in TEAMS
            for code in team.services
            if code in services
        ]
    )
    ProviderProfile.areas.through.objects.bulk_create(
        [
            ProviderProfile.areas.through(providerprofile_id=profile.pk, area_id=community.area.pk)
            for profile in profiles.values()
        ]
    )
    return profiles


def _workers(
    community: CommunityBuild,
    profiles: dict[str, ProviderProfile],
    password: str,
    names: NameMaker,
    numbers: Numbers,
) -> dict[str, list[Worker]]:
    """Workers and their log-ins (one user and one provider_staff assignment each)."""
    rows: list[tuple[Team, str, str, str]] = []
    for team in TEAMS:
        for i in range(1, team.size + 1):
            sex = "F" if team.key == "provider" and i % 5 else names.rng.choice("MF")
            name = names.full(sex, names.rng.randint(1968, 1996))
            rows.append((team, f"{team.prefix}{i:02d}", name, numbers.phone()))
    User.objects.bulk_create(
        [
            User(
                username=username,
                first_name=name,
                email=f"{username}@{DEMO_EMAIL_DOMAIN}",
                is_staff=True,
                password=password,
            )
            for _, username, name, _ in rows
        ]
    )
    by_name = {u.username: u for u in User.objects.filter(username__in=[r[1] for r in rows])}
    Assignment.objects.bulk_create(
        [
            Assignment(
                user=by_name[username],
                area=community.area,
                role=Role.PROVIDER_STAFF,
                organization=community.orgs[team.key],
            )
            for team, username, _, _ in rows
        ]
    )
    workers = Worker.objects.bulk_create(
        [
            Worker(
                provider=profiles[team.key],
                user=by_name[username],
                name=name,
                phone=phone,
                travel_mode=team.travel,
                status=WorkerStatus.AVAILABLE,
            )
            for team, username, name, phone in rows
        ]
    )
    teams: dict[str, list[Worker]] = {team.key: [] for team in TEAMS}
    for (team, _, _, _), worker in zip(rows, workers, strict=True):
        teams[team.key].append(worker)
    return teams


def _shifts(workers: dict[str, list[Worker]]) -> int:
    """Weekly shifts, Monday to Sunday, for every window of each team."""
    teams = {team.key: team for team in TEAMS}
    rows = [
        Shift(worker=worker, weekday=day, start=start, end=end)
        for key, team_workers in workers.items()
        for worker in team_workers
        for day in range(7)
        for start, end in teams[key].windows
    ]
    Shift.objects.bulk_create(rows)
    return len(rows)


def _skills(workers: dict[str, list[Worker]], *, valid_until: dt.date) -> None:
    skills = {s.code: s for s in Skill.objects.all()}
    rows: list[WorkerSkill] = []
    for team in TEAMS:
        for n, worker in enumerate(workers[team.key], start=1):
            rows += [WorkerSkill(worker=worker, skill=skills[code]) for code in team.skills]
            for code, holders in (team.certified or {}).items():
                if n <= holders:
                    rows.append(
                        WorkerSkill(
                            worker=worker,
                            skill=skills[code],
                            certificate_no=f"NX{valid_until.year - 3}{worker.pk:06d}",
                            issuer=CERTIFICATE_ISSUER,
                            valid_until=valid_until,
                        )
                    )
            for code, holders in (team.extra or {}).items():
                if n > team.size - holders:
                    rows.append(WorkerSkill(worker=worker, skill=skills[code]))
    WorkerSkill.objects.bulk_create(rows)


# --- historic orders --------------------------------------------------------------------


def _elders(community: CommunityBuild, rng: random.Random, count: int) -> list[Resident]:
    """``count`` residents aged 60+ with a household, chosen by ``rng`` (by primary key)."""
    cutoff = birth_cutoff(ELDERLY_AGE)
    pool = list(
        Resident.objects.filter(
            Q(area__path__startswith=community.area.path),
            household__isnull=False,
            birth_date__lte=cutoff,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not pool:
        return []
    chosen = [rng.choice(pool) for _ in range(count)]
    residents = Resident.objects.in_bulk(chosen)
    return [residents[pk] for pk in chosen]


def _at(days_ago: int, hour: int, minute: int) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _history(community: CommunityBuild, staff: User, rng: random.Random) -> int:
    """Completed, rated orders and one unfulfilled night call, through the services."""
    from linli.orders.dispatching import dispatch, offer_accept
    from linli.orders.ordering import (
        order_arrive,
        order_complete,
        order_en_route,
        order_place,
        order_rate,
        order_start,
    )

    elders = _elders(community, rng, len(HISTORY) + 1)
    if not elders:
        return 0
    services = {s.code: s for s in ServiceType.objects.all()}
    made = 0
    for (code, variant, days, hour, minute, stars), resident in zip(HISTORY, elders, strict=False):
        placed = _at(days, hour, minute)
        order = order_place(
            service_type=services[code],
            resident=resident,
            placed_by=staff,
            variant=variant,
            note="电话代下单（演示数据）",
            now=placed,
        )
        order = dispatch(order, now=placed)
        made += 1
        offers = list(_pending(order))
        if not offers:
            continue  # nobody could take it on that day; the order stays as dispatch left it
        moment = placed + dt.timedelta(seconds=rng.randint(15, 60))
        for offer in offers:
            order = offer_accept(order=order, worker=offer.worker, now=moment)
        crew = [offer.worker for offer in offers]
        eta = max(offers[0].eta or placed, placed + dt.timedelta(minutes=4))
        arrive = eta + dt.timedelta(seconds=rng.randint(0, 240))
        order = order_en_route(order=order, worker=crew[0], now=moment + dt.timedelta(minutes=1))
        order = order_arrive(order=order, worker=crew[0], now=arrive)
        order = order_start(order=order, worker=crew[0], now=arrive + dt.timedelta(minutes=1))
        done = arrive + dt.timedelta(seconds=order.duration_s + 60)
        order = order_complete(order=order, worker=crew[0], note="服务已完成", now=done)
        order_rate(
            order=order,
            actor=staff,
            stars=stars,
            comment=COMMENTS[stars],
            now=done + dt.timedelta(hours=1),
        )
    code, variant, days, hour, minute = NIGHT_REPAIR
    night = _at(days, hour, minute)
    order = order_place(
        service_type=services[code],
        resident=elders[-1],
        placed_by=staff,
        variant=variant,
        note="厨房水管漏水（演示数据）",
        now=night,
    )
    dispatch(order, now=night)
    # Accepting made the crews 服务中; the day is over, so everyone starts the demo free,
    # without last week's offers waiting unread on their phones.
    team = Worker.objects.filter(provider__organization__in=community.orgs.values())
    team.update(status=WorkerStatus.AVAILABLE)
    Notification.objects.filter(
        kind="order.offer", user__worker__in=team, read_at__isnull=True
    ).update(read_at=timezone.now())
    return made + 1


def _pending(order: Order) -> Iterable[Offer]:
    if order.status != OrderStatus.ASSIGNED:
        return []
    return order.offers.filter(status=OfferStatus.PENDING).select_related("worker__user")


# --- resident log-ins -------------------------------------------------------------------

#: Fixed, clearly fake mobile numbers of the demo's resident accounts: the daughter, her
#: mother, the elderly resident living alone (in this order).
RESIDENT_PHONES = ("13800000001", "13800000002", "13800000003")
#: The demo canteen regular of 丰登新村社区 (opened by :mod:`linli.places.demo.social`).
CANTEEN_RESIDENT_PHONE = "13800000004"
#: The mother is at least this old.
MOTHER_AGE = 70


def _resident_accounts(community: CommunityBuild, actor: User) -> int:
    """Open the three demo resident accounts of :data:`RESIDENT_PHONES`; returns how many.

    The daughter and her mother come from the first consenting family link (by primary key)
    naming a 女儿 who may act for a woman of :data:`MOTHER_AGE`+ living, with a household, in
    the super community; without one, the oldest such woman gets a new consenting link to
    the first woman 20–42 years younger than her. The person living alone is the first
    resident aged 60+ living alone there. Opened by ``actor``; the users carry the demo
    e-mail domain so ``--reset`` removes them. Consumes no random numbers.

    Raises:
        DemoError: a resident or worker already has one of :data:`RESIDENT_PHONES`.
    """
    taken = Resident.objects.filter(phone__in=RESIDENT_PHONES).exists()
    if taken or Worker.objects.filter(phone__in=RESIDENT_PHONES).exists():
        raise DemoError(f"演示居民账号的手机号已被占用：{'、'.join(RESIDENT_PHONES)}")
    link = _mother_link(community, actor)
    here = Resident.objects.filter(
        area__path__startswith=community.area.path, household__isnull=False
    )
    people: list[Resident] = [link.relative, link.resident] if link else []
    alone = (
        here.filter(living_alone=True, birth_date__lte=birth_cutoff(ELDERLY_AGE))
        .exclude(pk__in=[p.pk for p in people])
        .order_by("pk")
        .first()
    )
    phones = list(RESIDENT_PHONES) if link else list(RESIDENT_PHONES[2:])
    if alone is not None:
        people.append(alone)
    made = 0
    for resident, phone in zip(people, phones, strict=False):
        account = resident_account_create(resident=resident, phone=phone, actor=actor)
        User.objects.filter(pk=account.user_id).update(
            email=f"{account.user.username}@{DEMO_EMAIL_DOMAIN}"
        )
        made += 1
    return made


def _mother_link(community: CommunityBuild, actor: User) -> FamilyLink | None:
    """A consenting link 女儿 → mother (:data:`MOTHER_AGE`+, in the super community)."""
    mothers = Resident.objects.filter(
        area__path__startswith=community.area.path,
        household__isnull=False,
        sex="F",
        birth_date__lte=birth_cutoff(MOTHER_AGE),
    )
    link = (
        FamilyLink.objects.filter(
            resident__in=mothers,
            relation="女儿",
            may_act=True,
            consent_at__isnull=False,
            revoked_at__isnull=True,
        )
        .select_related("resident", "relative")
        .order_by("pk")
        .first()
    )
    if link is not None:
        return link
    for mother in mothers.order_by("birth_date", "pk")[:50]:
        born = mother.birth_date
        daughter = (
            Resident.objects.filter(
                sex="F",
                birth_date__gte=born.replace(year=born.year + 20, day=min(born.day, 28)),
                birth_date__lte=born.replace(year=born.year + 42, day=min(born.day, 28)),
            )
            .exclude(household=mother.household)
            .order_by("pk")
            .first()
        )
        if daughter is not None:
            return FamilyLink.objects.create(
                resident=mother,
                relative=daughter,
                relation="女儿",
                may_act=True,
                consent_at=timezone.now(),
                consent_recorded_by=actor,
            )
    return None


def resident_login_rows() -> list[tuple[str, str, str]]:
    """(phone, name with age, whom they may act for) of each active demo resident account.

    Read from the database: an account of :data:`RESIDENT_PHONES` (found by its phone hash;
    the number itself is never stored) that exists and is active; for whom it may act is
    :func:`linli.accounts.selectors.residents_actable_by`. In the order of the numbers.
    """
    rows: list[tuple[str, str, str]] = []
    for phone in (*RESIDENT_PHONES, CANTEEN_RESIDENT_PHONE):
        account = (
            ResidentAccount.objects.filter(
                phone_hash=phone_hash(phone), active=True, user__is_active=True
            )
            .select_related("resident", "user")
            .first()
        )
        if account is None:
            continue
        me = account.resident
        others = [r for r in residents_actable_by(account.user) if r.pk != me.pk]
        relations = dict(
            FamilyLink.objects.filter(relative=me, resident__in=others).values_list(
                "resident_id", "relation"
            )
        )
        whom = "本人" + "".join(
            f"、{r.name}（{r.age()} 岁，本人是其{relations.get(r.pk, '亲属')}）" for r in others
        )
        if me.living_alone:
            whom += "（独居）"
        rows.append((phone, f"{me.name}（{me.age()} 岁）", whom))
    return rows
