"""MQTT helpers for tests and the benchmark: a publisher, a running ingestor, waiting."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import paho.mqtt.client as paho
from django.db import OperationalError

from linli.devices.mqtt import Ingestor, parse_mqtt_url


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, step: float = 0.05) -> bool:
    """Poll ``condition`` until true or ``timeout`` seconds pass.

    SQLite's shared-cache test database locks whole tables: a read while the ingestor writes
    raises "database table is locked", which only means "not yet".
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OperationalError:
            pass
        time.sleep(step)
    return condition()


def publisher(url: str) -> paho.Client:
    """A connected paho client (its own network thread) for publishing at QoS 1.

    ``acked(client)`` is the set of message ids the broker has acknowledged; messages
    published while the broker is away are queued by paho and sent after reconnecting.
    """
    target = parse_mqtt_url(url)
    client = paho.Client(
        paho.CallbackAPIVersion.VERSION2,
        client_id=f"pub-{uuid.uuid4().hex[:10]}",
        userdata={"acked": set()},
    )
    client.on_publish = lambda c, userdata, mid, *_: userdata["acked"].add(mid)
    client.max_inflight_messages_set(100)
    client.reconnect_delay_set(min_delay=1, max_delay=2)
    client.connect(target.host, target.port, keepalive=30)
    client.loop_start()
    return client


def acked(client: paho.Client) -> set[int]:
    return client.user_data_get()["acked"]  # type: ignore[no-any-return]


def forget_session(url: str, client_id: str) -> None:
    """Remove a persistent session from the broker (clean-session connect and disconnect)."""
    target = parse_mqtt_url(url)
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    client.connect(target.host, target.port)
    client.loop_start()
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()


@contextmanager
def running_ingestor(url: str, **kwargs: Any) -> Iterator[Ingestor]:
    """An :class:`Ingestor` with a unique client id and topic prefix, subscribed, then stopped.

    Its session is removed from the broker afterwards so tests leave nothing behind.
    """
    kwargs.setdefault("client_id", f"linli-test-{uuid.uuid4().hex[:10]}")
    kwargs.setdefault("prefix", f"linlitest{uuid.uuid4().hex[:8]}")
    ingestor = Ingestor(url, **kwargs)
    ingestor.start()
    try:
        if not ingestor.subscribed.wait(10):
            raise RuntimeError(f"ingestor did not subscribe at {url}")
        yield ingestor
    finally:
        ingestor.stop()
        forget_session(url, ingestor.client_id)
