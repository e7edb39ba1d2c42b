"""Demo co-governance and shared resources (issue 7), in the super community 金凤苑社区.

The report's story, as data: residents raised the parking shortage, a residents'
deliberation meeting decided to turn idle ground into 120 smart parking spaces shared
off-peak (错峰共享), and within a month the spaces were in use. Built after the registry
(``linli demo`` calls :func:`build_commons`), through the real services, so every rule
(windows, no overlap, price, plates) holds for the demo too:

* **Parking** (:func:`build_parking`): lot 金凤苑智慧停车场 (code ``jfy-smart``, 5 yuan an
  hour in half hours, 20 yuan a day at most, 15 minutes' grace) with 120 smart spaces —
  80 owned by residents (three in four share weekdays 08:00–18:00 while at work, some
  also weekends), 40 run by the community and shared every day 07:00–22:00; 150 vehicles
  (about a third new-energy); a week of past bookings (arrived, left, a few overstays and
  no-shows) and bookings for the next days. The demo daughter (13800000001) has a car and
  a booking tomorrow.
* **Deliberation** (:func:`build_deliberation`): the parking topic (附议 past the
  community's threshold of 30, in person), the residents' deliberation meeting a month
  ago with its participants, minutes and decision (owners: the community administrator
  and the property company), four follow-ups (three done, one under way); the vote on the
  sharing price that followed (every household, quorum 50 %, counted, passed); a vote open
  now (every adult: close the gate to outside cars after 22:00?) in which the daughter can
  vote; a topic still gathering support and one declined with the reason.
* **Venues** (:mod:`linli.places.demo.commons_venues`): the residents' activity room
  (approval needed), the south canteen's hall between meals (14:00–16:30) and, in the
  industrial community, the concrete plant's yard outside production hours for
  enterprises; a booking approved, one waiting for approval.

Deterministic: ``random.Random(SEED)``; dates count from the day of the build.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from linli.accounts.models import ResidentAccount
from linli.accounts.services import phone_hash
from linli.governance.meetings import (
    decision_record,
    followup_add,
    followup_update,
    meeting_create,
    meeting_hold,
    participant_add,
)
from linli.governance.models import (
    FollowUp,
    FollowUpStatus,
    GovernanceRules,
    MajorityRule,
    Meeting,
    ParticipantRole,
    Topic,
    TopicCategory,
    TopicStatus,
    TopicSupport,
    VoteScope,
)
from linli.governance.services import (
    topic_decline,
    topic_raise,
    topic_schedule,
    topic_support,
)
from linli.governance.voting import (
    paper_ballot_record,
    vote_count,
    vote_create,
    vote_publish,
)
from linli.orgs.models import Organization, OrgKind
from linli.people.models import Assignment, Resident, Role
from linli.places.models import Area, AreaKind
from linli.sharing.models import (
    LIVE_BOOKING,
    Booking,
    ParkingLot,
    ParkingSpace,
    SpaceKind,
    SpaceWindow,
    Vehicle,
)
from linli.sharing.services import (
    booking_arrive,
    booking_create,
    booking_leave,
    bookings_sweep,
    vehicle_register,
)

SEED = 7_120
LOT_CODE = "jfy-smart"
SPACES = 120
OWNED = 80
VEHICLES = 150
DAUGHTER_PHONE = "13800000001"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PLATE_CHARS = PLATE_LETTERS + "0123456789"


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _community(name: str) -> Area | None:
    return Area.objects.filter(kind=AreaKind.COMMUNITY, name=name).first()


def _admin(community: Area) -> Any:
    row = (
        Assignment.objects.filter(area=community, role=Role.COMMUNITY_ADMIN)
        .select_related("user")
        .first()
    )
    return row.user if row else None


def _plate(rng: random.Random, taken: set[str]) -> str:
    while True:
        if rng.random() < 0.35:  # small new-energy plate: D/F, then a letter or digit, 4 digits
            serial = rng.choice("DF") + rng.choice(PLATE_CHARS) + f"{rng.randrange(10_000):04d}"
        else:
            serial = "".join(rng.choice(PLATE_CHARS) for _ in range(5))
        plate = f"宁A{serial}"
        if plate not in taken:
            taken.add(plate)
            return plate


def build_commons(
    *, today: dt.date | None = None, log: Callable[[str], object] = print
) -> dict[str, int]:
    """Seed the demo of issue 7 (see the module docstring); returns counts for the summary.

    Does nothing when the super community or its administrator is missing (a partial demo).
    """
    today = today or timezone.localdate()
    counts = {"parking_spaces": 0, "parking_bookings": 0, "topics": 0, "ballots": 0}
    community = _community("金凤苑社区")
    admin = _admin(community) if community is not None else None
    if community is None or admin is None:
        return counts
    rng = random.Random(SEED)
    with transaction.atomic():
        build_parking(community, admin, today, rng, counts)
        build_deliberation(community, admin, today, rng, counts)
        from linli.places.demo.commons_venues import build_venues  # it imports from here

        build_venues(community, admin, today)
    log(
        f"错峰共享停车：{counts['parking_spaces']} 个车位，{counts['parking_bookings']} 条预约；"
        f"居民议题 {counts['topics']} 个，表决选票 {counts['ballots']} 张"
    )
    return counts


def build_parking(
    community: Area, admin: Any, today: dt.date, rng: random.Random, counts: dict[str, int]
) -> ParkingLot:
    """The smart lot, its spaces, windows, vehicles and bookings (module docstring)."""
    lot = ParkingLot.objects.create(
        area=community,
        code=LOT_CODE,
        name="金凤苑智慧停车场",
        address="金凤苑社区北侧（原闲置空地）",
        fen_per_hour=500,
        billing_unit_minutes=30,
        daily_cap_fen=2000,
        grace_minutes=15,
    )
    residents = list(
        Resident.objects.filter(area__path__startswith=community.path, household__isnull=False)
        .exclude(phone="")
        .order_by("pk")[: OWNED + VEHICLES + 40]
    )
    adults = [r for r in residents if 25 <= r.age(today) <= 70]
    owners = adults[:OWNED]
    spaces = ParkingSpace.objects.bulk_create(
        ParkingSpace(
            lot=lot,
            number=f"B-{n:03d}",
            owner=owners[n - 1] if n <= len(owners) else None,
            kind=SpaceKind.SMART,
        )
        for n in range(1, SPACES + 1)
    )
    counts["parking_spaces"] = len(spaces)
    windows: list[SpaceWindow] = []
    for space in spaces:
        if space.owner_id is None:
            windows += [
                SpaceWindow(space=space, weekday=d, start=dt.time(7), end=dt.time(22))
                for d in range(7)
            ]
        elif rng.random() < 0.75:
            windows += [
                SpaceWindow(space=space, weekday=d, start=dt.time(8), end=dt.time(18))
                for d in range(5)
            ]
            if rng.random() < 0.3:
                windows += [
                    SpaceWindow(space=space, weekday=d, start=dt.time(9), end=dt.time(21))
                    for d in (5, 6)
                ]
    SpaceWindow.objects.bulk_create(windows)

    taken = set(Vehicle.objects.values_list("plate", flat=True))
    drivers = adults[OWNED : OWNED + VEHICLES] or adults[:VEHICLES]
    daughter = ResidentAccount.objects.filter(phone_hash=phone_hash(DAUGHTER_PHONE)).first()
    if daughter is not None:  # first, so vehicles[0] is hers
        drivers = [daughter.resident, *(d for d in drivers if d != daughter.resident)]
    vehicles = [
        vehicle_register(actor=admin, owner=driver, plate=_plate(rng, taken))
        for driver in drivers[:VEHICLES]
    ]
    shared = [s for s in spaces if any(w.space_id == s.pk for w in windows)]
    _bookings(shared, vehicles[1:], admin, today, rng, counts)
    if daughter is not None and vehicles:
        _daughter_booking(shared, vehicles[0], daughter.user, today)
        counts["parking_bookings"] += 1
    return lot


def _bookings(
    spaces: list[ParkingSpace],
    vehicles: list[Vehicle],
    admin: Any,
    today: dt.date,
    rng: random.Random,
    counts: dict[str, int],
) -> None:
    """A week of past bookings (with arrivals, departures, overstays, no-shows) and the
    next three days' bookings, on weekdays between 08:00 and 18:00."""
    for offset in range(-7, 4):
        day = today + dt.timedelta(days=offset)
        if day.weekday() >= 5 or offset == 0:
            continue
        booked_now = _at(day, 7)  # they booked early that morning
        day_spaces = rng.sample(spaces, k=min(len(spaces), 40 if offset < 0 else 15))
        drivers = rng.sample(vehicles, k=min(len(vehicles), len(day_spaces)))
        for space, vehicle in zip(day_spaces, drivers, strict=False):
            start_hour = rng.choice([8, 9, 9, 10, 13, 14])
            hours = rng.choice([1, 2, 2, 3, 4])
            booking = booking_create(
                actor=admin,
                booker=vehicle.owner,
                vehicle=vehicle,
                space=space,
                starts_at=_at(day, start_hour),
                ends_at=_at(day, min(start_hour + hours, 18)),
                now=booked_now,
            )
            counts["parking_bookings"] += 1
            if offset < 0:
                _history(booking, rng)
    bookings_sweep(now=_at(today, 0))


def _history(booking: Booking, rng: random.Random) -> None:
    roll = rng.random()
    if roll < 0.08:
        return  # a no-show: the sweep marks it
    arrive = booking.starts_at + dt.timedelta(minutes=rng.randrange(-10, 12))
    booking = booking_arrive(booking=booking, at=arrive)
    late = rng.randrange(30, 75) if roll > 0.9 else -rng.randrange(0, 30)
    booking_leave(booking=booking, at=booking.ends_at + dt.timedelta(minutes=late))


def _daughter_booking(
    spaces: list[ParkingSpace], vehicle: Vehicle, user: Any, today: dt.date
) -> None:
    """Tomorrow (or the next weekday) 09:00–11:00 on the first shared space free then."""
    day = today + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    start, end = _at(day, 9), _at(day, 11)
    for space in spaces:
        busy = Booking.objects.filter(
            space=space,
            status__in=LIVE_BOOKING,
            starts_at__lt=end,
            ends_at__gt=start,
        ).exists()
        if not busy:
            booking_create(
                actor=user,
                booker=vehicle.owner,
                vehicle=vehicle,
                space=space,
                starts_at=start,
                ends_at=end,
                now=_at(today, 8),
            )
            return


# --- deliberation and votes -------------------------------------------------------------

#: Supports a topic needs in the super community (its own rule; the default is 20).
THRESHOLD = 30
#: Households that took part in the sharing-price vote, and how they voted (for, against).
TURNOUT = 0.62
FOR_SHARE = 0.81


def _members(community: Area, today: dt.date) -> list[Resident]:
    """Adults with a household in the community, by primary key."""
    born_by = today.replace(year=today.year - 18)
    return list(
        Resident.objects.filter(
            area__path__startswith=community.path,
            household__isnull=False,
            birth_date__lte=born_by,
        ).order_by("pk")
    )


def build_deliberation(
    community: Area, admin: Any, today: dt.date, rng: random.Random, counts: dict[str, int]
) -> None:
    """The parking topic's way through the residents' deliberation meeting, the votes and
    two other topics (module docstring)."""
    GovernanceRules.objects.update_or_create(
        community=community, defaults={"support_threshold": THRESHOLD}
    )
    people = _members(community, today)
    if len(people) < THRESHOLD + 10:
        return
    property_company = (
        Organization.objects.filter(
            kind=OrgKind.PROPERTY_COMPANY, area__path__startswith=community.path
        )
        .order_by("pk")
        .first()
    )
    raiser, reps = people[0], people[1:4]
    parking = topic_raise(
        actor=admin,
        area=community,
        title="小区停车难：建议盘活北侧闲置空地，推行车位错峰共享",
        category=TopicCategory.PARKING,
        description=(
            "晚上车位远远不够，消防通道也停满了车；白天上班时间很多业主车位空着。"
            "建议把北侧闲置空地改建为停车场，并让业主白天把车位共享出来。"
        ),
        resident=raiser,
    )
    for person in people[1 : THRESHOLD + 6]:
        topic_support(topic=parking, actor=admin, resident=person, comment="同意")
    meeting = meeting_create(
        actor=admin,
        area=community,
        title="金凤苑居民议事会（停车专题）",
        starts_at=_at(today - dt.timedelta(days=30), 19),
        place="金凤苑党群服务中心二楼会议室",
        agenda="一、停车难问题及解决方案；二、错峰共享收费标准（会后表决）",
    )
    for rep in reps:
        participant_add(
            meeting=meeting,
            actor=admin,
            role=ParticipantRole.RESIDENT_REP,
            name=rep.name,
            resident=rep,
        )
    participant_add(meeting=meeting, actor=admin, role=ParticipantRole.STAFF, name="社区居委会主任")
    participant_add(
        meeting=meeting, actor=admin, role=ParticipantRole.PARTY_MEMBER, name="退休党员代表"
    )
    if property_company is not None:
        participant_add(
            meeting=meeting,
            actor=admin,
            role=ParticipantRole.PROPERTY,
            name="物业项目经理",
            organization=property_company,
        )
    parking = topic_schedule(topic=parking, actor=admin, meeting=meeting)
    meeting_hold(
        meeting=meeting,
        actor=admin,
        minutes=(
            "到会居民代表、物业、党员代表共议停车难。一致同意：北侧闲置空地一个月内改建为"
            "120 个智慧停车位；业主车位白天错峰共享，收费标准会后交全体住户表决；"
            "物业负责施工和道闸，社区负责共享预约上线和宣传。"
        ),
    )
    decision = decision_record(
        meeting=meeting,
        actor=admin,
        topic=parking,
        text="北侧闲置空地一个月内改建为 120 个智慧停车位，业主车位工作日白天错峰共享。",
        deadline=today + dt.timedelta(days=30),
        owners=[admin],
        owner_orgs=[property_company] if property_company is not None else [],
        votes_for=21,
        votes_against=1,
        votes_abstain=2,
    )
    steps = [
        ("场地平整、划设 120 个车位", -20, FollowUpStatus.DONE, "已完成划线和地锁安装"),
        ("安装车牌识别道闸", -12, FollowUpStatus.DONE, "道闸已联网，识别预约车牌"),
        ("上线错峰共享预约", -5, FollowUpStatus.DONE, "居民可在“共享停车位”中预约"),
        ("动员更多业主共享车位", 20, FollowUpStatus.DOING, "已有六成业主车位开放共享"),
    ]
    items = [
        followup_add(
            decision=decision,
            actor=admin,
            title=title,
            due=today + dt.timedelta(days=due),
            owner=admin if property_company is None or "预约" in title or "动员" in title else None,
            owner_org=None if "预约" in title or "动员" in title else property_company,
        )
        for title, due, _, _ in steps
    ]
    for item, (_, _, status, note) in zip(items, steps, strict=True):
        followup_update(follow_up=item, actor=admin, status=status, note=note)
    _votes(community, admin, today, rng, parking, meeting, people, counts)
    _backdate(parking, meeting, today)
    waiting = topic_raise(
        actor=admin,
        area=community,
        title="楼道堆放杂物，建议每季度集中清理一次",
        category=TopicCategory.ENVIRONMENT,
        resident=people[THRESHOLD + 7],
    )
    for person in people[THRESHOLD + 8 : THRESHOLD + 14]:
        topic_support(topic=waiting, actor=admin, resident=person)
    declined = topic_raise(
        actor=admin,
        area=community,
        title="希望在小区内开设夜市",
        category=TopicCategory.OTHER,
        resident=people[THRESHOLD + 15] if len(people) > THRESHOLD + 15 else people[-1],
    )
    topic_decline(
        topic=declined,
        actor=admin,
        reason="小区内道路为消防通道，不具备设摊条件；已转请街道在周边规划便民集市。",
    )
    counts["topics"] = 3


def _backdate(topic: Any, meeting: Any, today: dt.date) -> None:
    """Give the parking story's rows the dates of the story (the services stamp them with
    the time of the build): raised 45 days ago, supported over the next ten days, the
    meeting 30 days ago, each follow-up's progress on its due day (or today)."""
    raised = _at(today - dt.timedelta(days=45), 20)
    Topic.objects.filter(pk=topic.pk).update(created_at=raised)
    supports = list(topic.supports.order_by("pk").values_list("pk", flat=True))
    for n, pk in enumerate(supports):
        moment = raised + dt.timedelta(hours=6 * n)
        TopicSupport.objects.filter(pk=pk).update(created_at=moment)
    last = raised + dt.timedelta(hours=6 * max(len(supports) - 1, 0))
    steps = {
        TopicStatus.OPEN: raised,
        TopicStatus.QUALIFIED: last,
        TopicStatus.SCHEDULED: meeting.starts_at - dt.timedelta(days=7),
        TopicStatus.DECIDED: meeting.starts_at + dt.timedelta(hours=2),
    }
    for status, moment in steps.items():
        topic.events.filter(to_status=status).update(at=moment)
    Meeting.objects.filter(pk=meeting.pk).update(created_at=steps[TopicStatus.SCHEDULED])
    for item in FollowUp.objects.filter(decision__meeting=meeting):
        moment = min(_at(item.due, 17), timezone.now())
        item.updates.update(at=moment)
        if item.done_at is not None:
            FollowUp.objects.filter(pk=item.pk).update(done_at=moment)


def _votes(
    community: Area,
    admin: Any,
    today: dt.date,
    rng: random.Random,
    topic: Any,
    meeting: Any,
    people: list[Resident],
    counts: dict[str, int],
) -> None:
    """The counted sharing-price vote (online and paper) and the vote open now."""
    opened = _at(today - dt.timedelta(days=28), 8)
    price = vote_create(
        actor=admin,
        area=community,
        title="错峰共享停车收费标准",
        question=(
            "共享车位按每小时 5 元收费（半小时计），每日封顶 20 元，收入归车位业主。是否同意？"
        ),
        options=["同意", "不同意"],
        with_abstain=True,
        scope=VoteScope.HOUSEHOLD,
        quorum_percent=50,
        majority=MajorityRule.SIMPLE,
        secret=False,
        opens_at=opened,
        closes_at=_at(today - dt.timedelta(days=21), 20),
        topic=topic,
        meeting=meeting,
        now=opened,
    )
    price = vote_publish(actor=admin, vote=price, now=opened)
    options = list(price.options.order_by("position"))
    seen: set[int] = set()
    cast_at = _at(today - dt.timedelta(days=25), 10)
    for person in people:  # the first adult of a household casts its ballot, or nobody does
        if person.household_id in seen:
            continue
        seen.add(person.household_id)  # type: ignore[arg-type]
        if rng.random() > TURNOUT:
            continue
        roll = rng.random()
        option = options[0] if roll < FOR_SHARE else options[1 if roll < 0.95 else 2]
        paper_ballot_record(actor=admin, vote=price, resident=person, option=option, now=cast_at)
        counts["ballots"] += 1
    counted = _at(today - dt.timedelta(days=21), 21)
    vote_count(actor=admin, vote=price, now=counted)
    price.participations.update(at=cast_at)  # stamped with the build time by the service
    price.events.filter(action__in=["created", "published"]).update(at=opened)
    price.events.filter(action="counted").update(at=counted)
    price.events.exclude(action__in=["created", "published", "counted"]).update(at=cast_at)
    now = timezone.now()
    night = vote_create(
        actor=admin,
        area=community,
        title="夜间 22:00 后外来车辆是否禁止驶入",
        question=(
            "为保障夜间安静和安全，22:00–次日 6:00 道闸只放行本小区登记车辆和已预约车辆。是否同意？"
        ),
        options=["同意", "不同意"],
        with_abstain=True,
        scope=VoteScope.ADULT,
        quorum_percent=30,
        majority=MajorityRule.SIMPLE,
        secret=True,
        opens_at=now,
        closes_at=now + dt.timedelta(days=7),
        topic=topic,
        now=now,
    )
    vote_publish(actor=admin, vote=night, now=now)
