"""Gate API for barrier cameras (docs/parking.md "Gate API").

``GET /api/parking/gate/check?lot=&plate=&at=`` and ``POST /api/parking/gate/pass`` with the
lot's key in the ``X-Gate-Key`` header. Plain Django views, not DRF: this is the hot path of
``linli bench gate`` (no session, user or CSRF work; the lot is cached briefly per process,
:data:`linli.sharing.gate.LOT_CACHE_SECONDS`). No rate limit: the cameras sit on the
community's intranet and each asks once per passing car.

Answers: 200 ``{"allow", "reason", "reason_code", "booking"}``; 400 ``{"error"}`` for a
malformed plate, a bad time, bad JSON or a missing field; 401 for a missing or wrong key;
404 for an unknown (or disabled) lot; 405 ``{"error"}`` with an ``Allow`` header for
another method (a camera's integrator sees what to do, not an empty HTML page).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from linli.common.windows import local
from linli.sharing.gate import GateAnswer, gate_check, gate_pass, key_matches, lot_by_code
from linli.sharing.models import Booking, GateDirection, ParkingLot

#: A query string's unescaped "+" arrives as a space: "09:00:00 08:00" means "+08:00".
_SPACED_OFFSET = re.compile(r" (\d{2}:?\d{2})$")


class BadRequest(Exception):
    """A request the gate API refuses; ``status`` and the Chinese message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _json(payload: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})


def _only(method: str, message: str) -> Callable[[Callable[..., JsonResponse]], Any]:
    """Like ``require_http_methods([method])`` but a refused method gets 405 with the JSON
    ``{"error": message}`` and ``Allow: method``."""

    def decorate(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            if request.method != method:
                response = _json({"error": message}, 405)
                response["Allow"] = method
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _booking(booking: Booking | None) -> dict[str, Any] | None:
    if booking is None:
        return None
    return {
        "id": booking.pk,
        "space": booking.space.number,
        "starts_at": local(booking.starts_at).isoformat(),
        "ends_at": local(booking.ends_at).isoformat(),
        "status": booking.status,
    }


def _answer(answer: GateAnswer) -> JsonResponse:
    if answer.reason_code == "bad_plate":
        return _json({"error": answer.reason}, 400)
    return _json(
        {
            "allow": answer.allow,
            "reason": answer.reason,
            "reason_code": answer.reason_code,
            "booking": _booking(answer.booking),
        }
    )


def _lot(request: HttpRequest, code: Any) -> ParkingLot:
    """The lot named ``code`` if the request carries its key (401 / 404 otherwise)."""
    if not isinstance(code, str) or not code.strip():
        raise BadRequest("缺少停车场代码 lot")
    key = request.headers.get("X-Gate-Key", "")
    if not key:
        raise BadRequest("缺少道闸密钥（请求头 X-Gate-Key）", 401)
    lot = lot_by_code(code.strip())
    if lot is None:
        raise BadRequest(f"没有代码为“{code.strip()[:32]}”的停车场，或已停用", 404)
    if not key_matches(lot, key):
        raise BadRequest("道闸密钥不正确", 401)
    return lot


def _at(raw: Any) -> dt.datetime:
    """``at`` as an aware datetime (ISO 8601 with an offset); now when absent."""
    if raw is None or raw == "":
        return timezone.now()
    if not isinstance(raw, str):
        raise BadRequest("时间 at 应为 ISO 8601 字符串，如 2026-11-30T09:00:00+08:00")
    text = _SPACED_OFFSET.sub(r"+\1", raw.strip())
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise BadRequest(f"时间“{raw[:40]}”无法识别，应为 ISO 8601，如 2026-11-30T09:00:00+08:00")
    if timezone.is_naive(moment):
        raise BadRequest("时间 at 须带时区，如 2026-11-30T09:00:00+08:00")
    return moment


def _plate(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise BadRequest("缺少车牌号 plate")
    return raw


@csrf_exempt
@_only("GET", "请用 GET 查询")
def check(request: HttpRequest) -> JsonResponse:
    """``GET gate/check``: may the plate enter now (or at ``at``)? Nothing is written."""
    try:
        lot = _lot(request, request.GET.get("lot"))
        plate = _plate(request.GET.get("plate"))
        at = _at(request.GET.get("at"))
    except BadRequest as exc:
        return _json({"error": str(exc)}, exc.status)
    return _answer(gate_check(lot=lot, plate=plate, at=at))


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("请求体不是有效的 JSON") from None
    if not isinstance(body, dict):
        raise BadRequest(
            '请求体应为 JSON 对象，如 {"lot": "jfy-smart", "plate": "宁A12345", "direction": "in"}'
        )
    return body


@csrf_exempt
@_only("POST", "请用 POST 上报")
def passage(request: HttpRequest) -> JsonResponse:
    """``POST gate/pass``: a car went in or out; recorded, the booking moved."""
    try:
        body = _body(request)
        lot = _lot(request, body.get("lot"))
        plate = _plate(body.get("plate"))
        at = _at(body.get("at"))
        direction = body.get("direction")
        if direction not in GateDirection.values:
            raise BadRequest("方向 direction 应为 in（入场）或 out（出场）")
    except BadRequest as exc:
        return _json({"error": str(exc)}, exc.status)
    return _answer(gate_pass(lot=lot, plate=plate, at=at, direction=direction))


@_only("GET", "请用 GET 查询")
def ping(request: HttpRequest) -> JsonResponse:
    """``GET ping``: a trivial answer on the same stack (the benchmark's baseline)."""
    return _json({"ok": True})
