"""The MQTT ingestor against real Mosquitto brokers: the shared one, and throwaway ones that
are stopped and started during a stream."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import OperationalError

from linli.devices import mqtt
from linli.devices.ingest import ingest_batches
from linli.devices.models import DeadLetter, DeviceEvent
from linli.devices.tests.conftest import SHARED_BROKER, ThrowawayBroker, dumps, event
from linli.devices.tests.mqtt_helpers import acked, publisher, running_ingestor, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def topic(ingestor: mqtt.Ingestor, community: Any, device: Any) -> str:
    return f"{ingestor.prefix}/{community.code}/{device.external_id}/events"


def test_events_published_over_mqtt_are_stored(
    home: dict[str, Any], gateway: tuple[Any, str]
) -> None:
    with running_ingestor(SHARED_BROKER) as ingestor:
        client = publisher(SHARED_BROKER)
        community = home["community"]
        infos = [
            client.publish(
                topic(ingestor, community, home["door"]), dumps(event(home["door"], 1)), qos=1
            ),
            client.publish(
                f"{ingestor.prefix}/{community.code}/gateway/{gateway[0].key_id}",
                dumps([event(home["water"], n) for n in range(2, 52)]),
                qos=1,
            ),
        ]
        for info in infos:
            info.wait_for_publish(5)
        assert wait_until(lambda: DeviceEvent.objects.count() == 51)
        client.disconnect()
        client.loop_stop()
    assert ingestor.totals.stored == 51


def test_malformed_messages_become_dead_letters_and_the_ingestor_goes_on(
    home: dict[str, Any],
) -> None:
    with running_ingestor(SHARED_BROKER) as ingestor:
        client = publisher(SHARED_BROKER)
        good = topic(ingestor, home["community"], home["sos"])
        client.publish(good, b"\x00not json", qos=1)
        client.publish(
            f"{ingestor.prefix}/999999999999/{home['sos'].external_id}/events",
            dumps(event(home["sos"], 1)),
            qos=1,
        )
        client.publish(
            f"{ingestor.prefix}/{home['community'].code}/gateway/nobody",
            dumps(event(home["sos"], 2)),
            qos=1,
        )
        client.publish(good, dumps([event(home["sos"], 3), {"event": "half"}]), qos=1)
        client.publish(good, dumps(event(home["sos"], 4)), qos=1).wait_for_publish(5)
        assert wait_until(
            lambda: DeviceEvent.objects.count() == 2 and DeadLetter.objects.count() == 4
        )
        client.disconnect()
        client.loop_stop()
    codes = sorted(DeadLetter.objects.values_list("code", flat=True))
    assert codes == ["missing_field", "not_json", "unknown_community", "unknown_gateway"]
    assert set(DeviceEvent.objects.values_list("event_id", flat=True)) == {"e-3", "e-4"}


def test_nothing_is_lost_while_the_database_is_down(
    home: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a database that fails the first writes, when messages keep coming, then each
    event is stored exactly once after it recovers."""
    monkeypatch.setattr(mqtt, "RETRY_FIRST_S", 0.1)
    failures = {"left": 4}

    def flaky(batches: list[Any]) -> Any:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise OperationalError("connection refused (simulated outage)")
        return ingest_batches(batches)

    with running_ingestor(SHARED_BROKER, write=flaky) as ingestor:
        client = publisher(SHARED_BROKER)
        door = topic(ingestor, home["community"], home["door"])
        infos = [client.publish(door, dumps(event(home["door"], n)), qos=1) for n in range(200)]
        for info in infos:
            info.wait_for_publish(10)
        assert wait_until(lambda: DeviceEvent.objects.count() == 200, timeout=30)
        client.disconnect()
        client.loop_stop()
    assert failures["left"] == 0 and ingestor.db_failures == 4
    assert DeviceEvent.objects.values("event_id").distinct().count() == 200


def test_a_message_the_database_refuses_is_kept_as_a_dead_letter(home: dict[str, Any]) -> None:
    def picky(batches: list[Any]) -> Any:
        if any(b.items and "poison" in str(b.items) for b in batches):
            raise ValueError("refused row")
        return ingest_batches(batches)

    with running_ingestor(SHARED_BROKER, write=picky) as ingestor:
        client = publisher(SHARED_BROKER)
        door = topic(ingestor, home["community"], home["door"])
        client.publish(door, dumps(event(home["door"], 1, event="poison")), qos=1)
        client.publish(door, dumps(event(home["door"], 2)), qos=1).wait_for_publish(5)
        assert wait_until(
            lambda: DeviceEvent.objects.count() == 1 and DeadLetter.objects.count() == 1
        )
        client.disconnect()
        client.loop_stop()
    assert DeadLetter.objects.get().code == "write_failed"


def test_broker_restarts_during_a_stream_lose_nothing(home: dict[str, Any]) -> None:
    """Given a throwaway Mosquitto with persistence, when it is stopped and started twice while
    a publisher streams N events at QoS 1, then all N are stored exactly once."""
    broker = ThrowawayBroker()
    broker.start()
    try:
        with running_ingestor(broker.url) as ingestor:
            client = publisher(broker.url)
            door = topic(ingestor, home["community"], home["door"])
            water = f"{ingestor.prefix}/{home['community'].code}/{home['water'].external_id}/events"
            infos: list[Any] = []
            restarts_done = threading.Event()

            def stream() -> None:
                # Until both restarts are over, and then a little longer.
                i = 0
                while not restarts_done.is_set() or i % 500:
                    device, meter = (home["water"], water) if i % 10 == 0 else (home["door"], door)
                    infos.append(client.publish(meter, dumps(event(device, i)), qos=1))
                    i += 1
                    time.sleep(0.002)

            sender = threading.Thread(target=stream)
            sender.start()
            for _ in range(2):
                time.sleep(0.5)
                broker.stop()
                time.sleep(1.0)
                broker.start()
                assert wait_until(ingestor.connected.is_set, timeout=20)
            time.sleep(0.3)
            restarts_done.set()
            sender.join()
            n = len(infos)
            assert n >= 1000, n
            mids = {info.mid for info in infos}
            assert wait_until(lambda: mids <= acked(client), timeout=60)
            assert wait_until(lambda: DeviceEvent.objects.count() >= n, timeout=60), (
                DeviceEvent.objects.count()
            )
            client.disconnect()
            client.loop_stop()
    finally:
        broker.close()
    assert DeviceEvent.objects.count() == n
    assert DeviceEvent.objects.values("device", "event_id").distinct().count() == n
    assert ingestor.totals.stored == n
    assert DeadLetter.objects.count() == 0
    assert ingestor.generation == 3  # connected three times: the broker really went away twice
