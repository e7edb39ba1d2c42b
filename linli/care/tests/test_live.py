"""Live evaluation on ingestion: signs of life, the silence clock, away mode, immediate alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from linli.care import services
from linli.care.models import AlertKind, AlertStatus, AwayEnd, CareAlert, StepAction, Watch
from linli.care.tests.conftest import Routine, at, local_day
from linli.devices.ingest import ingest
from linli.notify.models import Delivery, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed(django_capture_on_commit_callbacks: Any) -> Any:
    """``feed(items)`` ingests payload items and runs the after-commit hook as in production."""

    def run(items: list[dict], now: dt.datetime | None = None) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return ingest(items, channel="http", source="test", now=now)

    return run


def watch_of(elder: dict[str, Any]) -> Watch:
    services.watches_sync()
    return Watch.objects.get(resident=elder["resident"])


def item(device: Any, ts: dt.datetime, kind: str, value: float | None = None, n: int = 0) -> dict:
    out: dict[str, Any] = {
        "event": f"x-{kind}-{n}-{ts.timestamp():.0f}",
        "device": device.external_id,
        "ts": ts.isoformat(),
        "kind": kind,
    }
    if value is not None:
        out["value"] = value
    return out


def test_living_alone_residents_are_watched_and_stop_being_watched(elder: dict) -> None:
    assert services.watches_sync() == (1, 0)
    assert services.watches_sync() == (0, 0)
    resident = elder["resident"]
    resident.living_alone = False
    resident.save()
    assert services.watches_sync() == (0, 1)
    assert not Watch.objects.get(resident=resident).active


def test_sos_opens_an_alert_once_and_tells_worker_and_family(elder: dict, feed: Any) -> None:
    ts = at(local_day(1), "09:12")
    sos = item(elder["sos"], ts, "sos")
    feed([sos])
    alert = CareAlert.objects.get()
    assert (alert.kind, alert.status, alert.raised_at) == (AlertKind.SOS, AlertStatus.OPEN, ts)
    assert alert.ack_due_at == ts + dt.timedelta(minutes=services.ACK_MINUTES_URGENT)
    assert list(alert.steps.values_list("action", flat=True)) == ["opened", "notified"]
    assert Notification.objects.filter(user=elder["worker"], kind="care.sos").exists()
    assert Delivery.objects.filter(channel="sms", target="139****5678").exists()
    feed([sos])  # the gateway resends: stored once, alerted once
    feed([{**sos, "event": "another-id"}])  # the same press reported under a new id alerts anew
    assert CareAlert.objects.count() == 2


def test_missed_hook_is_caught_by_the_sweep(elder: dict) -> None:
    ts = at(local_day(0), "00:01")
    ingest([item(elder["sos"], ts, "sos")], channel="http", source="t")  # hook not run
    assert not CareAlert.objects.exists()
    opened = services.care_sweep(now=ts + dt.timedelta(minutes=1))
    assert [a.kind for a in opened] == [AlertKind.SOS]


def test_signs_of_life_move_the_silence_clock(elder: dict, feed: Any) -> None:
    watch = watch_of(elder)
    t0 = at(local_day(2), "07:00")
    feed([item(elder["water"], t0, "water", 100.0, 1)])  # a first reading: no use known yet
    watch.refresh_from_db()
    assert watch.last_sign_at is None
    feed([item(elder["water"], t0 + dt.timedelta(minutes=30), "water", 100.2, 2)])  # 0.2 l: a drip
    watch.refresh_from_db()
    assert watch.last_sign_at is None
    t1 = t0 + dt.timedelta(hours=1)
    feed([item(elder["water"], t1, "water", 105.0, 3)])
    watch.refresh_from_db()
    assert (watch.last_sign_at, watch.last_sign_kind) == (t1, "water")
    assert watch.due_at == t1 + dt.timedelta(hours=12)  # no routine yet: the outer limit
    feed([item(elder["water"], t0 + dt.timedelta(minutes=40), "water", 104.0, 4)])  # late
    watch.refresh_from_db()
    assert watch.last_sign_at == t1


def test_power_counts_only_above_the_base_load(elder: dict, feed: Any) -> None:
    watch = watch_of(elder)
    watch.base_load_w = 60.0
    watch.save()
    t0 = at(local_day(2), "10:00")
    feed([item(elder["power"], t0, "power", 1000.0, 1)])
    feed([item(elder["power"], t0 + dt.timedelta(hours=1), "power", 1070.0, 2)])  # 70 W
    watch.refresh_from_db()
    assert watch.last_sign_at is None
    t2 = t0 + dt.timedelta(hours=2)
    feed([item(elder["power"], t2, "power", 1400.0, 3)])  # 330 W: cooking
    watch.refresh_from_db()
    assert watch.last_sign_at == t2


def learn_history(elder: dict, feed: Any, today: dt.date, days: int = 14) -> Routine:
    routine = Routine(elder)
    for back in range(days, 0, -1):
        feed(routine.day(today - dt.timedelta(days=back)))
    return routine


def test_a_quiet_night_is_normal_a_quiet_morning_is_not(elder: dict, feed: Any) -> None:
    today = local_day(1)
    watch_of(elder)
    learn_history(elder, feed, today)
    assert services.routines_learn(now=at(today, "00:30")) == 1
    watch = Watch.objects.get(resident=elder["resident"])
    assert len(watch.tolerance) == 2 and len(watch.tolerance[0]) == 48
    assert watch.routine_days == 14 and watch.base_load_w == pytest.approx(60.0)
    assert len(watch.profile) == 3 and len(watch.profile[0]) == 168
    night = watch.tolerance[0][43]  # a spell starting 21:30
    morning = watch.tolerance[0][15]  # a spell starting 07:30
    assert night > morning
    assert services.care_sweep(now=at(today, "06:00")) == []  # asleep: fine
    opened = []
    for minutes in range(0, 12 * 60, 15):
        opened += services.care_sweep(now=at(today, "06:00") + dt.timedelta(minutes=minutes))
        if opened:
            break
    assert [a.kind for a in opened] == [AlertKind.SILENCE]
    alert = opened[0]
    assert at(today, "06:00") < alert.raised_at < at(today, "10:30")  # missed morning routine
    assert alert.silent_since == watch.last_sign_at
    assert services.care_sweep(now=alert.raised_at + dt.timedelta(minutes=1)) == []  # once


def test_activity_after_a_silence_alert_is_noted_and_stops_escalation(
    elder: dict, feed: Any
) -> None:
    watch = watch_of(elder)
    t0 = at(local_day(3), "08:00")
    feed([item(elder["door"], t0, "door_open", n=1)])
    watch.refresh_from_db()
    [alert] = services.care_sweep(now=watch.due_at)
    back = alert.raised_at + dt.timedelta(minutes=5)
    feed([item(elder["door"], back, "door_close", n=2)])
    alert.refresh_from_db()
    assert alert.activity_at == back
    assert alert.steps.filter(action=StepAction.ACTIVITY).exists()
    assert services.alerts_escalate(now=back + dt.timedelta(hours=2)) == []
    watch.refresh_from_db()
    assert watch.due_at == back + dt.timedelta(hours=12)  # a new spell is watched again


def test_away_mode_holds_alerts_and_a_detected_return_ends_it(elder: dict, feed: Any) -> None:
    watch = watch_of(elder)
    day = local_day(4)
    left = at(day, "09:00")
    feed([item(elder["door"], left, "door_close", n=1)])
    away = services.away_announce(
        resident=elder["resident"],
        starts_at=left,
        ends_at=left + dt.timedelta(days=3),
        note="去女儿家住",
        by=elder["worker"],
        now=left,
    )
    watch.refresh_from_db()
    assert watch.due_at == away.ends_at
    assert services.care_sweep(now=left + dt.timedelta(days=1)) == []
    home = left + dt.timedelta(days=1, hours=5)
    feed([item(elder["door"], home, "door_open", n=2)])
    away.refresh_from_db()
    assert (away.ended_at, away.end_reason) == (home, AwayEnd.RETURNED)
    watch.refresh_from_db()
    assert watch.due_at == home + dt.timedelta(hours=12)


def test_away_mode_input_errors_write_nothing(elder: dict) -> None:
    now = at(local_day(0), "08:00")
    kwargs = {"resident": elder["resident"], "by": None, "now": now}
    bad = [
        (now + dt.timedelta(hours=2), now + dt.timedelta(hours=1), "回来时间必须晚于离开时间"),
        (now - dt.timedelta(days=3), now - dt.timedelta(days=2), "回来时间已经过去"),
        (now - dt.timedelta(days=2), now + dt.timedelta(days=2), "离开时间不能早于一天前"),
        (now, now + dt.timedelta(days=200), "最长"),
    ]
    for start, end, message in bad:
        with pytest.raises(ValidationError, match=message):
            services.away_announce(starts_at=start, ends_at=end, **kwargs)
    services.away_announce(starts_at=now, ends_at=now + dt.timedelta(days=2), **kwargs)
    with pytest.raises(ValidationError, match="已有外出登记"):
        services.away_announce(
            starts_at=now + dt.timedelta(days=1), ends_at=now + dt.timedelta(days=3), **kwargs
        )
    assert elder["resident"].away_periods.count() == 1


def test_water_running_for_hours_alerts_once(elder: dict, feed: Any) -> None:
    watch_of(elder)
    t0 = at(local_day(2), "13:00")
    items = [
        item(elder["water"], t0 + dt.timedelta(minutes=10 * k), "water", 500.0 + 4 * k, k)
        for k in range(24)
    ]
    feed(items[:12])
    assert not CareAlert.objects.exists()  # 1 h 50 min: a bath, a wash
    feed(items[12:])
    alert = CareAlert.objects.get()
    assert alert.kind == AlertKind.WATER_RUNNING
    assert alert.raised_at == t0 + dt.timedelta(minutes=180)


def test_acknowledge_resolve_and_their_errors(elder: dict, feed: Any) -> None:
    feed([item(elder["sos"], at(local_day(1), "10:00"), "sos")])
    alert = CareAlert.objects.get()
    worker = elder["worker"]
    with pytest.raises(ValidationError, match="误报请写明原因"):
        services.alert_resolve(alert=alert, by=worker, outcome="false_alarm")
    with pytest.raises(ValidationError, match="请选择处理结果"):
        services.alert_resolve(alert=alert, by=worker, outcome="whatever")
    services.alert_acknowledge(alert=alert, by=worker)
    with pytest.raises(ValidationError, match=r"告警已由李微于 \d\d:\d\d 确认"):
        services.alert_acknowledge(alert=alert, by=elder["leader"])
    services.alert_resolve(alert=alert, by=worker, outcome="false_alarm", note="老人误按")
    alert.refresh_from_db()
    assert (alert.status, alert.outcome) == (AlertStatus.RESOLVED, "false_alarm")
    with pytest.raises(ValidationError, match="告警已解除"):
        services.alert_acknowledge(alert=alert, by=worker)
    actions = list(alert.steps.values_list("action", flat=True))
    assert actions == ["opened", "notified", "acknowledged", "resolved"]


def test_unacknowledged_alert_escalates_then_becomes_a_case(elder: dict, feed: Any) -> None:
    t0 = at(local_day(1), "10:00")
    feed([item(elder["sos"], t0, "sos")])
    alert = CareAlert.objects.get()
    assert services.alerts_escalate(now=t0 + dt.timedelta(minutes=4)) == []
    [escalated] = services.alerts_escalate(now=t0 + dt.timedelta(minutes=6))
    assert escalated.status == AlertStatus.ESCALATED
    assert Notification.objects.filter(user=elder["leader"], kind="care.escalated").exists()
    assert Notification.objects.filter(user=elder["admin"], kind="care.escalated").exists()
    later = t0 + dt.timedelta(minutes=6 + services.CASE_AFTER_MINUTES)
    services.alerts_escalate(now=later)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CASE and alert.escalation_level == 2
    case = alert.case
    assert case is not None and case.category.name == "独居老人异常"
    assert case.subject_resident == elder["resident"]
    assert "超时升级" in case.description and "紧急呼叫" in case.description


def test_an_away_period_cancelled_before_it_began_reads_as_cancelled(elder: dict) -> None:
    now = at(local_day(0), "08:00")
    away = services.away_announce(
        resident=elder["resident"],
        starts_at=now + dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=3),
        by=None,
        now=now,
    )
    services.away_end(away=away, by=None, now=now)
    away.refresh_from_db()
    assert away.end_reason == AwayEnd.CANCELLED and away.ended_at == away.starts_at


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (59, "0 分钟"),
        (45 * 60, "45 分钟"),
        (3600, "1 小时"),
        (2909 * 60, "2 天"),
        (7525 * 60, "5 天 5 小时"),
        (90 * 60, "1 小时 30 分钟"),
    ],
)
def test_durations_are_said_in_hours_and_days(seconds: int, words: str) -> None:
    assert services.duration_text(seconds) == words
