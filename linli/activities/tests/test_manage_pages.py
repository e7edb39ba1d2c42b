"""Organiser and staff pages (/activities/manage/): who may see what, creating with a
preview, the detail actions, registering others one by one and in bulk, the attendance
grid, the door, the QR check-in page and the export.

Actors: ``community_admin`` (assigned to the community), ``elsewhere_admin`` (the same
role in another street: 404), ``elsewhere`` (a micro-grid worker, no managing role:
403), the anonymous client (login page), the plant's enterprise contact (its own
activities) and another organisation's contact (404).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from linli.activities.models import (
    Activity,
    ActivityStatus,
    Attendance,
    Audience,
    Registration,
    RegistrationStatus,
    Venue,
)
from linli.activities.services import Participant, registration_create
from linli.activities.tests.conftest import backdate, guest, local_day, next_weekday
from linli.common.models import CalendarOverride, PiiAccessLog
from linli.eligibility.models import Scheme
from linli.engagement.models import Need
from linli.orgs.models import Organization
from linli.people.models import Role
from linli.places.models import Area
from linli.testing.factories import ResidentFactory, staff_user

pytestmark = pytest.mark.django_db

MakeActivity = Callable[..., Activity]
BASE = "/activities/manage/"


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def text(response: Any) -> str:
    return str(response.content.decode())


def counted(page: str) -> tuple[int, int]:
    """(已签到, 已报名) as the door page's live count shows them."""
    found = re.search(r"<dt>已签到</dt><dd>(\d+)</dd>.*?<dt>已报名</dt><dd>(\d+)</dd>", page)
    assert found is not None, "no live count on the page"
    return int(found[1]), int(found[2])


def new_activity_data(venue: Venue, **overrides: Any) -> dict[str, Any]:
    """A valid POST of the new-activity form: one session 7 days ahead 10:00–12:00."""
    data: dict[str, Any] = {
        "title": "消防安全培训",
        "kind": "training",
        "venue": venue.pk,
        "capacity": 30,
        "waitlist_limit": 10,
        "audience": Audience.PUBLIC,
        "fee_yuan": "0",
        "mode": "single",
        "day": local_day(7).isoformat(),
        "start": "10:00",
        "end": "12:00",
        "skip_holidays": "on",
        "action": "preview",
    }
    data.update(overrides)
    return data


@pytest.fixture
def elsewhere_admin(other_areas: dict[str, Area]) -> User:
    return staff_user(other_areas["community"], Role.COMMUNITY_ADMIN)


@pytest.fixture
def grid_worker(areas: dict[str, Area]) -> User:
    """A grid worker of a grid inside the community: helps run the community's activities."""
    return staff_user(areas["grid"], Role.GRID_WORKER)


@pytest.fixture
def plant_activity(make_activity: MakeActivity, plant_yard: Venue, plant: Organization) -> Activity:
    """The plant's open day in its yard on a Saturday (09:00–17:00 window), 5 places."""
    saturday = next_weekday(5)
    return make_activity(
        title="混凝土厂环保开放日",
        kind="open_day",
        venue=plant_yard,
        organiser=plant,
        organiser_kind="enterprise",
        capacity=5,
        sessions=[
            (
                timezone.make_aware(dt.datetime.combine(local_day(saturday), dt.time(9))),
                timezone.make_aware(dt.datetime.combine(local_day(saturday), dt.time(11))),
                "",
            )
        ],
    )


# --- who may come in --------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(make_activity: MakeActivity) -> None:
    activity = make_activity()
    registration = registration_create(activity=activity, participant=guest()).registration
    for url in (BASE, f"{BASE}{activity.pk}/", f"{BASE}checkin/{registration.token}/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url


def test_staff_without_a_managing_role_get_403(elsewhere: User) -> None:
    response = client_for(elsewhere).get(BASE)
    assert response.status_code == 403


def test_the_list_shows_the_areas_activities_with_places_and_waitlist(
    make_activity: MakeActivity, community_admin: User, elsewhere_admin: User
) -> None:
    activity = make_activity(capacity=1)
    registration_create(activity=activity, participant=guest())
    registration_create(activity=activity, participant=guest())
    page = text(client_for(community_admin).get(BASE))
    assert activity.title in page and "1 / 1" in page and "已满" in page
    other = client_for(elsewhere_admin).get(BASE)
    assert other.status_code == 200 and activity.title not in text(other)


def test_another_communitys_admin_gets_404_for_every_page(
    make_activity: MakeActivity, elsewhere_admin: User
) -> None:
    activity = make_activity()
    registration = registration_create(activity=activity, participant=guest()).registration
    client = client_for(elsewhere_admin)
    for suffix in ("", "register/", "bulk/", "attendance/", "door/", "export.xlsx"):
        assert client.get(f"{BASE}{activity.pk}/{suffix}").status_code == 404, suffix
    assert client.get(f"{BASE}checkin/{registration.token}/").status_code == 404
    assert client.post(f"{BASE}{activity.pk}/cancel/", {"reason": "x"}).status_code == 404
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.PUBLISHED


def test_a_grid_worker_helps_run_the_communitys_activities(
    make_activity: MakeActivity, grid_worker: User
) -> None:
    activity = make_activity()
    assert client_for(grid_worker).get(f"{BASE}{activity.pk}/").status_code == 200


def test_an_enterprise_contact_manages_their_organisations_activities_only(
    make_activity: MakeActivity,
    plant_activity: Activity,
    plant_contact: User,
    other_contact: User,
) -> None:
    community_run = make_activity(title="社区书法课")
    mine = client_for(plant_contact)
    page = text(mine.get(BASE))
    assert plant_activity.title in page and community_run.title not in page
    assert mine.get(f"{BASE}{community_run.pk}/").status_code == 404
    assert client_for(other_contact).get(f"{BASE}{plant_activity.pk}/").status_code == 404


# --- creating ---------------------------------------------------------------------------------


def test_new_shows_the_venues_with_their_windows(
    community_admin: User, hall: Venue, plant_yard: Venue
) -> None:
    page = text(client_for(community_admin).get(f"{BASE}new/"))
    assert "党群服务中心活动室</strong>（40 人）：每天 08:00–21:00" in page
    assert "混凝土厂开放区</strong>（80 人）：周一至周五 18:00–21:00；周六 09:00–17:00" in page


def test_preview_then_publish_creates_the_activity(community_admin: User, hall: Venue) -> None:
    client = client_for(community_admin)
    preview = client.post(f"{BASE}new/", new_activity_data(hall))
    assert preview.status_code == 200
    assert "场次预览（共 1 次）" in text(preview) and "✓ 在开放时段内" in text(preview)
    assert not Activity.objects.exists()
    saved = client.post(f"{BASE}new/", new_activity_data(hall, action="publish"))
    activity = Activity.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"{BASE}{activity.pk}/"
    assert activity.status == ActivityStatus.PUBLISHED and activity.created_by == community_admin
    start = timezone.localtime(activity.sessions.get().starts_at)
    assert (start.date(), start.hour) == (local_day(7), 10)


def test_a_session_outside_the_venue_windows_is_shown_and_nothing_saved(
    community_admin: User, plant_yard: Venue
) -> None:
    wednesday = next_weekday(2)
    data = new_activity_data(plant_yard, day=local_day(wednesday).isoformat(), action="publish")
    response = client_for(community_admin).post(f"{BASE}new/", data)
    assert response.status_code == 400
    assert "不在场地“混凝土厂开放区”的开放时段内" in text(response)
    assert not Activity.objects.exists()


def test_a_form_error_is_shown_in_chinese(community_admin: User, hall: Venue) -> None:
    data = new_activity_data(hall, title=" ", capacity="0", end="09:00")
    response = client_for(community_admin).post(f"{BASE}new/", data)
    page = text(response)
    assert response.status_code == 400
    assert "请填写活动名称" in page and "名额至少为 1" in page
    assert "结束时间必须晚于开始时间" in page


def test_a_timetable_preview_lists_the_sessions_without_the_holiday(
    community_admin: User, hall: Venue
) -> None:
    monday = next_weekday(0)
    CalendarOverride.objects.create(date=local_day(monday + 7), is_workday=False, note="测试假日")
    data = new_activity_data(
        hall,
        mode="timetable",
        first_day=local_day(monday).isoformat(),
        last_day=local_day(monday + 18).isoformat(),
        weekdays=["0", "2"],
        start="15:00",
        end="17:00",
    )
    client = client_for(community_admin)
    page = text(client.post(f"{BASE}new/", data))
    assert "场次预览（共 5 次）" in page  # 6 Mondays/Wednesdays minus the holiday Monday
    assert local_day(monday + 7).isoformat() not in page
    client.post(f"{BASE}new/", {**data, "action": "draft"})
    activity = Activity.objects.get()
    assert activity.status == ActivityStatus.DRAFT and activity.sessions.count() == 5


def test_the_fee_scheme_choice_shows_names_without_codes(
    community_admin: User, hall: Venue
) -> None:
    Scheme.objects.create(code="craft_fee", name="手工课收费", subject_kind="resident")
    page = text(client_for(community_admin).get(f"{BASE}new/"))
    assert ">手工课收费</option>" in page and "craft_fee" not in page


def test_a_capacity_over_the_venue_is_shown_at_preview(community_admin: User, hall: Venue) -> None:
    data = new_activity_data(hall, capacity=hall.capacity + 10)
    preview = client_for(community_admin).post(f"{BASE}new/", data)
    assert preview.status_code == 400
    assert f"名额 {hall.capacity + 10} 超过场地“{hall.name}”可容纳的 {hall.capacity} 人" in text(
        preview
    )
    assert 'value="publish"' not in text(preview) and not Activity.objects.exists()


def test_a_timetable_into_a_year_without_holidays_warns_on_preview_and_save(
    community_admin: User, hall: Venue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the calendar package does not know the year the timetable ends in
    monday = next_weekday(0)
    last = local_day(monday + 18)
    monkeypatch.setattr("linli.activities.services.package_covers", lambda y: y != last.year)
    data = new_activity_data(
        hall,
        mode="timetable",
        first_day=local_day(monday).isoformat(),
        last_day=last.isoformat(),
        weekdays=["0", "2"],
        start="15:00",
        end="17:00",
        skip_holidays="on",
    )
    warning = f"{last.year} 年的法定节假日尚未录入系统（后台 → 工作日历调整），课表只排除了周末"
    client = client_for(community_admin)
    assert warning in text(client.post(f"{BASE}new/", data))
    saved = client.post(f"{BASE}new/", {**data, "action": "draft"}, follow=True)
    assert warning in text(saved) and Activity.objects.count() == 1
    # once an administrator entered a ruling for that year, the warning goes
    CalendarOverride.objects.create(date=dt.date(last.year, 1, 1), is_workday=False, note="元旦")
    assert warning not in text(client.post(f"{BASE}new/", data))
    assert warning not in text(client.post(f"{BASE}new/", {**data, "skip_holidays": ""}))


def test_an_enterprise_contact_creates_at_their_venue_for_their_organisation(
    plant_contact: User, plant_yard: Venue, hall: Venue, other_org: Organization
) -> None:
    foreign = Venue.objects.create(
        area=other_org.area, name="凤城科技会议室", organization=other_org, capacity=20
    )
    client = client_for(plant_contact)
    page = text(client.get(f"{BASE}new/"))
    assert "混凝土厂开放区" in page and "党群服务中心活动室" in page
    assert "凤城科技会议室" not in page
    refused = client.post(f"{BASE}new/", new_activity_data(foreign, action="publish"))
    assert refused.status_code == 400 and "该场地不可选" in text(refused)
    saturday = next_weekday(5)
    data = new_activity_data(
        plant_yard,
        day=local_day(saturday).isoformat(),
        organiser=plant_yard.organization_id,
        action="publish",
    )
    assert client.post(f"{BASE}new/", data).status_code == 302
    activity = Activity.objects.get()
    assert activity.organiser == plant_yard.organization and activity.organiser_kind == "enterprise"


def test_a_need_prefills_the_form_and_gets_the_activity(
    community_admin: User, hall: Venue, plant: Organization, community: Area
) -> None:
    need = Need.objects.create(
        number="XQ2026000001",
        area=community,
        organization=plant,
        category="training",
        title="员工消防安全培训",
        headcount=60,
        status="accepted",
    )
    client = client_for(community_admin)
    page = text(client.get(f"{BASE}new/?need={need.pk}"))
    assert 'value="员工消防安全培训"' in page and 'value="60"' in page
    data = new_activity_data(
        hall,
        title=need.title,
        capacity=40,
        audience=Audience.INVITED,
        invited_orgs=[plant.pk],
        need=need.pk,
        action="publish",
    )
    assert client.post(f"{BASE}new/?need={need.pk}", data).status_code == 302
    need.refresh_from_db()
    assert need.activity == Activity.objects.get() and need.status == "planned"


# --- the detail page and its actions ----------------------------------------------------------


def test_detail_lists_registrations_with_waitlist_positions_and_masked_phones(
    make_activity: MakeActivity, community_admin: User
) -> None:
    activity = make_activity(capacity=1)
    registration_create(activity=activity, participant=guest("王强", phone="13712345678"))
    registration_create(activity=activity, participant=guest("李梅"))
    page = text(client_for(community_admin).get(f"{BASE}{activity.pk}/"))
    assert "王强" in page and "137****5678" in page and "13712345678" not in page
    assert "候补第 1 位" in page


def test_raising_capacity_promotes_and_says_so(
    make_activity: MakeActivity, community_admin: User
) -> None:
    activity = make_activity(capacity=1)
    registration_create(activity=activity, participant=guest())
    waiting = registration_create(activity=activity, participant=guest()).registration
    client = client_for(community_admin)
    response = client.post(f"{BASE}{activity.pk}/capacity/", {"capacity": 2}, follow=True)
    assert "1 人由候补转为正式报名" in text(response)
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.CONFIRMED
    too_few = client.post(f"{BASE}{activity.pk}/capacity/", {"capacity": 1})
    assert too_few.status_code == 400 and "名额不能少于 2" in text(too_few)


def test_cancelling_a_registration_needs_a_reason_and_promotes(
    make_activity: MakeActivity, community_admin: User
) -> None:
    activity = make_activity(capacity=1)
    holder = registration_create(activity=activity, participant=guest()).registration
    waiting = registration_create(activity=activity, participant=guest("李梅")).registration
    client = client_for(community_admin)
    url = f"{BASE}{activity.pk}/registrations/{holder.pk}/cancel/"
    assert client.post(url, {"reason": ""}).status_code == 400
    holder.refresh_from_db()
    assert holder.status == RegistrationStatus.CONFIRMED
    done = client.post(url, {"reason": "本人来电取消"}, follow=True)
    assert "候补第一位 李梅 已转为正式报名" in text(done)
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.CONFIRMED
    again = client.post(url, {"reason": "再次取消"})
    assert again.status_code == 409 and "该报名已取消" in text(again)


def test_publishing_a_draft_and_cancelling_the_activity(
    make_activity: MakeActivity, community_admin: User
) -> None:
    activity = make_activity(publish=False)
    client = client_for(community_admin)
    assert client.post(f"{BASE}{activity.pk}/publish/").status_code == 302
    twice = client.post(f"{BASE}{activity.pk}/publish/")
    assert twice.status_code == 409 and "不能发布" in text(twice)
    registration_create(activity=activity, participant=guest())
    assert client.post(f"{BASE}{activity.pk}/cancel/", {"reason": " "}).status_code == 400
    client.post(f"{BASE}{activity.pk}/cancel/", {"reason": "场地维修"})
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.CANCELLED
    assert not activity.registrations.exclude(status=RegistrationStatus.CANCELLED).exists()


# --- registering others -----------------------------------------------------------------------


def test_registering_one_guest_then_the_waitlist(
    make_activity: MakeActivity, community_admin: User
) -> None:
    activity = make_activity(capacity=1)
    client = client_for(community_admin)
    url = f"{BASE}{activity.pk}/register/"
    first = client.post(url, {"name": "王强", "phone": "13700005555"}, follow=True)
    assert "王强 报名成功" in text(first)
    second = client.post(url, {"name": "李梅", "phone": "13700005556"}, follow=True)
    assert "名额已满，李梅 已进入候补第 1 位" in text(second)
    duplicate = client.post(url, {"name": "王强", "phone": "13700005555"})
    assert duplicate.status_code == 400 and "不能重复报名" in text(duplicate)
    assert activity.registrations.get(name="王强").registered_by == community_admin


def test_registering_a_child_needs_the_guardian(
    make_activity: MakeActivity, community_admin: User, plant: Organization
) -> None:
    camp = make_activity(audience=Audience.EMPLOYEES_CHILDREN, min_age=6, max_age=12)
    client = client_for(community_admin)
    url = f"{BASE}{camp.pk}/register/"
    born = dt.date(local_day(7).year - 8, 1, 1).isoformat()
    missing = client.post(url, {"name": "张小宝", "birth_date": born, "child": "on"})
    assert missing.status_code == 400 and "为未成年人报名需填写家长手机号" in text(missing)
    data = {
        "name": "张小宝",
        "birth_date": born,
        "child": "on",
        "guardian_name": "张伟",
        "guardian_phone": "13700006666",
        "organization": plant.pk,
    }
    assert client.post(url, data).status_code == 302
    child = camp.registrations.get()
    assert (child.guardian_phone, child.organization) == ("13700006666", plant)


def test_staff_pick_a_registry_resident_by_phone_shown_masked(
    make_activity: MakeActivity, community_admin: User, areas: dict[str, Area]
) -> None:
    activity = make_activity()
    resident = ResidentFactory(name="张建华", phone="13911112222")
    client = client_for(community_admin)
    url = f"{BASE}{activity.pk}/register/"
    found = text(client.get(url, {"q": "13911112222"})).split('class="results"')[1]
    assert "张*华" in found and "139****2222" in found and "13911112222" not in found
    assert client.post(url, {"resident": resident.pk}).status_code == 302
    assert activity.registrations.get().resident == resident


def test_enterprise_contacts_cannot_search_or_pick_registry_residents(
    plant_activity: Activity, plant_contact: User
) -> None:
    resident = ResidentFactory(name="张建华", phone="13911113333")
    client = client_for(plant_contact)
    url = f"{BASE}{plant_activity.pk}/register/"
    assert "张*华" not in text(client.get(url, {"q": "13911113333"}))
    assert client.post(url, {"resident": resident.pk}).status_code == 404
    assert not Registration.objects.exists()


def test_bulk_preview_shows_bad_lines_and_confirm_registers_the_rest(
    plant_activity: Activity, plant_contact: User, plant: Organization
) -> None:
    registration_create(
        activity=plant_activity,
        participant=Participant(name="老员工", phone="13700007000", organization=plant),
    )
    lines = "\n".join(
        [
            "姓名 手机号",
            "王强 13700007001",
            "李梅 1370000",
            "王强 13700007001",
            "老员工 13700007000",
            "赵敏,13700007002",
            "孙丽\t13700007003",
            "周杰 13700007004",
            "吴刚 13700007005",
            "陈晨",
        ]
    )
    client = client_for(plant_contact)
    url = f"{BASE}{plant_activity.pk}/bulk/"
    preview = client.post(url, {"text": lines, "organization": plant.pk, "action": "preview"})
    page = text(preview)
    assert preview.status_code == 200
    assert "5 行可以报名" in page and "4 行有问题" in page
    assert "手机号“1370000”不正确" in page and "与第 2 行重复" in page
    assert "老员工 已报名，不能重复报名" in page and "缺少手机号" in page
    assert "将进入候补（名额已满）" in page
    assert "确认报名 5 人（其中 1 人候补；跳过有问题的 4 行）" in page
    assert plant_activity.registrations.count() == 1
    done = client.post(url, {"text": lines, "organization": plant.pk, "action": "confirm"})
    summary = text(done)
    assert (
        "成功报名 <strong>4</strong> 人" in summary and "<strong>1</strong> 人进入候补" in summary
    )
    confirmed = plant_activity.registrations.filter(status=RegistrationStatus.CONFIRMED)
    assert confirmed.count() == 5
    assert set(confirmed.values_list("organization", flat=True)) == {plant.pk}
    assert plant_activity.registrations.filter(status=RegistrationStatus.WAITLISTED).count() == 1


def test_bulk_refuses_people_outside_the_audience(
    make_activity: MakeActivity, community_admin: User, plant: Organization, other_org: Organization
) -> None:
    open_day = make_activity(audience=Audience.INVITED, invited_orgs=[plant])
    url = f"{BASE}{open_day.pk}/bulk/"
    response = client_for(community_admin).post(
        url, {"text": "王强 13700008001", "organization": other_org.pk, "action": "preview"}
    )
    assert "仅限受邀单位职工参加" in text(response) and "没有可以报名的行" in text(response)


def test_bulk_preselects_the_only_invited_organisation(
    make_activity: MakeActivity, community_admin: User, plant: Organization
) -> None:
    activity = make_activity(audience=Audience.INVITED, invited_orgs=[plant])
    page = text(client_for(community_admin).get(f"{BASE}{activity.pk}/bulk/"))
    assert f'value="{plant.pk}" selected' in page


def test_bulk_says_a_future_birth_date_is_wrong(
    make_activity: MakeActivity, community_admin: User
) -> None:
    activity = make_activity()
    tomorrow = local_day(1).isoformat()
    response = client_for(community_admin).post(
        f"{BASE}{activity.pk}/bulk/", {"text": f"王强 13700008101 {tomorrow}", "action": "preview"}
    )
    page = text(response)
    assert "出生日期不正确（晚于今天）" in page and "未成年人" not in page


def test_bulk_reads_an_xlsx_upload(plant_activity: Activity, plant_contact: User) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["序号", "姓名", "手机号"])
    sheet.append([1, "王强", 13700009001])
    sheet.append([2, "李梅", "137 0000 9002"])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("名单.xlsx", buffer.getvalue())
    url = f"{BASE}{plant_activity.pk}/bulk/"
    response = client_for(plant_contact).post(url, {"file": upload, "action": "preview"})
    assert "2 行可以报名" in text(response)
    junk = SimpleUploadedFile("名单.xlsx", b"not a workbook")
    refused = client_for(plant_contact).post(url, {"file": junk, "action": "preview"})
    assert refused.status_code == 400 and "请上传 .xlsx 格式" in text(refused)


# --- attendance, door, QR check-in, export ----------------------------------------------------


@pytest.fixture
def open_now(community: Area, make_activity: MakeActivity) -> Activity:
    """An activity whose session opens for check-in now: it starts in 20 minutes at a venue
    without windows (always open), so the test runs at any time of day."""
    anywhere = Venue.objects.create(area=community, name="社区广场", capacity=100)
    start = timezone.now() + dt.timedelta(minutes=20)
    return make_activity(
        title="广场舞", venue=anywhere, sessions=[(start, start + dt.timedelta(hours=1), "")]
    )


def test_the_qr_page_checks_in_once_and_masks_the_name(
    open_now: Activity, community_admin: User
) -> None:
    registration = registration_create(activity=open_now, participant=guest("张建华")).registration
    client = client_for(community_admin)
    url = f"{BASE}checkin/{registration.token}/"
    page = text(client.get(url))
    assert "张*华" in page and "张建华" not in page and 'id="checkin"' in page
    done = client.post(url)
    assert done.status_code == 200 and "✓ 签到成功" in text(done)
    again = text(client.get(url))
    assert "已于" in again and "签到" in again and 'id="checkin"' not in again
    assert Attendance.objects.get().method == "qr"


def test_the_qr_page_says_when_checkin_opens_and_offers_no_button_before(
    make_activity: MakeActivity, community_admin: User
) -> None:
    activity = make_activity()  # 7 days ahead, 10:00–12:00 local
    registration = registration_create(activity=activity, participant=guest()).registration
    client = client_for(community_admin)
    page = text(client.get(f"{BASE}checkin/{registration.token}/"))
    opens = local_day(7)
    assert f"{opens:%m}月{opens:%d}日 09:30 起可签到" in page and 'id="checkin"' not in page
    backdate(activity, 10)
    page = text(client.get(f"{BASE}checkin/{registration.token}/"))
    assert "本活动的场次都已结束" in page and 'id="checkin"' not in page


def test_the_qr_page_shows_the_services_refusal(
    make_activity: MakeActivity, community_admin: User
) -> None:
    activity = make_activity(capacity=1)
    registration_create(activity=activity, participant=guest())
    holder = Registration.objects.get()
    waiting = registration_create(activity=activity, participant=guest()).registration
    client = client_for(community_admin)
    early = client.post(f"{BASE}checkin/{holder.token}/")
    assert early.status_code == 400 and "现在没有可以签到的场次" in text(early)
    refused = client.post(f"{BASE}checkin/{waiting.token}/")
    assert refused.status_code == 400 and "“候补”，不能签到" in text(refused)
    assert not Attendance.objects.exists()


def test_the_qr_page_is_404_for_another_organisations_contact(
    plant_activity: Activity, other_contact: User, plant_contact: User
) -> None:
    registration = registration_create(
        activity=plant_activity, participant=guest(organization=plant_activity.organiser)
    ).registration
    url = f"{BASE}checkin/{registration.token}/"
    assert client_for(other_contact).get(url).status_code == 404
    assert client_for(plant_contact).get(url).status_code == 200


def test_the_door_finds_by_phone_tail_and_counts(open_now: Activity, community_admin: User) -> None:
    registration_create(activity=open_now, participant=guest("王强", phone="13700004321"))
    registration_create(activity=open_now, participant=guest("李梅", phone="13700001234"))
    client = client_for(community_admin)
    url = f"{BASE}{open_now.pk}/door/"
    page = text(client.get(url, {"q": "4321"}))
    assert "王*" in page and "李*" not in page and counted(page) == (0, 2)
    assert "请输入手机号的后 4 位数字" in text(client.get(url, {"q": "432"}))
    assert "李*" in text(client.get(url, {"q": "李"}))
    wang = open_now.registrations.get(name="王强")
    session = open_now.sessions.get()
    done = client.post(f"{url}?q=4321", {"registration": wang.pk, "session": session.pk})
    assert "✓ 王强 签到成功" in text(done)
    assert counted(text(done)) == (1, 2)
    count = client.get(f"{BASE}{open_now.pk}/door/count/", {"session": session.pk})
    assert counted(text(count)) == (1, 2)
    assert Attendance.objects.get().method == "manual"


def test_the_door_refuses_a_session_that_has_not_opened(
    make_activity: MakeActivity, community_admin: User
) -> None:
    activity = make_activity(sessions=one_day(3))
    registration = registration_create(activity=activity, participant=guest("王强")).registration
    session = activity.sessions.get()
    url = f"{BASE}{activity.pk}/door/"
    early = client_for(community_admin).post(
        url, {"registration": registration.pk, "session": session.pk}
    )
    assert early.status_code == 400 and "还未开始签到" in text(early)
    assert not Attendance.objects.exists()


def test_the_attendance_grid_marks_and_takes_back_by_hand(
    make_activity: MakeActivity, community_admin: User
) -> None:
    activity = make_activity(sessions=[*one_day(7), *one_day(14)])
    registration = registration_create(activity=activity, participant=guest("王强")).registration
    backdate(activity, 10)  # the first session was 3 days ago, the second is 4 days ahead
    first, second = activity.sessions.order_by("starts_at")
    client = client_for(community_admin)
    url = f"{BASE}{activity.pk}/attendance/"
    ahead = client.post(url, {"registration": registration.pk, "session": second.pk})
    assert ahead.status_code == 400 and "还未开始签到" in text(ahead)
    mark = {"registration": registration.pk, "session": first.pk, "action": "in"}
    assert client.post(url, mark).status_code == 302
    page = text(client.get(url))
    assert "✓" in page and "人工" in page and "1 / 2" in page
    client.post(url, {**mark, "action": "out"})
    assert not Attendance.objects.exists()
    foreign = client.post(url, {"registration": registration.pk, "session": 999999})
    assert foreign.status_code == 404


def one_day(days: int) -> list[tuple[dt.datetime, dt.datetime, str]]:
    start = timezone.make_aware(dt.datetime.combine(local_day(days), dt.time(10)))
    return [(start, start + dt.timedelta(hours=2), "")]


def test_the_export_opens_with_both_sheets(
    make_activity: MakeActivity, community_admin: User, grid_worker: User
) -> None:
    activity = make_activity(capacity=1)
    registration_create(activity=activity, participant=guest("王强", phone="13700001111"))
    registration_create(activity=activity, participant=guest("李梅", phone="13700002222"))
    response = client_for(community_admin).get(f"{BASE}{activity.pk}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["报名", "签到"]
    rows = list(book["报名"].iter_rows(values_only=True))
    assert rows[1][:4] == ("已报名", None, "王强", "13700001111")
    assert rows[2][:4] == ("候补", 1, "李梅", "13700002222")
    assert PiiAccessLog.objects.filter(subject_type="activity", subject_id=activity.pk).exists()
    masked = client_for(grid_worker).get(f"{BASE}{activity.pk}/export.xlsx")
    rows = list(load_workbook(io.BytesIO(masked.content))["报名"].iter_rows(values_only=True))
    assert rows[1][3] == "137****1111"


def test_the_list_takes_the_same_number_of_queries_for_more_activities(
    make_activity: MakeActivity, community_admin: User
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(community_admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(BASE).status_code == 200
        return len(captured)

    make_activity(title="甲", sessions=one_day(7))
    few = queries()
    for days in (8, 9, 10, 11):
        make_activity(title=f"活动{days}", sessions=one_day(days))
    assert queries() == few
