"""``POST /api/devices/events``: HMAC-signed gateway batches."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client, override_settings

from linli.devices.models import DeadLetter, DeviceEvent
from linli.devices.services import gateway_rotate_secret
from linli.devices.signature import sign
from linli.devices.tests.conftest import dumps, event

pytestmark = pytest.mark.django_db
URL = "/api/devices/events"


def post(
    client: Client,
    gateway: Any,
    secret: str,
    body: bytes,
    *,
    timestamp: int | None = None,
    signature: str | None = None,
) -> Any:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return client.post(
        URL,
        data=body,
        content_type="application/json",
        headers={
            "X-Linli-Gateway": gateway.key_id,
            "X-Linli-Timestamp": stamp,
            "X-Linli-Signature": signature or sign(secret.encode(), stamp, body),
        },
    )


def test_a_signed_batch_is_stored_with_per_event_results(
    client: Client, home: dict[str, Any], gateway: tuple[Any, str]
) -> None:
    body = dumps([event(home["water"], 1), event(home["door"], 2)])
    response = post(client, *gateway, body)
    assert response.status_code == 200
    data = response.json()
    assert (data["stored"], data["duplicates"], data["rejected"]) == (2, 0, 0)
    assert [r["status"] for r in data["results"]] == ["stored", "stored"]
    assert DeviceEvent.objects.count() == 2


def test_a_batch_with_bad_items_answers_207_and_names_them(
    client: Client, home: dict[str, Any], gateway: tuple[Any, str]
) -> None:
    body = dumps([event(home["water"], 1), {**event(home["door"], 2), "kind": "smoke"}])
    response = post(client, *gateway, body)
    assert response.status_code == 207
    results = response.json()["results"]
    assert results[0] == {"index": 0, "event": "e-1", "status": "stored"}
    assert results[1]["status"] == "rejected" and results[1]["code"] == "kind_mismatch"
    assert "设备类型" in results[1]["reason"]


def test_a_replayed_batch_stores_nothing_twice(
    client: Client, home: dict[str, Any], gateway: tuple[Any, str]
) -> None:
    body = dumps(event(home["sos"], 1))
    stamp = int(time.time())
    post(client, *gateway, body, timestamp=stamp)
    again = post(client, *gateway, body, timestamp=stamp)
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    assert DeviceEvent.objects.count() == 1


def test_a_wrong_signature_is_401_in_chinese(
    client: Client, home: dict[str, Any], gateway: tuple[Any, str]
) -> None:
    body = dumps(event(home["sos"], 1))
    response = post(client, *gateway, body, signature="0" * 64)
    assert response.status_code == 401
    assert response.json() == {"error": "签名不正确", "code": "bad_signature"}
    assert DeviceEvent.objects.count() == 0


def test_a_body_changed_after_signing_is_refused(
    client: Client, home: dict[str, Any], gateway: tuple[Any, str]
) -> None:
    body = dumps(event(home["sos"], 1))
    stamp = str(int(time.time()))
    signature = sign(gateway[1].encode(), stamp, body)
    response = post(
        client, *gateway, body.replace(b"e-1", b"e-2"), timestamp=int(stamp), signature=signature
    )
    assert response.status_code == 401


def test_an_old_timestamp_is_a_refused_replay(
    client: Client, home: dict[str, Any], gateway: tuple[Any, str]
) -> None:
    body = dumps(event(home["sos"], 1))
    response = post(client, *gateway, body, timestamp=int(time.time()) - 301)
    assert response.status_code == 401
    assert "时间戳" in response.json()["error"]


def test_the_old_key_stops_working_after_rotation(
    client: Client, home: dict[str, Any], gateway: tuple[Any, str]
) -> None:
    new_secret = gateway_rotate_secret(gateway=gateway[0])
    body = dumps(event(home["sos"], 1))
    assert post(client, *gateway, body).status_code == 401
    assert post(client, gateway[0], new_secret, body).status_code == 200


def test_an_unknown_or_inactive_gateway_is_401(
    client: Client, home: dict[str, Any], gateway: tuple[Any, str]
) -> None:
    gateway[0].active = False
    gateway[0].save()
    response = post(client, *gateway, dumps(event(home["sos"], 1)))
    assert response.status_code == 401 and response.json()["code"] == "unknown_gateway"


@override_settings(DEVICES_HTTP_MAX_BYTES=2000)
def test_an_oversized_body_is_413(
    client: Client, home: dict[str, Any], gateway: tuple[Any, str]
) -> None:
    body = dumps([event(home["water"], n) for n in range(40)])
    assert len(body) > 2000
    response = post(client, *gateway, body)
    assert response.status_code == 413
    assert DeviceEvent.objects.count() == 0


@override_settings(DEVICES_HTTP_MAX_EVENTS=3)
def test_too_many_events_in_one_batch_is_413(
    client: Client, home: dict[str, Any], gateway: tuple[Any, str]
) -> None:
    response = post(client, *gateway, dumps([event(home["water"], n) for n in range(4)]))
    assert response.status_code == 413 and response.json()["code"] == "too_many_events"


def test_a_signed_body_that_is_not_json_is_400_and_a_dead_letter(
    client: Client, home: dict[str, Any], gateway: tuple[Any, str]
) -> None:
    response = post(client, *gateway, b"{oops")
    assert response.status_code == 400 and response.json()["code"] == "not_json"
    letter = DeadLetter.objects.get()
    assert (letter.channel, letter.source, letter.payload) == ("http", gateway[0].key_id, "{oops")


def test_a_gateway_may_not_report_for_another_community(
    client: Client, home: dict[str, Any], other_areas: dict[str, Any]
) -> None:
    from linli.devices.services import gateway_create

    stranger = gateway_create(area=other_areas["community"], name="别处网关", key_id="gw-elsewhere")
    response = post(client, *stranger, dumps(event(home["sos"], 1)))
    assert response.status_code == 207
    assert json.loads(response.content)["results"][0]["code"] == "wrong_area"


def test_get_is_not_allowed(client: Client) -> None:
    assert client.get(URL).status_code == 405


def test_a_database_outage_is_503_with_retry_after(
    client: Client, home: dict[str, Any], gateway: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    from linli.devices import views

    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(views, "ingest", down)
    response = post(client, *gateway, dumps(event(home["sos"], 1)))
    assert response.status_code == 503
    assert response["Retry-After"] == "30" and "稍后重发" in response.json()["error"]
