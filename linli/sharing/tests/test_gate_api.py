"""The camera API (/api/parking/gate/…): keys, answers, bad input; the admin key action."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from linli.sharing import gate
from linli.sharing.gate import gate_key_issue, lot_for_key
from linli.sharing.models import Booking, BookingStatus, GateEvent, ParkingLot
from linli.sharing.tests.conftest import Scene, book, local_at

pytestmark = pytest.mark.django_db

CHECK = "/api/parking/gate/check"
PASS = "/api/parking/gate/pass"


@pytest.fixture
def key(parking: Scene, community_admin: User) -> str:
    return gate_key_issue(actor=community_admin, lot=parking.lot)


def get(client: Client, key: str | None, **params: str) -> Any:
    headers = {} if key is None else {"X-Gate-Key": key}
    return client.get(CHECK, params, headers=headers)


def post(client: Client, key: str, body: Any) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(PASS, data, content_type="application/json", headers={"X-Gate-Key": key})


def test_a_booked_plate_is_allowed_with_its_booking(
    client: Client, parking: Scene, key: str
) -> None:
    booking = book(parking, "wang", local_at(2, 9), local_at(2, 11))
    at = local_at(2, 9, 30).isoformat()
    response = get(client, key, lot="p1", plate="宁A12345", at=at)
    assert response.status_code == 200
    assert response.json() == {
        "allow": True,
        "reason": "已预约车位 A-001（09:00–11:00）",
        "reason_code": "booking",
        "booking": {
            "id": booking.pk,
            "space": "A-001",
            "starts_at": local_at(2, 9).isoformat(),
            "ends_at": local_at(2, 11).isoformat(),
            "status": "booked",
        },
    }
    assert not GateEvent.objects.exists()  # a check writes nothing


def test_another_plate_is_refused_with_the_reason(client: Client, parking: Scene, key: str) -> None:
    book(parking, "wang", local_at(2, 9), local_at(2, 11))
    body = get(client, key, lot="p1", plate="宁B77777", at=local_at(2, 10).isoformat()).json()
    assert body == {
        "allow": False,
        "reason": "未预约本停车场车位",
        "reason_code": "no_booking",
        "booking": None,
    }


def test_an_unescaped_plus_in_the_offset_is_read_as_plus(
    client: Client, parking: Scene, key: str
) -> None:
    book(parking, "wang", local_at(2, 9), local_at(2, 11))
    at = local_at(2, 10).isoformat().replace("+", " ")  # what "?at=…+08:00" becomes unescaped
    assert get(client, key, lot="p1", plate="宁A12345", at=at).json()["allow"] is True


def test_without_at_the_check_uses_now(client: Client, parking: Scene, key: str) -> None:
    response = get(client, key, lot="p1", plate="宁B77777")
    assert response.status_code == 200
    assert response.json()["reason_code"] == "no_booking"


@pytest.mark.parametrize(
    ("sent", "status", "words"),
    [
        ("", 401, "缺少道闸密钥"),
        ("not-the-key", 401, "道闸密钥不正确"),
        (None, 401, "缺少道闸密钥"),
    ],
)
def test_a_missing_or_wrong_key_is_401(
    client: Client, parking: Scene, key: str, sent: str | None, status: int, words: str
) -> None:
    response = get(client, sent, lot="p1", plate="宁A12345")
    assert response.status_code == status
    assert words in response.json()["error"]


def test_a_logged_in_user_without_the_key_is_401(
    client: Client, parking: Scene, key: str, assigned: User, elsewhere: User
) -> None:
    for user in (assigned, elsewhere):
        client.force_login(user)
        assert get(client, None, lot="p1", plate="宁A12345").status_code == 401


def test_a_lot_without_a_key_accepts_none(client: Client, parking: Scene) -> None:
    assert get(client, "anything", lot="p1", plate="宁A12345").status_code == 401


def test_an_unknown_or_disabled_lot_is_404(client: Client, parking: Scene, key: str) -> None:
    response = get(client, key, lot="nope", plate="宁A12345")
    assert response.status_code == 404
    assert "没有代码为“nope”的停车场" in response.json()["error"]
    ParkingLot.objects.filter(pk=parking.lot.pk).update(active=False)
    gate.forget_lots()
    assert get(client, key, lot="p1", plate="宁A12345").status_code == 404


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"lot": "p1", "plate": "宁AI2345"}, "字母 I 或 O"),
        ({"lot": "p1", "plate": "12345"}, "省份简称"),
        ({"lot": "p1"}, "缺少车牌号"),
        ({"plate": "宁A12345"}, "缺少停车场代码"),
        ({"lot": "p1", "plate": "宁A12345", "at": "明天上午"}, "无法识别"),
        ({"lot": "p1", "plate": "宁A12345", "at": "2026-13-40T09:00:00+08:00"}, "无法识别"),
        ({"lot": "p1", "plate": "宁A12345", "at": "2026-12-01T09:00:00"}, "须带时区"),
    ],
)
def test_bad_input_is_400_with_a_chinese_message(
    client: Client, parking: Scene, key: str, params: dict[str, str], words: str
) -> None:
    response = get(client, key, **params)
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_check_refuses_post_and_pass_refuses_get(client: Client, key: str) -> None:
    assert client.post(CHECK, {}, headers={"X-Gate-Key": key}).status_code == 405
    assert client.get(PASS, headers={"X-Gate-Key": key}).status_code == 405


def test_ping_answers_ok(client: Client) -> None:
    response = client.get("/api/parking/ping")
    assert (response.status_code, response.json()) == (200, {"ok": True})


# --- POST gate/pass -----------------------------------------------------------------------


def test_in_and_out_move_the_booking_and_are_recorded(
    client: Client, parking: Scene, key: str
) -> None:
    booking = book(parking, "wang", local_at(2, 9), local_at(2, 11))
    body = {"lot": "p1", "plate": "宁A12345", "direction": "in", "at": local_at(2, 9).isoformat()}
    entered = post(client, key, body).json()
    assert entered["allow"] is True and entered["booking"]["status"] == "parked"
    left = post(client, key, {**body, "direction": "out", "at": local_at(2, 11, 30).isoformat()})
    assert left.json()["booking"]["status"] == "completed"
    assert "超时 30 分钟" in left.json()["reason"]
    booking.refresh_from_db()
    assert (booking.status, booking.overstay_minutes) == (BookingStatus.COMPLETED, 30)
    assert list(GateEvent.objects.order_by("at").values_list("direction", "allowed")) == [
        ("in", True),
        ("out", True),
    ]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{not json", "不是有效的 JSON"),
        (b"\xff\xfe", "不是有效的 JSON"),
        ('["p1", "宁A12345"]', "应为 JSON 对象"),
        ({"lot": "p1", "plate": "宁A12345"}, "方向 direction"),
        ({"lot": "p1", "plate": "宁A12345", "direction": "up"}, "方向 direction"),
        ({"lot": "p1", "direction": "in"}, "缺少车牌号"),
        ({"lot": "p1", "plate": 12345, "direction": "in"}, "缺少车牌号"),
        ({"lot": "p1", "plate": "宁A1234", "direction": "in"}, "位数不对"),
        ({"lot": "p1", "plate": "宁A12345", "direction": "in", "at": 5}, "ISO 8601"),
        ({"plate": "宁A12345", "direction": "in"}, "缺少停车场代码"),
    ],
)
def test_a_bad_passage_is_400_and_writes_nothing(
    client: Client, parking: Scene, key: str, body: Any, words: str
) -> None:
    booking = book(parking, "wang", local_at(2, 9), local_at(2, 11))
    response = post(client, key, body)
    assert response.status_code == 400
    assert words in response.json()["error"]
    assert not GateEvent.objects.exists()
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED


def test_a_passage_with_a_wrong_key_is_401_and_writes_nothing(
    client: Client, parking: Scene, key: str
) -> None:
    body = {"lot": "p1", "plate": "宁A12345", "direction": "out"}
    assert post(client, "wrong", body).status_code == 401
    assert not GateEvent.objects.exists()


# --- keys ---------------------------------------------------------------------------------


def test_a_new_key_stops_the_old_one(parking: Scene, community_admin: User) -> None:
    old = gate_key_issue(actor=community_admin, lot=parking.lot)
    new = gate_key_issue(actor=community_admin, lot=parking.lot)
    assert len(new) == 32 and new != old
    assert lot_for_key("p1", old) is None
    assert lot_for_key("p1", new) == parking.lot
    parking.lot.refresh_from_db()
    assert new not in parking.lot.gate_key_hash  # only the hash is kept


def test_another_process_forgets_the_old_key_within_the_cache_bound(
    parking: Scene, community_admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = gate_key_issue(actor=community_admin, lot=parking.lot)
    assert lot_for_key("p1", old) is not None  # cached
    # Another web process re-issues the key: this process gets no signal.
    ParkingLot.objects.filter(pk=parking.lot.pk).update(gate_key_hash="0" * 64)
    assert lot_for_key("p1", old) is not None
    later = gate.time.monotonic() + gate.LOT_CACHE_SECONDS + 0.1
    monkeypatch.setattr(gate.time, "monotonic", lambda: later)
    assert lot_for_key("p1", old) is None


@pytest.mark.parametrize("who", ["anonymous", "assigned", "elsewhere"])
def test_only_staff_over_the_community_issue_keys(
    parking: Scene, who: str, request: pytest.FixtureRequest
) -> None:
    from django.contrib.auth.models import AnonymousUser

    from linli.sharing.errors import NotAllowed

    actor = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    with pytest.raises(NotAllowed, match="只有本社区的工作人员"):
        gate_key_issue(actor=actor, lot=parking.lot)
    assert ParkingLot.objects.get(pk=parking.lot.pk).gate_key_hash == ""


def test_the_admin_action_shows_the_new_key_once(
    client: Client, parking: Scene, community_admin: User
) -> None:
    client.force_login(community_admin)
    response = client.post(
        "/admin/sharing/parkinglot/",
        {"action": "issue_gate_key", "_selected_action": [parking.lot.pk]},
        follow=True,
    )
    [message] = [str(m) for m in response.context["messages"]]
    assert "新道闸密钥" in message and "只显示这一次" in message
    key = message.split("新道闸密钥：")[1].split(" ")[0]
    assert lot_for_key("p1", key) == parking.lot


def test_the_admin_lists_lots_only_in_the_users_areas(
    client: Client, parking: Scene, community_admin: User, elsewhere: User
) -> None:
    client.force_login(community_admin)
    assert "东区停车场" in client.get("/admin/sharing/parkinglot/").content.decode()
    client.force_login(elsewhere)
    response = client.get(f"/admin/sharing/parkinglot/{parking.lot.pk}/change/")
    assert response.status_code in (403, 404)
