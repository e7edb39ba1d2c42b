"""The silent-neighbour scenario of issue 5, end to end over the real MQTT broker.

老王 lives alone. Two weeks of his ordinary days reach Linli through ingestion; the hourly
learning fits his routine. On the day, his morning water use arrives over MQTT through the
real ingestor (``linli ingest``'s :class:`~linli.devices.mqtt.Ingestor`) and then nothing:
he fell after 07:30. The minute sweep (driven here with the scenario's clock) raises a
silence alert when his usual late-morning activity is overdue, the micro-grid worker and his
daughter are told; nobody acknowledges, so the grid leader and the community are told; still
nobody, so a case 独居老人异常 is opened carrying the trail and his last device events.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from linli.care import services
from linli.care.models import AlertKind, AlertStatus, CareAlert, Watch
from linli.care.tests.conftest import Routine, at, local_day
from linli.cases.tests.lifecycle import ensure_categories
from linli.devices.ingest import ingest
from linli.devices.models import DeviceEvent
from linli.devices.tests.conftest import SHARED_BROKER
from linli.devices.tests.mqtt_helpers import publisher, running_ingestor, wait_until
from linli.notify.models import Delivery, Notification

pytestmark = pytest.mark.django_db(transaction=True)


def test_silence_after_the_morning_routine_becomes_an_alert_then_a_case(
    elder: dict[str, Any],
) -> None:
    ensure_categories()  # a transactional test before this one may have flushed the seed
    day = local_day(2)
    services.watches_sync()
    routine = Routine(elder)
    for back in range(14, 0, -1):  # history, as gateways delivered it (the hook runs)
        ingest(routine.day(day - dt.timedelta(days=back)), channel="http", source="gw")
    assert services.routines_learn(now=at(day, "00:20")) == 1
    watch = Watch.objects.get(resident=elder["resident"])
    assert watch.routine_days == 14

    morning = routine.day(day, until="07:45")  # then he falls: nothing more
    with running_ingestor(SHARED_BROKER) as ingestor:
        client = publisher(SHARED_BROKER)
        code = elder["areas"]["community"].code
        for item in morning:
            topic = f"{ingestor.prefix}/{code}/{item['device']}/events"
            client.publish(topic, json.dumps(item).encode(), qos=1).wait_for_publish(5)
        stored = DeviceEvent.objects.filter(ts__gte=at(day, "00:00"))
        assert wait_until(lambda: stored.count() == len(morning))
        assert wait_until(ingestor.evaluated)  # the care hook runs in the evaluator thread
        client.disconnect()
        client.loop_stop()
    watch.refresh_from_db()
    last_water = max(dt.datetime.fromisoformat(i["ts"]) for i in morning if i["kind"] == "water")
    assert watch.last_sign_at is not None and watch.last_sign_at >= last_water

    # The minute sweep, every 5 minutes of the scenario's clock, until a case exists.
    clock, alert = at(day, "07:45"), None
    while clock < at(day, "20:00") and not CareAlert.objects.filter(case__isnull=False).exists():
        services.care_sweep(now=clock)
        clock += dt.timedelta(minutes=5)
    alert = CareAlert.objects.get()
    assert alert.kind == AlertKind.SILENCE and alert.status == AlertStatus.CASE
    assert alert.silent_since == watch.last_sign_at
    delay_h = (alert.raised_at - watch.last_sign_at).total_seconds() / 3600
    assert delay_h < 12  # sooner than "no water in 12 h"
    assert alert.raised_at < at(day, "14:00")  # his late-morning routine was missed

    steps = list(alert.steps.order_by("at", "pk").values_list("action", "at"))
    assert [a for a, _ in steps] == ["opened", "notified", "escalated", "case"]
    times = [t for _, t in steps]
    assert times == sorted(times) and times[0] == alert.raised_at
    assert times[2] - times[0] >= dt.timedelta(minutes=services.ACK_MINUTES)
    assert times[3] - times[2] >= dt.timedelta(minutes=services.CASE_AFTER_MINUTES)

    assert Notification.objects.filter(user=elder["worker"], kind="care.silence").exists()
    assert Delivery.objects.filter(channel="sms", target="139****5678").exists()  # daughter
    for boss in ("leader", "admin"):
        assert Notification.objects.filter(user=elder[boss], kind="care.escalated").exists()

    case = alert.case
    assert case is not None
    assert case.category.code == services.CASE_CATEGORY_CODE and case.channel == "device_alert"
    assert case.subject_resident == elder["resident"] and case.household == elder["household"]
    for line in ("告警产生", "已通知", "超时升级", "转为事件", "用水读数"):
        assert line in case.description
    assert case.attributes == {"care_alert": alert.pk}
