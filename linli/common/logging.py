"""Structured logs (docs/deploy.md "Monitoring"): request ids, the request line, JSON output.

``LINLI_LOG_FORMAT=json`` (production) makes every log line one JSON object with ``time``
(ISO 8601, UTC), ``level``, ``logger``, ``message`` and ``request_id``; the request line of
:class:`RequestIdMiddleware` (logger ``linli.request``) adds ``method``, ``path``,
``status``, ``duration_ms`` and ``user_id``. ``plain`` (the default) prints the same
records as text for development.

The request id comes from the ``X-Request-ID`` header when it looks like one (a proxy or a
client may set it to follow a request across services), else a new uuid4; it is echoed in the
response header and attached to every record logged while the request is served.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "linli_request_id", default=None
)
_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
request_log = logging.getLogger("linli.request")


def current_request_id() -> str | None:
    """The id of the request being served in this thread/context, or None."""
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (None outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per record: time, level, logger, message, request_id, the record's
    ``extra`` fields, and ``exc_info`` as text when an exception is logged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("json_ensure_ascii", False)  # Chinese messages stay readable
        super().__init__("%(message)s", *args, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        # django.request passes the HttpRequest: its repr has the query string, which may
        # hold personal data (a phone searched for); request_id and path identify it.
        log_data.pop("request", None)
        log_data["time"] = dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat()
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["request_id"] = getattr(record, "request_id", None)


class RequestIdMiddleware:
    """Sets the request id for the request (see module doc), echoes it as ``X-Request-ID``,
    and logs one ``linli.request`` line per response at INFO (WARNING for 5xx)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _ACCEPTED_ID.match(given) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        start = time.perf_counter()
        try:
            response = self.get_response(request)
            duration_ms = round((time.perf_counter() - start) * 1000, 1)
            response[REQUEST_ID_HEADER] = request_id
            user = getattr(request, "user", None)
            user_id = user.pk if user is not None and user.is_authenticated else None
            status = response.status_code
            request_log.log(
                logging.WARNING if status >= 500 else logging.INFO,
                "%s %s %s %.1fms",
                request.method,
                request.path,
                status,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": duration_ms,
                    "user_id": user_id,
                },
            )
            return response
        finally:
            _request_id.reset(token)


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The ``LOGGING`` dict for ``log_format`` ``"plain"`` or ``"json"``.

    Raises:
        ValueError: another format.
    """
    if log_format not in ("plain", "json"):
        raise ValueError(f"LINLI_LOG_FORMAT must be plain or json, got {log_format!r}")
    formatters: dict[str, Any] = {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "linli.common.logging.JsonFormatter"},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "linli.common.logging.RequestIdFilter"}},
        "formatters": formatters,
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }
