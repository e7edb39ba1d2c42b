"""Day planning of booked visits (linli.orders.dayplan) and ``linli plan-day``.

The day planned is :data:`TOMORROW` (the scene's carers have shifts only on ``DAY``, so only
the two caregivers made here work that day); bookings are placed on ``DAY`` at 10:00.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from linli.orders import dayplan
from linli.orders.dayplan import DayPlan, plan_day
from linli.orders.dispatching import offer_accept, offer_decline, offers_expire
from linli.orders.models import (
    Offer,
    OfferStatus,
    Order,
    OrderStatus,
    ServiceType,
    Shift,
    Worker,
)
from linli.orders.ordering import order_place
from linli.orders.services import shift_create
from linli.orders.tests.factories import DAY, local, worker
from linli.testing.factories import BuildingFactory

pytestmark = pytest.mark.django_db

TOMORROW = DAY + dt.timedelta(days=1)
VALID = TOMORROW + dt.timedelta(days=365)
#: Solver settings that make a plan reproducible and quick.
FAST = {"seconds": 20, "seed": 3, "max_iterations": 150}


def at(hour: int, minute: int = 0) -> dt.datetime:
    return local(TOMORROW, hour, minute)


def caregiver(scene, name: str, skills: dict[str, dt.date | None], start: int, end: int) -> Worker:  # type: ignore[no-untyped-def]
    person = worker(scene.profile, skills=skills, shift=None, name=name)
    shift_create(worker=person, date=TOMORROW, start=dt.time(start), end=dt.time(end))
    return person


def book(scene, code, start, end, *, crew=None, building=None):  # type: ignore[no-untyped-def]
    return order_place(
        service_type=scene.service(code),
        resident=scene.mother,
        placed_by=scene.daughter_user,
        slot_start=start,
        slot_end=end,
        workers_needed=crew,
        building=building,
        now=scene.now,
    )


@pytest.fixture
def day(scene):  # type: ignore[no-untyped-def]
    """Two caregivers (both certified for bathing; only 李医生 for home consultations) and
    five visits tomorrow in three buildings, one a bath for two, plus one nobody can do."""
    scene.profile.service_types.add(ServiceType.objects.get(code="consultation"))
    doctor = caregiver(
        scene, "李医生", {"bathing": VALID, "housekeeping": None, "medical": VALID}, 8, 16
    )
    helper = caregiver(scene, "周护工", {"bathing": VALID, "housekeeping": None}, 9, 17)
    east = BuildingFactory(
        micro_grid=scene.areas["micro_grid"],
        name="东楼",
        lat=Decimal("38.474"),
        lng=Decimal("106.236"),
    )
    west = BuildingFactory(
        micro_grid=scene.areas["micro_grid"],
        name="西楼",
        lat=Decimal("38.472"),
        lng=Decimal("106.229"),
    )
    visits = {
        "double_bath": book(scene, "bath_assist", at(9), at(10), crew=2),
        "chores_east": book(scene, "housekeeping", at(9), at(11), building=east),
        "chores_west": book(scene, "housekeeping", at(10), at(12), building=west),
        "consultation": book(scene, "consultation", at(13), at(14), building=east),
        "bath": book(scene, "bath_assist", at(14), at(15), building=west),
    }
    impossible = book(scene, "housekeeping", at(19), at(20))
    return doctor, helper, visits, impossible


def shift_of(person: Worker) -> tuple[dt.datetime, dt.datetime]:
    [shift] = Shift.objects.filter(worker=person, date=TOMORROW)
    return local(TOMORROW, shift.start.hour), local(TOMORROW, shift.end.hour)


def test_every_visit_planned_in_its_window_and_shift_with_skills(scene, day) -> None:  # type: ignore[no-untyped-def]
    doctor, helper, visits, impossible = day
    result = plan_day(date=TOMORROW, now=scene.now, **FAST)
    assert isinstance(result, DayPlan)
    planned = {v.order.pk: v for v in result.visits}
    assert set(planned) == {o.pk for o in visits.values()}
    for visit in result.visits:
        order = visit.order
        assert order.slot_start <= visit.start <= order.slot_end, order.number
        assert visit.end == visit.start + dt.timedelta(seconds=order.duration_s)
        for person in visit.workers:
            shift_start, shift_end = shift_of(person)
            assert shift_start <= visit.start and visit.end <= shift_end, (order.number, person)
    # the double: two different caregivers starting together
    double = planned[visits["double_bath"].pk]
    assert {w.pk for w in double.workers} == {doctor.pk, helper.pk}
    # skills: only the doctor holds the certified medical skill
    assert [w.pk for w in planned[visits["consultation"].pk].workers] == [doctor.pk]
    # nobody is in two places at once (walking between buildings takes time too)
    per_worker: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for visit in result.visits:
        for person in visit.workers:
            per_worker[person.pk].append((visit.start, visit.end))
    for spans in per_worker.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end
    # the impossible visit is reported, not planned, and stays placed
    [missing] = result.unplanned
    assert missing.order.pk == impossible.pk
    assert "没有" in missing.reason and "19:00–20:00" in missing.reason
    impossible.refresh_from_db()
    assert impossible.status == OrderStatus.PLACED and not impossible.offers.exists()


def test_plan_is_written_as_planned_offers(scene, day) -> None:  # type: ignore[no-untyped-def]
    _, _, visits, _ = day
    result = plan_day(date=TOMORROW, now=scene.now, **FAST)
    assert result.written == 6  # five visits, one of them for two
    for visit in result.visits:
        order = Order.objects.get(pk=visit.order.pk)
        assert order.status == OrderStatus.ASSIGNED
        offers = list(order.offers.all())
        assert {o.worker_id for o in offers} == {w.pk for w in visit.workers}
        for offer in offers:
            assert offer.planned and offer.status == OfferStatus.PENDING
            assert offer.expires_at is None
            assert offer.eta == visit.start
            assert offer.sequence == visit.start.timestamp()
        event = order.events.filter(action="offer").last()
        assert event is not None and event.data["planned"] is True
    double = Order.objects.get(pk=visits["double_bath"].pk)
    assert len({o.eta for o in double.offers.all()}) == 1


def test_replanning_changes_nothing_when_nothing_changed(scene, day) -> None:  # type: ignore[no-untyped-def]
    first = plan_day(date=TOMORROW, now=scene.now, **FAST)
    offers = sorted(Offer.objects.values_list("pk", "worker_id", "eta", "status"))
    events = Order.objects.filter(events__isnull=False).count()
    again = plan_day(date=TOMORROW, now=scene.now + dt.timedelta(hours=1), **FAST)
    assert (again.written, again.withdrawn) == (0, 0)
    assert sorted(Offer.objects.values_list("pk", "worker_id", "eta", "status")) == offers
    assert Order.objects.filter(events__isnull=False).count() == events
    assert [(v.order.pk, v.start) for v in again.visits] == [
        (v.order.pk, v.start) for v in first.visits
    ]


def test_replanning_replaces_pending_planned_offers_and_keeps_accepted_ones(scene, day) -> None:  # type: ignore[no-untyped-def]
    doctor, helper, visits, _ = day
    plan_day(date=TOMORROW, now=scene.now, **FAST)
    consultation = visits["consultation"]
    offer_accept(order=consultation, worker=doctor, now=scene.now)
    consultation.refresh_from_db()
    assert consultation.status == OrderStatus.ACCEPTED
    fixed_start = consultation.offers.get(worker=doctor).eta
    # the helper is now off in the morning: the plan must change around that
    Shift.objects.filter(worker=helper, date=TOMORROW).update(start=dt.time(12))
    result = plan_day(date=TOMORROW, now=scene.now, **FAST)
    assert result.fixed == 1
    assert consultation.offers.get(worker=doctor).status == OfferStatus.ACCEPTED
    assert consultation.offers.get(worker=doctor).eta == fixed_start
    # the morning double bath cannot be staffed any more: unplanned, its offers withdrawn
    double = Order.objects.get(pk=visits["double_bath"].pk)
    assert double.status == OrderStatus.PLACED
    assert not double.offers.filter(status=OfferStatus.PENDING).exists()
    assert double.offers.filter(status=OfferStatus.WITHDRAWN).count() == 2
    assert double.pk in {u.order.pk for u in result.unplanned}
    # nothing planned for the doctor overlaps the accepted consultation
    for visit in result.visits:
        if doctor in visit.workers:
            end = fixed_start + dt.timedelta(seconds=consultation.duration_s)
            assert visit.end <= fixed_start or visit.start >= end
    for visit in result.visits:
        if helper in visit.workers:
            assert visit.start >= at(12)


def test_planned_offers_never_expire_and_crews_accept_together(scene, day) -> None:  # type: ignore[no-untyped-def]
    doctor, helper, visits, _ = day
    plan_day(date=TOMORROW, now=scene.now, **FAST)
    assert offers_expire(now=scene.now + dt.timedelta(hours=20)) == 0
    double = visits["double_bath"]
    later = scene.now + dt.timedelta(hours=6)
    double = offer_accept(order=double, worker=doctor, now=later)
    assert double.status == OrderStatus.ASSIGNED
    double = offer_accept(order=double, worker=helper, now=later)
    assert double.status == OrderStatus.ACCEPTED
    # accepting tomorrow's visit does not mark the caregiver busy now
    assert Worker.objects.get(pk=doctor.pk).status == "available"


def test_declined_planned_visit_waits_for_the_lead_time_or_the_next_plan(scene, day) -> None:  # type: ignore[no-untyped-def]
    doctor, _, visits, _ = day
    plan_day(date=TOMORROW, now=scene.now, **FAST)
    consultation = offer_decline(
        order=visits["consultation"], worker=doctor, reason="明天请假", now=scene.now
    )
    # not due for real-time dispatch yet (tomorrow 13:00): placed again, no live offer
    assert consultation.status == OrderStatus.PLACED
    assert not consultation.offers.filter(status=OfferStatus.PENDING).exists()
    # the next plan has nobody else for it (only the doctor does consultations)
    result = plan_day(date=TOMORROW, now=scene.now, **FAST)
    [missing] = [u for u in result.unplanned if u.order.pk == consultation.pk]
    assert missing.reason == "符合条件的服务人员已拒绝此预约"


def test_a_visit_that_only_fits_a_later_shift_is_planned_there(scene) -> None:  # type: ignore[no-untyped-def]
    # 早班 works 08–09:30 and is busy from about 08:07 with a visit only she can do; the
    # other visit (08:30–15:00, an hour) would end after 09:30 with her, so it goes to 晚班.
    early = caregiver(scene, "早班", {"housekeeping": None}, 8, 10)
    Shift.objects.filter(worker=early).update(end=dt.time(9, 30))
    late = caregiver(scene, "晚班", {"housekeeping": None}, 14, 18)
    first = book(scene, "housekeeping", at(8), at(9))
    second = book(scene, "housekeeping", at(8, 30), at(15))
    result = plan_day(date=TOMORROW, now=scene.now, **FAST)
    planned = {v.order.pk: v for v in result.visits}
    assert planned[first.pk].workers == (early,)
    # she starts at 08:00 at the service station, ~420 m (about 7 minutes) from home
    assert at(8, 5) < planned[first.pk].start < at(8, 10)
    assert planned[second.pk].workers == (late,)
    assert at(14) <= planned[second.pk].start <= at(15)
    assert result.unplanned == []


def test_two_visits_one_slot_one_caregiver_one_is_unplanned_as_late(scene) -> None:  # type: ignore[no-untyped-def]
    caregiver(scene, "独自", {"housekeeping": None}, 8, 18)
    a = book(scene, "housekeeping", at(9), at(9, 30))
    b = book(scene, "housekeeping", at(9), at(9, 30))
    result = plan_day(date=TOMORROW, now=scene.now, **FAST)
    assert len(result.visits) == 1
    [missing] = result.unplanned
    assert missing.order.pk in (a.pk, b.pk)
    assert "内排不下" in missing.reason


def test_deliveries_and_immediate_orders_are_not_planned(scene) -> None:  # type: ignore[no-untyped-def]
    caregiver(scene, "周护工", {"bathing": VALID, "housekeeping": None, "delivery": None}, 8, 18)
    immediate = order_place(
        service_type=scene.service("housekeeping"),
        resident=scene.mother,
        placed_by=scene.daughter_user,
        now=scene.now,
    )
    result = plan_day(date=TOMORROW, now=scene.now, **FAST)
    assert result.visits == [] and result.unplanned == []
    assert Order.objects.get(pk=immediate.pk).status == OrderStatus.PLACED


def test_bad_dates_and_budgets_are_refused(scene) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="过去"):
        plan_day(date=DAY - dt.timedelta(days=1), now=scene.now)
    with pytest.raises(ValidationError, match="求解时间"):
        plan_day(date=TOMORROW, seconds=0, now=scene.now)
    with pytest.raises(ValidationError, match="日期"):
        plan_day(date="2030-01-09", now=scene.now)  # type: ignore[arg-type]


# --- the command and the schedule -------------------------------------------------------


def test_command_prints_a_table_per_caregiver(scene, day, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    doctor, helper, visits, impossible = day
    monkeypatch.setattr(dayplan.timezone, "now", lambda: scene.now)
    out = io.StringIO()
    call_command("plan_day", "--date", TOMORROW.isoformat(), "--seconds", "1", stdout=out)
    text = out.getvalue()
    assert "2030-01-09 上门服务计划" in text
    assert f"【{doctor.name}】" in text and f"【{helper.name}】" in text
    assert visits["consultation"].number in text
    assert "未能排入 1 项" in text and impossible.number in text
    assert "共 5 项已排入" in text


def test_command_default_date_is_tomorrow(scene, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen = {}

    def fake(*, date, seconds, seed):  # type: ignore[no-untyped-def]
        seen.update(date=date, seconds=seconds, seed=seed)
        return DayPlan(date=date)

    monkeypatch.setattr("linli.orders.management.commands.plan_day.plan_day", fake)
    out = io.StringIO()
    call_command("plan_day", "--seconds", "3", stdout=out)
    from django.utils import timezone

    assert seen == {
        "date": timezone.localdate() + dt.timedelta(days=1),
        "seconds": 3.0,
        "seed": 1,
    }
    assert "没有排入任何上门服务" in out.getvalue()


@pytest.mark.parametrize("bad", ["2030-13-01", "明天", "2030/01/09"])
def test_command_bad_date_is_a_command_error(bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="日期格式不正确"):
        call_command("plan_day", "--date", bad, stdout=io.StringIO())


def test_command_past_date_is_a_command_error(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="过去"):
        call_command("plan_day", "--date", "2020-01-01", stdout=io.StringIO())


def test_daily_schedule_at_18_is_created_once(db) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone
    from django_q.models import Schedule

    first = dayplan.ensure_schedules()
    again = dayplan.ensure_schedules()
    [row] = Schedule.objects.filter(name=dayplan.PLAN_SCHEDULE)
    assert first.pk == again.pk == row.pk  # type: ignore[attr-defined]
    assert row.func == "linli.orders.dayplan.plan_tomorrow"
    assert row.schedule_type == Schedule.DAILY
    assert row.next_run is not None
    assert timezone.localtime(row.next_run).time() == dt.time(18)
    assert row.next_run > timezone.now()


def test_next_plan_run_is_today_before_18_and_tomorrow_after() -> None:
    assert dayplan.next_plan_run(local(DAY, 17, 59)) == local(DAY, 18)
    assert dayplan.next_plan_run(local(DAY, 18)) == local(DAY + dt.timedelta(days=1), 18)


def test_two_bookings_of_one_resident_in_one_slot_are_done_in_sequence(scene) -> None:  # type: ignore[no-untyped-def]
    # Bathing and housekeeping for the mother, both 09:00–10:30: one visit, bath first,
    # housekeeping starting when the bath ends (at most ORDERS_SEQUENCE_GAP_S later).
    bather = caregiver(scene, "周护工", {"bathing": VALID}, 8, 17)
    cleaner = caregiver(scene, "吴保洁", {"housekeeping": None}, 8, 17)
    bath = book(scene, "bath_assist", at(9), at(10, 30))
    chores = book(scene, "housekeeping", at(9), at(10, 30))
    result = plan_day(date=TOMORROW, now=scene.now, **FAST)
    planned = {v.order.pk: v for v in result.visits}
    assert planned[bath.pk].workers == (bather,)
    assert planned[chores.pk].workers == (cleaner,)
    bath_end = planned[bath.pk].end
    gap = planned[chores.pk].start - bath_end
    assert dt.timedelta(0) <= gap <= dt.timedelta(minutes=dayplan.sequence_gap_min())
    assert planned[chores.pk].start <= at(10, 30)
    assert result.unplanned == []


def test_a_sequence_that_cannot_be_kept_is_planned_separately(scene) -> None:  # type: ignore[no-untyped-def]
    # One caregiver only, 08–12: housekeeping 09:00–09:30 and a bath 09:00–12:00 for the
    # same resident fit one after the other; the bath's only bather starts at 11:00.
    caregiver(scene, "吴保洁", {"housekeeping": None}, 8, 12)
    bather = caregiver(scene, "周护工", {"bathing": VALID}, 11, 17)
    chores = book(scene, "housekeeping", at(9), at(9, 30))
    bath = book(scene, "bath_assist", at(9), at(12))
    result = plan_day(date=TOMORROW, now=scene.now, **FAST)
    planned = {v.order.pk: v for v in result.visits}
    assert set(planned) == {chores.pk, bath.pk}
    assert planned[bath.pk].workers == (bather,)
    assert planned[bath.pk].start >= at(11)
    assert result.rounds >= 2


def test_command_zero_seconds_is_a_command_error(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="求解时间"):
        call_command("plan_day", "--seconds", "0", stdout=io.StringIO())


def test_the_nightly_task_plans_tomorrow(db, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    settings.ORDERS_PLAN_SECONDS = 2
    seen = {}

    def fake(*, date, seconds):  # type: ignore[no-untyped-def]
        seen.update(date=date, seconds=seconds)
        return DayPlan(date=date, fixed=1)

    monkeypatch.setattr(dayplan, "plan_day", fake)
    assert dayplan.plan_tomorrow() == {"planned": 0, "unplanned": 0, "fixed": 1}
    assert seen == {"date": timezone.localdate() + dt.timedelta(days=1), "seconds": 2.0}
