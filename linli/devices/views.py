"""``POST /api/devices/events``: signed batches from gateways (docs/devices.md "HTTP")."""

from __future__ import annotations

import dataclasses
import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from linli.devices.ingest import dead_letter_record, ingest
from linli.devices.models import Channel, Gateway
from linli.devices.payload import PayloadError, parse_message
from linli.devices.services import gateway_secret
from linli.devices.signature import SignatureError, verify

log = logging.getLogger(__name__)


def _error(status: int, message: str, code: str) -> JsonResponse:
    return JsonResponse({"error": message, "code": code}, status=status)


@csrf_exempt
@require_POST
def events_receive(request: HttpRequest) -> JsonResponse:
    """Store a gateway's batch; 200 when every event was stored or already known, 207 when
    some were rejected (see ``results``), 400/401/413/503 for the whole request."""
    limit = settings.DEVICES_HTTP_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return _error(413, f"请求体超过 {limit} 字节，请分批发送", "too_large")
    body = request.read(limit + 1)
    if len(body) > limit:
        return _error(413, f"请求体超过 {limit} 字节，请分批发送", "too_large")
    key_id = request.headers.get("X-Linli-Gateway", "")
    gateway = Gateway.objects.select_related("area").filter(key_id=key_id, active=True).first()
    if gateway is None:
        log.warning("device batch from unknown or inactive gateway %r", key_id[:64])
        return _error(401, "网关未登记或已停用", "unknown_gateway")
    try:
        verify(
            gateway_secret(gateway),
            timestamp=request.headers.get("X-Linli-Timestamp", ""),
            signature=request.headers.get("X-Linli-Signature", ""),
            body=body,
            now=time.time(),
            window_s=settings.DEVICES_SIGNATURE_WINDOW_S,
        )
    except SignatureError as exc:
        log.warning("device batch from %s refused: %s", key_id, exc)
        return _error(401, str(exc), "bad_signature")
    try:
        return _store(gateway, body)
    except (OperationalError, InterfaceError):
        log.exception("device batch from %s: database unavailable", key_id)
        response = _error(
            503, "数据库暂时不可用，请稍后重发（重复发送不会重复记录）", "unavailable"
        )
        response["Retry-After"] = "30"
        return response


def _store(gateway: Gateway, body: bytes) -> JsonResponse:
    try:
        items = parse_message(body)
        if len(items) > settings.DEVICES_HTTP_MAX_EVENTS:
            raise PayloadError(
                "too_many_events", f"一批最多 {settings.DEVICES_HTTP_MAX_EVENTS} 个事件"
            )
    except PayloadError as exc:
        dead_letter_record(
            channel=Channel.HTTP,
            source=gateway.key_id,
            payload=body,
            code=exc.code,
            reason=exc.reason,
        )
        status = 413 if exc.code == "too_many_events" else 400
        return _error(status, exc.reason, exc.code)
    result = ingest(items, channel=Channel.HTTP, source=gateway.key_id, area_path=gateway.area.path)
    return JsonResponse(
        {
            "stored": result.stored,
            "duplicates": result.duplicates,
            "rejected": result.rejected,
            "results": [
                {k: v for k, v in dataclasses.asdict(o).items() if v != ""} for o in result.outcomes
            ],
        },
        status=207 if result.rejected else 200,
        json_dumps_params={"ensure_ascii": False},
    )
