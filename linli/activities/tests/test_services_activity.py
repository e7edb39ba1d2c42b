"""Activity services: places and the waitlist, who may come, venues and timetables,
cancellation, check-in and feedback. Every activity lies whole days ahead (or behind),
so nothing depends on the time of day the tests run at."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from linli.activities.errors import ActivityConflict, ActivityError
from linli.activities.models import (
    Activity,
    ActivityStatus,
    Attendance,
    Audience,
    Registration,
    RegistrationStatus,
    Session,
    Venue,
)
from linli.activities.services import (
    Participant,
    activity_cancel,
    activity_publish,
    activity_set_capacity,
    attendance_undo,
    checkin,
    registration_cancel,
    registration_create,
    registration_feedback,
    registrations_bulk_create,
    timetable,
    waitlist_position,
)
from linli.activities.tests.conftest import (
    backdate,
    guest,
    local_at,
    local_day,
    next_weekday,
    one_session,
)
from linli.common.models import CalendarOverride
from linli.notify.models import Delivery
from linli.orgs.models import Organization
from linli.places.models import Area
from linli.testing.factories import OrganizationFactory, ResidentFactory

pytestmark = pytest.mark.django_db

MakeActivity = Callable[..., Activity]


def register(activity: Activity, participant: Participant | None = None) -> Registration:
    return registration_create(activity=activity, participant=participant or guest()).registration


def born_aged(years: int, on: dt.date) -> dt.date:
    """A birth date making someone ``years`` old on ``on`` (born on 1 January)."""
    return dt.date(on.year - years, 1, 1)


def statuses(activity: Activity) -> list[str]:
    return list(
        activity.registrations.order_by("created_at", "pk").values_list("status", flat=True)
    )


# --- places, waitlist, promotion --------------------------------------------------------------


def test_places_fill_then_the_waitlist_then_refusal(make_activity: MakeActivity) -> None:
    activity = make_activity(capacity=2, waitlist_limit=1)
    first = registration_create(activity=activity, participant=guest())
    second = registration_create(activity=activity, participant=guest())
    third = registration_create(activity=activity, participant=guest())
    assert (first.waitlisted, second.waitlisted) == (False, False)
    assert (third.waitlisted, third.position) == (True, 1)
    with pytest.raises(ActivityError, match="候补也已满"):
        register(activity)
    assert statuses(activity) == ["confirmed", "confirmed", "waitlisted"]


def test_cancelling_a_place_promotes_the_oldest_waitlisted_and_tells_them(
    make_activity: MakeActivity, django_capture_on_commit_callbacks: Any
) -> None:
    activity = make_activity(capacity=1)
    holder = register(activity)
    early, late = register(activity), register(activity)
    assert (waitlist_position(early), waitlist_position(late)) == (1, 2)
    with django_capture_on_commit_callbacks(execute=True):
        promoted = registration_cancel(registration=holder, reason="临时有事")
    assert [r.pk for r in promoted] == [early.pk]
    early.refresh_from_db()
    late.refresh_from_db()
    assert early.status == RegistrationStatus.CONFIRMED and early.promoted_at is not None
    assert waitlist_position(late) == 1
    assert Delivery.objects.filter(kind="activity.promoted").count() == 1


def test_raising_capacity_promotes_in_registration_order(make_activity: MakeActivity) -> None:
    activity = make_activity(capacity=1)
    register(activity)
    waiting = [register(activity) for _ in range(3)]
    promoted = activity_set_capacity(activity=activity, actor=None, capacity=3)
    assert [r.pk for r in promoted] == [waiting[0].pk, waiting[1].pk]
    assert statuses(activity) == ["confirmed", "confirmed", "confirmed", "waitlisted"]


def test_capacity_cannot_drop_below_confirmed_or_exceed_the_venue(
    make_activity: MakeActivity, hall: Venue
) -> None:
    activity = make_activity(capacity=3)
    register(activity)
    register(activity)
    with pytest.raises(ActivityError, match="不能少于 2"):
        activity_set_capacity(activity=activity, actor=None, capacity=1)
    with pytest.raises(ActivityError, match=f"最多容纳 {hall.capacity}"):
        activity_set_capacity(activity=activity, actor=None, capacity=hall.capacity + 1)
    activity.refresh_from_db()
    assert activity.capacity == 3


def test_a_cancelled_registration_cannot_be_cancelled_again(make_activity: MakeActivity) -> None:
    registration = register(make_activity())
    registration_cancel(registration=registration, reason="")
    with pytest.raises(ActivityConflict, match="已取消"):
        registration_cancel(registration=registration, reason="")


# --- one person once --------------------------------------------------------------------------


def test_the_same_resident_registers_once(make_activity: MakeActivity) -> None:
    activity = make_activity()
    resident = ResidentFactory()
    register(activity, Participant(resident=resident))
    with pytest.raises(ActivityError, match="不能重复报名"):
        register(activity, Participant(resident=resident))
    assert activity.registrations.count() == 1


def test_the_same_guest_phone_registers_once_even_under_another_name(
    make_activity: MakeActivity,
) -> None:
    activity = make_activity()
    register(activity, guest("王强", phone="13700009999"))
    with pytest.raises(ActivityError, match="不能重复报名"):
        register(activity, guest("王小强", phone="137 0000 9999"))
    assert activity.registrations.count() == 1


def test_after_cancelling_one_may_register_again(make_activity: MakeActivity) -> None:
    activity = make_activity()
    first = register(activity, guest("王强", phone="13700009998"))
    registration_cancel(registration=first, reason="")
    again = register(activity, guest("王强", phone="13700009998"))
    assert again.status == RegistrationStatus.CONFIRMED


def test_a_bad_phone_is_refused_with_nothing_written(make_activity: MakeActivity) -> None:
    activity = make_activity()
    with pytest.raises(ActivityError) as caught:
        register(activity, Participant(name="王强", phone="12345"))
    assert caught.value.field == "phone"
    assert not Registration.objects.exists()


# --- audience and age band --------------------------------------------------------------------


def test_a_child_outside_the_age_band_is_refused(make_activity: MakeActivity) -> None:
    camp = make_activity(title="暑期托管班", kind="camp", min_age=6, max_age=12)
    on = local_day(7)
    older = Participant(
        name="李小明",
        birth_date=born_aged(13, on),
        guardian_name="李梅",
        guardian_phone="13700001111",
    )
    with pytest.raises(ActivityError, match="13 岁，不在本活动的年龄范围（6–12 岁）内"):
        register(camp, older)
    fits = Participant(
        name="李小红",
        birth_date=born_aged(8, on),
        guardian_name="李梅",
        guardian_phone="13700001111",
    )
    assert register(camp, fits).status == RegistrationStatus.CONFIRMED


def test_a_child_without_a_guardian_is_refused(make_activity: MakeActivity) -> None:
    camp = make_activity(min_age=6, max_age=12)
    child = guest("李小红", birth_date=born_aged(8, local_day(7)))
    with pytest.raises(ActivityError, match="未成年人需由家长代为报名"):
        register(camp, child)


def test_an_age_band_needs_a_birth_date(make_activity: MakeActivity) -> None:
    with pytest.raises(ActivityError, match="请填写出生日期"):
        register(make_activity(min_age=60), guest())


def test_employees_audience_takes_employers_in_the_area_only(
    make_activity: MakeActivity, plant: Organization, other_areas: dict[str, Area]
) -> None:
    training = make_activity(audience=Audience.EMPLOYEES)
    assert register(training, guest(organization=plant)).organization == plant
    far: Organization = OrganizationFactory(name="别处物流公司", area=other_areas["community"])
    with pytest.raises(ActivityError, match="不在本社区辖区"):
        register(training, guest(organization=far))
    with pytest.raises(ActivityError, match="请填写工作单位"):
        register(training, guest())


def test_employees_children_are_registered_by_a_parent_with_the_parents_employer(
    make_activity: MakeActivity, plant: Organization
) -> None:
    camp = make_activity(audience=Audience.EMPLOYEES_CHILDREN, min_age=6, max_age=12)
    on = local_day(7)
    child = Participant(
        name="张小宝",
        birth_date=born_aged(7, on),
        organization=plant,
        guardian_name="张伟",
        guardian_phone="13700002222",
    )
    registration = register(camp, child)
    assert registration.person_key.startswith("c:13700002222:张小宝:")
    assert registration.organization == plant


def test_invited_audience_takes_invited_organisations_only(
    make_activity: MakeActivity, plant: Organization, other_org: Organization
) -> None:
    open_day = make_activity(audience=Audience.INVITED, invited_orgs=[plant])
    register(open_day, guest(organization=plant))
    with pytest.raises(ActivityError, match="仅限受邀单位职工"):
        register(open_day, guest(organization=other_org))


def test_an_invited_audience_needs_invited_organisations(make_activity: MakeActivity) -> None:
    with pytest.raises(ActivityError, match="至少选择一个受邀单位"):
        make_activity(audience=Audience.INVITED)
    assert not Activity.objects.exists()


def test_residents_audience_takes_registry_residents_of_the_community(
    make_activity: MakeActivity,
) -> None:
    activity = make_activity(audience=Audience.RESIDENTS)
    assert register(activity, Participant(resident=ResidentFactory())).resident is not None
    with pytest.raises(ActivityError, match="仅限本社区登记居民"):
        register(activity, guest())


def test_a_uniform_fee_is_recorded_in_fen(make_activity: MakeActivity) -> None:
    registration = register(make_activity(fee_fen=1500))
    assert (registration.price_fen, registration.price_reason) == (1500, "统一收费 15.00 元")


# --- venues and timetables --------------------------------------------------------------------


def test_a_session_outside_the_venue_windows_is_refused_and_nothing_written(
    make_activity: MakeActivity, plant_yard: Venue
) -> None:
    days = next_weekday(2)  # a Wednesday: the yard opens 18:00–21:00 only
    with pytest.raises(
        ActivityError, match="不在场地“混凝土厂开放区”的开放时段内（周三 18:00–21:00）"
    ):
        make_activity(venue=plant_yard, sessions=one_session(days, 10, 12))
    sunday = next_weekday(6)
    with pytest.raises(ActivityError, match="周日不开放"):
        make_activity(venue=plant_yard, sessions=one_session(sunday, 10, 12))
    assert not Activity.objects.exists() and not Session.objects.exists()


def test_after_production_hours_the_yard_is_available(
    make_activity: MakeActivity, plant_yard: Venue, plant: Organization
) -> None:
    activity = make_activity(
        venue=plant_yard,
        organiser=plant,
        organiser_kind="enterprise",
        sessions=one_session(next_weekday(2), 18, 20),
    )
    assert activity.sessions.count() == 1


def test_one_bad_session_of_many_writes_nothing(make_activity: MakeActivity) -> None:
    good = one_session(7)[0]
    late = (local_at(8, 20), local_at(8, 22), "")  # the hall closes at 21:00
    with pytest.raises(ActivityError, match="第 2 个场次"):
        make_activity(sessions=[good, late])
    assert not Activity.objects.exists() and not Session.objects.exists()


def test_the_venue_taken_by_a_published_activity_is_refused(make_activity: MakeActivity) -> None:
    make_activity(title="书法课", sessions=one_session(7, 10, 12))
    with pytest.raises(ActivityError, match="已被“书法课”"):
        make_activity(title="消防培训", sessions=one_session(7, 11, 13))
    assert Activity.objects.count() == 1


def test_a_draft_holds_no_venue_but_publishing_rechecks(make_activity: MakeActivity) -> None:
    draft = make_activity(title="草稿", publish=False)
    make_activity(title="书法课")  # same slot: drafts do not hold the venue
    with pytest.raises(ActivityError, match="已被“书法课”"):
        activity_publish(activity=draft, actor=None)
    draft.refresh_from_db()
    assert draft.status == ActivityStatus.DRAFT


def test_a_session_in_the_past_is_refused_on_create(make_activity: MakeActivity) -> None:
    with pytest.raises(ActivityError, match="第 1 个场次的时间已过"):
        make_activity(sessions=[one_session(3)[0], one_session(-1)[0], one_session(5)[0]])
    assert not Activity.objects.exists()


def test_a_draft_whose_session_passed_cannot_be_published(make_activity: MakeActivity) -> None:
    draft = backdate(make_activity(publish=False, sessions=one_session(1)), 2)
    with pytest.raises(ActivityError, match="第 1 个场次的时间已过"):
        activity_publish(activity=draft, actor=None)
    draft.refresh_from_db()
    assert draft.status == ActivityStatus.DRAFT


def test_publishing_twice_is_a_conflict(make_activity: MakeActivity) -> None:
    with pytest.raises(ActivityConflict, match="不能发布"):
        activity_publish(activity=make_activity(), actor=None)


def test_a_capacity_over_the_venue_is_refused(make_activity: MakeActivity, hall: Venue) -> None:
    with pytest.raises(ActivityError, match="超过场地"):
        make_activity(capacity=hall.capacity + 1)


def test_timetable_skips_national_day_2026() -> None:
    """2026-10-01 (Thursday) to 10-07 are holidays (chinesecalendar; the package knows
    2026 but not 2027)."""
    spec = {
        "first_day": dt.date(2026, 9, 28),
        "last_day": dt.date(2026, 10, 9),
        "weekdays": range(5),
        "start": dt.time(9),
        "end": dt.time(11),
    }
    days = [timezone.localtime(s).date() for s, _, _ in timetable(**spec)]
    assert days == [dt.date(2026, 9, d) for d in (28, 29, 30)] + [
        dt.date(2026, 10, 8),
        dt.date(2026, 10, 9),
    ]
    everything = timetable(**spec, skip_holidays=False)
    assert len(everything) == 10
    assert timezone.localtime(everything[3][0]) == timezone.make_aware(dt.datetime(2026, 10, 1, 9))


def test_timetable_skips_a_holiday_entered_by_the_administrators(
    make_activity: MakeActivity,
) -> None:
    wednesday = next_weekday(2)
    CalendarOverride.objects.create(
        date=local_day(wednesday + 7), is_workday=False, note="测试假日"
    )
    sessions = timetable(
        first_day=local_day(wednesday),
        last_day=local_day(wednesday + 14),
        weekdays=[2],
        start=dt.time(15),
        end=dt.time(17),
    )
    camp = make_activity(sessions=sessions, kind="class")
    days = [timezone.localdate(s.starts_at) for s in camp.sessions.all()]
    assert days == [local_day(wednesday), local_day(wednesday + 14)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"last_day": dt.date(2026, 9, 1)}, "结束日期不能早于开始日期"),
        ({"end": dt.time(8)}, "结束时间必须晚于开始时间"),
        ({"weekdays": []}, "请选择上课的星期"),
        ({"weekdays": [5], "last_day": dt.date(2026, 9, 29)}, "没有上课日"),
        ({"last_day": dt.date(2027, 12, 31)}, "课表最长一年"),
    ],
)
def test_timetable_refuses_nonsense(change: dict[str, Any], message: str) -> None:
    spec: dict[str, Any] = {
        "first_day": dt.date(2026, 9, 28),
        "last_day": dt.date(2026, 10, 30),
        "weekdays": [0, 2],
        "start": dt.time(9),
        "end": dt.time(11),
    }
    with pytest.raises(ActivityError, match=message):
        timetable(**{**spec, **change})


# --- when registration is open ----------------------------------------------------------------


def test_registration_closed_is_a_conflict(make_activity: MakeActivity) -> None:
    activity = make_activity(registration_closes=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(ActivityConflict, match="报名已截止"):
        register(activity)
    assert not Registration.objects.exists()


def test_registration_not_yet_open_is_a_conflict(make_activity: MakeActivity) -> None:
    activity = make_activity(registration_opens=local_at(2, 9))
    with pytest.raises(ActivityConflict, match="报名将于"):
        register(activity)


def test_a_draft_takes_no_registration(make_activity: MakeActivity) -> None:
    with pytest.raises(ActivityConflict, match="草稿"):
        register(make_activity(publish=False))


def test_after_the_last_session_started_no_registration(make_activity: MakeActivity) -> None:
    activity = backdate(make_activity(sessions=one_session(1)), 2)
    with pytest.raises(ActivityConflict, match="活动已开始"):
        register(activity)


# --- cancelling the activity ------------------------------------------------------------------


def test_cancelling_the_activity_cancels_every_registration_with_the_reason(
    make_activity: MakeActivity, django_capture_on_commit_callbacks: Any
) -> None:
    activity = make_activity(capacity=1)
    register(activity)
    register(activity)
    with django_capture_on_commit_callbacks(execute=True):
        activity_cancel(activity=activity, actor=None, reason="场地维修")
    assert statuses(activity) == ["cancelled", "cancelled"]
    assert set(activity.registrations.values_list("cancel_reason", flat=True)) == {
        "活动取消：场地维修"
    }
    assert Delivery.objects.filter(kind="activity.cancelled").count() == 2
    with pytest.raises(ActivityConflict, match="已取消"):
        activity_cancel(activity=activity, actor=None, reason="再取消")
    with pytest.raises(ActivityConflict):
        register(activity)


def test_cancelling_needs_a_reason(make_activity: MakeActivity) -> None:
    activity = make_activity()
    with pytest.raises(ActivityError, match="请填写取消原因"):
        activity_cancel(activity=activity, actor=None, reason="  ")
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.PUBLISHED


# --- check-in ---------------------------------------------------------------------------------


def test_checkin_is_idempotent(make_activity: MakeActivity) -> None:
    activity = make_activity()
    registration = register(activity)
    session = activity.sessions.get()
    at = session.starts_at - dt.timedelta(minutes=10)
    first = checkin(token=registration.token, now=at)
    again = checkin(token=str(registration.token), now=at + dt.timedelta(minutes=5))
    assert (first.already, again.already) == (False, True)
    assert again.attendance.pk == first.attendance.pk
    assert again.attendance.checked_in_at == at
    assert Attendance.objects.count() == 1


def test_checkin_opens_30_minutes_before_and_closes_at_the_end(
    make_activity: MakeActivity,
) -> None:
    activity = make_activity()
    registration = register(activity)
    session = activity.sessions.get()
    with pytest.raises(ActivityError, match="现在没有可以签到的场次"):
        checkin(token=registration.token, now=session.starts_at - dt.timedelta(minutes=31))
    with pytest.raises(ActivityError, match="现在没有可以签到的场次"):
        checkin(token=registration.token, now=session.ends_at + dt.timedelta(minutes=1))
    assert not Attendance.objects.exists()


def test_no_checkin_of_any_kind_before_the_window_opens(make_activity: MakeActivity) -> None:
    activity = make_activity()
    registration = register(activity)
    session = activity.sessions.get()
    early = session.starts_at - dt.timedelta(minutes=31)
    for method in ("qr", "manual"):
        with pytest.raises(ActivityError, match="还未开始签到"):
            checkin(token=registration.token, session=session, method=method, now=early)
    assert not Attendance.objects.exists()


def test_a_qr_scan_is_refused_after_the_session_ended(make_activity: MakeActivity) -> None:
    activity = make_activity()
    registration = register(activity)
    session = activity.sessions.get()
    late = session.ends_at + dt.timedelta(minutes=1)
    with pytest.raises(ActivityError, match="不能再扫码签到"):
        checkin(token=registration.token, session=session, method="qr", now=late)
    assert not Attendance.objects.exists()


def test_staff_record_attendance_by_hand_after_the_session_ended(
    make_activity: MakeActivity,
) -> None:
    activity = make_activity()
    registration = register(activity)
    session = activity.sessions.get()
    late = session.ends_at + dt.timedelta(days=2)
    done = checkin(token=registration.token, session=session, method="manual", now=late)
    assert not done.already and done.attendance.method == "manual"


def test_checkin_by_hand_opens_30_minutes_before_the_start(make_activity: MakeActivity) -> None:
    activity = make_activity()
    registration = register(activity)
    session = activity.sessions.get()
    opens = session.starts_at - dt.timedelta(minutes=30)
    done = checkin(token=registration.token, session=session, method="manual", now=opens)
    assert done.attendance.checked_in_at == opens


def test_checkin_refuses_a_session_of_another_activity(make_activity: MakeActivity) -> None:
    mine = make_activity(title="甲")
    other = make_activity(title="乙", sessions=one_session(8))
    registration = register(mine)
    with pytest.raises(ActivityError, match="签到码不属于本活动"):
        checkin(token=registration.token, session=other.sessions.get())


def test_checkin_refuses_waitlisted_and_cancelled_and_unknown_codes(
    make_activity: MakeActivity,
) -> None:
    activity = make_activity(capacity=1)
    register(activity)
    waiting = register(activity)
    session = activity.sessions.get()
    with pytest.raises(ActivityError, match="“候补”，不能签到"):
        checkin(token=waiting.token, session=session)
    registration_cancel(registration=waiting, reason="")
    with pytest.raises(ActivityError, match="“已取消”，不能签到"):
        checkin(token=waiting.token, session=session)
    with pytest.raises(ActivityError, match="签到码无效"):
        checkin(token="not-a-code", session=session)
    assert not Attendance.objects.exists()


def test_a_mistaken_checkin_can_be_taken_back(make_activity: MakeActivity) -> None:
    activity = make_activity()
    registration = register(activity)
    session = activity.sessions.get()
    done = checkin(
        token=registration.token, session=session, method="manual", now=session.starts_at
    )
    attendance_undo(attendance=done.attendance)
    assert not Attendance.objects.exists()


# --- feedback ---------------------------------------------------------------------------------


def test_feedback_rules(make_activity: MakeActivity) -> None:
    course = make_activity(sessions=[one_session(1)[0], one_session(8)[0]], capacity=1)
    backdate(course, 2)  # the first session was yesterday
    rated = register(course)
    waiting = register(course)
    saved = registration_feedback(registration=rated, rating=5, comment=" 讲得很好 ")
    assert (saved.rating, saved.feedback) == (5, "讲得很好")
    with pytest.raises(ActivityError, match="1 到 5 星"):
        registration_feedback(registration=rated, rating=6)
    with pytest.raises(ActivityError, match="最多 500 字"):
        registration_feedback(registration=rated, rating=4, comment="好" * 501)
    with pytest.raises(ActivityConflict, match="只有已报名的人可以评价"):
        registration_feedback(registration=waiting, rating=4)
    rated.refresh_from_db()
    assert rated.rating == 5


def test_no_feedback_before_the_activity_began(make_activity: MakeActivity) -> None:
    registration = register(make_activity())
    with pytest.raises(ActivityConflict, match="活动开始后才能评价"):
        registration_feedback(registration=registration, rating=4)


# --- many at once -----------------------------------------------------------------------------


def test_bulk_registration_reports_each_person_in_order(make_activity: MakeActivity) -> None:
    activity = make_activity(capacity=2)
    people = [guest("甲", phone="13700003001"), guest("乙"), guest("甲", phone="13700003001")]
    people.append(guest("丙"))
    outcomes = registrations_bulk_create(activity=activity, participants=people)
    assert [o.result.waitlisted if o.result else o.error for o in outcomes] == [
        False,
        False,
        "甲 已报名，不能重复报名",
        True,
    ]
    assert statuses(activity) == ["confirmed", "confirmed", "waitlisted"]
