"""Structured logs: request id in and out, JSON lines that parse, the request line's fields."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest
from django.test import Client

from linli.common.logging import current_request_id, logging_config


@pytest.fixture
def json_lines():  # type: ignore[no-untyped-def]
    """Switch logging to the json format (as LINLI_LOG_FORMAT=json does) into a buffer."""
    buffer = io.StringIO()
    config = logging_config(log_format="json", level="INFO")
    logging.config.dictConfig(config)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line]
    logging.config.dictConfig(logging_config(log_format="plain", level="INFO"))


@pytest.mark.django_db
def test_the_request_line_is_one_json_object_with_id_user_path_status_and_duration(
    json_lines, admin_user
) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(admin_user)
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="req-abc.123")
    assert response["X-Request-ID"] == "req-abc.123"
    [line] = [r for r in json_lines() if r["logger"] == "linli.request"]
    assert line["request_id"] == "req-abc.123"
    assert line["level"] == "INFO" and line["message"].startswith("GET /accounts/login/")
    assert line["path"] == "/accounts/login/" and line["method"] == "GET"
    assert line["status"] == response.status_code
    assert line["user_id"] == admin_user.pk
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["time"].endswith("+00:00")


@pytest.mark.django_db
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(json_lines) -> None:  # type: ignore[no-untyped-def]
    first = Client().get("/accounts/login/")["X-Request-ID"]
    forged = Client().get("/accounts/login/", HTTP_X_REQUEST_ID='x" injected\n{')["X-Request-ID"]
    assert len(first) == 32 and len(forged) == 32 and first != forged
    assert {r["request_id"] for r in json_lines() if r["logger"] == "linli.request"} == {
        first,
        forged,
    }
    assert current_request_id() is None  # reset after the request


def test_records_outside_a_request_have_a_null_id_and_keep_chinese_readable(json_lines) -> None:  # type: ignore[no-untyped-def]
    logging.getLogger("linli.test").warning("备份完成 %s", 3, extra={"files": 2})
    [line] = [r for r in json_lines() if r["logger"] == "linli.test"]
    assert line == {
        "time": line["time"],
        "level": "WARNING",
        "logger": "linli.test",
        "message": "备份完成 3",
        "request_id": None,
        "files": 2,
    }


def test_django_request_records_leave_out_the_request_and_its_query_string(json_lines) -> None:  # type: ignore[no-untyped-def]
    from django.test import RequestFactory

    request = RequestFactory().get("/people/?phone=13900000000")
    logging.getLogger("django.request").warning(
        "Not Found: %s", request.path, extra={"status_code": 404, "request": request}
    )
    [line] = [r for r in json_lines() if r["logger"] == "django.request"]
    assert "13900000000" not in json.dumps(line) and line["status_code"] == 404


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="plain or json"):
        logging_config(log_format="xml", level="INFO")
