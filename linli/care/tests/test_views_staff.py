"""The staff care pages (/care/): the phone page, the alert list and page with its actions,
the resident page, and who may see what (assigned worker / elsewhere / anonymous /
provider staff)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.care import services as care_services
from linli.care import views
from linli.care.models import (
    AlertKind,
    AlertOutcome,
    AlertStatus,
    AwayEnd,
    AwayPeriod,
    CareAlert,
    StepAction,
    Watch,
)
from linli.cases.models import Case, CaseStatus
from linli.cases.tests.lifecycle import ensure_categories
from linli.common.models import PiiAccessLog
from linli.devices import partitions
from linli.devices.models import Device, DeviceEvent, DeviceKind, EventKind
from linli.devices.services import device_register
from linli.people.models import EmergencyContact, Resident, Role
from linli.places.models import Area, Household
from linli.testing.factories import (
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    WatchFactory,
    care_alert,
    staff_user,
)

pytestmark = pytest.mark.django_db

ELDER_PHONE = "13912340001"
SON_PHONE = "13912340002"


@dataclasses.dataclass
class Scene:
    areas: dict[str, Area]
    home: Household
    elder: Resident
    watch: Watch
    alert: CareAlert
    now: dt.datetime


def watched(home: Household, name: str, *, equipped: bool = True, **fields: Any) -> Watch:
    """A watched elder of ``home``; with a door sensor unless ``equipped`` is false."""
    resident = ResidentFactory(
        household=home, name=name, living_alone=True, birth_date=dt.date(1946, 1, 2)
    )
    if equipped:
        device_register(
            kind=DeviceKind.DOOR_SENSOR,
            household=home,
            resident=resident,
            vendor="acme",
            external_id=f"DS-{resident.pk}",
        )
    return WatchFactory(resident=resident, **fields)


def test_a_watched_elder_without_devices_is_said_to_get_no_automatic_alerts(
    scene: Scene, worker: Client
) -> None:
    bare = watched(scene.home, "赵无设", equipped=False)
    row = text(worker.get("/care/")).split(f'data-resident="{bare.resident.pk}"')[1]
    assert "未安装智能设备，无法自动提醒" in row.split("</li>")[0]
    page = text(worker.get(reverse("care:resident", args=[bare.resident.pk])))
    assert "未安装智能设备" in page and "无活动即告警" not in page


@pytest.fixture
def scene(areas: dict[str, Area]) -> Scene:
    """An elder of 80 living alone, watched, last seen using water 3 hours ago, with a son
    as emergency contact and an SOS alert raised 10 minutes ago."""
    now = timezone.now()
    home = HouseholdFactory(building=BuildingFactory(micro_grid=areas["micro_grid"], name="7号楼"))
    watch = watched(
        home,
        "张桂兰",
        last_sign_at=now - dt.timedelta(hours=3),
        last_sign_kind=EventKind.WATER,
        due_at=now + dt.timedelta(hours=2),
    )
    elder = watch.resident
    Resident.objects.filter(pk=elder.pk).update(phone=ELDER_PHONE)
    elder.refresh_from_db()
    EmergencyContact.objects.create(resident=elder, name="王强", relation="儿子", phone=SON_PHONE)
    alert = care_alert(
        elder, AlertKind.SOS, raised_at=now - dt.timedelta(minutes=10), source_key="sos:1"
    )
    return Scene(areas, home, elder, watch, alert, now)


@pytest.fixture
def worker(scene: Scene, assigned: User) -> Client:
    client = Client()
    client.force_login(assigned)
    return client


def text(response: Any) -> str:
    return response.content.decode()


# --- who may see what -----------------------------------------------------------------


def staff_urls(scene: Scene) -> list[str]:
    return [
        reverse("care:home"),
        reverse("care:alerts"),
        reverse("care:alert", args=[scene.alert.pk]),
        reverse("care:resident", args=[scene.elder.pk]),
    ]


def test_anonymous_visitors_are_sent_to_log_in(scene: Scene, client: Client) -> None:
    for url in staff_urls(scene):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_provider_staff_are_refused_even_in_the_same_area(scene: Scene, client: Client) -> None:
    client.force_login(staff_user(scene.areas["micro_grid"], Role.PROVIDER_STAFF))
    for url in staff_urls(scene):
        response = client.get(url)
        assert response.status_code == 403, url
    response = client.post(reverse("care:ack", args=[scene.alert.pk]))
    assert response.status_code == 403
    scene.alert.refresh_from_db()
    assert scene.alert.acknowledged_at is None


def test_a_worker_elsewhere_sees_nothing_here_and_gets_404_on_our_rows(
    scene: Scene, elsewhere: User, client: Client
) -> None:
    client.force_login(elsewhere)
    home = text(client.get(reverse("care:home")))
    assert scene.elder.name not in home
    assert "暂无待处理告警" in home
    assert scene.elder.name not in text(client.get(reverse("care:alerts") + "?status=all"))
    for url in staff_urls(scene)[2:]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("care:ack", args=[scene.alert.pk])).status_code == 404
    away = AwayPeriod.objects.create(
        resident=scene.elder, starts_at=scene.now, ends_at=scene.now + dt.timedelta(days=1)
    )
    assert client.post(reverse("care:away_end", args=[away.pk])).status_code == 404
    scene.alert.refresh_from_db()
    assert scene.alert.acknowledged_at is None


def test_a_community_admin_sees_the_micro_grids_below(
    scene: Scene, community_admin: User, client: Client
) -> None:
    client.force_login(community_admin)
    page = text(client.get(reverse("care:home")))
    assert scene.elder.name in page
    assert f'href="tel:{ELDER_PHONE}"' in page


def test_the_care_flag_is_set_at_log_in_and_shows_the_nav_link(
    scene: Scene, assigned: User, client: Client
) -> None:
    client.post(reverse("login"), {"username": assigned.username, "password": "pw-linli-test"})
    assert client.session["linli_care"] is True
    assert '<a href="/care/">关怀守护</a>' in text(client.get(reverse("cases:mine")))


def test_provider_staff_get_no_care_flag(scene: Scene, client: Client) -> None:
    user = staff_user(scene.areas["micro_grid"], Role.PROVIDER_STAFF)
    client.post(reverse("login"), {"username": user.username, "password": "pw-linli-test"})
    assert client.session["linli_care"] is False
    assert "关怀守护" not in text(client.get(reverse("cases:mine")))


# --- the phone page ---------------------------------------------------------------------


def test_phone_page_shows_the_open_alert_with_calls_and_the_ack_button(
    scene: Scene, worker: Client, assigned: User
) -> None:
    page = text(worker.get(reverse("care:home")))
    card = page[page.index(f'id="alert-{scene.alert.pk}"') :]
    assert "紧急呼叫 · 张桂兰" in card
    assert "7号楼" in card
    assert "10 分钟前" in card
    assert "待确认" in card
    assert f'href="tel:{ELDER_PHONE}"' in card
    assert f'href="tel:{SON_PHONE}"' in card and "王强（儿子）" in card
    assert "我已确认，马上处理" in card
    logged = PiiAccessLog.objects.get(user=assigned, subject_id=scene.elder.pk)
    assert logged.fields == "电话,紧急联系人电话"


def test_watched_residents_show_last_sign_age_and_home(scene: Scene, worker: Client) -> None:
    page = text(worker.get(reverse("care:home")))
    row = page[page.index(f'data-resident="{scene.elder.pk}"') :]
    assert "3 小时前 · 用水" in row
    assert f"{scene.elder.age()} 岁" in row
    assert "7号楼" in row
    assert "静默过久" not in row.split("</li>")[0]


def test_a_silence_past_its_tolerance_is_flagged_in_words(scene: Scene, worker: Client) -> None:
    late = watched(
        scene.home,
        "刘淑珍",
        last_sign_at=scene.now - dt.timedelta(hours=7),
        last_sign_kind=EventKind.DOOR_OPEN,
        due_at=scene.now - dt.timedelta(minutes=5),
    )
    page = text(worker.get(reverse("care:home")))
    row = page[page.index(f'data-resident="{late.resident_id}"') :].split("</li>")[0]
    assert "⚠" in row and "7 小时前 · 开关门（静默过久）" in row
    # Longest silence first.
    assert page.index(f'data-resident="{late.resident_id}"') < page.index(
        f'data-resident="{scene.elder.pk}"'
    )


def test_away_mode_shows_a_badge_until_when_instead_of_the_cue(
    scene: Scene, worker: Client
) -> None:
    gone = watched(
        scene.home,
        "赵玉梅",
        last_sign_at=scene.now - dt.timedelta(hours=20),
        last_sign_kind="power",
    )
    AwayPeriod.objects.create(
        resident=gone.resident,
        starts_at=scene.now - dt.timedelta(hours=19),
        ends_at=scene.now + dt.timedelta(days=2),
    )
    page = text(worker.get(reverse("care:home")))
    row = page[page.index(f'data-resident="{gone.resident_id}"') :].split("</li>")[0]
    until = timezone.localtime(scene.now + dt.timedelta(days=2)).strftime("%m-%d %H:%M")
    assert f"外出中，至 {until}" in row
    assert "静默过久" not in row


def test_phone_page_queries_do_not_grow_with_alerts_and_watches(
    scene: Scene, worker: Client
) -> None:
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert worker.get(reverse("care:home")).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(4):
        watch = watched(scene.home, f"老人{i}", last_sign_at=scene.now, last_sign_kind="water")
        alert = care_alert(watch.resident, AlertKind.SOS, source_key=f"sos:x{i}")
        if i % 2:
            worker.post(reverse("care:ack", args=[alert.pk]))
    away = AwayPeriod.objects.create(
        resident=watch.resident, starts_at=scene.now, ends_at=scene.now + dt.timedelta(days=1)
    )
    assert away.pk
    assert count() <= before  # the PII log insert is one bulk insert either way


# --- alerts -----------------------------------------------------------------------------


def test_ack_takes_the_alert_in_hand_and_returns_to_the_phone_page(
    scene: Scene, worker: Client, assigned: User
) -> None:
    response = worker.post(reverse("care:ack", args=[scene.alert.pk]), {"next": "/care/"})
    assert response.status_code == 302 and response["Location"] == "/care/"
    scene.alert.refresh_from_db()
    assert scene.alert.status == AlertStatus.ACKNOWLEDGED
    assert scene.alert.acknowledged_by == assigned
    page = text(worker.get("/care/"))
    assert "我已确认，马上处理" not in page
    assert "已确认处理中" in page


def test_a_second_ack_is_a_conflict_in_words(scene: Scene, worker: Client) -> None:
    worker.post(reverse("care:ack", args=[scene.alert.pk]))
    response = worker.post(reverse("care:ack", args=[scene.alert.pk]))
    assert response.status_code == 409
    assert "告警已由" in text(response) and "确认" in text(response)
    assert scene.alert.steps.filter(action=StepAction.ACKNOWLEDGED).count() == 1


def test_ack_ignores_a_next_that_leaves_the_care_pages(scene: Scene, worker: Client) -> None:
    response = worker.post(
        reverse("care:ack", args=[scene.alert.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("care:alert", args=[scene.alert.pk])


def test_resolve_as_fine_closes_the_alert_with_its_outcome(scene: Scene, worker: Client) -> None:
    response = worker.post(
        reverse("care:resolve", args=[scene.alert.pk]),
        {"outcome": AlertOutcome.FINE, "note": "老人误按，已上门确认平安"},
    )
    assert response.status_code == 302
    scene.alert.refresh_from_db()
    assert scene.alert.status == AlertStatus.RESOLVED
    assert scene.alert.outcome == AlertOutcome.FINE
    page = text(worker.get(reverse("care:alert", args=[scene.alert.pk])))
    assert "已解除（平安无事）" in page
    assert "老人误按，已上门确认平安" in page


def test_a_false_alarm_without_a_reason_is_refused_and_nothing_changes(
    scene: Scene, worker: Client
) -> None:
    response = worker.post(
        reverse("care:resolve", args=[scene.alert.pk]),
        {"outcome": AlertOutcome.FALSE_ALARM, "note": "  "},
    )
    assert response.status_code == 400
    assert "误报请写明原因" in text(response)
    scene.alert.refresh_from_db()
    assert scene.alert.status == AlertStatus.OPEN


def test_resolve_without_an_outcome_says_choose_one(scene: Scene, worker: Client) -> None:
    response = worker.post(reverse("care:resolve", args=[scene.alert.pk]), {"outcome": "maybe"})
    assert response.status_code == 400
    assert "请选择处理结果" in text(response)


def test_resolving_a_closed_alert_is_a_conflict(scene: Scene, worker: Client) -> None:
    url = reverse("care:resolve", args=[scene.alert.pk])
    worker.post(url, {"outcome": AlertOutcome.NEEDED_HELP})
    response = worker.post(url, {"outcome": AlertOutcome.FINE})
    assert response.status_code == 409
    assert "告警已已解除" not in text(response)
    assert "无需再处理" in text(response)


def test_called_and_notes_go_on_the_trail(scene: Scene, worker: Client, assigned: User) -> None:
    url = reverse("care:note", args=[scene.alert.pk])
    assert worker.post(url, {"called": "1", "note": ""}).status_code == 302
    assert worker.post(url, {"note": "儿子说老人在楼下散步"}).status_code == 302
    steps = list(scene.alert.steps.filter(actor=assigned).values_list("action", "note"))
    assert steps == [
        (StepAction.ACKNOWLEDGED, "已电话联系"),  # whoever called has it in hand
        (StepAction.CALLED, ""),
        (StepAction.NOTE, "儿子说老人在楼下散步"),
    ]
    page = text(worker.get(reverse("care:alert", args=[scene.alert.pk])))
    assert "已电话联系" in page and "儿子说老人在楼下散步" in page


def test_an_empty_note_is_refused(scene: Scene, worker: Client) -> None:
    response = worker.post(reverse("care:note", args=[scene.alert.pk]), {"note": " "})
    assert response.status_code == 400
    assert "请填写说明" in text(response)


def test_turning_an_alert_into_a_case_leads_to_the_case(scene: Scene, worker: Client) -> None:
    response = worker.post(reverse("care:case", args=[scene.alert.pk]), {"note": "需上门"})
    scene.alert.refresh_from_db()
    assert scene.alert.status == AlertStatus.CASE and scene.alert.case is not None
    assert response["Location"] == reverse("cases:detail", args=[scene.alert.case.number])
    page = text(worker.get(reverse("care:alert", args=[scene.alert.pk])))
    assert f'href="{response["Location"]}"' in page
    again = worker.post(reverse("care:case", args=[scene.alert.pk]))
    assert again.status_code == 409


def test_alert_page_shows_trail_and_the_households_last_48_hours_of_events(
    scene: Scene, worker: Client
) -> None:
    door = Device.objects.create(
        kind=DeviceKind.DOOR_SENSOR, household=scene.home, vendor="v", external_id="door-1"
    )
    other = Device.objects.create(
        kind=DeviceKind.DOOR_SENSOR, household=HouseholdFactory(), vendor="v", external_id="d-2"
    )
    stamps = [("e1", door, 1), ("e2", door, 50), ("e3", other, 1)]
    partitions.partitions_ensure(scene.now - dt.timedelta(hours=h) for _, _, h in stamps)
    for event_id, device, hours in stamps:
        DeviceEvent.objects.create(
            device=device,
            event_id=event_id,
            ts=scene.now - dt.timedelta(hours=hours),
            kind=EventKind.DOOR_OPEN,
            received_at=scene.now,
        )
    page = text(worker.get(reverse("care:alert", args=[scene.alert.pk])))
    events = page[page.index('id="events"') :]
    assert events.count("<tr>") == 2  # header + the one recent event of this household
    assert "户门磁" in events and "开门" in events
    trail = page[page.index('id="trail"') :]
    assert "告警产生" in trail and "已通知" in trail


def test_alert_list_filters_by_status_and_kind_newest_first(
    scene: Scene, worker: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    silence = care_alert(scene.elder, AlertKind.SILENCE, silent_since=scene.now)
    done = care_alert(scene.elder, AlertKind.SMOKE, source_key="smoke:1")
    worker.post(reverse("care:resolve", args=[done.pk]), {"outcome": AlertOutcome.FINE})

    def listed(query: str) -> list[int]:
        page = text(worker.get(reverse("care:alerts") + query))
        return [int(part.split('"')[0]) for part in page.split('data-pk="')[1:]]

    assert listed("") == [silence.pk, scene.alert.pk]
    assert listed("?status=all") == [done.pk, silence.pk, scene.alert.pk]
    assert listed("?status=all&kind=smoke") == [done.pk]
    assert listed("?status=bogus&kind=bogus") == [silence.pk, scene.alert.pk]
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    assert listed("?status=all&page=2") == [scene.alert.pk]


# --- a resident -------------------------------------------------------------------------


def test_resident_page_without_a_routine_says_not_learnt(scene: Scene, worker: Client) -> None:
    page = text(worker.get(reverse("care:resident", args=[scene.elder.pk])))
    assert "尚未学习" in page
    assert "3 小时前 · 用水" in page


def test_resident_page_shows_the_routine_by_hour_for_weekdays_and_weekend(
    scene: Scene, worker: Client
) -> None:
    # Water at 07:00 on every weekday, never at weekends; door half of the weeks at 09:00
    # on Saturday only; power unknown (None) everywhere.
    water = [0.0] * 168
    for day in range(5):
        water[day * 24 + 7] = 1.0
    door = [0.0] * 168
    door[5 * 24 + 9] = 0.5
    tolerance = [[3600.0] * 48, [7200.0] * 48]
    tolerance[0][4] = 6 * 3600.0  # 02:00 at night
    Watch.objects.filter(pk=scene.watch.pk).update(
        profile=[door, water, [None] * 168], tolerance=tolerance, routine_days=21
    )
    page = text(worker.get(reverse("care:resident", args=[scene.elder.pk])))
    rows = page[page.index('id="routine"') :].split("<tr>")
    seven = next(r for r in rows if r.startswith('<th scope="row">7时'))
    cells = [c.split("</td>")[0].split(">")[-1] for c in seven.split("<td")[1:]]
    assert cells == ["0%", "100%", "—", "0%", "0%", "—"]
    nine = next(r for r in rows if r.startswith('<th scope="row">9时'))
    cells = [c.split("</td>")[0].split(">")[-1] for c in nine.split("<td")[1:]]
    assert cells == ["0%", "0%", "—", "25%", "0%", "—"]
    assert "在家时：白天（7–22 时）最长 1 小时，夜间最长 6 小时" in page
    assert "出门或开门后：白天（7–22 时）最长 2 小时，夜间最长 2 小时" in page


def test_staff_announce_away_mode_and_end_it(scene: Scene, worker: Client) -> None:
    start = timezone.localtime(scene.now)
    form = {
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "note": "去女儿家",
    }
    response = worker.post(reverse("care:away", args=[scene.elder.pk]), form)
    assert response.status_code == 302
    away = AwayPeriod.objects.get(resident=scene.elder)
    assert away.note == "去女儿家" and away.ends_at > scene.now + dt.timedelta(days=2)
    page = text(worker.get(reverse("care:resident", args=[scene.elder.pk])))
    assert "外出中" in page and "去女儿家" in page
    assert worker.post(reverse("care:away_end", args=[away.pk])).status_code == 302
    away.refresh_from_db()
    assert away.end_reason == AwayEnd.CANCELLED
    again = worker.post(reverse("care:away_end", args=[away.pk]))
    assert again.status_code == 409 and "该外出登记已结束" in text(again)


def test_away_ending_before_it_starts_is_refused_in_words(scene: Scene, worker: Client) -> None:
    start = timezone.localtime(scene.now) + dt.timedelta(days=2)
    form = {
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    response = worker.post(reverse("care:away", args=[scene.elder.pk]), form)
    assert response.status_code == 400
    assert "回来时间必须晚于离开时间" in text(response)
    assert not AwayPeriod.objects.exists()


def test_away_with_a_malformed_date_is_refused_in_words(scene: Scene, worker: Client) -> None:
    form = {"starts_at": "2026-13-45T25:00", "ends_at": "明天"}
    response = worker.post(reverse("care:away", args=[scene.elder.pk]), form)
    assert response.status_code == 400
    assert "请输入正确的日期和时间" in text(response)
    assert not AwayPeriod.objects.exists()


def test_unwatch_and_watch_again(scene: Scene, worker: Client) -> None:
    url = reverse("care:watch", args=[scene.elder.pk])
    refused = worker.post(url, {"action": "unwatch"})
    assert refused.status_code == 400 and "请写明原因" in text(refused)
    scene.watch.refresh_from_db()
    assert scene.watch.active
    assert worker.post(url, {"action": "unwatch", "note": "已搬去女儿家"}).status_code == 302
    scene.watch.refresh_from_db()
    assert not scene.watch.active and "已搬去女儿家" in scene.watch.note
    assert scene.elder.name not in text(worker.get("/care/")).split('id="watches-h"')[1]
    assert worker.post(url, {"action": "unwatch", "note": "再取消"}).status_code == 409
    assert worker.post(url, {"action": "watch", "note": "近期住院回家"}).status_code == 302
    scene.watch.refresh_from_db()
    assert scene.watch.active and scene.watch.note == "近期住院回家"


def test_staff_may_watch_a_resident_not_living_alone(scene: Scene, worker: Client) -> None:
    other = ResidentFactory(household=scene.home, name="孙建国")
    response = worker.post(reverse("care:watch", args=[other.pk]), {"action": "watch"})
    assert response.status_code == 302
    assert Watch.objects.get(resident=other).reason == "staff_choice"
    assert worker.post(reverse("care:watch", args=[other.pk]), {"action": "x"}).status_code == 400


def test_an_alert_turned_into_a_case_stays_on_the_workers_page_until_the_case_closes(
    scene: Scene, worker: Client, assigned: User
) -> None:
    ensure_categories()
    care_services.alert_to_case(alert=scene.alert, by=assigned, note="上门未应门")
    scene.alert.refresh_from_db()
    number = scene.alert.case.number
    page = text(worker.get("/care/"))
    assert "已转为事件、仍在办理" in page and f"/cases/{number}/" in page
    row = page.split(f'data-resident="{scene.elder.pk}"')[1].split("</li>")[0]
    assert f"事件 {number} 办理中" in row
    Case.objects.filter(pk=scene.alert.case.pk).update(status=CaseStatus.CLOSED)
    assert "已转为事件、仍在办理" not in text(worker.get("/care/"))
